import Foundation
import StudioCore
import StudioModels
import StudioNN
import XCTest

/// WGAN-GP's and R1's penalties and their gradients in the critic's weights (gradients of gradients) against
/// PyTorch 1.13 (Fixtures/gradient_penalty.json, made by make_gradient_penalty.py), through a GAN's
/// discriminator with and without the class projection.
final class GradientPenaltyGoldenTests: XCTestCase {
    struct Case: Decodable {
        let name: String
        let labels: [Int]?
        let real: FixtureTensor, fake: FixtureTensor, mixing: FixtureTensor
        let parameters: [String: FixtureTensor]
        let penalty: Double
        let grads: [String: FixtureTensor]
        let r1: Double
        let r1_grads: [String: FixtureTensor]
    }

    struct Fixture: Decodable {
        let torchVersion: String
        let cases: [Case]
    }

    /// A GAN on `[2, 8]` signals whose discriminator is the fixture's critic.
    private func makeGAN(classes: Int) throws -> GAN {
        let latent = 3, embedding = classes > 0 ? 2 : 0
        let config = GANConfig(
            latentSize: latent, imageShape: [2, 8], initialization: .pytorch, classCount: classes, embeddingSize: embedding,
            generator: SequentialSpec([LayerSpec(.linear, ["in": .int(latent + embedding), "out": .int(16)]),
                                       LayerSpec(.unflatten, ["axis": .int(1), "shape": .ints([2, 8])])]),
            discriminator: SequentialSpec([
                LayerSpec(.conv1d, ["in": .int(2), "out": .int(3), "kernel": .int(5), "stride": .int(2), "padding": .int(2)]),
                LayerSpec(.leakyrelu, ["slope": .number(0.2)]), LayerSpec(.flatten), LayerSpec(.linear, ["in": .int(12), "out": .int(1)]),
            ]))
        var generator = RandomGenerator(seed: 1)
        return try GAN(config: config, using: &generator)
    }

    func testPenaltyAndItsWeightGradientMatchPyTorch() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "gradient_penalty", withExtension: "json", subdirectory: "Fixtures"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        XCTAssertEqual(fixture.cases.count, 2)
        for c in fixture.cases {
            let gan = try makeGAN(classes: c.labels == nil ? 0 : 3)
            let names = ["0.weight": "discriminator.0.weight", "0.bias": "discriminator.0.bias",
                         "3.weight": "discriminator.3.weight", "3.bias": "discriminator.3.bias",
                         "projection.weight": "discriminator_projection.weight"]
            let byName = Dictionary(uniqueKeysWithValues: gan.namedParameters.map { ($0.name, $0.parameter) })
            for (key, value) in c.parameters {
                try XCTUnwrap(byName[try XCTUnwrap(names[key])], "\(c.name): no parameter for \(key)").assign(value.tensor)
            }
            let labels = c.labels ?? []
            let context = ForwardContext(training: true)
            let penalty = gradientPenalty(real: c.real.tensor, fake: c.fake.tensor, mixing: c.mixing.tensor) {
                gan.discriminate($0, labels: labels, context: context)
            }
            XCTAssertEqual(Double(penalty.item), c.penalty, accuracy: 1e-5 + 1e-4 * Swift.abs(c.penalty), c.name)
            let weights = c.parameters.keys.sorted().map { byName[names[$0]!]!.value }
            let grads = gradients(of: penalty, withRespectTo: weights)
            for (key, grad) in zip(c.parameters.keys.sorted(), grads) {
                let expected = try XCTUnwrap(c.grads[key]).tensor
                let actual = grad ?? Tensor(zeros: expected.shape)
                XCTAssertEqual(actual.shape, expected.shape, "\(c.name) \(key)")
                for (a, b) in zip(actual.scalars, expected.scalars) {
                    XCTAssertEqual(a, b, accuracy: 1e-5 + 1e-3 * Swift.abs(b), "\(c.name): d penalty / d \(key)")
                }
            }
        }
    }

    func testR1PenaltyAndItsWeightGradientMatchPyTorch() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "gradient_penalty", withExtension: "json", subdirectory: "Fixtures"))
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        let names = ["0.weight": "discriminator.0.weight", "0.bias": "discriminator.0.bias",
                     "3.weight": "discriminator.3.weight", "3.bias": "discriminator.3.bias",
                     "projection.weight": "discriminator_projection.weight"]
        for c in fixture.cases {
            let gan = try makeGAN(classes: c.labels == nil ? 0 : 3)
            let byName = Dictionary(uniqueKeysWithValues: gan.namedParameters.map { ($0.name, $0.parameter) })
            for (key, value) in c.parameters { try XCTUnwrap(byName[try XCTUnwrap(names[key])]).assign(value.tensor) }
            let context = ForwardContext(training: true)
            let penalty = r1Penalty(real: c.real.tensor) { gan.discriminate($0, labels: c.labels ?? [], context: context) }
            XCTAssertEqual(Double(penalty.item), c.r1, accuracy: 1e-5 + 1e-4 * Swift.abs(c.r1), c.name)
            let keys = c.parameters.keys.sorted()
            let grads = gradients(of: penalty, withRespectTo: keys.map { byName[names[$0]!]!.value })
            for (key, grad) in zip(keys, grads) {
                let expected = try XCTUnwrap(c.r1_grads[key]).tensor
                let actual = grad ?? Tensor(zeros: expected.shape)
                XCTAssertEqual(actual.shape, expected.shape, "\(c.name) \(key)")
                for (a, b) in zip(actual.scalars, expected.scalars) {
                    XCTAssertEqual(a, b, accuracy: 1e-5 + 1e-3 * Swift.abs(b), "\(c.name): d R1 / d \(key)")
                }
            }
        }
    }
}
