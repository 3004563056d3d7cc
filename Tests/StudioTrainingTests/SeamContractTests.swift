import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// The outputs of `sample`, `augment` and `eval` for tiny checkpoints of every family, recorded
/// before the generator seam replaced the per-family code behind them, and compared ever since.
final class SeamContractTests: XCTestCase {
    /// Tiny runs (2 steps each) of every family, a classifier, and tone clips for the audio ones.
    private static var runs: SharedRuns!
    private var scratch: URL!
    private var root: URL { Self.runs.root }

    override class func setUp() {
        super.setUp()
        runs = SharedRuns { root in
            func train(_ recipe: URL, _ name: String, _ overrides: [String]) throws {
                let session = try TrainingJob.start(recipe: recipe, overrides: overrides, outputs: root,
                                                    runDirectory: root.appendingPathComponent(name))
                _ = try session.run()
            }
            func write(_ text: String, _ name: String) throws -> URL {
                let url = root.appendingPathComponent("\(name).toml")
                try Data(text.utf8).write(to: url)
                return url
            }
            let mnist = [try Fixtures.dataOverride, "train.steps=2"]
            try train(try Fixtures.tinyRecipe, "gan", mnist)
            try train(try Fixtures.directory.appendingPathComponent("tiny-cgan.toml"), "cgan", mnist)
            try train(try Fixtures.directory.appendingPathComponent("tiny-ddpm.toml"), "ddpm", mnist)
            try train(try Fixtures.directory.appendingPathComponent("tiny-ddpm.toml"), "cddpm", mnist + ["model.classes=10"])
            try train(try write(VAETrainingTests.recipe(latent: 2, steps: 2), "vae"), "vae", [])
            try train(try write(VAETrainingTests.recipe(latent: 2, model: "classes = 10\nembedding_size = 4", encoderInput: 2 * 784,
                                                        decoderInput: 6, steps: 2), "cvae"), "cvae", [])
            try train(try Fixtures.directory.appendingPathComponent("tiny-classifier.toml"), "classifier",
                      [try Fixtures.dataOverride, "train.epochs=1"])
            let tones = root.appendingPathComponent("tones")
            try AudioTrainingTests.makeToneFolder(at: tones, perClass: 2)
            let audio = ["data.path=\(tones.path)", "train.steps=2"]
            try train(try Fixtures.directory.appendingPathComponent("tiny-wavegan.toml"), "cwave",
                      audio + ["model.classes=2", "model.latent_size=6"])
            try train(try Fixtures.directory.appendingPathComponent("tiny-specgan.toml"), "cspec",
                      audio + ["model.classes=2", "model.latent_size=6"])
            try train(try Fixtures.directory.appendingPathComponent("tiny-specddpm.toml"), "specddpm", audio)
            try train(try Fixtures.directory.appendingPathComponent("tiny-spec-classifier.toml"), "specclassifier",
                      ["data.path=\(tones.path)"])
        }
    }

    override class func tearDown() {
        runs?.remove()
        super.tearDown()
    }

