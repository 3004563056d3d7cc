import Foundation
import StudioCore
import StudioIO
import StudioModels
import StudioNN
import XCTest
@testable import StudioTraining

/// The semi-supervised VAE (M2: `model.classifier`, `data.labelled_per_class`): its objective against
/// PyTorch and finite differences, a training run, that the unlabelled images' labels are never read,
/// labelled sampling, and the few-labels protocol.
final class SemiSupervisedVAETests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws { scratch = try makeTemporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    private var recipe: URL { get throws { try Fixtures.directory.appendingPathComponent("tiny-ssvae.toml") } }

    struct Golden: Decodable {
        let logits: FixtureTensor, losses: FixtureTensor, unlabelled: Double
        let logits_grad: FixtureTensor, losses_grad: FixtureTensor
        let labelled: FixtureTensor, labels: [Int], alpha: Double, classification: Double, labelled_grad: FixtureTensor
        let output: FixtureTensor, target: FixtureTensor, reconstruction: FixtureTensor, output_grad: FixtureTensor
        let mean: FixtureTensor, log_variance: FixtureTensor, kl: FixtureTensor
        let mean_grad: FixtureTensor, log_variance_grad: FixtureTensor
    }

    private func assertClose(_ a: Tensor?, _ b: FixtureTensor, _ name: String, accuracy: Double = 1e-5,
                             file: StaticString = #filePath, line: UInt = #line) {
        guard let a else { return XCTFail("\(name): no gradient", file: file, line: line) }
        XCTAssertEqual(a.shape.dimensions, b.shape, name, file: file, line: line)
        for (x, y) in zip(a.scalars, b.values) {
            XCTAssertEqual(Double(x), y, accuracy: accuracy * Swift.max(1, abs(y)), name, file: file, line: line)
        }
    }

    /// Kingma et al.'s terms written out in PyTorch (Fixtures/make_semi_supervised_vae.py) match ours.
    func testObjectiveMatchesPyTorch() throws {
        let data = try Data(contentsOf: try Fixtures.directory.appendingPathComponent("semi_supervised_vae.json"))
        let golden = try JSONDecoder().decode(Golden.self, from: data)
        let logits = golden.logits.tensor.requiringGradient(), losses = golden.losses.tensor.requiringGradient()
        let unlabelled = SemiSupervisedELBO.unlabelled(logits: logits, losses: losses)
        XCTAssertEqual(Double(unlabelled.item), golden.unlabelled, accuracy: 1e-5 * abs(golden.unlabelled))
        let gradients = StudioCore.gradients(of: unlabelled, withRespectTo: [logits, losses])
        assertClose(gradients[0], golden.logits_grad, "logits")
        assertClose(gradients[1], golden.losses_grad, "losses")

        let labelled = golden.labelled.tensor.requiringGradient()
        let classification = SemiSupervisedELBO.classification(logits: labelled, labels: golden.labels, weight: golden.alpha)
        XCTAssertEqual(Double(classification.item), golden.classification, accuracy: 1e-5 * golden.classification)
        assertClose(StudioCore.gradients(of: classification, withRespectTo: [labelled])[0], golden.labelled_grad, "labelled")

        let output = golden.output.tensor.requiringGradient()
        let reconstruction = ELBO.reconstructionPerImage(output: output, target: golden.target.tensor, likelihood: .bernoulli)
        assertClose(reconstruction, golden.reconstruction, "reconstruction")
        let weights = Tensor(shape: [2], scalars: [1, 2])
        assertClose(StudioCore.gradients(of: (reconstruction * weights).sum(), withRespectTo: [output])[0], golden.output_grad, "output")
        let mean = golden.mean.tensor.requiringGradient(), logVariance = golden.log_variance.tensor.requiringGradient()
        let kl = ELBO.klPerImage(mean: mean, logVariance: logVariance)
        assertClose(kl, golden.kl, "kl")
        let klGradients = StudioCore.gradients(of: (kl * Tensor(shape: [2], scalars: [3, -1])).sum(), withRespectTo: [mean, logVariance])
        assertClose(klGradients[0], golden.mean_grad, "mean")
        assertClose(klGradients[1], golden.log_variance_grad, "log-variance")
    }

