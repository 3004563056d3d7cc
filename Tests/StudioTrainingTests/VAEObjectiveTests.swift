import Foundation
import XCTest
import StudioCore
import StudioModels
@testable import StudioTraining

/// The ELBO terms against PyTorch (Fixtures/vae/make_elbo.py): values and gradients.
final class VAEObjectiveTests: XCTestCase {
    struct Fixture: Decodable {
        let logits, targets, mean, logvar: [Float]
        let bernoulli, bernoulli_example: Float
        let bernoulli_grad: [Float]
        let gaussian_fixed_variance, gaussian_fixed: Float
        let gaussian_learned_logvar, gaussian_learned: Float
        let gaussian_learned_grad_output, gaussian_learned_grad_logvar: [Float]
        let kl: Float
        let beta: Double
        let warmup_steps, step: Int
        let kl_weight: Double
        let warmup_loss: Float
        let warmup_grad_logits, warmup_grad_mean, warmup_grad_logvar: [Float]
    }

    private func fixture() throws -> Fixture {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/vae/elbo.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    private func assertClose(_ actual: [Float], _ expected: [Float], _ what: String, tolerance: Float = 1e-4,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, file: file, line: line)
        for (a, e) in zip(actual, expected) {
            XCTAssertEqual(a, e, accuracy: tolerance * Swift.max(1, abs(e)), "\(what): \(actual) vs \(expected)", file: file, line: line)
        }
    }

    func testBernoulliReconstructionMatchesPyTorchAndTheExamplesForm() throws {
        let f = try fixture()
        let logits = Tensor(shape: [2, 1, 3, 3], scalars: f.logits).requiringGradient()
        let recon = ELBO.reconstruction(output: logits, target: Tensor(shape: [2, 1, 3, 3], scalars: f.targets), likelihood: .bernoulli)
        XCTAssertEqual(recon.item, f.bernoulli, accuracy: 1e-4)
        XCTAssertEqual(recon.item, f.bernoulli_example, accuracy: 1e-4)
        recon.backward()
        assertClose(logits.grad!.scalars, f.bernoulli_grad, "d recon / d logits")
    }

    func testGaussianReconstructionWithFixedAndLearnedVariance() throws {
        let f = try fixture()
        let targets = Tensor(shape: [2, 1, 3, 3], scalars: f.targets)
        let fixed = ELBO.reconstruction(output: Tensor(shape: [2, 1, 3, 3], scalars: f.logits), target: targets, likelihood: .gaussian,
                                        logVariance: Tensor(shape: [1], scalars: [Float(log(Double(f.gaussian_fixed_variance)))]))
        XCTAssertEqual(fixed.item, f.gaussian_fixed, accuracy: 1e-4 * abs(f.gaussian_fixed))

        let output = Tensor(shape: [2, 1, 3, 3], scalars: f.logits).requiringGradient()
        let logVariance = Tensor(shape: [1], scalars: [f.gaussian_learned_logvar]).requiringGradient()
        let learned = ELBO.reconstruction(output: output, target: targets, likelihood: .gaussian, logVariance: logVariance)
        XCTAssertEqual(learned.item, f.gaussian_learned, accuracy: 1e-4 * abs(f.gaussian_learned))
        learned.backward()
        assertClose(output.grad!.scalars, f.gaussian_learned_grad_output, "d recon / d mean")
        assertClose(logVariance.grad!.scalars, f.gaussian_learned_grad_logvar, "d recon / d log-variance")
    }

    func testKLAndTheWarmedUpBetaObjective() throws {
        let f = try fixture()
        let mean = Tensor(shape: [2, 4], scalars: f.mean).requiringGradient()
        let logVariance = Tensor(shape: [2, 4], scalars: f.logvar).requiringGradient()
        let logits = Tensor(shape: [2, 1, 3, 3], scalars: f.logits).requiringGradient()
        let kl = ELBO.kl(mean: mean, logVariance: logVariance)
        XCTAssertEqual(kl.item, f.kl, accuracy: 1e-4 * f.kl)

        let config = VAEConfig(latentSize: 4, imageShape: [1, 3, 3], beta: f.beta, klWarmupSteps: f.warmup_steps,
                               encoder: SequentialSpec([]), decoder: SequentialSpec([]))
        XCTAssertEqual(config.klWeight(step: f.step), f.kl_weight, accuracy: 1e-12)
        XCTAssertEqual(config.klWeight(step: 0), 0)
        XCTAssertEqual(config.klWeight(step: 25), f.beta)
        let loss = ELBO.reconstruction(output: logits, target: Tensor(shape: [2, 1, 3, 3], scalars: f.targets), likelihood: .bernoulli)
            + kl * Float(config.klWeight(step: f.step))
        XCTAssertEqual(loss.item, f.warmup_loss, accuracy: 1e-4 * f.warmup_loss)
        loss.backward()
        assertClose(logits.grad!.scalars, f.warmup_grad_logits, "d loss / d logits")
        assertClose(mean.grad!.scalars, f.warmup_grad_mean, "d loss / d mean")
        assertClose(logVariance.grad!.scalars, f.warmup_grad_logvar, "d loss / d log-variance")
    }

    func testReparameterisationIsMeanPlusScaledSeededNoise() {
        let mean = Tensor(shape: [2, 3], scalars: [0, 1, 2, 3, 4, 5])
        let logVariance = Tensor(shape: [2, 3], scalars: [0, 0.5, -1, 2, 0, -0.3])
        var a = RandomGenerator(seed: 3, stream: 6, step: 9), b = a
        let z = ELBO.reparameterize(mean: mean, logVariance: logVariance, using: &a)
        let noise = Tensor.randomNormal([2, 3], using: &b)
        for i in 0..<6 {
            XCTAssertEqual(z.scalars[i], mean.scalars[i] + exp(logVariance.scalars[i] / 2) * noise.scalars[i], accuracy: 1e-5)
        }
    }

    func testProbitGivesNormalQuantiles() {
        XCTAssertEqual(LoadedVAE.probit(0.5), 0, accuracy: 1e-9)
        XCTAssertEqual(LoadedVAE.probit(0.95), 1.6448536269514722, accuracy: 1e-7)
        XCTAssertEqual(LoadedVAE.probit(0.05), -1.6448536269514722, accuracy: 1e-7)
        XCTAssertEqual(LoadedVAE.probit(0.01), -2.3263478740408408, accuracy: 1e-7)
    }
}
