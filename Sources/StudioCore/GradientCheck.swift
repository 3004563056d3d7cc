/// How far an op's analytic gradient lies from central finite differences.
public struct GradientCheckReport: CustomStringConvertible {
    /// The largest `|analytic - numeric| / max(1, |numeric|)` over every input scalar.
    public var maxError: Double
    /// Which input and scalar gave `maxError`, with both values.
    public var worst: String

    public var description: String { "max error \(maxError) at \(worst)" }
}

/// Compares the gradient of `sum(f(inputs) * w)`, for a fixed random `w`, with central differences
/// of step `epsilon` accumulated in Double. Inputs reach `f` as fresh leaves in both passes, so `f`
/// may itself take gradients (second-order rows).
public func checkGradients(of f: ([Tensor]) -> Tensor, at inputs: [Tensor], epsilon: Float = 1e-2,
                           seed: UInt64 = 7) -> GradientCheckReport {
    let leaves = inputs.map { $0.requiringGradient() }
    let output = f(leaves)
    var generator = RandomGenerator(seed: seed)
    let weights = Tensor.randomUniform(output.shape, lower: 0.5, upper: 1.5, using: &generator)
    let analytic = gradients(of: output, withRespectTo: leaves, seed: weights)

    func projected(_ values: [Tensor]) -> Double {
        let out = f(values.map { $0.requiringGradient() })
        precondition(out.shape == output.shape, "checkGradients: output shape changed to \(out.shape)")
        return zip(out.scalars, weights.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    var report = GradientCheckReport(maxError: 0, worst: "nothing")
    for (index, input) in inputs.enumerated() {
        let grad = analytic[index]?.scalars ?? [Float](repeating: 0, count: input.elementCount)
        for i in 0..<input.elementCount {
            var plus = inputs, minus = inputs
            plus[index].scalars[i] += epsilon
            minus[index].scalars[i] -= epsilon
            let upper = projected(plus), lower = projected(minus)
            let actualStep = Double(plus[index].scalars[i]) - Double(minus[index].scalars[i])
            let numeric = (upper - lower) / actualStep
            let error = Swift.abs(Double(grad[i]) - numeric) / Swift.max(1, Swift.abs(numeric))
            if error > report.maxError || error.isNaN {
                report = GradientCheckReport(
                    maxError: error.isNaN ? .infinity : error,
                    worst: "input \(index) scalar \(i): analytic \(grad[i]), numeric \(numeric)")
            }
        }
    }
    return report
}
