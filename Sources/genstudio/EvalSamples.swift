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
        abstract: "Score generated images with a classifier (the default: `genstudio eval SAMPLES --classifier CKPT`).",
        discussion: """
        SAMPLES is a checkpoint (that many images are drawn from it; conditional models draw class i % classes), \
        an IDX images file, or a folder (genstudio augment output, class folders or PNGs). Reports FID on the \
        classifier's penultimate features against the reference test set, named by the sample count \
        (fid10k-classifier) with the real-versus-real value at that count as its floor; the Inception-score \
        analogue and class histogram; k-NN precision and recall (k = 3); the accuracy on labelled samples; \
        and each sample's distance to its nearest training image.
        """)

    @Argument(help: "A checkpoint, an IDX images file or a folder of images.")
    var samples: String

    @Option(help: "The classifier checkpoint (genstudio train recipes/classifier-mnist.toml).")
    var classifier: String

    @Option(help: "The MNIST-format directory of real images: test split for FID, train split for memorisation.")
    var reference: String = "data/mnist"

    @Option(help: "Images drawn when SAMPLES is a checkpoint.")
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
        let drawn: (images: Tensor, labels: [Int]?)
        if Self.isCheckpoint(url) {
            let options = DiffusionSampleOptions(sampler: try DiffusionSampleOptionGroup.kind(sampler), steps: steps,
                                                 guidance: guidance ?? DiffusionTask.gridGuidance)
            let progress = DenoisingProgress(label: "samples")
            drawn = try GeneratedSamples.draw(checkpoint: url, count: count, seed: seed, options: options, progress: progress.update)
            progress.finish()
        } else {
            drawn = try SampleSet.read(url, channels: loaded.imageShape[0])
        }
        let referenceURL = URL(fileURLWithPath: reference)
        let test = try ImageDataset.mnistFormat(directory: referenceURL, split: .test)
        let training = try ImageDataset.mnistFormat(directory: referenceURL, split: .train)
        let report = try SampleEvaluation(samples: drawn.images, labels: drawn.labels,
                                          test: test.batch(Array(0..<test.count), range: 0...1),
                                          training: training.batch(Array(0..<training.count), range: 0...1),
                                          classifier: loaded, seed: seed)
        print(Self.describe(report, samples: drawn.images.shape[0]))
        if let out {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try AtomicFile.write(try encoder.encode(report), to: URL(fileURLWithPath: out))
            print("wrote \(out)")
        }
        if let pairs {
            let rows = report.closestPairs.map { drawn.images.sliced(alongAxis: 0, $0.sample..<($0.sample + 1)) }
                + report.closestPairs.map { training.batch([$0.trainingImage], range: 0...1) }
            let grid = ImageGrid.make(Tensor.concatenate(rows, alongAxis: 0), columns: report.closestPairs.count, range: 0...1)
            try grid.write(to: URL(fileURLWithPath: pairs))
            print("wrote the \(report.closestPairs.count) closest pairs to \(pairs) (samples above, training images below)")
        }
    }

    /// Whether `url` names a model file, a checkpoint directory or a run directory (not images).
    static func isCheckpoint(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return false }
        return isDirectory.boolValue ? (try? Checkpoint.resolve(url)) != nil : url.pathExtension == "safetensors"
    }

    static func describe(_ report: SampleEvaluation, samples: Int) -> String {
        var lines = ["\(report.fidName)  \(String(format: "%.3f", report.fid.value))  (real-versus-real floor \(report.fid.realFloor.map { String(format: "%.3f", $0) } ?? "-"))"]
        lines.append("inception-score analogue  \(String(format: "%.3f", report.inceptionScore.mean)) ± \(String(format: "%.3f", report.inceptionScore.standardDeviation))")
        lines.append("class histogram  " + report.classHistogram.enumerated().map { "\($0.offset): \($0.element)" }.joined(separator: "  "))
        lines.append("precision \(String(format: "%.3f", report.precisionRecall.precision))  recall \(String(format: "%.3f", report.precisionRecall.recall))  (k = \(report.precisionRecall.neighbours))")
        if let accuracy = report.accuracy { lines.append("classifier accuracy on the samples' labels  \(String(format: "%.2f", accuracy * 100))%") }
        lines.append("nearest training image (L2, pixels in 0...1): mean \(String(format: "%.3f", report.nearestDistanceMean)), median \(String(format: "%.3f", report.nearestDistanceMedian)), least \(String(format: "%.3f", report.nearestDistanceMin))")
        return "\(samples) samples\n" + lines.joined(separator: "\n")
    }
}
