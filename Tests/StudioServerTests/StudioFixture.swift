import Foundation
import StudioCore
import StudioIO
import StudioTraining
import XCTest

/// A runs folder with one of everything the studio shows, built once per test process from the
/// training tests' tiny recipes: a GAN with batch norm (grids at steps 2 and 4), a finished
/// diffusion run, an audio run, an augmentation job, an evaluation report and a run whose metrics
/// file is corrupt.
enum StudioFixture {
    static let trainingFixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("StudioTrainingTests/Fixtures")

    nonisolated(unsafe) private static var built: URL?
    private static let lock = NSLock()

    /// The folder, made on first use.
    static func runsFolder() throws -> URL {
        lock.lock()
        defer { lock.unlock() }
        if let built { return built }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("studio-fixture-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let mnist = trainingFixtures.appendingPathComponent("mnist-small").path
        try train("tiny-gan.toml", ["data.path=\(mnist)", "train.steps=4", "sample.interval=2", "checkpoint.interval=2"],
                  into: root.appendingPathComponent("outputs/tiny-gan/run-a"))
        try train("tiny-ddpm.toml", ["data.path=\(mnist)", "train.steps=2", "sample.count=4"],
                  into: root.appendingPathComponent("outputs/tiny-ddpm/run-b"))
        let tones = root.appendingPathComponent(".data/tones")
        try makeTones(at: tones)
        try train("tiny-specgan.toml", ["data.path=\(tones.path)", "train.steps=2", "sample.interval=1", "train.batch=4"],
                  into: root.appendingPathComponent("outputs/tiny-specgan/run-c"))
        try train("tiny-cgan.toml", ["data.path=\(mnist)", "train.steps=2"], into: root.appendingPathComponent("outputs/tiny-cgan/run-d"))
        let model = try GeneratorLoader.load(checkpoint: root.appendingPathComponent("outputs/tiny-cgan/run-d"))
        let spec = AugmentationSpec(perClass: 3, classes: Array(0..<10), seed: 0, format: .png, blockSize: 2)
        _ = try AugmentationJob(source: model, spec: spec, directory: root.appendingPathComponent("synth/cgan")).run()
        let report = root.appendingPathComponent("evaluations/few-shot")
        try FileManager.default.createDirectory(at: report, withIntermediateDirectories: true)
        try Data(#"{"routes": {"real": {"test_accuracy": 78.4}, "real+synthetic": {"test_accuracy": 79.8}}, "class_histogram": {"0": 12, "1": 30, "2": 5}, "seeds": [0, 1, 2]}"#.utf8)
            .write(to: report.appendingPathComponent("report.json"))
        let corrupt = root.appendingPathComponent("outputs/tiny-ddpm/run-corrupt")
        try FileManager.default.copyItem(at: root.appendingPathComponent("outputs/tiny-ddpm/run-b"), to: corrupt)
        try Data("{\"step\":1,\"loss\":0.5}\nnot json at all\n{\"step\":2,\"loss\":0.4}\n".utf8)
            .write(to: corrupt.appendingPathComponent("metrics.jsonl"))
        built = root
        return root
    }

    private static func train(_ recipe: String, _ overrides: [String], into directory: URL) throws {
        let session = try TrainingJob.start(recipe: trainingFixtures.appendingPathComponent(recipe), overrides: overrides,
                                            outputs: directory.deletingLastPathComponent(), runDirectory: directory)
        _ = try session.run()
    }

    /// Two classes of 240-sample tones at 4 kHz in `train/` and `test/`.
    private static func makeTones(at root: URL) throws {
        for split in ["train", "test"] {
            for label in 0..<2 {
                let folder = root.appendingPathComponent("\(split)/\(label)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                for k in 0..<4 {
                    let frequency = 300.0 * Double(label + 1) + 20 * Double(k)
                    let samples = (0..<240).map { Float(0.5 * sin(2 * Double.pi * frequency * Double($0) / 4000)) }
                    try AudioFile(samples: samples, sampleRate: 4000).writeWAV(to: folder.appendingPathComponent("tone-\(k).wav"), durable: false)
                }
            }
        }
    }
}
