import Foundation
import StudioCore
import StudioEval

/// A trained classifier whose penultimate features and class probabilities evaluation compares.
public protocol FeatureClassifier {
    /// One image's shape `[C, H, W]`.
    var imageShape: [Int] { get }
    /// Classes it tells apart.
    var classCount: Int { get }
    /// Features `[N, D]` and class probabilities `[N, classes]` of images `[N, C, H, W]` in 0...1.
    func featuresAndProbabilities(_ images: Tensor) throws -> (features: Tensor, probabilities: Tensor)
}

/// What `genstudio eval` reports about a set of samples.
public struct SampleEvaluation: Codable, Sendable {
    /// Fréchet distance on the classifier's features against the reference test set, with its floor.
    public var fid: FrechetScore
    /// The metric name of `fid`, e.g. `fid10k-classifier`.
    public var fidName: String
    public var inceptionScore: InceptionScore
    /// Samples per predicted class.
    public var classHistogram: [Int]
    public var precisionRecall: PrecisionRecall
    /// The classifier's top-1 accuracy on the samples' labels, for labelled samples.
    public var accuracy: Double?
    /// L2 distance in the classifier's input space (pixels, or an audio classifier's spectrogram or
    /// waveform values in 0...1) of each sample to its nearest training example: mean, median, least.
    public var nearestDistanceMean: Double
    public var nearestDistanceMedian: Double
    public var nearestDistanceMin: Double
    /// The closest (sample, training image) pairs, nearest first.
    public var closestPairs: [NearestTrainingImages.Match]

    enum CodingKeys: String, CodingKey {
        case fid, fidName = "fid_name", inceptionScore = "inception_score", classHistogram = "class_histogram"
        case precisionRecall = "precision_recall", accuracy, nearestDistanceMean = "nearest_distance_mean"
        case nearestDistanceMedian = "nearest_distance_median", nearestDistanceMin = "nearest_distance_min"
        case closestPairs = "closest_pairs"
    }

    /// Evaluates `samples` `[N, C, H, W]` in 0...1 (with `labels` when they are labelled; for an audio
    /// classifier, clips already turned into its input by `AudioSampleSet`) against the
    /// real `test` images (FID, precision/recall; the floor is test against `training` at the same
    /// count) and the `training` images (memorisation). `seed` picks the floor's draws.
    public init(samples: Tensor, labels: [Int]?, test: Tensor, training: Tensor, classifier: FeatureClassifier,
                seed: UInt64 = 0, closestPairCount: Int = 16) throws {
        let shape = Array(samples.shape.dimensions.dropFirst())
        guard shape == classifier.imageShape else {
            throw SampleError("the samples are \(shape) images, but the classifier takes \(classifier.imageShape)")
        }
        guard Array(test.shape.dimensions.dropFirst()) == shape, Array(training.shape.dimensions.dropFirst()) == shape else {
            throw SampleError("the reference images are \(Array(test.shape.dimensions.dropFirst())), the samples \(shape)")
        }
        let n = samples.shape[0]
        guard n >= 2 else { throw SampleError("evaluation needs at least 2 samples, got \(n)") }
        let generated = try classifier.featuresAndProbabilities(samples)
        let real = try classifier.featuresAndProbabilities(test)
        let floorCount = min(n, test.shape[0], training.shape[0])
        let trainingDraw = training.sliced(alongAxis: 0, 0..<min(training.shape[0], max(floorCount, 2)))
        let floor = try FrechetScore.realVersusReal(real.features, try classifier.featuresAndProbabilities(trainingDraw).features,
                                                    count: floorCount, seed: seed)
        fid = try FrechetScore(generated: generated.features, reference: real.features, realFloor: floor)
        fidName = fid.name
        inceptionScore = try Self.inceptionScore(probabilities: generated.probabilities, seed: seed)
        classHistogram = try ClassHistogram(probabilities: generated.probabilities).counts
        precisionRecall = try PrecisionRecall(real: real.features, generated: generated.features)
        if let labels {
            accuracy = try ClassifierAccuracy(probabilities: generated.probabilities, labels: labels).value
        }
        let nearest = try NearestTrainingImages(samples: samples, training: training)
        let distances = nearest.matches.map(\.distance).sorted()
        nearestDistanceMean = distances.reduce(0, +) / Double(distances.count)
        nearestDistanceMedian = distances[distances.count / 2]
        nearestDistanceMin = distances[0]
        closestPairs = nearest.closest(closestPairCount)
    }

    /// The Inception-score analogue of class probabilities `[N, C]`: ten splits from 1000 samples on,
    /// taken over an order shuffled from `seed`, since the protocol's splits assume samples in random
    /// order and files (augment's output) come sorted by class, which would leave one class per split.
    static func inceptionScore(probabilities: Tensor, seed: UInt64) throws -> InceptionScore {
        let n = probabilities.shape[0]
        let shuffled = probabilities.indexSelect(EpochSampler(count: n, batch: 1, seed: seed).order(epoch: 0), alongAxis: 0)
        return try InceptionScore(probabilities: shuffled, splits: n >= 1000 ? 10 : 1)
    }
}
