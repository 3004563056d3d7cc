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
}
