import Foundation
import XCTest
import StudioCore
import StudioIO
import StudioModels
@testable import StudioTraining

/// Every VAE sampling mode from a checkpoint alone, and the errors for options of another family.
final class VAESamplingTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws { root = try VAETrainingTests.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    private func checkpoint(latent: Int = 3, model: String = "", encoderInput: Int = 784, decoderInput: Int? = nil) throws -> LoadedVAE {
        let run = try VAETrainingTests.train(VAETrainingTests.recipe(latent: latent, model: model, encoderInput: encoderInput,
                                                                      decoderInput: decoderInput, steps: 3),
                                             in: root, name: "run-\(UUID().uuidString)")
        // Only the checkpoint file: no recipe, no run directory.
        let alone = root.appendingPathComponent("alone-\(UUID().uuidString).safetensors")
        try FileManager.default.copyItem(at: run.appendingPathComponent("checkpoints/latest/model.safetensors"), to: alone)
        XCTAssertEqual(try GeneratorLoader.load(checkpoint: alone).config.family, "vae")
        return try LoadedVAE.load(checkpoint: alone)
    }

    /// The largest absolute difference between two tensors of one shape (messages stay short for images).
    private func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
        XCTAssertEqual(a.shape, b.shape)
        return zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
    }

    private func assertPixels(_ images: Tensor, _ shape: Shape, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(images.shape, shape, file: file, line: line)
        XCTAssertTrue(images.scalars.allSatisfy { $0 >= 0 && $0 <= 1 }, "pixels outside 0...1", file: file, line: line)
    }

    func testPriorSamplesFollowSeedOrLatents() throws {
        let model = try checkpoint()
        XCTAssertEqual(model.step, 3)
        let z = model.initialNoise(seed: 4, first: 0, count: 5)
        let images = model.decode(latents: z, labels: [])
        assertPixels(images, [5, 1, 28, 28])
        XCTAssertEqual(maxDifference(model.decode(latents: model.initialNoise(seed: 4, first: 0, count: 5), labels: []), images), 0)
        XCTAssertGreaterThan(maxDifference(model.decode(latents: model.initialNoise(seed: 5, first: 0, count: 5), labels: []), images), 0)
        let given = root.appendingPathComponent("given.safetensors"), wrong = root.appendingPathComponent("wrong.safetensors")
        try SafeTensors(entries: [.init(name: "latents", tensor: Tensor(zeros: [2, 3]))]).write(to: given)
        try SafeTensors(entries: [.init(name: "latents", tensor: Tensor(zeros: [2, 16]))]).write(to: wrong)
        XCTAssertEqual(try LatentsFile.read(given, noiseShape: model.noiseShape).shape, [2, 3])
        XCTAssertThrowsError(try LatentsFile.read(wrong, noiseShape: model.noiseShape)) {
            XCTAssertTrue("\($0)".contains("[N, 3]"))
        }
    }

    func testReconstructsIDXFilesPNGFoldersAndMNISTDirectories() throws {
        let model = try checkpoint()
        let fixture = URL(fileURLWithPath: VAETrainingTests.fixtureData)
        let (idx, idxLabels) = try ImageFiles.read(fixture.appendingPathComponent("t10k-images-idx3-ubyte.gz"), channels: 1)
        XCTAssertEqual(idx.shape, [64, 1, 28, 28])
        XCTAssertTrue(idxLabels.isEmpty)
        let (mnist, labels) = try ImageFiles.read(fixture, channels: 1)
        XCTAssertLessThan(maxDifference(mnist, idx), 1e-6)
        XCTAssertEqual(labels.count, 64)

        let folder = root.appendingPathComponent("pngs")
        try SampleWriter.write(idx.sliced(alongAxis: 0, 0..<3) * 2 - 1, to: folder)
        let (png, _) = try ImageFiles.read(folder, channels: 1)
        XCTAssertEqual(png.shape, [3, 1, 28, 28])
        XCTAssertLessThan(maxDifference(png, idx.sliced(alongAxis: 0, 0..<3)), 0.5 / 255)

        let reconstructions = try model.reconstruct(images: png, labels: [])
        assertPixels(reconstructions, [3, 1, 28, 28])
        let means = try model.encode(images: png, labels: [])
        XCTAssertEqual(maxDifference(reconstructions, model.decode(latents: means, labels: [])), 0, "reconstruction decodes the posterior mean")
        XCTAssertThrowsError(try model.reconstruct(images: Tensor(zeros: [2, 1, 14, 14]), labels: [])) {
            XCTAssertTrue("\($0)".contains("[N, 1, 28, 28]"))
        }
    }

    func testInterpolationRunsFromTheFirstToTheSecondEncoding() throws {
        let model = try checkpoint()
        let (images, _) = try ImageFiles.read(URL(fileURLWithPath: VAETrainingTests.fixtureData), channels: 1)
        let pair = images.sliced(alongAxis: 0, 0..<4)
        let walk = try model.interpolate(images: pair, labels: [], steps: 5)
        assertPixels(walk, [10, 1, 28, 28])
        let reconstructions = try model.reconstruct(images: pair, labels: [])
        for (row, (start, end)) in [(0, (0, 1)), (1, (2, 3))] {
            let first = walk.sliced(alongAxis: 0, (row * 5)..<(row * 5 + 1))
            let last = walk.sliced(alongAxis: 0, (row * 5 + 4)..<(row * 5 + 5))
            XCTAssertLessThan(maxDifference(first, reconstructions.sliced(alongAxis: 0, start..<(start + 1))), 1e-5)
            XCTAssertLessThan(maxDifference(last, reconstructions.sliced(alongAxis: 0, end..<(end + 1))), 1e-5)
        }
        let latentWalk = try model.walk(model.initialNoise(seed: 1, first: 0, count: 4), steps: 3)
        XCTAssertEqual(latentWalk.shape, [6, 3])
        let middle = latentWalk.sliced(alongAxis: 0, 1..<2).scalars
        let ends = (latentWalk.sliced(alongAxis: 0, 0..<1).scalars, latentWalk.sliced(alongAxis: 0, 2..<3).scalars)
        for i in 0..<3 { XCTAssertEqual(middle[i], (ends.0[i] + ends.1[i]) / 2, accuracy: 1e-5, "a straight line, not slerp") }
        XCTAssertThrowsError(try model.interpolate(images: pair, labels: [], steps: 1))
    }

    func testManifoldCoversTheLatentPlaneAndNeedsTwoDimensions() throws {
        let model = try checkpoint(latent: 2)
        let grid = try model.manifold(size: 4, classLabel: nil)
        assertPixels(grid, [16, 1, 28, 28])
        // Top-left is (low z1, high z2), bottom-right (high z1, low z2).
        let q = Float(LoadedVAE.probit(0.05))
        let corners = model.decode(latents: Tensor(shape: [2, 2], scalars: [q, -q, -q, q]), labels: [])
        XCTAssertEqual(maxDifference(grid.sliced(alongAxis: 0, 0..<1), corners.sliced(alongAxis: 0, 0..<1)), 0)
        XCTAssertEqual(maxDifference(grid.sliced(alongAxis: 0, 15..<16), corners.sliced(alongAxis: 0, 1..<2)), 0)

        let wide = try checkpoint(latent: 3)
        XCTAssertThrowsError(try wide.manifold(size: 4, classLabel: nil)) {
            XCTAssertTrue("\($0)".contains("--manifold needs a 2-dimensional latent; this VAE's latent has 3 dimensions"))
        }
    }

    func testConditionalVAEDrawsTheRequestedClass() throws {
        // Conditional: the encoder reads one extra label channel, the decoder z plus a 4-long embedding.
        let model = try checkpoint(model: "classes = 10\nembedding_size = 4", encoderInput: 2 * 784, decoderInput: 7)
        XCTAssertEqual(try ClassChoice.labels(count: 3, classLabel: 7, model: model), [7, 7, 7])
        XCTAssertEqual(try ClassChoice.labels(count: 12, classLabel: nil, model: model), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1])
        XCTAssertThrowsError(try ClassChoice.labels(count: 1, classLabel: 10, model: model)) { XCTAssertTrue("\($0)".contains("0...9")) }
        let z = model.initialNoise(seed: 1, first: 0, count: 2)
        let three = model.decode(latents: z, labels: [3, 3]), five = model.decode(latents: z, labels: [5, 5])
        assertPixels(three, [2, 1, 28, 28])
        XCTAssertGreaterThan(maxDifference(three, five), 0, "the label must reach the decoder")
        let names = Set(model.vae.namedParameters.map(\.name))
        XCTAssertTrue(names.isSuperset(of: ["encoder_embedding.weight", "decoder_embedding.weight"]))
        let (images, labels) = try ImageFiles.read(URL(fileURLWithPath: VAETrainingTests.fixtureData), channels: 1)
        XCTAssertEqual(try model.reconstruct(images: images.sliced(alongAxis: 0, 0..<2), labels: Array(labels.prefix(2))).shape, [2, 1, 28, 28])
        XCTAssertThrowsError(try model.reconstruct(images: images.sliced(alongAxis: 0, 0..<2), labels: [])) {
            XCTAssertTrue("\($0)".contains("conditional"))
        }
        let unconditional = try checkpoint()
        XCTAssertThrowsError(try ClassChoice.labels(count: 1, classLabel: 3, model: unconditional)) { XCTAssertTrue("\($0)".contains("VAE is unconditional")) }
    }

    func testLearnedGaussianVarianceIsSavedAndRestored() throws {
        let model = try checkpoint(model: "likelihood = \"gaussian\"\nlearn_variance = true\nvariance = 0.1")
        let value = try XCTUnwrap(model.vae.logVariance).value.item
        XCTAssertNotEqual(value, Float(log(0.1)), "three Adam steps must have moved the learned log-variance")
        assertPixels(model.decode(latents: Tensor(zeros: [1, 3]), labels: []), [1, 1, 28, 28])
    }

    func testOptionsOfOneFamilyOnACheckpointOfAnotherAreClearErrors() throws {
        let vaeFile = try checkpoint().source
        XCTAssertThrowsError(try LoadedGAN.load(checkpoint: vaeFile)) { XCTAssertTrue("\($0)".contains("holds a vae model, not a GAN")) }

        var generator = RandomGenerator(seed: 0)
        let ganConfig = GANConfig(latentSize: 2, imageShape: [1, 2, 2], initialization: .pytorch,
                                  generator: SequentialSpec([LayerSpec(.linear, ["in": .int(2), "out": .int(4)]),
                                                             LayerSpec(.unflatten, ["axis": .int(1), "shape": .ints([1, 2, 2])])]),
                                  discriminator: SequentialSpec([LayerSpec(.flatten, [:]),
                                                                 LayerSpec(.linear, ["in": .int(4), "out": .int(1)])]))
        let gan = try GAN(config: ganConfig, using: &generator)
        let ganFile = root.appendingPathComponent("gan.safetensors")
        try ModelCheckpoint.encode(gan, config: .gan(ganConfig), step: 1).write(to: ganFile)
        XCTAssertEqual(try GeneratorLoader.load(checkpoint: ganFile).config.family, "gan")
        XCTAssertThrowsError(try LoadedVAE.load(checkpoint: ganFile)) {
            XCTAssertTrue("\($0)".contains("holds a gan model, not a VAE; --reconstruct, --manifold and --classes need a VAE checkpoint"), "\($0)")
        }
    }
}
