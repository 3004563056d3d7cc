import XCTest
import StudioCore
import StudioNN

/// The DCGAN generator and discriminator built from StudioNN layers share PyTorch's `state_dict`
/// (Fixtures/dcgan_state.json, from the same stacks built with torch.nn by make_fixtures.py).
final class DCGANTwinTests: XCTestCase {
    struct Fixture: Decodable {
        let torchVersion: String
        let generator: [[Entry]]
        let discriminator: [[Entry]]
        let generatorOutputShape: [Int]
        let discriminatorOutputShape: [Int]

        /// One half of a `[key, shape]` pair.
        enum Entry: Decodable {
            case key(String)
            case shape([Int])

            init(from decoder: Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let key = try? container.decode(String.self) { self = .key(key) } else { self = .shape(try container.decode([Int].self)) }
            }
        }

        static func pairs(_ entries: [[Entry]]) -> [String] {
            entries.map { pair in
                pair.map { entry -> String in
                    switch entry {
                    case .key(let key): return key
                    case .shape(let shape): return "\(Shape(shape))"
                    }
                }.joined(separator: " ")
            }
        }
    }

    private func generator(using g: inout RandomGenerator) -> Sequential {
        Sequential {
            Linear(inputSize: 100, outputSize: 7 * 7 * 256, bias: false, using: &g)
            BatchNorm1d(featureCount: 7 * 7 * 256)
            LeakyReLU(slope: 0.2)
            Unflatten(axis: 1, shape: [256, 7, 7])
            ConvTranspose2d(inputChannels: 256, outputChannels: 128, kernelSize: 5, stride: 1, padding: 2, bias: false, using: &g)
            BatchNorm2d(featureCount: 128)
            LeakyReLU(slope: 0.2)
            ConvTranspose2d(inputChannels: 128, outputChannels: 64, kernelSize: 5, stride: 2, padding: 2, outputPadding: 1,
                            bias: false, using: &g)
            BatchNorm2d(featureCount: 64)
            LeakyReLU(slope: 0.2)
            ConvTranspose2d(inputChannels: 64, outputChannels: 1, kernelSize: 5, stride: 2, padding: 2, outputPadding: 1,
                            bias: false, using: &g)
            Tanh()
        }
    }

    private func discriminator(using g: inout RandomGenerator) -> Sequential {
        Sequential {
            Conv2d(inputChannels: 1, outputChannels: 64, kernelSize: 5, stride: 2, padding: 2, using: &g)
            LeakyReLU(slope: 0.2)
            Dropout(probability: 0.3)
            Conv2d(inputChannels: 64, outputChannels: 128, kernelSize: 5, stride: 2, padding: 2, using: &g)
            LeakyReLU(slope: 0.2)
            Dropout(probability: 0.3)
            Flatten()
            Linear(inputSize: 128 * 7 * 7, outputSize: 1, using: &g)
        }
    }

    private func entries(_ module: any Module) -> [String] {
        module.stateTensors().map { "\($0.0) \($0.1.shape)" }
    }

    func testStateDictKeysAndShapesMatchPyTorchInOrder() throws {
        let fixture = try loadFixture("dcgan_state", as: Fixture.self)
        XCTAssertTrue(fixture.torchVersion.hasPrefix("1.13"))
        var g = RandomGenerator(seed: 1)
        let (generator, discriminator) = (generator(using: &g), discriminator(using: &g))
        XCTAssertEqual(entries(generator), Fixture.pairs(fixture.generator))
        XCTAssertEqual(entries(discriminator), Fixture.pairs(fixture.discriminator))
        XCTAssertEqual(fixture.generator.count, 19)
        XCTAssertEqual(fixture.discriminator.count, 6)
    }

    func testForwardShapesMatchPyTorch() throws {
        let fixture = try loadFixture("dcgan_state", as: Fixture.self)
        var g = RandomGenerator(seed: 2)
        let (generator, discriminator) = (generator(using: &g), discriminator(using: &g))
        initializeDCGAN(generator, using: &g)
        let image = generator(Tensor.randomNormal([2, 100], using: &g))
        XCTAssertEqual(image.shape, Shape(fixture.generatorOutputShape))
        XCTAssertTrue(image.scalars.allSatisfy { $0 > -1 && $0 < 1 })
        XCTAssertEqual(discriminator(image).shape, Shape(fixture.discriminatorOutputShape))
    }

    func testDCGANInitialisationReachesTransposedConvolutions() {
        var g = RandomGenerator(seed: 3)
        let generator = generator(using: &g)
        initializeDCGAN(generator, using: &g)
        for (name, parameter) in generator.namedParameters {
            let values = parameter.value.scalars.map(Double.init)
            let mean = values.reduce(0, +) / Double(values.count)
            let deviation = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot()
            if name.hasSuffix(".bias") {
                XCTAssertEqual(values.max(), 0, name)
                XCTAssertEqual(values.min(), 0, name)
            } else if [1, 5, 8].map({ "\($0).weight" }).contains(name) {
                XCTAssertEqual(mean, 1, accuracy: 0.01, name)
                XCTAssertEqual(deviation, 0.02, accuracy: 0.005, name)
            } else {
                XCTAssertEqual(mean, 0, accuracy: 0.01, name)
                XCTAssertEqual(deviation, 0.02, accuracy: 0.005, name)
            }
        }
    }
}
