import ArgumentParser
import Foundation
import StudioEval
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
        classifier's input with its own audio settings, and the --data folder holds train/ and test/ clip folders.
        """)

    @Argument(help: "A checkpoint, an IDX images file, a folder of images, or (audio classifiers) a folder of clips.")
    var samples: String

    @Option(help: "The classifier checkpoint (genstudio train recipes/classifier-mnist.toml, or classifier-digits.toml for audio).")
    var classifier: String

    @Option(name: [.customLong("data"), .customLong("reference")], help: """
        The real data: test split for FID, train split for the floor and memorisation. Image classifiers: an \
        MNIST-format directory (default data/mnist); audio classifiers: a folder with train/ and test/ clip \
        folders (default the classifier run's data.path, else data/spoken-digits). --reference is the old spelling.
        """)
    var reference: String?

    @Option(help: "Images or clips drawn when SAMPLES is a checkpoint; from files, a random subset of this many when there are more.")
    var count: Int = 10_000

    @Option(help: "The seed of the drawn images and of the floor's draws.")
    var seed: UInt64 = 0

    @OptionGroup var compute: ThreadsOptionGroup

    @OptionGroup(title: "Sampling the checkpoint (diffusion models, semi-supervised GANs)")
    var sampling: SamplingOptionGroup

    @OptionGroup var stepsAlias: DenoisingStepsAlias

    @Flag(help: "Score a folder of an augmentation job that has not finished (its manifest says complete: false).")
    var allowIncomplete = false

    @Option(help: "Write the report as JSON here.")
    var out: String?

    @Option(help: "Write the closest (sample, training image) pairs as a PNG grid here: samples above their neighbours.")
    var pairs: String?

    func run() throws {
        compute.apply()
        var job = try SampleEvaluationJob(samples: URL(fileURLWithPath: samples), classifierPath: URL(fileURLWithPath: classifier),
                                          reference: reference.map { URL(fileURLWithPath: $0) }, count: count, seed: seed,
                                          sampling: try sampling.options(alias: stepsAlias))
        job.allowIncomplete = allowIncomplete
        if job.classifier.audio != nil, pairs != nil {
            throw ValidationError("--pairs draws images beside their nearest training images and is for image classifiers only; \(classifier) is an audio classifier")
        }
        // Before the slow part, so that a report path that cannot be made fails at once.
        for path in [out, pairs].compactMap({ $0 }) {
            try SampleWriter.ensureDirectory(URL(fileURLWithPath: path).deletingLastPathComponent())
        }
        let progress = DenoisingProgress(label: "samples")
        let outcome = try job.run(progress: progress.update)
        progress.finish()
        for note in outcome.notes { print(note) }
        let report = outcome.report
        print(Self.describe(report, samples: outcome.samples.shape[0], audio: job.classifier.audio))
        if let out {
            try report.write(to: URL(fileURLWithPath: out))
            print("wrote \(out)")
        }
        if let pairs {
            try outcome.writeClosestPairs(to: URL(fileURLWithPath: pairs))
            print("wrote the \(report.closestPairs.count) closest pairs to \(pairs) (samples above, training images below)")
        }
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
