import Foundation
import StudioCore
import StudioIO
import StudioModels

/// Clips that a classifier trained on sound scores: drawn from an audio generator or read from a
/// folder, and the reference clips, each turned into that classifier's input `[N] + image_shape`
/// (values in 0...1) with the classifier's own `AudioSettings`.
public enum AudioSampleSet {
    /// `count` clips from the audio generator `model` as `classifier`'s input `[N] + image_shape`,
    /// with their classes when the generator is class-conditional (class `i % classes` for clip i).
    /// The generator's settings make the clips (Griffin-Lim for spectrograms, phases from `seed`);
    /// they are then resampled to the classifier's rate and centred in its clip length.
    /// `generatorRate` is the generator's sample rate.
    public static func draw(from model: any GenerativeModel, count: Int, seed: UInt64, classifier: LoadedClassifier,
                            progress: (Int, Int) -> Void = { _, _ in }) throws -> (examples: Tensor, labels: [Int]?, generatorRate: Int) {
        let target = try classifier.audioInput(for: model.source)
        guard let source = model.audio else {
            throw SampleSet.kindMismatch(model.source, isCheckpoint: true, classifier: classifier)
        }
        let drawn = try model.drawSamples(count: count, seed: seed, chunk: model.preferredChunk, progress: progress)
        let clips = try ClipWriter.clips(from: drawn.examples, range: 0...1, audio: source, seed: seed)
        let examples = try Self.examples(clips: clips, sampleRate: source.sampleRate, labels: drawn.labels, as: target)
        return (examples, drawn.labels, source.sampleRate)
    }

    /// The clips of a folder as `classifier`'s input `[N] + image_shape`, each file resampled and
    /// centred as in training; class folders named 0, 1, ... give labels.
    public static func read(_ url: URL, classifier: LoadedClassifier) throws -> (examples: Tensor, labels: [Int]?) {
        let target = try classifier.audioInput(for: url)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw FileFormatError(path: url.path, "no such checkpoint or folder of audio clips")
        }
        guard holdsAudio(url) else {
            throw SampleSet.kindMismatch(url, isCheckpoint: false, classifier: classifier)
        }
        guard isDirectory.boolValue else {
            throw FileFormatError(path: url.path, "is a single clip; evaluation needs at least 2, so give a folder of clips (class folders 0, 1, ... give labels)")
        }
        let folder = try AudioFolderDataset.load(from: url, sampleRate: target.sampleRate, clipLength: target.clipLength)
        var labels: [Int]?
        if !folder.labels.isEmpty {
            let classes = try folder.classNames.map { name -> Int in
                guard let label = Int(name), label >= 0, label < classifier.classCount, String(label) == name else {
                    throw FileFormatError(path: url.appendingPathComponent(name).path,
                                          "is not a class folder of this classifier: class folders are named 0...\(classifier.classCount - 1)")
                }
                return label
            }
            labels = folder.labels.map { classes[$0] }
        }
        return (try target.examples(of: folder).batch(Array(0..<folder.count), range: Classifier.valueRange), labels)
    }

    /// The reference clips of `directory`'s `train/` or `test/` folder (a spoken-digits layout) as
    /// `classifier`'s input `[N] + image_shape`.
    public static func reference(_ directory: URL, split: ImageDataset.Split, classifier: LoadedClassifier) throws -> Tensor {
        let target = try classifier.audioInput(for: directory)
        let folder = directory.appendingPathComponent(split == .train ? "train" : "test")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FileFormatError(path: directory.path, "has no \(folder.lastPathComponent)/ folder; the reference of an audio classifier holds train/ and test/ folders of clips (its training data, e.g. data/spoken-digits)")
        }
        let clips = try AudioFolderDataset.load(from: folder, sampleRate: target.sampleRate, clipLength: target.clipLength)
        return try target.examples(of: clips).batch(Array(0..<clips.count), range: Classifier.valueRange)
    }

    /// Clips at `sampleRate` as the input `[N] + exampleShape` in 0...1 of a classifier reading
    /// `audio`: resampled to its rate, centred in its clip length, then its representation.
    public static func examples(clips: [[Float]], sampleRate: Int, labels: [Int]?, as audio: AudioSettings) throws -> Tensor {
        var samples: [Float] = []
        samples.reserveCapacity(clips.count * audio.clipLength)
        for clip in clips {
            let converted = try Resampler.resample(clip, from: sampleRate, to: audio.sampleRate)
            samples += AudioFolderDataset.centred(converted, length: audio.clipLength)
        }
        return try audio.examples(ofClips: samples, labels: labels ?? []).batch(Array(0..<clips.count), range: Classifier.valueRange)
    }

    /// Whether `url` is an audio file or a folder holding one (at any depth).
    public static func holdsAudio(_ url: URL) -> Bool {
        let isAudio = { (path: String) in AudioFile.readableExtensions.contains((path as NSString).pathExtension.lowercased()) }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return false }
        guard isDirectory.boolValue else { return isAudio(url.path) }
        guard let walker = FileManager.default.enumerator(atPath: url.path) else { return false }
        for case let relative as String in walker where isAudio(relative) { return true }
        return false
    }

    /// The `data.path` of the training run a checkpoint lies in (its `recipe.toml` beside
    /// `checkpoints/`), or nil when the checkpoint lies outside a run.
    public static func trainingData(ofRun checkpoint: URL) -> String? {
        guard let directory = try? Checkpoint.resolve(checkpoint) else { return nil }
        let run = directory.deletingLastPathComponent().deletingLastPathComponent()
        for candidate in [directory, run] {
            let recipe = candidate.appendingPathComponent("recipe.toml")
            if FileManager.default.fileExists(atPath: recipe.path), let parsed = try? RecipeLoader.load(recipe) {
                return parsed.recipe.data.path
            }
        }
        return nil
    }
}

