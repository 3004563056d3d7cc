import StudioCore
import StudioNN

/// An image classifier under the checkpoint names `network.*` (a PyTorch `nn.Sequential` saved with
/// the prefix `network.`). Images are pixels in 0...1, as PyTorch's `ToTensor` gives them.
public struct Classifier: Module {
    public let config: ClassifierConfig
    public let network: Sequential

    /// The pixel range every method here expects; map generator output in -1...1 with `(x + 1) / 2`
    /// (`Classifier.rescaled(_:from:)`).
    public static let valueRange: ClosedRange<Float> = 0...1

    /// Images per forward pass in the batched inference methods, so that 10 000 images need the
    /// activations of only this many at a time.
    public static let inferenceBatch = 256

    /// Builds the network with PyTorch's default initialisation after validating `config`.
    public init(config: ClassifierConfig, using generator: inout RandomGenerator) throws {
        try config.validate()
        self.config = config
        network = try config.network.makeSequential(name: "network", using: &generator)
    }

    public var children: [(name: String, child: ModuleChild)] { [("network", .module(network))] }

    // MARK: - Differentiable forward passes

    /// Logits of images in 0...1, recorded for training: `[N, C, H, W] -> [N, classes]`.
    public func logits(_ images: Tensor, context: ForwardContext) -> Tensor {
        network(images, context: context)
    }

    /// The feature layer's output for images in 0...1: `[N, C, H, W] -> [N, D]`.
    public func features(_ images: Tensor, context: ForwardContext) -> Tensor {
        network.layers[...config.featureLayer].reduce(images) { $1($0, context: context) }
    }

    /// Logits from features: `[N, D] -> [N, classes]`, the layers after the feature layer.
    public func logits(fromFeatures features: Tensor, context: ForwardContext) -> Tensor {
        network.layers[(config.featureLayer + 1)...].reduce(features) { $1($0, context: context) }
    }

    // MARK: - Batched inference (no gradients, evaluation mode)

    /// Logits of any number of images in 0...1: `[N, C, H, W] -> [N, classes]`.
    public func logits(_ images: Tensor) -> Tensor {
        batched(images) { logits($0, context: .inference) }
    }

    /// Class probabilities (softmax of the logits) of images in 0...1: `[N, C, H, W] -> [N, classes]`.
    public func probabilities(_ images: Tensor) -> Tensor {
        batched(images) { logits($0, context: .inference).softmax() }
    }

    /// Penultimate features of images in 0...1: `[N, C, H, W] -> [N, D]` (D = 128 for the MNIST recipe).
    public func features(_ images: Tensor) -> Tensor {
        batched(images) { features($0, context: .inference) }
    }

    /// Features and probabilities from one pass: `[N, C, H, W] -> ([N, D], [N, classes])`.
    public func featuresAndProbabilities(_ images: Tensor) -> (features: Tensor, probabilities: Tensor) {
        let both = batched(images) { batch in
            let features = features(batch, context: .inference)
            return Tensor.concatenate([features, logits(fromFeatures: features, context: .inference).softmax()], alongAxis: 1)
        }
        let d = both.shape[1] - config.classCount
        return (both.sliced(alongAxis: 1, 0..<d), both.sliced(alongAxis: 1, d..<both.shape[1]))
    }

    /// `images` `[N, C, H, W]` with pixels in `range` mapped linearly into 0...1.
    public static func rescaled(_ images: Tensor, from range: ClosedRange<Float>) -> Tensor {
        range == valueRange ? images : (images - range.lowerBound) * (1 / (range.upperBound - range.lowerBound))
    }

    /// `body` over slices of `inferenceBatch` images, outputs concatenated along axis 0.
    private func batched(_ images: Tensor, _ body: (Tensor) -> Tensor) -> Tensor {
        precondition(images.rank == 4 && images.shape[0] > 0 && Array(images.shape.dimensions.dropFirst()) == config.imageShape,
                     "Classifier: images \(images.shape) do not match image_shape \(config.imageShape)")
        return withoutGradients {
            var parts: [Tensor] = []
            var start = 0
            repeat {
                let end = Swift.min(images.shape[0], start + Self.inferenceBatch)
                parts.append(body(images.sliced(alongAxis: 0, start..<end).detached()))
                start = end
            } while start < images.shape[0]
            return parts.count == 1 ? parts[0] : Tensor.concatenate(parts, alongAxis: 0)
        }
    }
}
