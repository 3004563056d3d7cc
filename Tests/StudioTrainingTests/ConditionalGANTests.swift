import Foundation
import StudioCore
import StudioIO
import StudioModels
import StudioNN
import XCTest
@testable import StudioTraining

/// Class-conditional GANs in training: the shipped recipe, training with labels, `genstudio sample
/// --class`, per-index sampling noise (config checks and the projection discriminator are in
/// StudioModelsTests' ConditionalGANModelTests).
final class ConditionalGANTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws { scratch = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private var conditionalRecipe: URL { get throws { try Fixtures.directory.appendingPathComponent("tiny-cgan.toml") } }

    func testShippedConditionalRecipeIsTheDCGANRecipeWithLabels() throws {
        func parse(_ name: String) throws -> Recipe {
            let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../recipes/\(name).toml").standardized
            return try RecipeLoader.parse(try String(contentsOf: url, encoding: .utf8), path: "recipes/\(name).toml").recipe
        }
        let conditional = try parse("cdcgan-mnist"), plain = try parse("dcgan-mnist")
        guard case .gan(let c) = conditional.model, case .gan(let p) = plain.model else { return XCTFail("not GAN recipes") }
        XCTAssertEqual(c.classCount, 10)
        XCTAssertEqual(c.generatorInputShape, [1, 110])
        XCTAssertEqual(c.discriminator, p.discriminator)
        XCTAssertEqual(Array(c.generator.layers.dropFirst()), Array(p.generator.layers.dropFirst()))
        XCTAssertEqual(conditional.train, plain.train)
    }

    func testNoiseForSampleIDependsOnlyOnSeedAndIndex() {
        let all = GANSampler.noise(seed: 9, indices: Array(0..<6), latentSize: 5)
        let some = GANSampler.noise(seed: 9, indices: [4, 1], latentSize: 5)
        XCTAssertEqual(some.sliced(alongAxis: 0, 0..<1).scalars, all.sliced(alongAxis: 0, 4..<5).scalars)
        XCTAssertEqual(some.sliced(alongAxis: 0, 1..<2).scalars, all.sliced(alongAxis: 0, 1..<2).scalars)
        XCTAssertNotEqual(GANSampler.noise(seed: 10, indices: [1], latentSize: 5).scalars, some.sliced(alongAxis: 0, 1..<2).scalars)
        XCTAssertEqual(try ClassChoice.labels(count: 5, classLabel: nil, classCount: 3), [0, 1, 2, 0, 1])
        XCTAssertEqual(try ClassChoice.labels(count: 4, classLabel: nil, classCount: 3, groupSize: 2), [0, 0, 1, 1])
        XCTAssertEqual(try ClassChoice.labels(count: 2, classLabel: 2, classCount: 3), [2, 2])
        XCTAssertThrowsError(try ClassChoice.labels(count: 2, classLabel: 3, classCount: 3))
        XCTAssertThrowsError(try ClassChoice.labels(count: 2, classLabel: 0, classCount: 0))
    }

    func testTrainsWithLabelsAndSamplesAChosenClass() throws {
        let run = scratch.appendingPathComponent("run")
        let session = try TrainingJob.start(recipe: try conditionalRecipe, overrides: [try Fixtures.dataOverride, "train.steps=2"],
                                            outputs: scratch, runDirectory: run)
        XCTAssertEqual(try session.run(), .finished)
        let task = try XCTUnwrap(session.task as? AdversarialTask)
        XCTAssertEqual(task.sampleLabels, [0, 0, 1, 1], "a 2x2 grid: row r shows class r")
        let file = try SafeTensors.read(from: try Checkpoint.resolve(run).appendingPathComponent(Checkpoint.modelFile))
        XCTAssertEqual(file["generator_embedding.weight"]?.shape, [10, 4])

        func sample(_ arguments: [String], _ name: String) throws -> ProcessResult {
            try GenStudioExecutable.run(["sample", run.path, "--out", scratch.appendingPathComponent(name).path] + arguments, logs: scratch)
        }
        assertSuccess(try sample(["--count", "3", "--class", "7"], "sevens.safetensors"))
        assertSuccess(try sample(["--count", "3"], "mixed.safetensors"))
        let sevens = try XCTUnwrap(try SafeTensors.read(from: scratch.appendingPathComponent("sevens.safetensors"))["samples"])
        let mixed = try XCTUnwrap(try SafeTensors.read(from: scratch.appendingPathComponent("mixed.safetensors"))["samples"])
        let model = try LoadedGAN.load(checkpoint: run)
        let z = GANSampler.noise(seed: 0, indices: [0, 1, 2], latentSize: 8)
        XCTAssertEqual(sevens.scalars, model.generate(latents: z, labels: [7, 7, 7]).scalars)
        XCTAssertEqual(mixed.scalars, model.generate(latents: z, labels: [0, 1, 2]).scalars, "default class of sample i: i mod classes")
        assertCleanFailure(try sample(["--class", "10"], "x.png"), mentions: ["--classes 10", "0...9"])

        let plainRun = scratch.appendingPathComponent("plain")
        _ = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride, "train.steps=1"],
                                  outputs: scratch, runDirectory: plainRun).run()
        let refused = try GenStudioExecutable.run(["sample", plainRun.path, "--class", "1", "--out", scratch.appendingPathComponent("y.png").path],
                                                  logs: scratch)
        assertCleanFailure(refused, mentions: ["--classes 1", "unconditional"])
    }

    func testConditionalWGANGPRunResumesByteForByte() throws {
        // 40 batches per epoch and 3 per step: the split (step 7, batch 21) is mid-epoch and the rest crosses one.
        let overrides = [try Fixtures.dataOverride, "train.steps=14", "train.loss=wgan-gp", "train.critic_steps=3",
                         "checkpoint.interval=7", "sample.interval=7"]
        let straight = scratch.appendingPathComponent("straight"), split = scratch.appendingPathComponent("split")
        XCTAssertEqual(try TrainingJob.start(recipe: try conditionalRecipe, overrides: overrides, outputs: scratch,
                                             runDirectory: straight).run(), .finished)
        XCTAssertEqual(try TrainingJob.start(recipe: try conditionalRecipe, overrides: overrides, outputs: scratch,
                                             runDirectory: split).run(maxSteps: 7), .stepLimit)
        XCTAssertEqual(try TrainingJob.resume(split).run(), .finished)
        let a = try Checkpoint.resolve(straight), b = try Checkpoint.resolve(split)
        for name in [Checkpoint.modelFile, Checkpoint.optimizerFile] {
            XCTAssertTrue(try contents(of: a.appendingPathComponent(name)) == contents(of: b.appendingPathComponent(name)), name)
        }
        let optimizer = try SafeTensors.read(from: a.appendingPathComponent(Checkpoint.optimizerFile))
        XCTAssertTrue(optimizer.entries.contains { $0.name.hasPrefix("generator.generator_embedding.weight") }, "the embedding is trained")
        XCTAssertTrue(optimizer.entries.contains { $0.name.hasPrefix("discriminator.discriminator_projection.weight") })
        XCTAssertEqual(try Checkpoint.readState(a).epoch, 1)
    }
}
