import StudioCore
import StudioIO

extension LabelledExamples {
    /// The share of the examples whose largest logit is their label: `logits` maps images `[N, ...]`
    /// with values in `range` to `[N, classes]`; batches of 1000, without gradients.
    func topOneAccuracy(range: ClosedRange<Float>, logits: (Tensor) -> Tensor) -> Double {
        withoutGradients {
            var right = 0
            for start in stride(from: 0, to: count, by: 1000) {
                let rows = Array(start..<Swift.min(count, start + 1000))
                let predicted = logits(batch(rows, range: range)).argmax(alongAxis: 1)
                right += zip(predicted, rows).filter { $0 == labels[$1] }.count
            }
            return Double(right) / Double(Swift.max(1, count))
        }
    }
}
