import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// `genstudio sample` and `augment --format wav` on audio checkpoints: WAV clips and their pictures.
final class AudioSamplingTests: XCTestCase {
    /// Tiny runs trained on tones: a WaveGAN, a conditional one, a conditional spectrogram GAN, a
    /// spectrogram VAE and a spectrogram diffusion model (2 steps each), and a spectrogram classifier.
    private static var runs: SharedRuns!
    private var scratch: URL!

    private static let spectrogramAudio = """
        [audio]
        sample_rate = 4000
        clip_length = 240
        representation = "spectrogram"
        fft_size = 32
        hop_length = 16
        griffin_lim_iterations = 2
        [train]
        batch = 4
        seed = 5
        steps = 2
        threads = 1
        [sample]
        interval = 2
        count = 2
        [checkpoint]
        interval = 2
        keep = 0
        """

    private static let spectrogramVAE = """
        [model]
        family = "vae"
        latent_size = 2
        image_shape = [1, 16, 16]
        encoder = [
          { type = "flatten", start = 1 },
          { type = "linear", in = 256, out = 4 },
        ]
        decoder = [
          { type = "linear", in = 2, out = 256 },
          { type = "unflatten", axis = 1, shape = [1, 16, 16] },
        ]
        """ + "\n" + spectrogramAudio

    private static let spectrogramDiffusion = """
        [model]
        family = "diffusion"
        image_shape = [1, 16, 16]
        classes = 0
        schedule = "linear"
        timesteps = 4
        beta_start = 1e-3
        beta_end = 0.2
        prediction = "epsilon"
        ema_decay = 0.9
        [model.unet]
        base_channels = 4
        channel_multipliers = [1, 2]
        blocks_per_level = 1
        attention_resolutions = []
        middle_attention = false
        groups = 2
        """ + "\n" + spectrogramAudio

    override class func setUp() {
        super.setUp()
        runs = SharedRuns { root in
            let data = root.appendingPathComponent("tones")
            try AudioTrainingTests.makeToneFolder(at: data, perClass: 2)
            func train(_ recipe: URL, _ name: String, _ extra: [String] = []) throws {
                let session = try TrainingJob.start(recipe: recipe, overrides: ["data.path=\(data.path)", "train.steps=2"] + extra,
                                                    outputs: root, runDirectory: root.appendingPathComponent(name))
                _ = try session.run()
            }
            let conditional = ["model.classes=2", "model.latent_size=6"]
            try train(try Fixtures.directory.appendingPathComponent("tiny-wavegan.toml"), "wave")
            try train(try Fixtures.directory.appendingPathComponent("tiny-wavegan.toml"), "cwave", conditional)
            try train(try Fixtures.directory.appendingPathComponent("tiny-specgan.toml"), "cspec", conditional)
            let classifier = try TrainingJob.start(recipe: try Fixtures.directory.appendingPathComponent("tiny-spec-classifier.toml"),
                                                   overrides: ["data.path=\(data.path)"], outputs: root,
                                                   runDirectory: root.appendingPathComponent("classifier"))
            _ = try classifier.run()
            for (name, text) in [("vae", spectrogramVAE), ("diffusion", spectrogramDiffusion)] {
                let recipe = root.appendingPathComponent("\(name).toml")
                try Data(text.utf8).write(to: recipe)
                try train(recipe, name)
            }
        }
    }

    override class func tearDown() {
        runs?.remove()
        super.tearDown()
    }

