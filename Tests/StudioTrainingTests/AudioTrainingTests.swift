import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// Issue 6's audio path through the shared trainer: audio-folder data, WAV previews every N steps,
/// checkpoints that know they make sound, resume, and the spectrogram route.
final class AudioTrainingTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    /// `train/` and `test/` with `perClass` clips of a class-specific tone in folders `0` and `1`,
    /// at 8 kHz (so the recipe's 4 kHz means resampling), plus an undecodable file in `train/1` and
    /// an empty one in `train/0`.
    static func makeToneFolder(at root: URL, perClass: Int = 4) throws {
        for split in ["train", "test"] {
            for label in 0..<2 {
                let folder = root.appendingPathComponent("\(split)/\(label)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for k in 0..<perClass {
                    let frequency = 300.0 * Double(label + 1) + 20 * Double(k)
                    let samples = (0..<400).map { Float(0.5 * sin(2 * Double.pi * frequency * Double($0) / 8000)) }
                    try AudioFile(samples: samples, sampleRate: 8000)
                        .writeWAV(to: folder.appendingPathComponent("tone-\(k).wav"), durable: false)
                }
            }
        }
        try Data("not audio".utf8).write(to: root.appendingPathComponent("train/1/broken.wav"))
        try Data().write(to: root.appendingPathComponent("train/0/empty.flac"))
    }

    private func recipe(_ name: String) throws -> URL { try Fixtures.directory.appendingPathComponent(name) }

    private func train(_ recipeName: String, run: String, data: URL, maxSteps: Int? = nil, extra: [String] = []) throws -> TrainingSession {
        let session = try TrainingJob.start(recipe: try recipe(recipeName), overrides: ["data.path=\(data.path)"] + extra,
                                            outputs: scratch, runDirectory: scratch.appendingPathComponent(run))
        _ = try session.run(maxSteps: maxSteps)
        return session
    }

    func testAWaveGANRunWritesClipsPicturesAndAnAudioCheckpoint() throws {
        let data = scratch.appendingPathComponent("tones")
        try Self.makeToneFolder(at: data)
        let session = try train("tiny-wavegan.toml", run: "wave", data: data)
        XCTAssertEqual(session.skippedFiles, 2)
        let log = try String(contentsOf: session.run.url.appendingPathComponent("data.log"), encoding: .utf8)
        XCTAssertTrue(log.hasPrefix("2 audio files could not be decoded"), log)
        XCTAssertTrue(log.contains("train/1/broken.wav: not a readable audio file"), log)
        XCTAssertTrue(log.contains("train/0/empty.flac"), log)

        let wav = session.run.samples.appendingPathComponent("step-000002.wav")
        let clip = try AudioFile.read(from: wav)
        XCTAssertEqual(clip.sampleRate, 4000)
        XCTAssertEqual(clip.samples.count, 3 * 256 + 2 * 1000, "three clips, two quarter-second gaps")
        XCTAssertTrue(clip.samples.contains { $0 != 0 })
        let picture = try PNGImage.read(from: session.run.samples.appendingPathComponent("step-000002.png"), channels: 3)
        XCTAssertEqual(picture.width, 512)

        let model = try SafeTensors.read(from: try Checkpoint.resolve(session.run.url).appendingPathComponent(Checkpoint.modelFile))
        let audio = try XCTUnwrap(try ModelCheckpoint.audio(of: model, path: "model"))
        XCTAssertEqual(audio, AudioSettings(sampleRate: 4000, clipLength: 256))
        let eventsName = try XCTUnwrap(listing(session.run.url).first { $0.hasPrefix("events.out.tfevents") })
        let events = try contents(of: session.run.url.appendingPathComponent(eventsName))
        XCTAssertNotNil(events.range(of: Data("audio/wav".utf8)), "TensorBoard gets the clips")

        let inspected = try GenStudioExecutable.run(["inspect", session.run.url.path], logs: scratch)
        assertSuccess(inspected)
        XCTAssertTrue(inspected.stdout.contains("audio:\n  clip_length = 256\n"), inspected.stdout)
    }

    func testAnAudioRunResumesByteForByte() throws {
        let data = scratch.appendingPathComponent("tones")
        try Self.makeToneFolder(at: data)
        let straight = try train("tiny-wavegan.toml", run: "straight", data: data)
        _ = try train("tiny-wavegan.toml", run: "halted", data: data, maxSteps: 2)
        let resumed = try TrainingJob.resume(scratch.appendingPathComponent("halted"))
        _ = try resumed.run()
        for name in [Checkpoint.modelFile, Checkpoint.optimizerFile] {
            let a = try contents(of: try Checkpoint.resolve(straight.run.url).appendingPathComponent(name))
            let b = try contents(of: try Checkpoint.resolve(resumed.run.url).appendingPathComponent(name))
            XCTAssertTrue(a == b, "\(name) differs after resuming")
        }
        XCTAssertEqual(try contents(of: straight.run.samples.appendingPathComponent("step-000004.wav")),
                       try contents(of: resumed.run.samples.appendingPathComponent("step-000004.wav")))
    }

    func testTheSpectrogramRouteTrainsAnImageModelAndWritesGriffinLimClips() throws {
        let data = scratch.appendingPathComponent("tones")
        try Self.makeToneFolder(at: data)
        let session = try train("tiny-specgan.toml", run: "spec", data: data)
        let clip = try AudioFile.read(from: session.run.samples.appendingPathComponent("step-000002.wav"))
        XCTAssertEqual(clip.samples.count, 2 * 240 + 1000)
        XCTAssertTrue(clip.samples.contains { $0 != 0 })

        // The examples the model saw are the tones' spectrograms: the loudest row of a 300 Hz tone
        // at 4 kHz with a 32-point FFT is bin 300 / 125 = 2 (or its neighbour).
        let recipe = try RecipeLoader.load(try recipe("tiny-specgan.toml"), overrides: ["data.path=\(data.path)"]).recipe
        let examples = try TrainingJob.loadSplit(recipe, split: .train, recipePath: "r").examples
        XCTAssertEqual(examples.exampleShape, [1, 16, 16])
        let first = examples.batch([0], range: -1...1).scalars
        let middle = 8
        let loudest = (0..<16).max { first[$0 * 16 + middle] < first[$1 * 16 + middle] }!
        XCTAssertTrue((2...3).contains(loudest), "loudest bin \(loudest)")
        XCTAssertEqual(examples.labels.filter { $0 == 1 }.count, 4, "the broken file is left out")
        XCTAssertEqual(examples.labels.filter { $0 == 0 }.count, 4, "the empty file is left out")
    }

    func testAConditionalDiffusionModelTrainsOnSpectrogramsAndPreviewsEachClass() throws {
        let data = scratch.appendingPathComponent("tones")
        try Self.makeToneFolder(at: data)
        let session = try train("tiny-specddpm.toml", run: "ddpm", data: data)
        let clip = try AudioFile.read(from: session.run.samples.appendingPathComponent("step-000002.wav"))
        XCTAssertEqual(clip.sampleRate, 4000)
        XCTAssertEqual(clip.samples.count, 2 * 240 + 1000, "one clip per class")
        XCTAssertTrue(clip.samples.allSatisfy(\.isFinite))
        let model = try SafeTensors.read(from: try Checkpoint.resolve(session.run.url).appendingPathComponent(Checkpoint.modelFile))
        XCTAssertEqual(try ModelCheckpoint.audio(of: model, path: "model")?.representation, .spectrogram)
    }

    /// Issue 20 item 6: a float WAV holding a NaN is left out of training and named in data.log.
    func testAFloatClipWithANaNIsLeftOutAndNamedInTheDataLog() throws {
        let data = scratch.appendingPathComponent("tones")
        try Self.makeToneFolder(at: data)
        var samples = (0..<400).map { Float(0.5 * sin(Double($0) / 5)) }
        samples[3] = .nan
        try AudioFile(samples: samples, sampleRate: 8000)
            .writeWAV(to: data.appendingPathComponent("train/1/nan.wav"), format: .float32, durable: false)
        let session = try train("tiny-spec-classifier.toml", run: "nan", data: data, maxSteps: 1)
        XCTAssertEqual(session.skippedFiles, 3)
        let log = try String(contentsOf: session.run.url.appendingPathComponent("data.log"), encoding: .utf8)
        XCTAssertTrue(log.hasPrefix("3 audio files could not be decoded or held NaN or infinite samples"), log)
        XCTAssertTrue(log.contains("train/1/nan.wav: sample 3 is nan"), log)
    }

    func testBadAudioRecipesAndFoldersAreClearErrors() throws {
        let data = scratch.appendingPathComponent("tones")
        try Self.makeToneFolder(at: data)
        XCTAssertThrowsError(try train("tiny-wavegan.toml", run: "a", data: data, extra: ["audio.clip_length=300"])) {
            XCTAssertTrue("\($0)".contains("model.image_shape [1, 256] does not fit the audio"), "\($0)")
        }
        XCTAssertThrowsError(try train("tiny-wavegan.toml", run: "b", data: data, extra: ["audio.sample_rate=0"])) {
            XCTAssertTrue("\($0)".contains("audio.sample_rate must lie in"), "\($0)")
        }
        XCTAssertThrowsError(try train("tiny-specgan.toml", run: "c", data: data, extra: ["audio.hop_length=20"])) {
            XCTAssertTrue("\($0)".contains("audio.hop_length must lie in 1...fft_size / 2"), "\($0)")
        }
        let empty = scratch.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertThrowsError(try train("tiny-wavegan.toml", run: "d", data: empty)) {
            XCTAssertTrue("\($0)".contains("\(empty.path): holds no audio files"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.appendingPathComponent("d").path), "no run directory for a failed start")
    }
}
