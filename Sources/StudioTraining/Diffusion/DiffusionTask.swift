import StudioCore
import StudioIO
import StudioModels
import StudioNN
import StudioOptim

/// DDPM training (DESIGN section 4): per step, a uniform timestep and Gaussian noise per image, the
/// network's output against ε (or v) in mean squared error, one Adam step, then the moving average.
/// Conditional models see "no class" in place of a label with the recipe's label-dropout chance.
public final class DiffusionTask: TrainingTask {
    /// The trained network under `unet.*`.
    public let model: DiffusionModel
    /// The noise schedule and prediction target.
    public let process: DiffusionProcess
    /// The moving average of the UNet's weights, which the sample grids (and `genstudio sample`) use.
    public let ema: ExponentialMovingAverage
    let optimizer: Adam
    /// The optimizers the session schedules.
    public var optimizers: [any Optimizer] { [optimizer] }
    /// The rows of each global batch this process trains on.
    public var share = BatchShare.whole
    let seed: UInt64
    /// The fixed x_T of every sample grid, `[count, C, H, W]`.
    public let sampleNoise: Tensor
    /// Classes of the sample grid rows (0, 1, 2, ... repeating) for a conditional model.
    public let sampleLabels: [Int]?

    /// The guidance scale of the training sample grids of conditional models.
    public static let gridGuidance = 3.0

    /// The mean squared error of the prediction.
    public let metricNames = ["loss"]

    /// A freshly initialised model for `config`, trained with Adam as `settings` says.
    public init(config: DiffusionConfig, settings: TrainSettings, sampleCount: Int) throws {
        var generator = RandomStream.initialization.generator(seed: settings.seed)
        model = try DiffusionModel(config: config, using: &generator)
        process = DiffusionProcess(config: config)
        optimizer = Adam(parameters: model.namedParameters, learningRate: Float(settings.lr),
                         betas: (Float(settings.beta1), Float(settings.beta2)))
        ema = ExponentialMovingAverage(parameters: model.namedParameters, decay: Float(config.emaDecay), warmup: config.emaWarmup)
        seed = settings.seed
        var noiseGenerator = RandomStream.sampleLatents.generator(seed: settings.seed)
        sampleNoise = Tensor.randomNormal(Shape([sampleCount] + config.imageShape), using: &noiseGenerator)
        sampleLabels = config.isConditional ? (0..<sampleCount).map { $0 % config.classes } : nil
    }

    /// The timesteps, noise and (dropped-out) labels of `step`, all from the run's noise stream.
    func draws(batch: Int, shape: Shape, labels: [Int], step: Int) -> (timesteps: [Int], noise: Tensor, labels: [Int]?) {
        var generator = RandomStream.noise.generator(seed: seed, step: step)
        let count = UInt64(process.schedule.count)
        let timesteps = share.part(of: (0..<(batch * share.ranks)).map { _ in Int(generator.next() % count) })
        let noise = share.randomNormal(shape, using: &generator)
        guard model.config.isConditional else { return (timesteps, noise, nil) }
        let dropout = Float(model.config.labelDropout)
        let draws = share.part(of: (0..<(batch * share.ranks)).map { _ in generator.nextUniform() })
        let kept = zip(labels, draws).map { $1 < dropout ? model.config.classes : $0 }
        return (timesteps, noise, kept)
    }

    /// One step on `clean` images `[B, C, H, W]` in -1...1; returns the loss.
    public func step(batch clean: Tensor, labels: [Int], step: Int) -> [Double] {
        let n = clean.shape[0]
        precondition(!model.config.isConditional || labels.count == n, "DiffusionTask: a conditional model needs one label per image")
        let (timesteps, noise, conditioning) = draws(batch: n, shape: clean.shape, labels: labels, step: step)
        let context = share.trainingContext(seed: seed, step: step)
        let noisy = process.noised(clean, noise: noise, timesteps: timesteps)
        let output = model.unet(noisy, timesteps: timesteps.map(Double.init), labels: conditioning, context: context)
        let loss = process.loss(output: output, clean: clean, noise: noise, timesteps: timesteps)
        optimizer.zeroGradients()
        loss.backward()
        optimizer.step()
        ema.update()
        return [Double(loss.item)]
    }

    /// The one grid of `sampleImages()`, named "samples".
    public func sampleGrids() -> [(name: String, images: Tensor)] { [("samples", sampleImages())] }

    /// DDIM (eta 0, min(50, T) steps) from the fixed noise with the averaged weights; conditional
    /// models draw class `row % classes` with guidance `gridGuidance`.
    public func sampleImages() -> Tensor {
        let sampler = DiffusionSampler(unet: model.unet, process: process)
        let options = DiffusionSampleOptions(sampler: .ddim, guidance: sampleLabels == nil ? 1 : Self.gridGuidance)
        var generator = RandomStream.noise.generator(seed: seed)
        return ema.withAveragedParameters {
            sampler.denoise(noise: sampleNoise, labels: sampleLabels, options: options, generator: &generator).images
        }
    }

    /// `unet.*` (the trained weights) and `ema.unet.*` (their moving average).
    public func modelState(step: Int) throws -> SafeTensors {
        var file = try ModelCheckpoint.encode(model, config: .diffusion(model.config), step: step)
        ModelCheckpoint.appendAverage(ema, to: &file)
        return file
    }

    /// Adam's state under `unet.*` and the average's update counter as `ema.update_count`.
    public func optimizerState() -> SafeTensors {
        var file = ModelCheckpoint.encodeOptimizers(["unet": optimizer])
        ModelCheckpoint.appendAverageCounter(ema, to: &file)
        return file
    }

    /// Restores trained weights, averaged weights, Adam's state and the average's counter.
    public func restore(model file: SafeTensors, optimizer optimizerFile: SafeTensors) throws {
        let (weights, averaged) = ModelCheckpoint.splitAverage(file)
        try model.loadState(weights)
        try ModelCheckpoint.restoreAverage(ema, values: averaged, optimizer: optimizerFile)
        try ModelCheckpoint.loadOptimizers(optimizerFile, into: ["unet": optimizer])
    }

    /// The prefix of the moving average's tensors in both checkpoint files.
    public static let emaPrefix = ModelCheckpoint.averagePrefix
}
