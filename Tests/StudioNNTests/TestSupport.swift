import Foundation
import XCTest
import StudioCore
import StudioNN

/// A tensor as the fixture script writes it: a shape and float32 values printed as float64.
struct FixtureTensor: Decodable {
    let shape: [Int]
    let values: [Double]

    var tensor: Tensor { Tensor(shape: Shape(shape), scalars: values.map { Float($0) }) }
}

/// Decodes `Fixtures/<name>.json` from the test bundle.
func loadFixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
    let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures"),
                            "fixture \(name).json is missing from the test bundle")
    return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
}

/// Asserts that `actual` matches the fixture tensor within `absolute + relative·|expected|`.
func assertClose(_ actual: Tensor?, _ expected: FixtureTensor?, _ what: String, absolute: Float = 1e-5,
                 relative: Float = 1e-4, file: StaticString = #filePath, line: UInt = #line) {
    guard let actual, let expected else {
        XCTFail("\(what): missing (actual \(actual == nil ? "nil" : "present"), expected \(expected == nil ? "nil" : "present"))",
                file: file, line: line)
        return
    }
    let reference = expected.tensor
    XCTAssertEqual(actual.shape, reference.shape, "\(what): shape", file: file, line: line)
    guard actual.shape == reference.shape else { return }
    var worst: (Float, Int) = (0, 0)
    for (i, (a, b)) in zip(actual.scalars, reference.scalars).enumerated() {
        let excess = Swift.abs(a - b) - relative * Swift.abs(b)
        if excess > worst.0 || a.isNaN { worst = (a.isNaN ? .infinity : excess, i) }
    }
    XCTAssertTrue(worst.0 <= absolute,
                  "\(what): scalar \(worst.1) is \(actual.scalars[worst.1]), PyTorch has \(reference.scalars[worst.1])",
                  file: file, line: line)
}

/// Central differences in Double of `sum(f(x) · w)` against autograd, over the input and every
/// parameter of a layer (perturbed in place through `assign`); the same measure as `checkGradients`.
/// The input reaches `f` as a fresh leaf in both passes, so that `f` may take gradients itself.
func layerGradientError(parameters: [Parameter], input: Tensor?, epsilon: Float = 1e-2,
                        _ f: (Tensor?) -> Tensor) -> LayerGradientReport {
    let leaf = input?.requiringGradient()
    let output = f(leaf)
    var generator = RandomGenerator(seed: 7)
    let weights = Tensor.randomUniform(output.shape, lower: 0.5, upper: 1.5, using: &generator)
    let targets = (leaf.map { [$0] } ?? []) + parameters.map(\.value)
    let analytic = gradients(of: output, withRespectTo: targets, seed: weights)

    var probe = input
    func projected() -> Double {
        let out = f(probe?.requiringGradient())
        return zip(out.scalars, weights.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
    var report = LayerGradientReport(maxError: 0, worst: "nothing")
    func compare(_ index: Int, _ name: String, count: Int, perturb: (Int, Float) -> Float) {
        let grad = analytic[index]?.scalars ?? [Float](repeating: 0, count: count)
        for i in 0..<count {
            let plusStep = perturb(i, epsilon)
            let upper = projected()
            let minusStep = perturb(i, -epsilon)
            let lower = projected()
            _ = perturb(i, 0)
            let numeric = (upper - lower) / Double(plusStep - minusStep)
            let error = Swift.abs(Double(grad[i]) - numeric) / Swift.max(1, Swift.abs(numeric))
            if error > report.maxError || error.isNaN {
                report = LayerGradientReport(maxError: error.isNaN ? .infinity : error,
                                             worst: "\(name) scalar \(i): analytic \(grad[i]), numeric \(numeric)")
            }
        }
    }
    var offset = 0
    if let original = input {
        compare(0, "input", count: original.elementCount) { i, step in
            var moved = original
            moved.withUnsafeMutableBufferPointer { $0[i] += step }
            probe = moved
            return moved.scalars[i]
        }
        offset = 1
    }
    for (k, parameter) in parameters.enumerated() {
        let original = parameter.value.detached()
        compare(offset + k, "parameter \(k)", count: original.elementCount) { i, step in
            var moved = original
            moved.withUnsafeMutableBufferPointer { $0[i] += step }
            parameter.assign(moved)
            return moved.scalars[i]
        }
    }
    return report
}

/// The largest `|analytic - numeric| / max(1, |numeric|)` of `layerGradientError` and where it occurred.
struct LayerGradientReport: CustomStringConvertible {
    var maxError: Double
    var worst: String
    var description: String { "max error \(maxError) at \(worst)" }
}
