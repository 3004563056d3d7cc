import Foundation
import StudioCore
import StudioIO

/// K examples of each class of a labelled set, drawn from a seed: the training set of a recipe with
/// `data.per_class = K` and the real set of `eval augmentation --real-per-class K`. Both come from
/// here, so a generator trained on K images per class and the classifier it is judged against see
/// the same images for the same seed. `subset.json` in a run directory is this value.
public struct ClassSubset: Codable, Equatable, Sendable {
    /// Examples of each class (K).
    public var perClass: Int
    /// The seed the examples were drawn from.
    public var seed: UInt64
    /// The number of examples, `perClass` x classes.
    public var count: Int
    /// Indices into the full set, class by class (class 0's K, then class 1's, ...), each class's in
    /// the order they were drawn.
    public var indices: [Int]

    /// Why a subset cannot be drawn: a class with fewer than K examples.
    public struct Shortfall: Error, Equatable, Sendable {
        /// The class that is short.
        public var label: Int
        /// How many examples of it the set has.
        public var available: Int
    }

    /// The file name in a run directory.
    public static let fileName = "subset.json"

    enum CodingKeys: String, CodingKey {
        case perClass = "per_class", seed, count, indices
    }

    /// `perClass` examples of each class in `0..<classes` of a set with `labels` (one per example),
    /// drawn without replacement by a partial Fisher-Yates shuffle of that class's indices in set
    /// order, one random stream per class: changing K or the number of classes leaves every other
    /// class's draw as it was.
    public init(perClass: Int, labels: [Int], classes: Int, seed: UInt64) throws(Shortfall) {
        precondition(perClass > 0, "ClassSubset: perClass must be positive, got \(perClass)")
        var chosen: [Int] = []
        chosen.reserveCapacity(perClass * classes)
        for label in 0..<classes {
            var members = labels.indices.filter { labels[$0] == label }
            guard members.count >= perClass else { throw Shortfall(label: label, available: members.count) }
            var generator = RandomStream.classSubset.generator(seed: seed, step: label)
            for i in 0..<perClass {
                let j = i + Int(generator.next() % UInt64(members.count - i))
                members.swapAt(i, j)
            }
            chosen += members[..<perClass]
        }
        self.perClass = perClass
        self.seed = seed
        count = chosen.count
        indices = chosen
    }

    /// The subset's examples of `data` (the set the labels came from), without copying them.
    public func examples(of data: any LabelledExamples) -> SubsetExamples {
        SubsetExamples(data, indices: indices)
    }

    /// Writes `name` (`subset.json`, or a semi-supervised run's `labelled.json`) into `directory`
    /// (atomically; keys sorted, so equal subsets give equal bytes).
    public func write(into directory: URL, name: String = fileName) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: directory.appendingPathComponent(name))
    }

    /// The file `name` (default `subset.json`) in `directory`, or nil when there is none.
    public static func read(from directory: URL, name: String = fileName) throws -> ClassSubset? {
        let url = directory.appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        do {
            return try JSONDecoder().decode(ClassSubset.self, from: data)
        } catch {
            throw FileFormatError(path: url.path, "is not a subset file (per_class, seed, count, indices): \(error)")
        }
    }
}
