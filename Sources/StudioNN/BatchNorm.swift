import StudioCore

/// The state and arithmetic shared by `BatchNorm1d` and `BatchNorm2d`: statistics per channel
/// (axis 1) over every other axis.
struct BatchNormCore {
    let weight: Parameter
    let bias: Parameter
    let runningMean: Buffer
    let runningVariance: Buffer
    let batchesTracked: Buffer
    let epsilon: Float
    let momentum: Float

    init(featureCount: Int, epsilon: Float, momentum: Float) {
        weight = Parameter(Tensor(ones: [featureCount]))
        bias = Parameter(Tensor(zeros: [featureCount]))
        runningMean = Buffer(Tensor(zeros: [featureCount]))
        runningVariance = Buffer(Tensor(ones: [featureCount]))
        batchesTracked = Buffer(Tensor(0), storageType: .int64)
        self.epsilon = epsilon
        self.momentum = momentum
    }

    var featureCount: Int { weight.shape[0] }

    var children: [(name: String, child: ModuleChild)] {
        [("weight", .parameter(weight)), ("bias", .parameter(bias)),
         ("running_mean", .buffer(runningMean)), ("running_var", .buffer(runningVariance)),
         ("num_batches_tracked", .buffer(batchesTracked))]
    }

    /// Training: normalises by the batch mean and biased variance, then moves the running mean
    /// and the unbiased running variance by `momentum` (or the context's), as PyTorch does. Evaluation: uses the running statistics.
    func normalize(_ input: Tensor, context: ForwardContext, layer: String) -> Tensor {
        let channels = featureCount
        precondition(input.rank >= 2 && input.shape[1] == channels,
                     "\(layer): input \(input.shape) does not have \(channels) channels on axis 1")
        // [1, C, 1, ...] so that per-channel values broadcast over the batch and spatial axes.
        let statShape = Shape([1, channels] + [Int](repeating: 1, count: input.rank - 2))
        guard context.isTraining else {
            let scale = weight.value / (runningVariance.value + epsilon).sqrt()
            let shift = bias.value - runningMean.value * scale
            return input * scale.reshaped(to: statShape) + shift.reshaped(to: statShape)
        }
        precondition(input.elementCount / channels > 1,
                     "\(layer): training needs more than one value per channel, got input \(input.shape)")
        let (output, statistics) = input.batchNormalized(weight: weight.value, bias: bias.value, epsilon: epsilon,
                                                              replicas: context.batchNormReplicas)
        let momentum = context.batchNormMomentum ?? self.momentum
        withoutGradients {
            runningMean.value = runningMean.value * (1 - momentum) + statistics.mean * momentum
            runningVariance.value = runningVariance.value * (1 - momentum) + statistics.unbiasedVariance * momentum
            batchesTracked.value = batchesTracked.value + 1
        }
        return output
    }

    func resetForDCGAN(using generator: inout RandomGenerator) {
        weight.assign(Tensor.randomNormal(weight.shape, mean: 1, standardDeviation: 0.02, using: &generator))
        bias.assign(Tensor(zeros: bias.shape))
    }
}

/// Batch normalisation of features or signals: `[N, C] -> [N, C]` or `[N, C, L] -> [N, C, L]`.
/// Parameters `weight`, `bias` `[C]`; buffers `running_mean`, `running_var` `[C]` and
/// `num_batches_tracked` (an `.int64` scalar), as PyTorch's `BatchNorm1d`.
public struct BatchNorm1d: Layer {
    let core: BatchNormCore

    /// Weight 1, bias 0, running mean 0 and variance 1, as PyTorch.
    public init(featureCount: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) {
        core = BatchNormCore(featureCount: featureCount, epsilon: epsilon, momentum: momentum)
    }

    /// `[C]` scale.
    public var weight: Parameter { core.weight }
    /// `[C]` shift.
    public var bias: Parameter { core.bias }
    /// `[C]` running mean of the batch means.
    public var runningMean: Buffer { core.runningMean }
    /// `[C]` running mean of the unbiased batch variances.
    public var runningVariance: Buffer { core.runningVariance }
    /// `[]` the number of training batches seen.
    public var batchesTracked: Buffer { core.batchesTracked }

    /// `weight`, `bias`, then the buffers `running_mean`, `running_var`, `num_batches_tracked`.
    public var children: [(name: String, child: ModuleChild)] { core.children }

    /// `[N, C] -> [N, C]` or `[N, C, L] -> [N, C, L]`.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor {
        precondition(input.rank == 2 || input.rank == 3, "BatchNorm1d: input must be [N, C] or [N, C, L], got \(input.shape)")
        return core.normalize(input, context: context, layer: "BatchNorm1d")
    }
}

/// Batch normalisation of images: `[N, C, H, W] -> [N, C, H, W]`, state as `BatchNorm1d`.
public struct BatchNorm2d: Layer {
    let core: BatchNormCore

    /// Weight 1, bias 0, running mean 0 and variance 1, as PyTorch.
    public init(featureCount: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) {
        core = BatchNormCore(featureCount: featureCount, epsilon: epsilon, momentum: momentum)
    }

    /// `[C]` scale.
    public var weight: Parameter { core.weight }
    /// `[C]` shift.
    public var bias: Parameter { core.bias }
    /// `[C]` running mean of the batch means.
    public var runningMean: Buffer { core.runningMean }
    /// `[C]` running mean of the unbiased batch variances.
    public var runningVariance: Buffer { core.runningVariance }
    /// `[]` the number of training batches seen.
    public var batchesTracked: Buffer { core.batchesTracked }

    /// `weight`, `bias`, then the buffers `running_mean`, `running_var`, `num_batches_tracked`.
    public var children: [(name: String, child: ModuleChild)] { core.children }

    /// `[N, C, H, W] -> [N, C, H, W]`.
    public func callAsFunction(_ input: Tensor, context: ForwardContext) -> Tensor {
        precondition(input.rank == 4, "BatchNorm2d: input must be [N, C, H, W], got \(input.shape)")
        return core.normalize(input, context: context, layer: "BatchNorm2d")
    }
}