    /// Each test writes into its own folder under the shared root, which the class's `tearDown` removes.
    override func setUpWithError() throws {
        try Self.runs.check()
        scratch = Self.runs.root.appendingPathComponent("test-\(name.filter(\.isLetter))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    private func run(_ name: String) -> URL { Self.runs.root.appendingPathComponent(name) }

    /// Runs `genstudio ARGS` and asserts that it succeeded.
    private func succeed(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        assertSuccess(try GenStudioExecutable.run(arguments, logs: scratch, file: file, line: line), file: file, line: line)
    }

    private func out(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    /// The WAV header's format code (1 PCM, 3 IEEE float) and bits per sample.
    private func wavFormat(_ path: String) throws -> (code: Int, bits: Int) {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(Array(bytes[12..<16]), Array("fmt ".utf8))
        return (Int(bytes[20]) | Int(bytes[21]) << 8, Int(bytes[34]) | Int(bytes[35]) << 8)
    }

    func testAWavPathGivesOneFileOfClipsWithGapsAndItsPicture() throws {
        try succeed(["sample", run("wave").path, "--count", "3", "--seed", "4", "--out", out("a.wav")])
        let clip = try AudioFile.read(from: URL(fileURLWithPath: out("a.wav")))
        XCTAssertEqual(clip.sampleRate, 4000)
        XCTAssertEqual(clip.samples.count, 3 * 256 + 2 * 1000, "three clips, two quarter-second gaps")
        XCTAssertEqual(Set(clip.samples[256..<1256]), [0])
        XCTAssertTrue(clip.samples[0..<256].contains { $0 != 0 })
        XCTAssertTrue(try wavFormat(out("a.wav")) == (1, 16), "pcm16 by default")
        let picture = try PNGImage.read(from: URL(fileURLWithPath: out("a.png")), channels: 3)
        XCTAssertGreaterThan(picture.height, 0)

        try succeed(["sample", run("wave").path, "--count", "3", "--seed", "4", "--out", out("b.wav")])
        XCTAssertEqual(try contents(of: URL(fileURLWithPath: out("a.wav"))), try contents(of: URL(fileURLWithPath: out("b.wav"))))
        XCTAssertEqual(try contents(of: URL(fileURLWithPath: out("a.png"))), try contents(of: URL(fileURLWithPath: out("b.png"))))
        try succeed(["sample", run("wave").path, "--count", "3", "--seed", "5", "--out", out("c.wav")])
        XCTAssertNotEqual(try contents(of: URL(fileURLWithPath: out("a.wav"))), try contents(of: URL(fileURLWithPath: out("c.wav"))))

        try succeed(["sample", run("wave").path, "--count", "3", "--seed", "4", "--wav-format", "float", "--out", out("f.wav")])
        XCTAssertTrue(try wavFormat(out("f.wav")) == (3, 32), "float WAV")
        let exact = try AudioFile.read(from: URL(fileURLWithPath: out("f.wav")))
        XCTAssertEqual(exact.samples.count, clip.samples.count)
        for (a, b) in zip(exact.samples, clip.samples) { XCTAssertEqual(a, b, accuracy: 1.0 / 32768 + 1e-6) }
    }

    func testAFolderPathGivesOneFilePerClipAndAPreview() throws {
        let folder = scratch.appendingPathComponent("new/clips")
        try succeed(["sample", run("wave").path, "--count", "3", "--seed", "4", "--out", folder.path])
        XCTAssertEqual(listing(folder), ["clip-000.wav", "clip-001.wav", "clip-002.wav", "preview.png"])
        try succeed(["sample", run("wave").path, "--count", "3", "--seed", "4", "--out", out("joined.wav")])
        let joined = try AudioFile.read(from: URL(fileURLWithPath: out("joined.wav")))
        let second = try AudioFile.read(from: folder.appendingPathComponent("clip-001.wav"))
        XCTAssertEqual(second.sampleRate, 4000)
        XCTAssertEqual(second.samples, Array(joined.samples[1256..<1512]), "the folder holds the joined file's clips")
        XCTAssertEqual(try contents(of: folder.appendingPathComponent("preview.png")),
                       try contents(of: scratch.appendingPathComponent("joined.png")))

        var generator = RandomGenerator(seed: 1, stream: 99)
        let latents = scratch.appendingPathComponent("z.safetensors")
        try SafeTensors(entries: [.init(name: "latents", tensor: Tensor.randomNormal([2, 8], using: &generator))]).write(to: latents)
        try succeed(["sample", run("wave").path, "--latents", latents.path, "--out", out("given")])
        XCTAssertEqual(listing(scratch.appendingPathComponent("given")), ["clip-000.wav", "clip-001.wav", "preview.png"])
    }

    func testAConditionalModelSamplesTheAskedForClass() throws {
        try succeed(["sample", run("cwave").path, "--count", "2", "--class", "1", "--out", out("one.wav")])
        try succeed(["sample", run("cwave").path, "--count", "2", "--class", "0", "--out", out("zero.wav")])
        XCTAssertEqual(try AudioFile.read(from: URL(fileURLWithPath: out("one.wav"))).samples.count, 2 * 256 + 1000)
        XCTAssertNotEqual(try contents(of: URL(fileURLWithPath: out("one.wav"))), try contents(of: URL(fileURLWithPath: out("zero.wav"))))
        assertCleanFailure(try GenStudioExecutable.run(["sample", run("cwave").path, "--class", "5", "--out", out("bad.wav")], logs: scratch),
                           mentions: ["--classes 5", "class 5 is outside"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out("bad.wav")))
    }

    func testSpectrogramGANVAEAndDiffusionModelsWriteGriffinLimClips() throws {
        try succeed(["sample", run("cspec").path, "--count", "2", "--class", "1", "--out", out("spec.wav")])
        try succeed(["sample", run("vae").path, "--count", "2", "--out", out("vae")])
        try succeed(["sample", run("diffusion").path, "--count", "2", "--sampler", "ddim", "--steps", "2", "--out", out("d.wav")])
        try succeed(["sample", run("diffusion").path, "--count", "2", "--sampler", "ddim", "--steps", "2", "--out", out("e.wav")])
        for name in ["spec.wav", "d.wav"] {
            let clip = try AudioFile.read(from: URL(fileURLWithPath: out(name)))
            XCTAssertEqual(clip.samples.count, 2 * 240 + 1000, name)
            XCTAssertTrue(clip.samples.contains { $0 != 0 }, name)
        }
        XCTAssertEqual(try contents(of: URL(fileURLWithPath: out("d.wav"))), try contents(of: URL(fileURLWithPath: out("e.wav"))))
        XCTAssertEqual(listing(scratch.appendingPathComponent("vae")), ["clip-000.wav", "clip-001.wav", "preview.png"])
        XCTAssertEqual(try AudioFile.read(from: scratch.appendingPathComponent("vae/clip-001.wav")).samples.count, 240)
    }

    func testImageOptionsOnAudioAndWAVOnImagesAreClearErrors() throws {
        let wave = run("wave").path
        let cases: [([String], [String])] = [
            (["--out", out("x.png")], ["holds an audio model", ".png"]),
            (["--out", out("x.idx")], ["holds an audio model"]),
            (["--grid", "2x2", "--out", out("g.wav")], ["--grid applies to image models"]),
            (["--wav-format", "mp3", "--out", out("m.wav")], ["--wav-format must be pcm16 or float"]),
        ]
        for (arguments, phrases) in cases {
            assertCleanFailure(try GenStudioExecutable.run(["sample", wave] + arguments, logs: scratch), mentions: phrases)
        }
        assertCleanFailure(try GenStudioExecutable.run(["sample", run("vae").path, "--reconstruct", wave, "--out", out("r")], logs: scratch),
                           mentions: ["--reconstruct applies to image models"])

        let image = scratch.appendingPathComponent("image.safetensors")
        try AugmentationTests.writeCheckpoint(classes: 0, to: image)
        assertCleanFailure(try GenStudioExecutable.run(["sample", image.path, "--steps", "1", "--out", out("i.wav")], logs: scratch),
                           mentions: ["holds an image model", "WAV output needs a model trained on audio"])
        assertCleanFailure(try GenStudioExecutable.run(["sample", image.path, "--wav-format", "float", "--out", out("i")], logs: scratch),
                           mentions: ["--wav-format applies to audio checkpoints only"])

        let blocker = scratch.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        for target in [blocker.appendingPathComponent("clips"), blocker.appendingPathComponent("sub/a.wav")] {
            assertCleanFailure(try GenStudioExecutable.run(["sample", wave, "--count", "1", "--out", target.path], logs: scratch),
                               mentions: [blocker.path])
        }
        XCTAssertEqual(listing(scratch).filter { $0.hasSuffix(".wav") || $0.hasSuffix(".png") || $0 == "clips" }, [],
                       "nothing written by a refused request")
    }


    func testAugmentWritesClassFoldersOfWAVsIdenticalForAnyShardSplit() throws {
        for name in ["cwave", "cspec"] {
            let common = [run(name).path, "--per-class", "3", "--format", "wav", "--seed", "5", "--block-size", "2"]
            let whole = scratch.appendingPathComponent("\(name)-whole")
            try succeed(["augment"] + common + ["--out", whole.path])
            let manifest = try XCTUnwrap(try AugmentationManifest.read(in: whole))
            XCTAssertTrue(manifest.complete)
            XCTAssertEqual(manifest.files.map(\.path), ["0/000000.wav", "0/000001.wav", "0/000002.wav",
                                                        "1/000000.wav", "1/000001.wav", "1/000002.wav"])
            let written = try files(in: whole)
            for file in manifest.files {
                XCTAssertEqual(file.sha256, AugmentationManifest.sha256(of: try XCTUnwrap(written[file.path])), file.path)
            }
            let clip = try AudioFile.read(from: whole.appendingPathComponent("1/000002.wav"))
            XCTAssertEqual(clip.sampleRate, 4000)
            XCTAssertEqual(clip.samples.count, name == "cwave" ? 256 : 240)
            let block = try SafeTensors.read(from: whole.appendingPathComponent(".block-0-000000.safetensors"))
            XCTAssertEqual(block.entries.first?.dtype, .float32, "audio blocks keep the examples' floats")

            for index in 0..<2 {
                try succeed(["augment"] + common + ["--shard", "\(index)/2", "--out", out("\(name)-s\(index)")])
            }
            let merged = scratch.appendingPathComponent("\(name)-merged")
            try succeed(["augment", "merge", out("\(name)-s1"), out("\(name)-s0"), "--out", merged.path])
            XCTAssertEqual(try files(in: merged), written, "\(name): merged shards equal the single-process job")
        }
    }

    func testAugmentFormatsMustFitTheModel() throws {
        for format in ["png", "idx"] {
            assertCleanFailure(try GenStudioExecutable.run(["augment", run("cwave").path, "--per-class", "1", "--format", format,
                                                            "--out", out("a-\(format)")], logs: scratch),
                               mentions: ["--format \(format) is an image format", "--format wav"])
            XCTAssertFalse(FileManager.default.fileExists(atPath: out("a-\(format)")))
        }
        try succeed(["augment", run("cwave").path, "--per-class", "1", "--out", out("default")])
        XCTAssertEqual(listing(scratch.appendingPathComponent("default/0")), ["000000.wav"], "an audio model writes WAV by default")

        let image = scratch.appendingPathComponent("image.safetensors")
        try AugmentationTests.writeCheckpoint(classes: 2, to: image)
        assertCleanFailure(try GenStudioExecutable.run(["augment", image.path, "--per-class", "1", "--format", "wav", "--steps", "1",
                                                        "--out", out("i")], logs: scratch),
                           mentions: ["--format wav needs a model trained on audio"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out("i")))
    }

    func testAugmentFiltersClipsWithAnAudioClassifier() throws {
        // Unfiltered candidates 0..<8 of class 0, scored as the classifier hears them (the waveform model's
        // 256 samples at 4 kHz resampled and centred to its 240): with a threshold just below the top two
        // scores, the filtered job must keep exactly those two, byte for byte, and reject the other six.
        let classifier = try LoadedClassifier.load(checkpoint: run("classifier"))
        let candidates = scratch.appendingPathComponent("candidates")
        try succeed(["augment", run("cwave").path, "--classes", "0", "--per-class", "8", "--seed", "2", "--out", candidates.path])
        let heard = try AudioSampleSet.read(candidates, classifier: classifier)
        let scores = try classifier.confidence(images: heard.examples, labels: [Int](repeating: 0, count: 8))
        let sorted = scores.sorted()
        let threshold = (sorted[5] + sorted[6]) / 2
        XCTAssertGreaterThan(sorted[6] - sorted[5], 1e-3, "the scores must straddle the threshold clearly: \(sorted)")
        let passing = scores.indices.filter { scores[$0] >= threshold }
        XCTAssertEqual(passing.count, 2)
        XCTAssertNotEqual(passing, [0, 1], "seed 2 puts a rejected candidate between the kept ones: \(scores)")

        let out = scratch.appendingPathComponent("filtered")
        try succeed(["augment", run("cwave").path, "--classes", "0", "--per-class", "2", "--seed", "2", "--filter", run("classifier").path,
                     "--min-confidence", "\(threshold)", "--max-tries", "4", "--out", out.path])
        let manifest = try XCTUnwrap(try AugmentationManifest.read(in: out))
        XCTAssertNotNil(manifest.job.classifierSHA256)
        XCTAssertEqual(manifest.rejected["0"], 8 - 2, "one round of 8 candidates, two kept: \(manifest.rejected)")
        for (kept, candidate) in passing.enumerated() {
            XCTAssertEqual(try contents(of: out.appendingPathComponent(String(format: "0/%06d.wav", kept))),
                           try contents(of: candidates.appendingPathComponent(String(format: "0/%06d.wav", candidate))))
        }

        let image = scratch.appendingPathComponent("image.safetensors")
        try AugmentationTests.writeCheckpoint(classes: 2, to: image)
        assertCleanFailure(try GenStudioExecutable.run(["augment", image.path, "--per-class", "1", "--steps", "1",
                                                        "--filter", run("classifier").path, "--min-confidence", "0.5",
                                                        "--out", self.out("a")], logs: scratch),
                           mentions: ["the classifier reads audio", "makes images"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: self.out("a")))
    }
}
