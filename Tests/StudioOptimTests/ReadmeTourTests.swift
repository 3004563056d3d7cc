import XCTest
import StudioCore
import StudioNN
import StudioOptim

/// The README's engine tour, kept compiling and learning.
final class ReadmeTourTests: XCTestCase {
    func testTourFitsASine() {
        // --- README tour begins
        var rng = RandomGenerator(seed: 0)
        let model = Sequential {
            Linear(inputSize: 1, outputSize: 32, using: &rng)
            Tanh()
            Linear(inputSize: 32, outputSize: 1, using: &rng)
        }
        let optimizer = Adam(parameters: model.namedParameters, learningRate: 1e-2)
        let x = Tensor.randomUniform([256, 1], lower: -3, upper: 3, using: &rng)
        let y = x.sin()
        for _ in 0..<400 {
            let loss = mseLoss(predictions: model(x, context: ForwardContext(training: true)), targets: y)
            optimizer.zeroGradients()
            loss.backward()
            optimizer.step()
        }
        // --- README tour ends
        let loss = mseLoss(predictions: model(x), targets: y).item
        XCTAssertLessThan(loss, 0.01, "the tour's model should fit sin(x)")
    }

    /// The README's example is this file's imports and tour, character for character, so what the
    /// README shows is what compiles and learns here.
    func testReadmeShowsThisTourVerbatim() throws {
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let readmeURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../README.md").standardized
        let readme = try String(contentsOf: readmeURL, encoding: .utf8)
        let engine = try XCTUnwrap(readme.range(of: "## The engine"), "README has no engine section")
        let open = try XCTUnwrap(readme.range(of: "```swift\n", range: engine.upperBound..<readme.endIndex))
        let close = try XCTUnwrap(readme.range(of: "```", range: open.upperBound..<readme.endIndex))
        let shown = String(readme[open.upperBound..<close.lowerBound])

        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        let imports = lines.filter { $0.hasPrefix("import Studio") }
        let begin = try XCTUnwrap(lines.firstIndex { $0.contains("--- README tour begins") })
        let end = try XCTUnwrap(lines.firstIndex { $0.contains("--- README tour ends") })
        let tour = lines[(begin + 1)..<end].map { $0.hasPrefix("        ") ? $0.dropFirst(8) : $0 }
        let expected = (imports + [""] + tour).joined(separator: "\n") + "\n"
        XCTAssertEqual(shown, expected, "README.md's engine example differs from ReadmeTourTests")
    }
}
