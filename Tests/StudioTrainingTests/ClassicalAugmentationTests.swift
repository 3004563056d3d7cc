import Foundation
import StudioCore
import StudioIO
import XCTest
@testable import StudioTraining

/// `[augment]`: the warp is exact where it should be (identity, integer shifts, quarter turns), its
/// draws depend on the generator alone, and a classifier trained with it resumes byte for byte.
final class ClassicalAugmentationTests: XCTestCase {
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = try makeTemporaryDirectory()
    }

    override func tearDownWithError() throws {
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    /// `[N, C, H, W]` of distinct values in 0...1.
    private func images(_ dimensions: [Int], seed: UInt64 = 1) -> Tensor {
        var generator = RandomGenerator(seed: seed)
        let shape = Shape(dimensions)
        return Tensor(shape: shape, scalars: (0..<shape.elementCount).map { _ in generator.nextUniform() })
    }

    func testEveryTransformAtZeroRangeIsTheIdentity() {
        var settings = AugmentSettings.classical
        settings.translate = 0
        settings.rotate = 0
        settings.scale = [1, 1]
        settings.elasticAlpha = 0
        let batch = images([3, 2, 9, 7])
        var generator = RandomGenerator(seed: 4)
        let out = ClassicalAugmentation(settings: settings)(batch, using: &generator)
        XCTAssertEqual(out.shape, batch.shape)
        XCTAssertEqual(out.scalars, batch.scalars)
        XCTAssertEqual(ClassicalAugmentation.apply([.init(), .init(), .init()], to: batch).scalars, batch.scalars)
    }

    func testAnIntegerShiftMovesPixelsExactlyAndFillsWithZero() {
        let batch = images([1, 2, 6, 5])
        let out = ClassicalAugmentation.apply([.init(shiftX: 2, shiftY: -1)], to: batch)
        for channel in 0..<2 {
            for row in 0..<6 {
                for column in 0..<5 {
                    let source = (row + 1, column - 2)
                    let inside = source.0 < 6 && source.1 >= 0
                    let expected = inside ? batch.scalars[(channel * 6 + source.0) * 5 + source.1] : 0
                    XCTAssertEqual(out.scalars[(channel * 6 + row) * 5 + column], expected, "(\(channel), \(row), \(column))")
                }
            }
        }
    }

    func testAQuarterTurnMatchesTheHandRotatedImage() {
        for size in [5, 6] {
            let batch = images([2, 1, size, size], seed: UInt64(size))
            let out = ClassicalAugmentation.apply([.init(rotation: 90), .init(rotation: -90)], to: batch)
            for row in 0..<size {
                for column in 0..<size {
                    // Counterclockwise as displayed (numpy's rot90): output (r, c) is input (c, n-1-r).
                    let counterclockwise = batch.scalars[column * size + (size - 1 - row)]
                    let clockwise = batch.scalars[size * size + (size - 1 - column) * size + row]
                    XCTAssertEqual(out.scalars[row * size + column], counterclockwise, accuracy: 1e-5, "size \(size) (\(row), \(column))")
                    XCTAssertEqual(out.scalars[size * size + row * size + column], clockwise, accuracy: 1e-5, "size \(size) (\(row), \(column))")
                }
            }
        }
        // A zoom of 2 about the centre of a 5x5 image reads the centre pixel at the centre.
        let batch = images([1, 1, 5, 5])
        XCTAssertEqual(ClassicalAugmentation.apply([.init(scale: 2)], to: batch).scalars[12], batch.scalars[12])
    }

    func testTheDrawsDependOnTheGeneratorAloneAndStayInRange() {
        let augmentation = ClassicalAugmentation(settings: .classical)
        let batch = images([4, 1, 28, 28])
        func draw(step: Int) -> Tensor {
            var generator = RandomStream.augmentation.generator(seed: 9, step: step)
            return augmentation(batch, using: &generator)
        }
        let a = draw(step: 3), b = draw(step: 3), c = draw(step: 4)
        XCTAssertEqual(a.scalars, b.scalars)
        XCTAssertNotEqual(a.scalars, c.scalars)
        XCTAssertNotEqual(a.scalars, batch.scalars)
        XCTAssertTrue(a.scalars.allSatisfy { $0 >= 0 && $0 <= 1 }, "bilinear weights and zero fill keep 0...1")
        // Every warp is within its ranges; Simard's field moves interior pixels by about a pixel or two.
        var generator = RandomGenerator(seed: 2)
        for _ in 0..<20 {
            let warp = augmentation.drawWarp(height: 28, width: 28, using: &generator)
            XCTAssertLessThanOrEqual(max(abs(warp.shiftX), abs(warp.shiftY)), 2)
            XCTAssertLessThanOrEqual(abs(warp.rotation), 15)
            XCTAssertTrue((0.9...1.1).contains(warp.scale))
            XCTAssertEqual(warp.displacement.count, 2 * 28 * 28)
            let interior = (8..<20).flatMap { r in (8..<20).map { r * 28 + $0 } }.map { Double(warp.displacement[$0]) }
            let spread = (interior.map { $0 * $0 }.reduce(0, +) / Double(interior.count)).squareRoot()
            XCTAssertTrue((0.3...4).contains(spread), "root-mean-square displacement \(spread) px")
        }
        // Unlisted transforms draw nothing: a translate-only warp changes nothing else.
        var only = RandomGenerator(seed: 2)
        let shift = ClassicalAugmentation(settings: AugmentSettings(transforms: [.translate])).drawWarp(height: 28, width: 28, using: &only)
        XCTAssertEqual([shift.rotation, shift.scale], [0, 1])
        XCTAssertTrue(shift.displacement.isEmpty)
    }

    private func start(_ name: String, _ overrides: [String]) throws -> TrainingSession {
        try TrainingJob.start(recipe: try ClassifierTrainingTests.tinyRecipe, overrides: [try Fixtures.dataOverride] + overrides,
                              outputs: scratch, runDirectory: scratch.appendingPathComponent(name))
    }

    func testAnAugmentedClassifierRunResumesByteForByte() throws {
        let overrides = ["train.epochs=2", #"augment.transforms=["translate", "rotate", "scale", "elastic"]"#]
        let straight = try start("straight", overrides)
        XCTAssertNotNil((straight.task as? ClassificationTask)?.augmentation)
        XCTAssertEqual(try straight.run(), .finished)
        let split = try start("split", overrides)
        XCTAssertEqual(try split.run(maxSteps: 7), .stepLimit)
        let resumed = try TrainingJob.resume(split.run.url)
        XCTAssertEqual(try resumed.run(), .finished)
        let plain = try start("plain", ["train.epochs=2"])
        XCTAssertEqual(try plain.run(), .finished)
        let a = try Checkpoint.resolve(straight.run.url), b = try Checkpoint.resolve(split.run.url)
        XCTAssertEqual(b.lastPathComponent, Checkpoint.name(step: 20))
        for name in [Checkpoint.modelFile, Checkpoint.optimizerFile] {
            XCTAssertTrue(try contents(of: a.appendingPathComponent(name)) == contents(of: b.appendingPathComponent(name)),
                          "\(name) differs after resuming")
        }
        XCTAssertEqual(try contents(of: straight.run.metricsJSONL), try contents(of: split.run.metricsJSONL))
        XCTAssertFalse(try contents(of: a.appendingPathComponent(Checkpoint.modelFile))
                       == contents(of: try Checkpoint.resolve(plain.run.url).appendingPathComponent(Checkpoint.modelFile)),
                       "augmentation changes what the classifier learns")
    }

    func testBadAugmentSettingsAreClearErrors() throws {
        func assertRefused(_ overrides: [String], recipe: URL? = nil, mentions phrase: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try RecipeLoader.load(try recipe ?? ClassifierTrainingTests.tinyRecipe, overrides: overrides),
                                 file: file, line: line) { error in
                XCTAssertTrue("\(error)".contains(phrase), "\(error) should mention \(phrase)", file: file, line: line)
            }
        }
        assertRefused([#"augment.transforms=["shear"]"#], mentions: "unknown transform 'shear'; expected any of translate, rotate, scale, elastic")
        assertRefused([#"augment.transforms=["rotate"]"#], recipe: try Fixtures.tinyRecipe, mentions: "a gan recipe cannot use it")
        assertRefused(["augment.rotate=200"], mentions: "augment.rotate must lie in 0...180 degrees, got 200")
        assertRefused(["augment.scale=[1.2, 0.8]"], mentions: "augment.scale must be [low, high] with 0 < low <= high")
        assertRefused(["augment.elastic_sigma=0"], mentions: "augment.elastic_sigma must lie in (0, 100]")
        assertRefused(["augment.translate=-1"], mentions: "augment.translate must be 0 or more pixels")
        assertRefused(["augment.shift=1"], mentions: "unknown key 'shift'")
        assertRefused([#"augment.transforms=["rotate", "rotate"]"#], mentions: "names a transform twice")
        let loaded = try RecipeLoader.load(try ClassifierTrainingTests.tinyRecipe, overrides: [#"augment.transforms=["elastic", "translate"]"#]).recipe
        XCTAssertEqual(loaded.augment?.transforms, [.elastic, .translate])
        XCTAssertEqual(loaded.augment?.summary, "elastic alpha 34 sigma 4, translate ±2 px")
    }
}