    override func setUpWithError() throws {
        try Self.runs.check()
        scratch = root.appendingPathComponent("out-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    /// Runs `genstudio arguments` (with `@NAME` standing for the run NAME and `%NAME` for the output
    /// NAME in the scratch folder), expects success, and records its output and the files it wrote.
    private func record(_ contract: inout SeamContract, _ key: String, _ arguments: [String], outputs: [String],
                        file: StaticString = #filePath, line: UInt = #line) throws {
        let expanded = arguments.map { argument -> String in
            if argument.hasPrefix("@") { return root.appendingPathComponent(String(argument.dropFirst())).path }
            if argument.hasPrefix("%") { return scratch.appendingPathComponent(String(argument.dropFirst())).path }
            return argument
        }
        let logs = root.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let result = try GenStudioExecutable.run(expanded, logs: logs, file: file, line: line)
        assertSuccess(result, file: file, line: line)
        contract.captureOutput(key, result)
        for output in outputs { try contract.capture(key + "/" + output, scratch.appendingPathComponent(output)) }
    }

    private func latents(_ name: String, rows: Int, size: Int) throws -> String {
        let url = scratch.appendingPathComponent(name)
        let values = (0..<(rows * size)).map { Float($0 % 7) * 0.3 - 0.9 }
        try SafeTensors(entries: [.init(name: "latents", tensor: Tensor(shape: [rows, size], scalars: values))]).write(to: url)
        return url.path
    }

    private var mnist: String { get throws { try Fixtures.mnistSmall.path } }

    func testGANOutputsMatchTheRecording() throws {
        var contract = SeamContract(name: "gan", root: root)
        try record(&contract, "plain", ["sample", "@gan", "--out", "%a.safetensors", "--count", "4", "--seed", "3"], outputs: ["a.safetensors"])
        try record(&contract, "grid", ["sample", "@gan", "--out", "%grid.png", "--grid", "2x3"], outputs: ["grid.png"])
        try record(&contract, "walk", ["sample", "@gan", "--out", "%walk.safetensors", "--interpolate", "3", "--count", "2"], outputs: ["walk.safetensors"])
        try record(&contract, "batchstats", ["sample", "@gan", "--out", "%b.safetensors", "--count", "4", "--batch-statistics"], outputs: ["b.safetensors"])
        try record(&contract, "folder", ["sample", "@gan/checkpoints/latest", "--out", "%pngs", "--count", "2"], outputs: ["pngs"])
        try record(&contract, "idx", ["sample", "@gan/checkpoints/latest/model.safetensors", "--out", "%a.idx", "--count", "3"], outputs: ["a.idx"])
        try record(&contract, "latents", ["sample", "@gan", "--out", "%l.safetensors", "--latents", try latents("z.safetensors", rows: 2, size: 8)],
                   outputs: ["l.safetensors"])
        try record(&contract, "weights", ["sample", "--recipe", try Fixtures.tinyRecipe.path, "--weights", "@gan/checkpoints/latest/model.safetensors",
                                          "--out", "%w.safetensors", "--count", "2"], outputs: ["w.safetensors"])
        try record(&contract, "eval", ["eval", "@gan", "--classifier", "@classifier", "--reference", try mnist, "--count", "8", "--out", "%e.json"],
                   outputs: ["e.json"])
        try record(&contract, "cplain", ["sample", "@cgan", "--out", "%c.safetensors", "--count", "4"], outputs: ["c.safetensors"])
        try record(&contract, "cclass", ["sample", "@cgan", "--out", "%k.safetensors", "--count", "3", "--class", "1"], outputs: ["k.safetensors"])
        try record(&contract, "cwalk", ["sample", "@cgan", "--out", "%cw.safetensors", "--interpolate", "3", "--count", "2"], outputs: ["cw.safetensors"])
        try record(&contract, "augment", ["augment", "@cgan", "--per-class", "3", "--block-size", "2", "--classes", "0,3", "--seed", "1",
                                          "--out", "%aug"], outputs: ["aug"])
        try record(&contract, "augmentpng", ["augment", "@cgan", "--per-class", "2", "--classes", "1", "--format", "png", "--out", "%augpng"],
                   outputs: ["augpng"])
        try record(&contract, "augmentfilter", ["augment", "@cgan", "--per-class", "2", "--classes", "2", "--filter", "@classifier",
                                                "--min-confidence", "0.05", "--out", "%augf"], outputs: ["augf"])
        try record(&contract, "ceval", ["eval", "@cgan", "--classifier", "@classifier", "--reference", try mnist, "--count", "8", "--out", "%ce.json"],
                   outputs: ["ce.json"])
        try contract.verify()
    }

    func testVAEOutputsMatchTheRecording() throws {
        var contract = SeamContract(name: "vae", root: root)
        try record(&contract, "plain", ["sample", "@vae", "--out", "%a.safetensors", "--count", "4", "--seed", "2"], outputs: ["a.safetensors"])
        try record(&contract, "grid", ["sample", "@vae", "--out", "%g.png", "--grid", "2x2"], outputs: ["g.png"])
        try record(&contract, "manifold", ["sample", "@vae", "--out", "%m.png", "--manifold", "--grid", "3x3"], outputs: ["m.png"])
        try record(&contract, "reconstruct", ["sample", "@vae", "--out", "%r.png", "--reconstruct", try mnist, "--count", "4", "--grid", "2x2"],
                   outputs: ["r.png"])
        try record(&contract, "reconstructraw", ["sample", "@vae", "--out", "%r.safetensors", "--reconstruct", try mnist, "--count", "3"],
                   outputs: ["r.safetensors"])
        try record(&contract, "encodewalk", ["sample", "@vae", "--out", "%w.safetensors", "--reconstruct", try mnist, "--interpolate", "3", "--count", "2"],
                   outputs: ["w.safetensors"])
        try record(&contract, "walk", ["sample", "@vae", "--out", "%pw.safetensors", "--interpolate", "3", "--count", "2"], outputs: ["pw.safetensors"])
        try record(&contract, "latents", ["sample", "@vae", "--out", "%l.safetensors", "--latents", try latents("z.safetensors", rows: 3, size: 2)],
                   outputs: ["l.safetensors"])
        try record(&contract, "eval", ["eval", "@vae", "--classifier", "@classifier", "--reference", try mnist, "--count", "8", "--out", "%e.json"],
                   outputs: ["e.json"])
        try record(&contract, "cplain", ["sample", "@cvae", "--out", "%c.safetensors", "--count", "3"], outputs: ["c.safetensors"])
        try record(&contract, "cclass", ["sample", "@cvae", "--out", "%k.safetensors", "--count", "2", "--class", "4"], outputs: ["k.safetensors"])
        try record(&contract, "cmanifold", ["sample", "@cvae", "--out", "%cm.safetensors", "--manifold", "--count", "4", "--class", "7"],
                   outputs: ["cm.safetensors"])
        try record(&contract, "creconstruct", ["sample", "@cvae", "--out", "%cr.safetensors", "--reconstruct", try mnist, "--count", "2"],
                   outputs: ["cr.safetensors"])
        try record(&contract, "augment", ["augment", "@cvae", "--per-class", "3", "--block-size", "2", "--classes", "0,5", "--out", "%aug"],
                   outputs: ["aug"])
        try record(&contract, "ceval", ["eval", "@cvae", "--classifier", "@classifier", "--reference", try mnist, "--count", "8", "--out", "%ce.json"],
                   outputs: ["ce.json"])
        try contract.verify()
    }

    func testDiffusionOutputsMatchTheRecording() throws {
        var contract = SeamContract(name: "diffusion", root: root)
        try record(&contract, "ddim", ["sample", "@ddpm", "--out", "%a.safetensors", "--count", "2", "--steps", "3", "--seed", "4"],
                   outputs: ["a.safetensors"])
        try record(&contract, "ddpm", ["sample", "@ddpm", "--out", "%b.safetensors", "--count", "2", "--sampler", "ddpm", "--steps", "3"],
                   outputs: ["b.safetensors"])
        try record(&contract, "eta", ["sample", "@ddpm", "--out", "%e.safetensors", "--count", "2", "--steps", "3", "--eta", "0.5"],
                   outputs: ["e.safetensors"])
        try record(&contract, "trained", ["sample", "@ddpm", "--out", "%t.png", "--grid", "1x2", "--steps", "2", "--no-ema"], outputs: ["t.png"])
        try record(&contract, "trajectory", ["sample", "@ddpm", "--out", "%j.safetensors", "--count", "2", "--steps", "4",
                                             "--trajectory", "%path.png", "--trajectory-points", "3"], outputs: ["j.safetensors", "path.png"])
        try record(&contract, "latents", ["sample", "@ddpm", "--out", "%l.safetensors", "--steps", "2", "--latents",
                                          try noise("x.safetensors", rows: 2)], outputs: ["l.safetensors"])
        try record(&contract, "eval", ["eval", "@ddpm", "--classifier", "@classifier", "--reference", try mnist, "--count", "4",
                                       "--steps", "2", "--out", "%ev.json"], outputs: ["ev.json"])
        try record(&contract, "cguided", ["sample", "@cddpm", "--out", "%c.safetensors", "--count", "3", "--steps", "2", "--guidance", "2"],
                   outputs: ["c.safetensors"])
        try record(&contract, "cclass", ["sample", "@cddpm", "--out", "%k.safetensors", "--count", "2", "--steps", "2", "--class", "4"],
                   outputs: ["k.safetensors"])
        try record(&contract, "augment", ["augment", "@cddpm", "--per-class", "2", "--classes", "0,1", "--steps", "2", "--out", "%aug"],
                   outputs: ["aug"])
        try record(&contract, "augmentddpm", ["augment", "@cddpm", "--per-class", "2", "--classes", "3", "--sampler", "ddpm", "--steps", "2",
                                              "--guidance", "1.5", "--format", "png", "--out", "%augd"], outputs: ["augd"])
        try record(&contract, "ceval", ["eval", "@cddpm", "--classifier", "@classifier", "--reference", try mnist, "--count", "4",
                                        "--steps", "2", "--guidance", "2", "--out", "%ce.json"], outputs: ["ce.json"])
        try contract.verify()
    }

    func testAudioOutputsMatchTheRecording() throws {
        var contract = SeamContract(name: "audio", root: root)
        let tones = root.appendingPathComponent("tones").path
        try record(&contract, "wave", ["sample", "@cwave", "--out", "%a.wav", "--count", "2"], outputs: ["a.wav", "a.png"])
        try record(&contract, "waveclass", ["sample", "@cwave", "--out", "%clips", "--count", "2", "--class", "1", "--wav-format", "float"],
                   outputs: ["clips"])
        try record(&contract, "spec", ["sample", "@cspec", "--out", "%s.wav", "--count", "2", "--seed", "5"], outputs: ["s.wav", "s.png"])
        try record(&contract, "diffusion", ["sample", "@specddpm", "--out", "%d.wav", "--count", "2", "--steps", "2"], outputs: ["d.wav", "d.png"])
        try record(&contract, "augment", ["augment", "@cwave", "--per-class", "2", "--out", "%aug"], outputs: ["aug"])
        try record(&contract, "augmentspec", ["augment", "@cspec", "--per-class", "1", "--classes", "1", "--out", "%augs"], outputs: ["augs"])
        try record(&contract, "eval", ["eval", "@cwave", "--classifier", "@specclassifier", "--reference", tones, "--count", "4", "--out", "%e.json"],
                   outputs: ["e.json"])
        try record(&contract, "evaldiffusion", ["eval", "@specddpm", "--classifier", "@specclassifier", "--reference", tones, "--count", "4",
                                                "--steps", "2", "--out", "%d.json"], outputs: ["d.json"])
        try contract.verify()
    }

    private func noise(_ name: String, rows: Int) throws -> String {
        let url = scratch.appendingPathComponent(name)
        let values = (0..<(rows * 784)).map { Float(($0 * 37) % 101) / 50 - 1 }
        try SafeTensors(entries: [.init(name: "latents", tensor: Tensor(shape: [rows, 1, 28, 28], scalars: values))]).write(to: url)
        return url.path
    }
}
