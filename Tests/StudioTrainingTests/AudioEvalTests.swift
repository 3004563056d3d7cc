import Foundation
import StudioCore
import StudioIO
import StudioModels
import XCTest
@testable import StudioTraining

/// `genstudio eval` with a classifier trained on spectrograms: labelled clip folders, a conditional
/// WaveGAN at another rate and length (resampled and centred), and clean refusals of mismatches.
final class AudioEvalTests: XCTestCase {
    private static var runs: SharedRuns!
    private static var tones: URL { runs.root.appendingPathComponent("tones") }
    private static var classifier: URL { runs.root.appendingPathComponent("classifier") }
    private static var wavegan: URL { runs.root.appendingPathComponent("wavegan") }
    private var directory: URL!

    override class func setUp() {
        super.setUp()
        runs = SharedRuns { root in
            let tones = root.appendingPathComponent("tones")
            try AudioTrainingTests.makeToneFolder(at: tones)
            let data = "data.path=\(tones.path)"
            let classifier = try TrainingJob.start(recipe: Fixtures.directory.appendingPathComponent("tiny-spec-classifier.toml"),
                                                   overrides: [data], outputs: root, runDirectory: root.appendingPathComponent("classifier"))
            _ = try classifier.run()
            // Conditional (z of 6 plus a 2-d class embedding) with 256-sample clips at 8 kHz against the
            // classifier's 240 samples at 4 kHz.
            let wavegan = try TrainingJob.start(recipe: Fixtures.directory.appendingPathComponent("tiny-wavegan.toml"),
                                                overrides: [data, "model.classes=2", "model.latent_size=6", "audio.sample_rate=8000", "train.steps=2"],
                                                outputs: root, runDirectory: root.appendingPathComponent("wavegan"))
            _ = try wavegan.run()
        }
    }

    override class func tearDown() {
        runs?.remove()
        super.tearDown()
    }

