import Foundation
import StudioCore
import StudioIO
import StudioModels

/// A classifier rebuilt from a checkpoint (or a recipe plus foreign weights), ready to score
/// images in 0...1: logits, probabilities and penultimate features.
public struct LoadedClassifier {
    public let classifier: Classifier
    /// The training step the weights come from, when the file says.
    public let step: Int?
    /// The file the weights came from.
    public let source: URL
    /// The SHA-256 of that file, naming these weights in manifests.
    public let weightsSHA256: String
    /// How clips become its input, for a classifier trained on sound (the checkpoint's "audio"); nil for images.
    public let audio: AudioSettings?

    /// The model's config.
    public var config: ClassifierConfig { classifier.config }

    /// Loads CHECKPOINT (a run directory, checkpoint directory or `model.safetensors`); a checkpoint
    /// of another family is an error naming the family.
    public static func load(checkpoint path: URL) throws -> LoadedClassifier {
        let (file, tensors) = try Checkpoint.readModel(path)
        try tensors.requireFinite(path: file.path)
        return try build(try ModelCheckpoint.config(of: tensors, path: file.path), weights: tensors, source: file,
                         step: tensors.metadata["step"].flatMap(Int.init))
    }

    /// Loads weights written by another tool (keys `network.0.weight`, ...) into the classifier a recipe describes.
    public static func load(recipe: URL, weights: URL) throws -> LoadedClassifier {
        try build(try RecipeLoader.load(recipe).recipe.model, weights: try SafeTensors.read(from: weights), source: weights, step: nil)
    }

    static func build(_ config: ModelConfig, weights: SafeTensors, source: URL, step: Int?) throws -> LoadedClassifier {
        guard case .classifier(let classifierConfig) = config else {
            throw SampleError("\(source.path) holds a \(config.family) model, not a classifier; give a checkpoint of a classifier run (recipes/classifier-mnist.toml)")
        }
        var generator = RandomStream.initialization.generator(seed: 0)
        let classifier = try Classifier(config: classifierConfig, using: &generator)
        try GeneratorLoader.restore(weights, into: classifier, source: source)
        return LoadedClassifier(classifier: classifier, step: step, source: source,
                                weightsSHA256: try AugmentationManifest.sha256(of: source),
                                audio: try ModelCheckpoint.audio(of: weights, path: source.path))
    }

    /// Logits of images in 0...1: `[N, C, H, W] -> [N, classes]`, in batches.
    public func logits(_ images: Tensor) -> Tensor { classifier.logits(images) }

    /// Class probabilities of images in 0...1: `[N, C, H, W] -> [N, classes]`, in batches.
    public func probabilities(_ images: Tensor) -> Tensor { classifier.probabilities(images) }

    /// Penultimate features of images in 0...1: `[N, C, H, W] -> [N, D]`, in batches.
    public func features(_ images: Tensor) -> Tensor { classifier.features(images) }

    /// Throws unless `images` are `[N, C, H, W]` with N > 0 and the classifier's image shape.
    func checkImages(_ images: Tensor) throws {
        guard images.rank == 4, images.shape[0] > 0, Array(images.shape.dimensions.dropFirst()) == config.imageShape else {
            throw SampleError("the classifier in \(source.path) takes [N, \(config.imageShape.map(String.init).joined(separator: ", "))] images, got \(images.shape)")
        }
    }
}

// MARK: - The classifier behind evaluation and augmentation filters

extension LoadedClassifier: FeatureClassifier {
    public var imageShape: [Int] { config.imageShape }
    public var classCount: Int { config.classCount }

    /// Penultimate features `[N, D]` and probabilities `[N, classes]` of images `[N, C, H, W]` in 0...1.
    public func featuresAndProbabilities(_ images: Tensor) throws -> (features: Tensor, probabilities: Tensor) {
        try checkImages(images)
        return classifier.featuresAndProbabilities(images)
    }
}

extension LoadedClassifier: SampleFilter {
    /// The SHA-256 of the weights file.
    public var identity: String { weightsSHA256 }

    /// The probability of class `labels[i]` for image i of `images` `[N, C, H, W]` in 0...1.
    public func confidence(images: Tensor, labels: [Int]) throws -> [Float] {
        try checkImages(images)
        guard labels.count == images.shape[0], labels.allSatisfy({ (0..<config.classCount).contains($0) }) else {
            throw SampleError("confidence needs \(images.shape[0]) labels in 0..<\(config.classCount), got \(labels.count)")
        }
        let probabilities = classifier.probabilities(images).scalars
        return labels.enumerated().map { probabilities[$0.offset * config.classCount + $0.element] }
    }
}
