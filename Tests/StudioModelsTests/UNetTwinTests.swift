import Foundation
import StudioCore
import StudioIO
import StudioModels
import StudioNN
import XCTest

/// The UNet against its PyTorch twin (benchmarks/ddpm.py, via Fixtures/diffusion/make_unet_fixture.py):
/// the same state-dict names and shapes, and the same output for the same weights. StudioTrainingTests'
/// `TinyUNet.config` is this config.
final class UNetTwinTests: XCTestCase {
    static let config = UNetConfig(baseChannels: 8, channelMultipliers: [1, 2], blocksPerLevel: 1, attentionResolutions: [4],
                                   middleAttention: true, dropout: 0, groups: 4)

    private func fixture() throws -> SafeTensors {
        try SafeTensors.read(from: try Fixtures.directory.appendingPathComponent("diffusion/unet-tiny.safetensors"))
    }

    private func makeUNet(classes: Int = 3) throws -> UNet {
        var generator = RandomGenerator(seed: 1)
        return try UNet(config: Self.config, imageShape: [1, 8, 8], classCount: classes, using: &generator)
    }

    func testStateDictNamesAndShapesMatchPyTorch() throws {
        let file = try fixture()
        let torch = file.entries.filter { $0.name.hasPrefix("unet.") }
        let ours = try makeUNet().stateEntries.map(\.name)
        XCTAssertEqual(ours, torch.map { String($0.name.dropFirst(5)) }, "state_dict() order and names")
        XCTAssertTrue(ours.contains("down.0.res.0.conv1.weight"))
        XCTAssertTrue(ours.contains("down.1.attn.0.qkv.weight"))
        XCTAssertTrue(ours.contains("up.1.upsample.weight"))
        XCTAssertTrue(ours.contains("mid.attn.proj.bias"))
        XCTAssertTrue(ours.contains("class_emb.weight"))
    }

    func testForwardPassMatchesPyTorch() throws {
        let file = try fixture()
        let unet = try makeUNet()
        var weights: [String: Tensor] = [:]
        for entry in file.entries where entry.name.hasPrefix("unet.") { weights[String(entry.name.dropFirst(5))] = entry.tensor }
        try unet.loadState(weights)
        let x = try XCTUnwrap(file["input.x"]), expected = try XCTUnwrap(file["output"])
        let timesteps = try XCTUnwrap(file["input.timesteps"]).scalars.map(Double.init)
        let labels = try XCTUnwrap(file["input.labels"]).scalars.map { Int($0) }
        let output = withoutGradients { unet(x, timesteps: timesteps, labels: labels, context: .inference) }
        XCTAssertTrue(output.isClose(to: expected, absolute: 1e-4, relative: 1e-3),
                      "max difference \(zip(output.scalars, expected.scalars).map { Swift.abs($0 - $1) }.max() ?? 0)")
    }

    /// Every pullback on the UNet's path (group norm, attention and its softmax, upsampling, concatenation,
    /// the embedding's broadcast) through central differences with respect to the input.
    func testGradientCheckThroughTheUNet() throws {
        let unet = try makeUNet()
        var generator = RandomGenerator(seed: 2)
        let x = Tensor.randomNormal([2, 1, 8, 8], using: &generator)
        let weights = Tensor.randomNormal([2, 1, 8, 8], using: &generator)
        let report = checkGradients(of: { inputs in
            (unet(inputs[0], timesteps: [3, 11], labels: [1, 3], context: .inference) * weights).sum()
        }, at: [x], epsilon: 1e-2)
        XCTAssertLessThan(report.maxError, 2e-2, "UNet input gradient: \(report)")
    }

    func testConfigValidationNamesTheKey() {
        var bad = Self.config
        bad.attentionResolutions = [5]
        XCTAssertThrowsError(try bad.validate(imageShape: [1, 8, 8])) { error in
            XCTAssertTrue("\(error)".contains("attention_resolutions"), "\(error)")
        }
        bad = Self.config
        bad.groups = 3
        XCTAssertThrowsError(try bad.validate(imageShape: [1, 8, 8])) { error in
            XCTAssertTrue("\(error)".contains("model.unet.groups"), "\(error)")
        }
        XCTAssertThrowsError(try Self.config.validate(imageShape: [1, 9, 9])) { error in
            XCTAssertTrue("\(error)".contains("divisible by 2"), "\(error)")
        }
    }
}
