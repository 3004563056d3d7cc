import XCTest
import StudioCore
import StudioNN

/// Layers against PyTorch 1.13's outputs and gradients (Fixtures/layers.json, made by make_fixtures.py).
final class LayerGoldenTests: XCTestCase {
    func testFixtureNamesItsTorchVersion() throws {
        XCTAssertTrue(try LayersFixture.load().torchVersion.hasPrefix("1.13"))
    }

    func testLinear() throws {
        let c = try LayersFixture.load().linear
        let layer = Linear(weight: try XCTUnwrap(c.weight).tensor, bias: c.bias?.tensor)
        assertMatchesFixture("linear", layer, c, weight: layer.weight, bias: layer.bias)
    }

    /// Three training steps (outputs, gradients, running statistics, counter), then evaluation.
    private func assertBatchNorm(_ name: String, _ layer: any Layer, _ fixture: BatchNormFixture,
                                 weight: Parameter, bias: Parameter, runningMean: Buffer, runningVariance: Buffer,
                                 batchesTracked: Buffer, file: StaticString = #filePath, line: UInt = #line) {
        weight.assign(fixture.weight.tensor)
        bias.assign(fixture.bias.tensor)
        for (step, c) in fixture.steps.enumerated() {
            assertMatchesFixture("\(name) step \(step)", layer, c, training: true, weight: weight, bias: bias,
                                 absolute: 1e-4, file: file, line: line)
            assertClose(runningMean.value, c.runningMean, "\(name) step \(step) running_mean", file: file, line: line)
            assertClose(runningVariance.value, c.runningVar, "\(name) step \(step) running_var", file: file, line: line)
            XCTAssertEqual(batchesTracked.value.item, Float(c.numBatchesTracked ?? -1), "\(name) step \(step) num_batches_tracked",
                           file: file, line: line)
        }
        let before = runningMean.value
        assertMatchesFixture("\(name) evaluation", layer, fixture.eval, weight: weight, bias: bias, absolute: 1e-4,
                             file: file, line: line)
        XCTAssertEqual(runningMean.value.scalars, before.scalars, "\(name): evaluation moved the running mean",
                       file: file, line: line)
        XCTAssertEqual(batchesTracked.storageType, .int64, file: file, line: line)
    }

    func testBatchNorm1d() throws {
        let fixture = try LayersFixture.load()
        for (name, cases) in [("batch norm 1d", fixture.batchNorm1d), ("batch norm 1d NCL", fixture.batchNorm1dNcl)] {
            let layer = BatchNorm1d(featureCount: cases.weight.shape[0])
            assertBatchNorm(name, layer, cases, weight: layer.weight, bias: layer.bias, runningMean: layer.runningMean,
                            runningVariance: layer.runningVariance, batchesTracked: layer.batchesTracked)
        }
    }

    func testBatchNorm2d() throws {
        let cases = try LayersFixture.load().batchNorm2d
        let layer = BatchNorm2d(featureCount: cases.weight.shape[0])
        assertBatchNorm("batch norm 2d", layer, cases, weight: layer.weight, bias: layer.bias,
                        runningMean: layer.runningMean, runningVariance: layer.runningVariance,
                        batchesTracked: layer.batchesTracked)
    }

    func testGroupNorm() throws {
        let c = try LayersFixture.load().groupNorm
        let layer = GroupNorm(groupCount: 2, channelCount: c.input.shape[1])
        layer.weight.assign(try XCTUnwrap(c.weight).tensor)
        layer.bias.assign(try XCTUnwrap(c.bias).tensor)
        assertMatchesFixture("group norm", layer, c, weight: layer.weight, bias: layer.bias, absolute: 1e-4)
    }

    func testLayerNorm() throws {
        let c = try LayersFixture.load().layerNorm
        let layer = LayerNorm(shape: [3, 4])
        let weight = try XCTUnwrap(layer.weight), bias = try XCTUnwrap(layer.bias)
        weight.assign(try XCTUnwrap(c.weight).tensor)
        bias.assign(try XCTUnwrap(c.bias).tensor)
        assertMatchesFixture("layer norm", layer, c, weight: weight, bias: bias, absolute: 1e-4)
    }
}