    /// The unlabelled bound and the per-image terms by finite differences; the per-image terms
    /// average to the batch terms the plain VAE trains on.
    func testObjectiveGradientsMatchFiniteDifferences() throws {
        var generator = RandomGenerator(seed: 11)
        let logits = Tensor.randomNormal([4, 3], using: &generator), losses = Tensor.randomNormal([3, 4], using: &generator)
        let bound = checkGradients(of: { SemiSupervisedELBO.unlabelled(logits: $0[0], losses: $0[1]) }, at: [logits, losses])
        XCTAssertLessThan(bound.maxError, 1e-2, "\(bound)")

        let output = Tensor.randomNormal([3, 1, 2, 2], using: &generator)
        let target = Tensor.randomUniform([3, 1, 2, 2], using: &generator)
        for likelihood in [VAEConfig.Likelihood.bernoulli, .gaussian] {
            let perImage = ELBO.reconstructionPerImage(output: output, target: target, likelihood: likelihood)
            XCTAssertEqual(perImage.shape, [3])
            XCTAssertEqual(perImage.mean().item, ELBO.reconstruction(output: output, target: target, likelihood: likelihood).item,
                           accuracy: 1e-4, "\(likelihood)")
            let check = checkGradients(of: { ELBO.reconstructionPerImage(output: $0[0], target: target, likelihood: likelihood).squared().sum() },
                                       at: [output])
            XCTAssertLessThan(check.maxError, 1e-2, "\(likelihood): \(check)")
        }
        let mean = Tensor.randomNormal([3, 2], using: &generator), logVariance = Tensor.randomNormal([3, 2], using: &generator)
        XCTAssertEqual(ELBO.klPerImage(mean: mean, logVariance: logVariance).mean().item,
                       ELBO.kl(mean: mean, logVariance: logVariance).item, accuracy: 1e-5)
        let kl = checkGradients(of: { ELBO.klPerImage(mean: $0[0], logVariance: $0[1]).squared().sum() }, at: [mean, logVariance])
        XCTAssertLessThan(kl.maxError, 1e-2, "\(kl)")
    }

    /// Every image once per class, class-major, with the labels in the same order.
    func testEveryLabelRepeatsTheBatchClassMajor() {
        let images = Tensor(shape: [2, 1, 1, 1], scalars: [5, 7])
        let (repeated, labels) = SemiSupervisedELBO.everyLabel(images, classes: 3)
        XCTAssertEqual(repeated.shape, [6, 1, 1, 1])
        XCTAssertEqual(repeated.scalars, [5, 7, 5, 7, 5, 7])
        XCTAssertEqual(labels, [0, 0, 1, 1, 2, 2])
    }

    private func train(_ name: String, _ overrides: [String] = []) throws -> URL {
        let run = scratch.appendingPathComponent(name)
        let session = try TrainingJob.start(recipe: try recipe, overrides: [try Fixtures.dataOverride] + overrides,
                                            outputs: scratch, runDirectory: run)
        XCTAssertEqual(try session.run(), .finished)
        return run
    }

    func testARunRecordsItsLabelledImagesScoresItsClassifierAndSamplesClasses() throws {
        let run = try train("run")
        let accuracy = try SemiSupervisedRunChecks.finalTestAccuracy(
            of: run, header: "step,loss,neg_elbo,recon,kl,kl_weight,loss_unlabelled,loss_supervised,accuracy_labelled,test_neg_elbo,test_recon,test_kl,test_accuracy")
        let labelled = try SemiSupervisedRunChecks.labelled(of: run)
        let train = try ImageDataset.mnistFormat(directory: try Fixtures.mnistSmall, split: .train)
        XCTAssertEqual(labelled.indices, try AugmentationEvaluation.select(perClass: 2, from: train, classes: 10, seed: 0, place: "").1)
        let model = try SafeTensors.read(from: try Checkpoint.resolve(run).appendingPathComponent(Checkpoint.modelFile))
        XCTAssertEqual(model.entries.first { $0.name == "classifier.4.weight" }?.tensor.shape, [10, 16])

        // Its conditional decoder draws the asked-for classes, and its classifier scores as the training did.
        let loaded = try LoadedVAE.load(checkpoint: run)
        XCTAssertTrue(loaded.abilities.contains(.classes))
        let test = try ImageDataset.mnistFormat(directory: try Fixtures.mnistSmall, split: .test)
        XCTAssertEqual(VariationalTask.accuracy(of: loaded.vae, on: test), accuracy, accuracy: 1e-9)
        try SemiSupervisedRunChecks.assertResumeKeepsItsLabelledExamples(run, labelled: labelled)
    }