    override func setUpWithError() throws {
        try Self.runs.check()
        directory = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    private func run(_ arguments: [String]) throws -> ProcessResult {
        try GenStudioExecutable.run(arguments, logs: directory)
    }

    private func report(_ url: URL) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func testALabelledClipFolderIsScoredAsTheTrainerScoresIt() throws {
        let out = directory.appendingPathComponent("report.json")
        // No --reference: the classifier run's data.path (the tone folder) is the reference.
        let result = try run(["eval", Self.tones.appendingPathComponent("test").path, "--classifier", Self.classifier.path,
                              "--out", out.path])
        assertSuccess(result)
        for phrase in ["8 clips", "fid8-classifier", "real-versus-real floor", "inception-score analogue", "class histogram",
                       "accuracy on the samples' labels", "nearest training clip (L2 on the classifier's spectrogram input"] {
            XCTAssertTrue(result.stdout.contains(phrase), "'\(phrase)' in \(result.stdout)")
        }
        let json = try report(out)
        XCTAssertEqual((json["class_histogram"] as? [Int])?.reduce(0, +), 8)
        let fid = try XCTUnwrap(json["fid"] as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(fid["value"] as? Double), 0, accuracy: 1e-2, "the samples are the reference test clips")
        XCTAssertNotNil(fid["realFloor"] as? Double)

        // The accuracy is the one the trainer's own test split gives.
        let recipe = try RecipeLoader.load(Self.classifier.appendingPathComponent("recipe.toml")).recipe
        let test = try TrainingJob.loadSplit(recipe, split: .test, recipePath: "recipe.toml").examples
        let loaded = try LoadedClassifier.load(checkpoint: Self.classifier)
        let predicted = loaded.logits(test.batch(Array(0..<test.count), range: 0...1)).argmax(alongAxis: 1)
        let expected = Double(zip(predicted, test.labels).filter { $0 == $1 }.count) / Double(test.count)
        XCTAssertEqual(try XCTUnwrap(json["accuracy"] as? Double), expected, accuracy: 1e-9)
    }

    func testAConditionalWaveGANIsDrawnResampledAndScored() throws {
        let out = directory.appendingPathComponent("report.json")
        let result = try run(["eval", Self.wavegan.path, "--count", "6", "--classifier", Self.classifier.path,
                              "--reference", Self.tones.path, "--out", out.path])
        assertSuccess(result)
        for phrase in ["6 clips", "fid6-classifier", "accuracy on the samples' labels"] {
            XCTAssertTrue(result.stdout.contains(phrase), "'\(phrase)' in \(result.stdout)")
        }
        XCTAssertEqual((try report(out)["class_histogram"] as? [Int])?.reduce(0, +), 6)

        let classifier = try LoadedClassifier.load(checkpoint: Self.classifier)
        let wavegan = try GeneratorLoader.load(checkpoint: Self.wavegan)
        let first = try AudioSampleSet.draw(from: wavegan, count: 4, seed: 9, classifier: classifier)
        let again = try AudioSampleSet.draw(from: wavegan, count: 4, seed: 9, classifier: classifier)
        XCTAssertEqual(first.examples.shape, [4, 1, 16, 16])
        XCTAssertEqual(first.labels, [0, 1, 0, 1])
        XCTAssertEqual(first.generatorRate, 8000)
        XCTAssertEqual(first.examples.scalars, again.examples.scalars, "same seed, same clips")
    }

    func testClipsAreResampledToTheClassifiersRate() throws {
        // A 1 kHz tone at 8 kHz lands in bin 1000 / (4000 / 32) = 8 of the 4 kHz classifier's
        // spectrogram; read at the wrong rate it would sit in bin 4.
        let tone = (0..<512).map { Float(0.5 * sin(2 * Double.pi * 1000 * Double($0) / 8000)) }
        let audio = try XCTUnwrap(try LoadedClassifier.load(checkpoint: Self.classifier).audio)
        let examples = try AudioSampleSet.examples(clips: [tone], sampleRate: 8000, labels: nil, as: audio)
        XCTAssertEqual(examples.shape, [1, 1, 16, 16])
        let values = examples.scalars
        let loudest = (0..<16).max { values[$0 * 16 + 8] < values[$1 * 16 + 8] }!
        XCTAssertEqual(loudest, 8)
    }

    func testMismatchedClassifiersAndSamplesAreCleanFailures() throws {
        let classifier = Self.classifier.path
        let imageClassifier = directory.appendingPathComponent("image-classifier.safetensors")
        let imageRecipe = try RecipeLoader.load(try Fixtures.directory.appendingPathComponent("tiny-classifier.toml")).recipe
        guard case .classifier(let config) = imageRecipe.model else { return XCTFail("tiny-classifier.toml is a classifier") }
        try ClassificationTask(config: config, settings: imageRecipe.train, test: nil).modelState(step: 0).write(to: imageClassifier)
        let testClips = Self.tones.appendingPathComponent("test").path
        assertCleanFailure(try run(["eval", testClips, "--classifier", imageClassifier.path]),
                           mentions: ["reads [1, 28, 28] images", "\(testClips) holds audio"])
        assertCleanFailure(try run(["eval", Self.wavegan.path, "--classifier", imageClassifier.path]),
                           mentions: ["reads [1, 28, 28] images", "\(Self.wavegan.path) holds audio"])

        let imageModel = directory.appendingPathComponent("model.safetensors")
        try AugmentationTests.writeCheckpoint(classes: 10, to: imageModel, size: 28)
        assertCleanFailure(try run(["eval", imageModel.path, "--classifier", classifier]),
                           mentions: ["holds an image model", "reads audio (spectrogram [1, 16, 16] of 240-sample clips at 4000 Hz)"])
        assertCleanFailure(try run(["eval", Self.tones.appendingPathComponent("test/0/tone-0.wav").path, "--classifier", classifier]),
                           mentions: ["is a single clip", "give a folder of clips"])
        let noClips = directory.appendingPathComponent("no-clips")
        try FileManager.default.createDirectory(at: noClips, withIntermediateDirectories: true)
        assertCleanFailure(try run(["eval", noClips.path, "--classifier", classifier]),
                           mentions: ["holds no audio files", "reads audio"])

        assertCleanFailure(try run(["eval", testClips, "--classifier", classifier, "--pairs", directory.appendingPathComponent("p.png").path]),
                           mentions: ["--pairs", "image classifiers only"])
        assertCleanFailure(try run(["eval", testClips, "--classifier", classifier, "--reference", testClips]),
                           mentions: ["has no test/ folder", "train/ and test/"])

        let named = directory.appendingPathComponent("named/zero")
        try FileManager.default.createDirectory(at: named, withIntermediateDirectories: true)
        for k in 0..<2 {
            try FileManager.default.copyItem(at: Self.tones.appendingPathComponent("test/0/tone-\(k).wav"),
                                             to: named.appendingPathComponent("tone-\(k).wav"))
        }
        assertCleanFailure(try run(["eval", named.deletingLastPathComponent().path, "--classifier", classifier]),
                           mentions: ["named/zero", "class folders are named 0...1"])

        // A classifier whose audio settings do not make its input cannot take any clips.
        let model = try Checkpoint.resolve(Self.classifier).appendingPathComponent(Checkpoint.modelFile)
        var file = try SafeTensors.read(from: model)
        file.metadata[ModelCheckpoint.audioKey] = try AudioSettings(sampleRate: 4000, clipLength: 480, representation: .spectrogram,
                                                                    fftSize: 32, hopLength: 16).jsonString()
        let broken = directory.appendingPathComponent("broken.safetensors")
        try file.write(to: broken)
        assertCleanFailure(try run(["eval", testClips, "--classifier", broken.path]),
                           mentions: ["cannot take clips", "480-sample clips", "its network reads [1, 16, 16]"])
    }

    func testTheShippedDigitClassifierReadsWaveGANsClipsAsSpectrograms() throws {
        func recipe(_ name: String) throws -> Recipe {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../recipes/\(name).toml").standardized
            return try RecipeLoader.parse(try String(contentsOf: url, encoding: .utf8), path: "recipes/\(name).toml").recipe
        }
        let classifier = try recipe("classifier-digits"), wavegan = try recipe("wavegan-digits")
        let audio = try XCTUnwrap(classifier.audio), clips = try XCTUnwrap(wavegan.audio)
        XCTAssertEqual([audio.sampleRate, audio.clipLength], [clips.sampleRate, clips.clipLength])
        XCTAssertEqual(audio.exampleShape, [1, 128, 65])
        guard case .classifier(let config) = classifier.model else { return XCTFail("classifier-digits.toml is a classifier") }
        try config.validate()
        XCTAssertEqual(config.imageShape, audio.exampleShape)
        XCTAssertEqual(try config.featureSize(), 128)
        XCTAssertEqual(classifier.data.path, "data/spoken-digits")
    }
}
