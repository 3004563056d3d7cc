import Foundation
import StudioCore
import XCTest
@testable import StudioTraining

/// DiffAugment against the authors' transforms in PyTorch (Fixtures/diffaugment.json, made by
/// make_diffaugment.py), its gradient against finite differences, and its draws.
final class DiffAugmentTests: XCTestCase {
    struct Fixture: Decodable {
        let x: FixtureTensor, weights: FixtureTensor, out: FixtureTensor, grad: FixtureTensor
        let brightness: [Double], saturation: [Double], contrast: [Double]
        let shiftRows: [Int], shiftColumns: [Int], cutoutRows: [Int], cutoutColumns: [Int]

        var draws: DiffAugment.Draws {
            var draws = DiffAugment.Draws()
            draws.brightness = brightness.map(Float.init)
            draws.saturation = saturation.map(Float.init)
            draws.contrast = contrast.map(Float.init)
            draws.shiftRows = shiftRows
            draws.shiftColumns = shiftColumns
            draws.cutoutRows = cutoutRows
            draws.cutoutColumns = cutoutColumns
            return draws
        }
    }

    private func fixture() throws -> Fixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "diffaugment", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    func testTransformsAndTheirGradientMatchPyTorch() throws {
        let f = try fixture()
        let augment = DiffAugment([.cutout, .color, .translation])
        XCTAssertEqual(augment.transforms, [.color, .translation, .cutout], "applied in the authors' order")
        let x = f.x.tensor.requiringGradient()
        let out = augment.apply(x, draws: f.draws)
        XCTAssertEqual(out.shape, f.out.tensor.shape)
        for (a, b) in zip(out.scalars, f.out.tensor.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5 + 1e-5 * Swift.abs(b)) }
        let grad = try XCTUnwrap(gradients(of: out, withRespectTo: [x], seed: f.weights.tensor)[0])
        for (a, b) in zip(grad.scalars, f.grad.tensor.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5 + 1e-5 * Swift.abs(b)) }
    }

    func testGradientMatchesFiniteDifferences() throws {
        let f = try fixture()
        let augment = DiffAugment(DiffAugmentTransform.allCases)
        let report = checkGradients(of: { augment.apply($0[0], draws: f.draws) }, at: [f.x.tensor], epsilon: 1e-2)
        XCTAssertLessThan(report.maxError, 1e-2, "\(report)")
    }

    func testDrawsFollowTheSeedAndStayInTheirRanges() {
        let augment = DiffAugment(DiffAugmentTransform.allCases)
        var a = RandomGenerator(seed: 3, stream: 9), b = RandomGenerator(seed: 3, stream: 9)
        let shape: Shape = [64, 1, 28, 28]
        let first = augment.draws(for: shape, using: &a)
        XCTAssertEqual(first, augment.draws(for: shape, using: &b))
        XCTAssertTrue(first.brightness.allSatisfy { (-0.5..<0.5).contains($0) })
        XCTAssertTrue(first.saturation.allSatisfy { (0..<2).contains($0) })
        XCTAssertTrue(first.contrast.allSatisfy { (0.5..<1.5).contains($0) })
        XCTAssertEqual(Set(first.shiftRows + first.shiftColumns), Set(-4...4), "28 * 0.125 rounds to 4")
        XCTAssertTrue((first.cutoutRows + first.cutoutColumns).allSatisfy { (0...28).contains($0) })
        XCTAssertNotEqual(first, augment.draws(for: shape, using: &a))
    }

    func testTranslationByWholePixelsMovesThemAndShiftsInZeros() {
        let x = Tensor(shape: [1, 1, 3, 3], scalars: (1...9).map(Float.init))
        let moved = DiffAugment.translate(x, rows: [1], columns: [-1])
        // out[i][j] = x[i + 1][j - 1]: the image moves up one row and right one column.
        XCTAssertEqual(moved.scalars, [0, 4, 5, 0, 7, 8, 0, 0, 0])
    }
}