    /// The session's batch is the unlabelled one: steps with its labels changed train the same weights.
    func testTheUnlabelledImagesLabelsAreNeverRead() throws {
        let (parsed, _) = try RecipeLoader.load(try recipe, overrides: [try Fixtures.dataOverride])
        guard case .vae(let config) = parsed.model else { return XCTFail("not a VAE recipe") }
        let train = try ImageDataset.mnistFormat(directory: try Fixtures.mnistSmall, split: .train)
        let test = try ImageDataset.mnistFormat(directory: try Fixtures.mnistSmall, split: .test)
        let labelled = try ClassSubset(perClass: 2, labels: train.labels, classes: 10, seed: 0).examples(of: train)
        func weights(_ labels: [Int]) throws -> [[Float]] {
            let task = try VariationalTask(config: config, settings: parsed.train, sampleCount: 4, test: test, labelled: labelled)
            for step in 0..<3 {
                _ = task.step(batch: train.batch(Array((step * 8)..<((step + 1) * 8)), range: 0...1), labels: labels, step: step)
            }
            return task.vae.namedParameters.map(\.parameter.value.scalars)
        }
        let before = try weights(Array(repeating: 0, count: 8))
        XCTAssertEqual(before, try weights((0..<8).map { ($0 * 7) % 10 }))
        let (fresh, _) = try RecipeLoader.load(try recipe, overrides: [try Fixtures.dataOverride])
        guard case .vae(let initial) = fresh.model else { return XCTFail("not a VAE recipe") }
        var generator = RandomStream.initialization.generator(seed: parsed.train.seed)
        let untrained = try VAE(config: initial, using: &generator).namedParameters.map(\.parameter.value.scalars)
        XCTAssertNotEqual(before, untrained, "the steps trained nothing")
    }

    /// `[augment]` changes the labelled images the classifier learns from and nothing else: after one
    /// step the encoder and decoder are as without it, the classifier is not.
    func testClassicalAugmentationReachesOnlyTheClassifier() throws {
        let text = try String(contentsOf: try recipe, encoding: .utf8)
        let augmented = scratch.appendingPathComponent("augmented.toml")
        try (text + "\n[augment]\ntransforms = [\"rotate\", \"elastic\"]\n").write(to: augmented, atomically: true, encoding: .utf8)
        let train = try ImageDataset.mnistFormat(directory: try Fixtures.mnistSmall, split: .train)
        func weights(_ recipe: URL) throws -> [String: [Float]] {
            let (parsed, _) = try RecipeLoader.load(recipe, overrides: [try Fixtures.dataOverride])
            let task = try XCTUnwrap(try TrainingJob.makeTask(parsed, data: train, recipePath: recipe.path) as? VariationalTask)
            _ = task.step(batch: train.batch(Array(0..<8), range: 0...1), labels: [], step: 0)
            return Dictionary(uniqueKeysWithValues: task.vae.namedParameters.map { ($0.name, $0.parameter.value.scalars) })
        }
        let plain = try weights(try recipe), changed = try weights(augmented)
        XCTAssertEqual(Set(plain.keys), Set(changed.keys))
        for (name, values) in plain where !name.hasPrefix("classifier.") {
            XCTAssertEqual(values, changed[name], "\(name) changed with the classifier's augmentation")
        }
        // Adam's first step moves each weight by ±lr whatever the gradient's size, so some may agree.
        let classifier = plain.keys.filter { $0.hasPrefix("classifier.") }
        XCTAssertTrue(classifier.contains { plain[$0] != changed[$0] }, "the classifier saw the same images")
        XCTAssertEqual(try weights(augmented), changed, "the augmentation is drawn from (seed, step)")
        let plainVAE = scratch.appendingPathComponent("plain-vae.toml")
        try (text.replacingOccurrences(of: "classifier = [", with: "unused = [").components(separatedBy: "unused = [")[0]
             + "\n[data]\npath = \"x\"\n\n[train]\nbatch = 8\nsteps = 1\n\n[augment]\ntransforms = [\"rotate\"]\n")
            .write(to: plainVAE, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RecipeLoader.load(plainVAE)) { error in
            XCTAssertTrue("\(error)".contains("[augment] is classical augmentation of a classifier's training images"), "\(error)")
        }
    }

