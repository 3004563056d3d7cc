import Foundation
import StudioCore

/// The files an augmentation job writes.
public enum AugmentationFormat: String, Codable, CaseIterable, Sendable {
    /// `train-images-idx3-ubyte` and `train-labels-idx1-ubyte`: the layout MNIST loaders read.
    case idx
    /// `<class>/<index>.png`: the class-folder layout image tools read.
    case png
    /// `<class>/<index>.wav`: the same layout of 16-bit WAV clips, for models trained on audio.
    case wav
}

/// Which part of a job one process does: the blocks whose ordinal is `index` modulo `count`.
public struct Shard: Codable, Equatable, Sendable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    /// The whole job in one process.
    public static let whole = Shard(index: 0, count: 1)

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Parses "I/N" with 0 <= I < N.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let index = parts[0], let count = parts[1], count >= 1, (0..<count).contains(index) else {
            throw SampleError("--shard must be I/N with 0 <= I < N (e.g. 0/4), got '\(text)'")
        }
        self.init(index: index, count: count)
    }

    public var description: String { "\(index)/\(count)" }
}

/// A classifier's verdict on generated samples: how sure it is that each is of its asked-for class.
public protocol SampleFilter {
    /// One input's shape `[C, H, W]` the classifier was trained on.
    var imageShape: [Int] { get }
    /// How a classifier trained on sound turns clips into its input; nil for an image classifier.
    var audio: AudioSettings? { get }
    /// The SHA-256 of the classifier's weights file, for the manifest.
    var identity: String { get }
    /// The probability of class `labels[i]` for input i of `images` `[N, C, H, W]` in 0...1.
    func confidence(images: Tensor, labels: [Int]) throws -> [Float]
}

extension SampleFilter {
    /// None: an image classifier.
    public var audio: AudioSettings? { nil }
}

/// What decides an augmentation job's samples: with the checkpoint, equal specs give equal bytes.
public struct AugmentationSpec: Codable, Equatable, Sendable {
    /// Samples kept per class.
    public var perClass: Int
    /// The classes to generate, ascending.
    public var classes: [Int]
    /// The job seed; sample i of class c starts from noise drawn from (seed, c, i).
    public var seed: UInt64
    public var format: AugmentationFormat
    /// Samples generated at once; blocks of this many are the unit of work, sharding and resuming.
    public var blockSize: Int
    /// With a filter: the least confidence a sample needs to be kept.
    public var minConfidence: Double?
    /// With a filter: candidates tried per kept sample at most, before the job gives up.
    public var maxTries: Int

    public init(perClass: Int, classes: [Int], seed: UInt64 = 0, format: AugmentationFormat = .idx,
                blockSize: Int = 64, minConfidence: Double? = nil, maxTries: Int = 20) {
        self.perClass = perClass
        self.classes = classes.sorted()
        self.seed = seed
        self.format = format
        self.blockSize = blockSize
        self.minConfidence = minConfidence
        self.maxTries = minConfidence == nil ? 1 : maxTries
    }

    enum CodingKeys: String, CodingKey {
        case perClass = "per_class", classes, seed, format, blockSize = "block_size"
        case minConfidence = "min_confidence", maxTries = "max_tries"
    }

    /// The most samples per class: block files and manifests count samples in 32-bit IDX headers.
    public static let maximumPerClass = Int(Int32.max)

    /// Checks the numbers and the classes against the model's.
    public func validate(classCount: Int) throws {
        guard perClass >= 1 else { throw SampleError("--per-class must be at least 1, got \(perClass)") }
        guard perClass <= Self.maximumPerClass else {
            throw SampleError("--per-class \(perClass) is more than the \(Self.maximumPerClass) samples per class a job can index")
        }
        guard blockSize >= 1 else { throw SampleError("--block-size must be at least 1, got \(blockSize)") }
        guard !classes.isEmpty else { throw SampleError("--classes names no class") }
        guard Set(classes).count == classes.count else { throw SampleError("--classes repeats a class: \(classes)") }
        if let bad = classes.first(where: { !(0..<classCount).contains($0) }) {
            throw SampleError("class \(bad) is outside the model's classes 0...\(classCount - 1)")
        }
        if let minConfidence, !(0...1).contains(minConfidence) {
            throw SampleError("--min-confidence must lie in 0...1, got \(minConfidence)")
        }
        guard maxTries >= 1 else { throw SampleError("--max-tries must be at least 1, got \(maxTries)") }
    }

    /// Every block of the job in order: class by class, then by position.
    public var blocks: [AugmentationBlock] {
        let perClassBlocks = (perClass + blockSize - 1) / blockSize
        var all: [AugmentationBlock] = []
        for label in classes {
            for k in 0..<perClassBlocks {
                all.append(AugmentationBlock(ordinal: all.count, label: label, index: k,
                                             first: k * blockSize, count: min(blockSize, perClass - k * blockSize)))
            }
        }
        return all
    }

    /// The blocks shard `shard` does.
    public func blocks(of shard: Shard) -> [AugmentationBlock] {
        blocks.filter { $0.ordinal % shard.count == shard.index }
    }
}

/// Samples `first..<first + count` of class `label`: a unit of work stored as one file.
public struct AugmentationBlock: Equatable, Sendable {
    /// Position among all the job's blocks; decides the shard.
    public var ordinal: Int
    public var label: Int
    /// Position among the class's blocks.
    public var index: Int
    /// The class-wide index of the block's first sample.
    public var first: Int
    public var count: Int
}
