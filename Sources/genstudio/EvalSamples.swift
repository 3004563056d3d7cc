import ArgumentParser
import Foundation
import StudioCore
import StudioEval
import StudioIO
import StudioTraining

/// `genstudio eval SAMPLES --classifier CKPT`: FID on the classifier's features and the rest.
struct EvalSamples: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samples",
        abstract: "Score generated images or clips with a classifier (the default: `genstudio eval SAMPLES --classifier CKPT`).",
        discussion: """
        SAMPLES is a checkpoint (that many images are drawn from it; conditional models draw class i % classes), \
        an IDX images file, or a folder (genstudio augment output, class folders or PNGs). Reports FID on the \
        classifier's penultimate features against the reference test set, named by the sample count \
        (fid10k-classifier) with the real-versus-real value at that count as its floor; the Inception-score \
        analogue and class histogram; k-NN precision and recall (k = 3); the accuracy on labelled samples; \
        and each sample's distance to its nearest training image.
        With an audio classifier (recipes/classifier-digits.toml) SAMPLES is an audio generator checkpoint or a \
        folder of clips (class folders 0, 1, ... give labels); clips are resampled, centred and turned into the \
        classifier's input with its own audio settings, and the reference holds train/ and test/ clip folders.
        """)

    @Argument(help: "A checkpoint, an IDX images file, a folder of images, or (audio classifiers) a folder of clips.")
    var samples: String

    @Option(help: "The classifier checkpoint (genstudio train recipes/classifier-mnist.toml, or classifier-digits.toml for audio).")
    var classifier: String

    @Option(help: """
        The real data: test split for FID, train split for the floor and memorisation. Image classifiers: an \
        MNIST-format directory (default data/mnist); audio classifiers: a folder with train/ and test/ clip \
        folders (default the classifier run's data.path, else data/spoken-digits).
        """)
    var reference: String?

    @Option(help: "Images or clips drawn when SAMPLES is a checkpoint; from files, a random subset of this many when there are more.")
    var count: Int = 10_000

    @Option(help: "The seed of the drawn images and of the floor's draws.")
    var seed: UInt64 = 0

    @Option(help: "Diffusion checkpoints: sampler, ddpm or ddim.")
    var sampler: String?

    @Option(help: "Diffusion checkpoints: denoising steps (default 50 for ddim).")
    var steps: Int?

    @Option(help: "Diffusion checkpoints: guidance scale for conditional models (default 3).")
    var guidance: Double?

    @Option(help: "Write the report as JSON here.")
    var out: String?

    @Option(help: "Write the closest (sample, training image) pairs as a PNG grid here: samples above their neighbours.")
    var pairs: String?

    func run() throws {
        let loaded = try LoadedClassifier.load(checkpoint: URL(fileURLWithPath: classifier))
        let url = URL(fileURLWithPath: samples)
        let isCheckpoint = Self.isCheckpoint(url)
        try SampleSet.requireKind(of: url, isCheckpoint: isCheckpoint, classifier: loaded)
        if loaded.audio != nil, pairs != nil {
            throw ValidationError("--pairs draws images beside their nearest training images and is for image classifiers only; \(classifier) is an audio classifier")
        }
        // Before the slow part, so that a report path that cannot be made fails at once.
        for path in [out, pairs].compactMap({ $0 }) {
            try SampleWriter.ensureDirectory(URL(fileURLWithPath: path).deletingLastPathComponent())
        }
        let options = isCheckpoint ? DiffusionSampleOptions(sampler: try DiffusionSampleOptionGroup.kind(sampler), steps: steps,
                                                            guidance: guidance ?? DiffusionTask.gridGuidance) : nil
        let progress = DenoisingProgress(label: "samples")
        var drawn: (images: Tensor, labels: [Int]?)
        let test: Tensor, training: Tensor
        if let audio = loaded.audio {
            if let options {
                let generated = try AudioSampleSet.draw(checkpoint: url, count: count, seed: seed, options: options,
                                                        classifier: loaded, progress: progress.update)
                progress.finish()
                drawn = (generated.examples, generated.labels)
                if generated.generatorRate < audio.sampleRate {
                    print("note: the clips were upsampled from \(generated.generatorRate) Hz to the classifier's \(audio.sampleRate) Hz, so they hold nothing above \(generated.generatorRate / 2) Hz")
                }
            } else {
                let read = try AudioSampleSet.read(url, classifier: loaded)
                drawn = (read.examples, read.labels)
            }
            let referenceURL = URL(fileURLWithPath: reference ?? AudioSampleSet.trainingData(ofRun: URL(fileURLWithPath: classifier)) ?? "data/spoken-digits")
            test = try AudioSampleSet.reference(referenceURL, split: .test, classifier: loaded)
            training = try AudioSampleSet.reference(referenceURL, split: .train, classifier: loaded)
        } else {
            if let options {
                drawn = try GeneratedSamples.draw(checkpoint: url, count: count, seed: seed, options: options, progress: progress.update)
                progress.finish()
            } else {
                drawn = try SampleSet.read(url, channels: loaded.imageShape[0])
            }
            let referenceURL = URL(fileURLWithPath: reference ?? "data/mnist")
            test = Self.allImages(try ImageDataset.mnistFormat(directory: referenceURL, split: .test))
            training = Self.allImages(try ImageDataset.mnistFormat(directory: referenceURL, split: .train))
        }
        if options == nil, drawn.images.shape[0] > count {
            let total = drawn.images.shape[0]
            let chosen = SampleSet.subset(drawn.images, labels: drawn.labels, count: count, seed: seed)
            drawn = (chosen.samples, chosen.labels)
            print("scoring a random \(count) of the \(total) \(loaded.audio == nil ? "images" : "clips") (seed \(seed); --count sets how many)")
        }
        let report = try SampleEvaluation(samples: drawn.images, labels: drawn.labels, test: test, training: training,
                                          classifier: loaded, seed: seed)
        print(Self.describe(report, samples: drawn.images.shape[0], audio: loaded.audio))
        if let out {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try AtomicFile.write(try encoder.encode(report), to: URL(fileURLWithPath: out))
            print("wrote \(out)")
        }
        if let pairs {
            let rows = report.closestPairs.map { drawn.images.sliced(alongAxis: 0, $0.sample..<($0.sample + 1)) }
                + report.closestPairs.map { training.sliced(alongAxis: 0, $0.trainingImage..<($0.trainingImage + 1)) }
            let grid = ImageGrid.make(Tensor.concatenate(rows, alongAxis: 0), columns: report.closestPairs.count, range: 0...1)
            try grid.write(to: URL(fileURLWithPath: pairs))
            print("wrote the \(report.closestPairs.count) closest pairs to \(pairs) (samples above, training images below)")
        }
    }

    /// Every image of `set`, `[N, C, H, W]` in 0...1.
    static func allImages(_ set: ImageDataset) -> Tensor { set.batch(Array(0..<set.count), range: 0...1) }

    /// Whether `url` names a model file, a checkpoint directory or a run directory (not images).
    static func isCheckpoint(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return false }
        return isDirectory.boolValue ? (try? Checkpoint.resolve(url)) != nil : url.pathExtension == "safetensors"
    }

    /// The report as lines of text; clips and the classifier's input for an audio classifier.
    static func describe(_ report: SampleEvaluation, samples: Int, audio: AudioSettings? = nil) -> String {
        var lines = ["\(report.fidName)  \(String(format: "%.3f", report.fid.value))  (real-versus-real floor \(report.fid.realFloor.map { String(format: "%.3f", $0) } ?? "-"))"]
        lines.append("inception-score analogue  \(String(format: "%.3f", report.inceptionScore.mean)) ± \(String(format: "%.3f", report.inceptionScore.standardDeviation))")
        lines.append("class histogram  " + report.classHistogram.enumerated().map { "\($0.offset): \($0.element)" }.joined(separator: "  "))
        lines.append("precision \(String(format: "%.3f", report.precisionRecall.precision))  recall \(String(format: "%.3f", report.precisionRecall.recall))  (k = \(report.precisionRecall.neighbours))")
        if let accuracy = report.accuracy { lines.append("classifier accuracy on the samples' labels  \(String(format: "%.2f", accuracy * 100))%") }
        let nearest = audio.map { "nearest training clip (L2 on the classifier's \($0.representation.rawValue) input in 0...1)" }
            ?? "nearest training image (L2, pixels in 0...1)"
        lines.append("\(nearest): mean \(String(format: "%.3f", report.nearestDistanceMean)), median \(String(format: "%.3f", report.nearestDistanceMedian)), least \(String(format: "%.3f", report.nearestDistanceMin))")
        return "\(samples) \(audio == nil ? "samples" : "clips")\n" + lines.joined(separator: "\n")
    }
}
