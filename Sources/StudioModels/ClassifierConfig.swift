import StudioCore

/// An image classifier described by a recipe: one sequential network `[N, C, H, W] -> [N, classes]`
/// logits, with one of its layers named as the feature layer whose output evaluation compares.
public struct ClassifierConfig: Codable, Equatable, Sendable {
    /// The image shape `[C, H, W]` the network reads (pixels in 0...1, see `Classifier.valueRange`).
    public var imageShape: [Int]
    /// Classes it tells apart; the network ends in this many logits.
    public var classCount: Int
    /// `[N, C, H, W] -> [N, classCount]` logits.
    public var network: SequentialSpec
    /// The layer (0-based, as `nn.Sequential` numbers them) whose output `[N, D]` is the feature
    /// vector: by default the one before the last layer, the penultimate activations.
    public var featureLayer: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case imageShape = "image_shape", classCount = "classes", network, featureLayer = "feature_layer"
    }

    public init(imageShape: [Int], classCount: Int, network: SequentialSpec, featureLayer: Int? = nil) {
        self.imageShape = imageShape
        self.classCount = classCount
        self.network = network
        self.featureLayer = featureLayer ?? network.layers.count - 2
    }

    public init(from decoder: Decoder) throws {
        // `family` is the tag `ModelConfig` reads before handing the same table over.
        try decoder.rejectUnknownKeys(["family"] + CodingKeys.allCases.map(\.stringValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        imageShape = try c.decode([Int].self, forKey: .imageShape)
        classCount = try c.decode(Int.self, forKey: .classCount)
        network = try c.decode(SequentialSpec.self, forKey: .network)
        featureLayer = try c.decodeIfPresent(Int.self, forKey: .featureLayer) ?? network.layers.count - 2
    }

    /// The network's input for one image, `[1, C, H, W]`.
    public var inputShape: Shape { Shape([1] + imageShape) }

    /// The length D of the feature vector, after `validate()` has passed.
    public func featureSize() throws -> Int {
        let shape = try SequentialSpec(Array(network.layers[...featureLayer])).outputShape(for: inputShape, name: "network")
        return shape[1]
    }

    /// Checks that the network maps `imageShape` to `classCount` logits and that the feature layer
    /// lies before the last layer and gives one vector per image.
    public func validate() throws {
        guard imageShape.count == 3, imageShape.allSatisfy({ $0 > 0 }) else {
            throw ModelConfigError("model.image_shape must be [channels, height, width], got \(imageShape)")
        }
        guard classCount >= 2 else { throw ModelConfigError("model.classes must be at least 2, got \(classCount)") }
        let out = try network.outputShape(for: inputShape, name: "network")
        guard out == [1, classCount] else {
            throw ModelConfigError("network maps \(inputShape) to \(out); it must give one logit per class, [1, \(classCount)]")
        }
        guard featureLayer >= 0 && featureLayer < network.layers.count - 1 else {
            throw ModelConfigError("model.feature_layer must name a layer before the last, 0...\(network.layers.count - 2), got \(featureLayer)")
        }
        let features = try SequentialSpec(Array(network.layers[...featureLayer])).outputShape(for: inputShape, name: "network")
        guard features.rank == 2 else {
            throw ModelConfigError("model.feature_layer \(featureLayer) (\(network.layers[featureLayer].kind.rawValue)) gives \(features); features must be one vector per image, [1, D]")
        }
    }
}
