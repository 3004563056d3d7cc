import Foundation
import StudioCore
import StudioIO

/// `genstudio eval SAMPLES --classifier CKPT`: samples drawn from a generator checkpoint or read
/// from files, scored on a classifier's features against its reference data.
public struct SampleEvaluationJob {
    /// A generator checkpoint, an IDX images file, a folder of images, or (audio classifiers) a folder of clips.
    public var samples: URL
    /// The classifier checkpoint as the user named it (its run's `data.path` is an audio reference's default).
    public var classifierPath: URL
    public var classifier: LoadedClassifier
    /// The real data; nil for `data/mnist` (images) or the classifier run's data (audio).
    public var reference: URL?
    /// Samples drawn from a checkpoint; from files, a random subset of this many when there are more.
    public var count: Int
    /// The seed of the drawn samples, of the subset and of the floor's draws.
    public var seed: UInt64
    /// How a checkpoint is sampled.
    public var sampling: SamplingOptions
    /// Score a folder whose augmentation job is unfinished.
    public var allowIncomplete = false

    /// Loads the classifier at `classifierPath` and checks that `samples` are of the kind it reads.
    public init(samples: URL, classifierPath: URL, reference: URL?, count: Int, seed: UInt64, sampling: SamplingOptions) throws {
        self.samples = samples
        self.classifierPath = classifierPath
        classifier = try LoadedClassifier.load(checkpoint: classifierPath)
        self.reference = reference
        self.count = count
        self.seed = seed
        self.sampling = sampling
        // A checkpoint's kind is checked when it is loaded, so that its file is read once.
        if !isCheckpoint { try SampleSet.requireKind(of: samples, isCheckpoint: false, classifier: classifier) }
    }

    /// Whether `samples` names a model file, a checkpoint directory or a run directory (not files of samples).
    public var isCheckpoint: Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: samples.path, isDirectory: &isDirectory) else { return false }
        return isDirectory.boolValue ? (try? Checkpoint.resolve(samples)) != nil : samples.pathExtension == "safetensors"
    }

    /// What an evaluation found, with what it scored.
    public struct Outcome {
        public var report: SampleEvaluation
        /// The scored samples `[N] + the classifier's input shape`, in 0...1.
        public var samples: Tensor
        /// The reference training examples the nearest-neighbour figures point into.
        public var training: Tensor
        /// Lines worth telling the user (resampling, subsets), in the order they arose.
        public var notes: [String]
    }

    /// Draws or reads the samples, loads the reference and scores them; `progress(done, total)` follows drawn samples.
    public func run(progress: (Int, Int) -> Void = { _, _ in }) throws -> Outcome {
        var notes: [String] = []
        var drawn: (examples: Tensor, labels: [Int]?)
        let test: Tensor, training: Tensor
        let model = isCheckpoint ? try GeneratorLoader.load(checkpoint: samples, options: sampling) : nil
        if let model, (model.audio != nil) != (classifier.audio != nil) {
            throw SampleSet.kindMismatch(samples, isCheckpoint: true, classifier: classifier)
        }
        if model == nil, !sampling.given.isEmpty {
            throw SampleError("\(sampling.given.map(\.flag).joined(separator: ", ")) apply to generator checkpoints; \(samples.path) holds samples already drawn")
        }
        if let audio = classifier.audio {
            if let model {
                let generated = try AudioSampleSet.draw(from: model, count: count, seed: seed, classifier: classifier, progress: progress)
                drawn = (generated.examples, generated.labels)
                if generated.generatorRate < audio.sampleRate {
                    notes.append("note: the clips were upsampled from \(generated.generatorRate) Hz to the classifier's \(audio.sampleRate) Hz, so they hold nothing above \(generated.generatorRate / 2) Hz")
                }
            } else {
                drawn = try AudioSampleSet.read(samples, classifier: classifier)
            }
            let place = reference ?? URL(fileURLWithPath: AudioSampleSet.trainingData(ofRun: classifierPath) ?? "data/spoken-digits")
            test = try AudioSampleSet.reference(place, split: .test, classifier: classifier)
            training = try AudioSampleSet.reference(place, split: .train, classifier: classifier)
        } else {
            if let model {
                drawn = try model.drawSamples(count: count, seed: seed, chunk: model.preferredChunk, progress: progress)
            } else {
                let read = try SampleSet.read(samples, channels: classifier.imageShape[0], allowIncomplete: allowIncomplete)
                drawn = (read.images, read.labels)
            }
            let place = reference ?? URL(fileURLWithPath: "data/mnist")
            test = Self.allImages(try ImageDataset.mnistFormat(directory: place, split: .test))
            training = Self.allImages(try ImageDataset.mnistFormat(directory: place, split: .train))
        }
        if model == nil, drawn.examples.shape[0] > count {
            let total = drawn.examples.shape[0]
            let chosen = SampleSet.subset(drawn.examples, labels: drawn.labels, count: count, seed: seed)
            drawn = (chosen.samples, chosen.labels)
            notes.append("scoring a random \(count) of the \(total) \(classifier.audio == nil ? "images" : "clips") (seed \(seed); --count sets how many)")
        }
        let report = try SampleEvaluation(samples: drawn.examples, labels: drawn.labels, test: test, training: training,
                                          classifier: classifier, seed: seed)
        return Outcome(report: report, samples: drawn.examples, training: training, notes: notes)
    }

    /// Every image of `set`, `[N, C, H, W]` in 0...1.
    static func allImages(_ set: ImageDataset) -> Tensor { set.batch(Array(0..<set.count), range: 0...1) }
}

extension SampleEvaluationJob.Outcome {
    /// Writes the closest (sample, training image) pairs as a PNG grid: samples above their neighbours.
    public func writeClosestPairs(to url: URL) throws {
        let pairs = report.closestPairs
        let rows = pairs.map { samples.sliced(alongAxis: 0, $0.sample..<($0.sample + 1)) }
            + pairs.map { training.sliced(alongAxis: 0, $0.trainingImage..<($0.trainingImage + 1)) }
        try ImageGrid.make(Tensor.concatenate(rows, alongAxis: 0), columns: pairs.count, range: 0...1).write(to: url)
    }
}

extension SampleEvaluation {
    /// Writes the report as pretty-printed JSON with sorted keys, atomically.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(self), to: url)
    }
}