    func testRecipesThatMixTheSettingsUpAreRefused() throws {
        XCTAssertThrowsError(try RecipeLoader.load(try recipe, overrides: ["model.classes=0", "model.embedding_size=0"])) { error in
            XCTAssertTrue("\(error)".contains("model.classifier infers the labels of a conditional VAE"), "\(error)")
        }
        XCTAssertThrowsError(try RecipeLoader.load(try recipe, overrides: ["model.classification_weight=-1"])) { error in
            XCTAssertTrue("\(error)".contains("model.classification_weight must be zero or positive"), "\(error)")
        }
        let text = try String(contentsOf: try recipe, encoding: .utf8)
        let wrongLogits = scratch.appendingPathComponent("wrong.toml")
        try text.replacingOccurrences(of: "{ type = \"linear\", in = 16, out = 10 },\n]", with: "{ type = \"linear\", in = 16, out = 9 },\n]")
            .write(to: wrongLogits, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RecipeLoader.load(wrongLogits)) { error in
            XCTAssertTrue("\(error)".contains("one logit per class, [1, 10]"), "\(error)")
        }
        let unlabelled = scratch.appendingPathComponent("unlabelled.toml")
        try text.replacingOccurrences(of: "labelled_per_class = 2", with: "").write(to: unlabelled, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RecipeLoader.load(unlabelled)) { error in
            XCTAssertTrue("\(error)".contains("set it (such as 10)"), "\(error)")
        }
        XCTAssertThrowsError(try RecipeLoader.load(try recipe, overrides: ["data.per_class=3"])) { error in
            XCTAssertTrue("\(error)".contains("exclude each other"), "\(error)")
        }
    }

    func testTheFewLabelsProtocolTrainsTheVAEOnEveryImageWithKLabels() throws {
        var settings = FewShotEvaluation.Settings(generatorRecipe: try recipe, realPerClass: 2, perClass: 1,
                                                  classifierRecipe: try Fixtures.directory.appendingPathComponent("tiny-classifier.toml"))
        settings.seeds = [3]
        settings.generatorSteps = 2
        settings.classifierSteps = 2
        settings.data = try Fixtures.mnistSmall
        XCTAssertThrowsError(try FewShotEvaluation(settings: settings, directory: scratch)) { error in
            XCTAssertTrue("\(error)".contains("semi-supervised VAE"), "\(error)")
        }
        settings.unlabelled = true
        let directory = scratch.appendingPathComponent("protocol")
        var stages: [String] = []
        let report = try XCTUnwrap(try FewShotEvaluation(settings: settings, directory: directory).run(observe: { event in
            if case let .stage(_, total, name, _) = event { stages.append("\(name)/\(total)") }
        }))
        XCTAssertEqual(stages, ["generator/3", "synthetic/3", "classifiers/3"], "no pseudo-labels: the VAE infers labels itself")
        let seed = report.seeds[0]
        XCTAssertNil(seed.pseudoLabels)
        XCTAssertNil(seed.discriminatorTestAccuracy)
        XCTAssertTrue((0...1).contains(try XCTUnwrap(seed.classifierTestAccuracy)))
        let generator = directory.appendingPathComponent("seed-3/generator")
        let labelled = try JSONDecoder().decode(ClassSubset.self, from: try contents(of: generator.appendingPathComponent(TrainingJob.labelledFileName)))
        let train = try ImageDataset.mnistFormat(directory: try Fixtures.mnistSmall, split: .train)
        XCTAssertEqual(labelled.indices, try AugmentationEvaluation.select(perClass: 2, from: train, classes: 10, seed: 3, place: "").1,
                       "the VAE's labelled images are the classifiers' real ones")
        let written = try String(contentsOf: directory.appendingPathComponent(FewShotReport.fileName), encoding: .utf8)
        XCTAssertTrue(written.contains("\"classifier_test_accuracy\""), written)
    }
}
