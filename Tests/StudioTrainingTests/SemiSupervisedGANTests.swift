import Foundation
import StudioCore
import StudioIO
import StudioModels
import StudioNN
import XCTest
@testable import StudioTraining

/// The semi-supervised GAN (`train.loss = "semi-supervised"`, `model.discriminator_classes`,
/// `data.labelled_per_class`): its losses against PyTorch, a training run, that the unlabelled
/// images' labels are never read, and labelled sampling through the discriminator.
final class SemiSupervisedGANTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws { scratch = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private var recipe: URL { get throws { try Fixtures.directory.appendingPathComponent("tiny-sgan.toml") } }

    struct Golden: Decodable {
        let labelled: FixtureTensor, unlabelled: FixtureTensor, fake: FixtureTensor
        let labels: [Int]
        let supervised: Double, unsupervised: Double
        let labelled_grad: FixtureTensor, unlabelled_grad: FixtureTensor, fake_grad: FixtureTensor
        let real_features: FixtureTensor, fake_features: FixtureTensor
        let matching: Double, fake_features_grad: FixtureTensor
    }

    private func assertClose(_ a: Tensor?, _ b: FixtureTensor, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let a else { return XCTFail("\(name): no gradient", file: file, line: line) }
        XCTAssertEqual(a.shape.dimensions, b.shape, name, file: file, line: line)
        for (x, y) in zip(a.scalars, b.values) { XCTAssertEqual(Double(x), y, accuracy: 1e-5, name, file: file, line: line) }
    }

    /// Salimans et al.'s terms written out in PyTorch (Fixtures/make_semi_supervised.py) match ours.
    func testLossesMatchPyTorch() throws {
        let data = try Data(contentsOf: try Fixtures.directory.appendingPathComponent("semi_supervised.json"))
        let golden = try JSONDecoder().decode(Golden.self, from: data)
        let labelled = golden.labelled.tensor, unlabelled = golden.unlabelled.tensor, fake = golden.fake.tensor
        let (supervised, unsupervised) = SemiSupervisedLoss.discriminatorLoss(labelled: labelled, labels: golden.labels,
                                                                            unlabelled: unlabelled, fake: fake)
        XCTAssertEqual(Double(supervised.item), golden.supervised, accuracy: 1e-5)
        XCTAssertEqual(Double(unsupervised.item), golden.unsupervised, accuracy: 1e-5)
        let leaves = [labelled, unlabelled, fake].map { $0.requiringGradient() }
        let (a, b) = SemiSupervisedLoss.discriminatorLoss(labelled: leaves[0], labels: golden.labels, unlabelled: leaves[1], fake: leaves[2])
        let gradients = StudioCore.gradients(of: a + b, withRespectTo: leaves)
        assertClose(gradients[0], golden.labelled_grad, "labelled")
        assertClose(gradients[1], golden.unlabelled_grad, "unlabelled")
        assertClose(gradients[2], golden.fake_grad, "fake")

        let real = golden.real_features.tensor, generated = golden.fake_features.tensor.requiringGradient()
        let matching = SemiSupervisedLoss.featureMatching(real: real, fake: generated)
        XCTAssertEqual(Double(matching.item), golden.matching, accuracy: 1e-6)
        assertClose(StudioCore.gradients(of: matching, withRespectTo: [generated])[0], golden.fake_features_grad, "fake features")
    }

    /// Both objectives by finite differences in their inputs.
    func testLossGradientsMatchFiniteDifferences() throws {
        var generator = RandomGenerator(seed: 3)
        let labelled = Tensor.randomNormal([3, 4], using: &generator), unlabelled = Tensor.randomNormal([5, 4], using: &generator)
        let fake = Tensor.randomNormal([2, 4], using: &generator)
        let result = checkGradients(of: { x in
            let (a, b) = SemiSupervisedLoss.discriminatorLoss(labelled: x[0], labels: [3, 0, 1], unlabelled: x[1], fake: x[2])
            return a + b
        }, at: [labelled, unlabelled, fake])
        XCTAssertLessThan(result.maxError, 1e-2, "\(result)")
        let real = Tensor.randomNormal([5, 3], using: &generator), generated = Tensor.randomNormal([4, 3], using: &generator)
        let matching = checkGradients(of: { SemiSupervisedLoss.featureMatching(real: real, fake: $0[0]) }, at: [generated])
        XCTAssertLessThan(matching.maxError, 1e-2, "\(matching)")
    }

