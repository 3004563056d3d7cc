import Foundation
import StudioModels

/// `[augment]`: classical augmentation of a classifier's training batches, the baseline synthetic data
/// has to beat (or of the labelled images a semi-supervised VAE's classifier learns from). The listed transforms are drawn afresh for every image of every step and applied
/// together in one bilinear resampling (`ClassicalAugmentation`); the ranges apply only to the
/// transforms listed. Defaults follow common practice on 28x28 digits (Simard et al. 2003; Ciresan
/// et al. 2010 used about the same: rotation 15 degrees, scaling 15%, elastic sigma 5-6, alpha 36-38).
public struct AugmentSettings: Codable, Equatable, Sendable {
    /// One kind of random change to an image.
    public enum Transform: String, Codable, CaseIterable, Sendable {
        case translate, rotate, scale, elastic
    }

    /// The transforms applied (none: no augmentation); their order does not matter.
    public var transforms: [Transform] = []
    /// Translation: the largest shift in pixels; each axis is shifted by a uniform -translate...translate.
    public var translate = 2.0
    /// Rotation: the largest angle in degrees; a uniform -rotate...rotate, counterclockwise positive.
    public var rotate = 15.0
    /// Scaling: the zoom factor's range [low, high], drawn uniformly (above 1 enlarges the image).
    public var scale = [0.9, 1.1]
    /// Elastic distortion: the scale in pixels of the smoothed random displacement field (Simard's alpha).
    public var elasticAlpha = 34.0
    /// Elastic distortion: the standard deviation in pixels of the field's Gaussian smoothing (Simard's sigma).
    public var elasticSigma = 4.0

    enum CodingKeys: String, CodingKey, CaseIterable {
        case transforms, translate, rotate, scale
        case elasticAlpha = "elastic_alpha", elasticSigma = "elastic_sigma"
    }

    /// Every transform at the default ranges: what `eval augmentation --classical` uses when the
    /// classifier recipe lists none.
    public static let classical = AugmentSettings(transforms: Transform.allCases)

    /// The `transforms` at the default ranges.
    public init(transforms: [Transform] = []) {
        self.transforms = transforms
    }

    public init(from decoder: Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        for name in try c.decodeIfPresent([String].self, forKey: .transforms) ?? [] {
            guard let transform = Transform(rawValue: name) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [CodingKeys.transforms],
                    debugDescription: "unknown transform '\(name)'; expected any of \(Transform.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
            transforms.append(transform)
        }
        translate = try c.decodeIfPresent(Double.self, forKey: .translate) ?? translate
        rotate = try c.decodeIfPresent(Double.self, forKey: .rotate) ?? rotate
        scale = try c.decodeIfPresent([Double].self, forKey: .scale) ?? scale
        elasticAlpha = try c.decodeIfPresent(Double.self, forKey: .elasticAlpha) ?? elasticAlpha
        elasticSigma = try c.decodeIfPresent(Double.self, forKey: .elasticSigma) ?? elasticSigma
    }

    /// Whether any transform is listed.
    public var isEnabled: Bool { !transforms.isEmpty }

    /// The listed transforms with their ranges, for people: "translate ±2 px, rotate ±15°, ...".
    public var summary: String {
        func number(_ value: Double) -> String { String(format: "%g", value) }
        return transforms.map { transform in
            switch transform {
            case .translate: "translate ±\(number(translate)) px"
            case .rotate: "rotate ±\(number(rotate))°"
            case .scale: "scale \(number(scale[0]))...\(number(scale[1]))"
            case .elastic: "elastic alpha \(number(elasticAlpha)) sigma \(number(elasticSigma))"
            }
        }.joined(separator: ", ")
    }

    /// Values that decode but cannot work, each naming its key; `model` is the recipe's.
    func problems(model: ModelConfig) -> [String] {
        var problems: [String] = []
        func require(_ ok: Bool, _ message: String) { if !ok { problems.append(message) } }
        var classifies = false
        if case .classifier = model { classifies = true }
        if case .vae(let config) = model, config.isSemiSupervised { classifies = true }
        guard classifies else {
            return ["[augment] is classical augmentation of a classifier's training images (a classifier recipe's, or a semi-supervised VAE's labelled ones); a \(model.family) recipe cannot use it"]
        }
        require(model.imageShape.count == 3, "[augment] transforms images [C, H, W]; model.image_shape is \(model.imageShape)")
        require(Set(transforms).count == transforms.count, "augment.transforms names a transform twice: \(transforms.map(\.rawValue))")
        require(translate >= 0 && translate.isFinite, "augment.translate must be 0 or more pixels, got \(translate)")
        require(rotate >= 0 && rotate <= 180, "augment.rotate must lie in 0...180 degrees, got \(rotate)")
        require(scale.count == 2 && scale[0] > 0 && scale[0] <= scale[1] && scale[1].isFinite,
                "augment.scale must be [low, high] with 0 < low <= high, got \(scale)")
        require(elasticAlpha >= 0 && elasticAlpha.isFinite, "augment.elastic_alpha must be 0 or more pixels, got \(elasticAlpha)")
        require(elasticSigma > 0 && elasticSigma <= 100, "augment.elastic_sigma must lie in (0, 100] pixels, got \(elasticSigma)")
        return problems
    }
}