extension AudioSettings {
    /// A short description for messages: `spectrogram [1, 16, 16] of 240-sample clips at 4000 Hz`.
    public var summary: String {
        "\(representation.rawValue) \(exampleShape) of \(clipLength)-sample clips at \(sampleRate) Hz"
    }
}

extension LoadedClassifier {
    /// The classifier's audio settings after checking that they make its input shape; an image
    /// classifier is an error naming `samples`.
    func audioInput(for samples: URL) throws -> AudioSettings {
        guard let audio else {
            throw SampleSet.kindMismatch(samples, isCheckpoint: false, classifier: self)
        }
        guard audio.exampleShape == config.imageShape else {
            throw SampleError("the classifier \(source.path) cannot take clips: its audio settings make \(audio.summary), but its network reads \(config.imageShape)")
        }
        return audio
    }
}

extension SampleSet {
    /// Throws unless `samples` (a checkpoint when `isCheckpoint`, else files) is of the kind
    /// `classifier` reads: audio for a classifier trained on sound, images otherwise.
    public static func requireKind(of samples: URL, isCheckpoint: Bool, classifier: LoadedClassifier) throws {
        let isAudio = isCheckpoint ? try ModelCheckpoint.audio(of: Checkpoint.readModel(samples).tensors, path: samples.path) != nil
            : AudioSampleSet.holdsAudio(samples)
        if isAudio != (classifier.audio != nil) { throw kindMismatch(samples, isCheckpoint: isCheckpoint, classifier: classifier) }
    }

    /// The error for images given to an audio classifier or audio to an image classifier, naming both.
    static func kindMismatch(_ samples: URL, isCheckpoint: Bool, classifier: LoadedClassifier) -> SampleError {
        guard let audio = classifier.audio else {
            return SampleError("the classifier \(classifier.source.path) reads \(classifier.imageShape) images, but \(samples.path) holds audio; give an audio classifier (recipes/classifier-digits.toml) or images")
        }
        let what = isCheckpoint ? "holds an image model" : "holds no audio files"
        return SampleError("\(samples.path) \(what), but the classifier \(classifier.source.path) reads audio (\(audio.summary)); give an audio generator checkpoint or a folder of clips, or an image classifier")
    }
}