    private func train(_ name: String, _ overrides: [String] = []) throws -> URL {
        let run = scratch.appendingPathComponent(name)
        let session = try TrainingJob.start(recipe: try recipe, overrides: [try Fixtures.dataOverride] + overrides,
                                            outputs: scratch, runDirectory: run)
        XCTAssertEqual(try session.run(), .finished)
        return run
    }

    func testARunRecordsItsLabelledImagesAndScoresItsDiscriminator() throws {
        let run = try train("run")
        _ = try SemiSupervisedRunChecks.finalTestAccuracy(of: run, header: "step,loss_d,loss_g,d_real,d_fake,loss_supervised,accuracy_labelled,test_accuracy")
        let labelled = try SemiSupervisedRunChecks.labelled(of: run)
        XCTAssertEqual(labelled.count, 20)
        let model = try SafeTensors.read(from: try Checkpoint.resolve(run).appendingPathComponent(Checkpoint.modelFile))
        XCTAssertEqual(model.entries.first { $0.name == "discriminator.4.weight" }?.tensor.shape, [10, 32])
        try SemiSupervisedRunChecks.assertResumeKeepsItsLabelledExamples(run, labelled: labelled)
    }

    /// The session's batch is the unlabelled one: steps with its labels changed train the same weights.
    func testTheUnlabelledImagesLabelsAreNeverRead() throws {
        let (parsed, _) = try RecipeLoader.load(try recipe, overrides: [try Fixtures.dataOverride])
        guard case .gan(let config) = parsed.model else { return XCTFail("not a GAN recipe") }
        let train = try ImageDataset.mnistFormat(directory: try Fixtures.mnistSmall, split: .train)
        let labelled = try ClassSubset(perClass: 2, labels: train.labels, classes: 10, seed: 0).examples(of: train)
        func weights(_ labels: [Int]) throws -> [[Float]] {
            let task = try AdversarialTask(config: config, settings: parsed.train, sampleCount: 4, labelled: labelled, test: nil)
            for step in 0..<3 { _ = task.step(batch: train.batch(Array((step * 16)..<((step + 1) * 16))), labels: labels, step: step) }
            return task.gan.namedParameters.map(\.parameter.value.scalars)
        }
        XCTAssertEqual(try weights(Array(repeating: 0, count: 16)), try weights((0..<16).map { ($0 * 7) % 10 }))
    }

    func testRecipesThatMixTheSettingsUpAreRefused() throws {
        XCTAssertThrowsError(try RecipeLoader.load(try recipe, overrides: ["train.loss=\"hinge\""])) { error in
            XCTAssertTrue("\(error)".contains("train.loss = \"semi-supervised\""), "\(error)")
        }
        XCTAssertThrowsError(try RecipeLoader.load(try Fixtures.tinyRecipe, overrides: ["data.labelled_per_class=3"])) { error in
            XCTAssertTrue("\(error)".contains("data.labelled_per_class applies to semi-supervised GANs"), "\(error)")
        }
        XCTAssertThrowsError(try RecipeLoader.load(try recipe, overrides: ["model.classes=10"])) { error in
            XCTAssertTrue("\(error)".contains("exclude each other"), "\(error)")
        }
        XCTAssertThrowsError(try TrainingJob.start(recipe: try recipe, overrides: [try Fixtures.dataOverride, "data.labelled_per_class=500"],
                                                   outputs: scratch, runDirectory: scratch.appendingPathComponent("big"))) { error in
            XCTAssertTrue("\(error)".contains("data.labelled_per_class = 500"), "\(error)")
        }
    }

    /// A discriminator made to call an image 0 or 1 by the sign of its feature sum (less its median):
    /// every labelled sample is of its class, some needed other latents, and none depends on its batch.
    func testLabelledSamplesAreTheDiscriminatorsClassAndIndependentOfTheirBatch() throws {
        let model = try LoadedGAN.load(checkpoint: try train("draw"))
        let parameters = Dictionary(uniqueKeysWithValues: model.gan.discriminatorParameters.map { ($0.name, $0.parameter) })
        let weight = try XCTUnwrap(parameters["4.weight"]), bias = try XCTUnwrap(parameters["4.bias"])
        let probe = model.initialNoise(seed: 9, first: 100, count: 64)
        let sums = withoutGradients {
            model.gan.classify(model.generate(latents: probe), context: .inference).features.sum(alongAxis: 1).scalars.sorted()
        }
        var w = [Float](repeating: 0, count: 320), b = [Float](repeating: -100, count: 10)
        for i in 0..<32 { w[i] = 200 }
        b[0] = -200 * sums[32]
        b[1] = 0
        weight.assign(Tensor(shape: [10, 32], scalars: w))
        bias.assign(Tensor(shape: [10], scalars: b))

        let noise = model.initialNoise(seed: 9, first: 0, count: 12)
        let labels = (0..<12).map { $0 % 2 }
        var stepNoise = RandomGenerator(seed: 0)
        let images = try model.draw(noise: noise, labels: labels, stepNoise: &stepNoise, progress: { _, _ in })
        let probabilities = withoutGradients { model.gan.classify(images, context: .inference).logits.softmax().scalars }
        for (row, label) in labels.enumerated() { XCTAssertGreaterThanOrEqual(probabilities[row * 10 + label], 0.8, "row \(row)") }
        let plain = model.generate(latents: noise).scalars, size = 784
        let kept = (0..<12).filter { Array(images.scalars[($0 * size)..<(($0 + 1) * size)]) == Array(plain[($0 * size)..<(($0 + 1) * size)]) }
        XCTAssertFalse(kept.isEmpty, "some first latents are of their class")
        XCTAssertLessThan(kept.count, 12, "some samples needed other latents")
        for row in [0, 5, 11] {
            let alone = try model.draw(noise: noise.sliced(alongAxis: 0, row..<(row + 1)), labels: [labels[row]], stepNoise: &stepNoise,
                                       progress: { _, _ in })
            // Equal up to float rounding: a product over fewer rows may round differently.
            let batched = images.scalars[(row * size)..<((row + 1) * size)]
            XCTAssertLessThan(zip(alone.scalars, batched).map { abs($0 - $1) }.max() ?? 1, 1e-5, "row \(row) depends on its batch")
        }
        XCTAssertThrowsError(try model.draw(noise: noise.sliced(alongAxis: 0, 0..<1), labels: [5], stepNoise: &stepNoise,
                                            progress: { _, _ in })) { error in
            XCTAssertTrue("\(error)".contains("class 5"), "\(error)")
        }
        XCTAssertEqual(model.classCount, 10)
        XCTAssertEqual(model.settings["labels"], "discriminator, p >= 0.8")
    }

    func testTheFewLabelsProtocolTrainsTheGANOnEveryImageWithKLabels() throws {
        var settings = FewShotEvaluation.Settings(generatorRecipe: try recipe, realPerClass: 2, perClass: 1,
                                                  classifierRecipe: try Fixtures.directory.appendingPathComponent("tiny-classifier.toml"))
        settings.seeds = [3]
        settings.generatorSteps = 2
        settings.classifierSteps = 2
        settings.data = try Fixtures.mnistSmall
        settings.unlabelled = true
        settings.sampling.labelConfidence = 0
        let directory = scratch.appendingPathComponent("protocol")
        var stages: [String] = []
        let report = try XCTUnwrap(try FewShotEvaluation(settings: settings, directory: directory).run(observe: { event in
            if case let .stage(_, total, name, _) = event { stages.append("\(name)/\(total)") }
        }))
        XCTAssertEqual(stages, ["generator/3", "synthetic/3", "classifiers/3"], "no pseudo-labels: the GAN reads the unlabelled images itself")
        let seed = report.seeds[0]
        XCTAssertNil(seed.pseudoLabels)
        XCTAssertNil(report.pseudoLabelRounds)
        XCTAssertTrue((0...1).contains(try XCTUnwrap(seed.discriminatorTestAccuracy)))
        XCTAssertEqual(seed.runs.map(\.name), ["real", "real+classical", "real+synthetic", "real+synthetic+classical", "synthetic"])
        let generator = directory.appendingPathComponent("seed-3/generator")
        let labelled = try JSONDecoder().decode(ClassSubset.self, from: try contents(of: generator.appendingPathComponent(TrainingJob.labelledFileName)))
        let train = try ImageDataset.mnistFormat(directory: try Fixtures.mnistSmall, split: .train)
        XCTAssertEqual(labelled.indices, try AugmentationEvaluation.select(perClass: 2, from: train, classes: 10, seed: 3, place: "").1,
                       "the GAN's labelled images are the classifiers' real ones")
        let manifest = try String(contentsOf: directory.appendingPathComponent("seed-3/synthetic/manifest.json"), encoding: .utf8)
        XCTAssertTrue(manifest.contains("discriminator, p >= 0.0"), manifest)

        // A second run finds every stage done, the synthetic set's manifest included.
        var skipped: [String] = []
        _ = try FewShotEvaluation(settings: settings, directory: directory).run(observe: { event in
            if case let .skipped(name, _) = event { skipped.append(name) }
        })
        XCTAssertEqual(skipped, ["generator", "classifiers"])

        settings.unlabelled = false
        XCTAssertThrowsError(try FewShotEvaluation(settings: settings, directory: scratch.appendingPathComponent("other"))) { error in
            XCTAssertTrue("\(error)".contains("--unlabelled"), "\(error)")
        }
    }

    /// `weight_norm = true` on a linear layer: PyTorch's names in the checkpoint; not with spectral_norm.
    func testWeightNormalisedLayersSaveUnderPyTorchsNames() throws {
        let text = try String(contentsOf: try recipe, encoding: .utf8)
        let normalised = text.replacingOccurrences(of: "{ type = \"linear\", in = 32, out = 10 }",
                                                   with: "{ type = \"linear\", in = 32, out = 10, weight_norm = true }")
        XCTAssertNotEqual(normalised, text)
        let url = scratch.appendingPathComponent("wn.toml")
        try Data(normalised.utf8).write(to: url)
        let run = scratch.appendingPathComponent("wn")
        _ = try TrainingJob.start(recipe: url, overrides: [try Fixtures.dataOverride, "train.steps=2"], outputs: scratch, runDirectory: run).run()
        let model = try SafeTensors.read(from: try Checkpoint.resolve(run).appendingPathComponent(Checkpoint.modelFile))
        let shapes = Dictionary(uniqueKeysWithValues: model.entries.map { ($0.name, $0.tensor.shape.dimensions) })
        XCTAssertEqual(shapes["discriminator.4.weight_g"], [10, 1])
        XCTAssertEqual(shapes["discriminator.4.weight_v"], [10, 32])
        XCTAssertNil(shapes["discriminator.4.weight"])
        XCTAssertNotNil(try LoadedGAN.load(checkpoint: run).gan.config.discriminator.layers.last?.options["weight_norm"])

        let both = normalised.replacingOccurrences(of: "weight_norm = true", with: "weight_norm = true, spectral_norm = true")
        XCTAssertThrowsError(try RecipeLoader.parse(both, path: "both.toml")) { error in
            XCTAssertTrue("\(error)".contains("spectral_norm and weight_norm exclude each other"), "\(error)")
        }
    }

    func testTheRecipeBenchmarks() throws {
        let bench = try TrainingJob.benchmarkTask(recipe: try recipe)
        XCTAssertEqual(bench.task.metricNames, AdversarialTask.semiSupervisedMetricNames)
        XCTAssertEqual(bench.runSteps(0..<2).count, bench.task.metricNames.count)
    }

    func testLabelConfidenceIsRefusedWhereNoDiscriminatorLabelsAndOutOfRange() throws {
        let session = try TrainingJob.start(recipe: try Fixtures.tinyRecipe, overrides: [try Fixtures.dataOverride, "train.steps=1"],
                                            outputs: scratch, runDirectory: scratch.appendingPathComponent("plain"))
        _ = try session.run()
        var options = SamplingOptions()
        options.labelConfidence = 0.5
        XCTAssertThrowsError(try GeneratorLoader.load(checkpoint: scratch.appendingPathComponent("plain"), options: options)) { error in
            XCTAssertTrue("\(error)".contains("--label-confidence applies to semi-supervised GANs only"), "\(error)")
        }
        options.labelConfidence = 1.5
        XCTAssertThrowsError(try GeneratorLoader.load(checkpoint: try train("sgan"), options: options)) { error in
            XCTAssertTrue("\(error)".contains("--label-confidence must lie in 0...1, got 1.5"), "\(error)")
        }
    }
}
