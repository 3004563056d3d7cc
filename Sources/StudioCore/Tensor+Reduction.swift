// MARK: - Reductions over chosen axes

extension Tensor {
    private func resolvedAxes(_ axes: [Int], op: String) -> [Int] {
        let resolved = Set(axes.map { shape.normalizedAxis($0, op: op) })
        precondition(resolved.count == axes.count, "\(op): repeated axis in \(axes)")
        return resolved.sorted()
    }

    private func shape(removing axes: [Int]) -> Shape {
        Shape(shape.dimensions.enumerated().filter { !axes.contains($0.offset) }.map(\.element))
    }

    /// Sum over `axes`: `[..s] -> [..s]` with those axes of size 1 (kept) or removed.
    public func sum(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let axes = resolvedAxes(axes, op: "sum")
        var value = detached()
        for axis in axes { value = value.sumKernel(axis: axis) }
        let kept = value.shape
        if !keepingDimensions { value = value.reshaped(to: shape(removing: axes)) }
        let source = shape
        return Tensor.record("sum", value, (self, { $0.reshaped(to: kept).expanded(to: source) }))
    }

    /// Sum over one axis.
    public func sum(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        sum(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// Sum of every scalar: `[..s] -> []`.
    public func sum() -> Tensor { sum(alongAxes: Array(0..<rank)) }

    /// Mean over `axes`, shaped as `sum(alongAxes:)`.
    public func mean(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let count = axes.map { shape[shape.normalizedAxis($0, op: "mean")] }.reduce(1, *)
        return sum(alongAxes: axes, keepingDimensions: keepingDimensions) / Float(Swift.max(count, 1))
    }

    /// Mean over one axis.
    public func mean(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        mean(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// Mean of every scalar: `[..s] -> []`.
    public func mean() -> Tensor { mean(alongAxes: Array(0..<rank)) }

    /// Maximum over `axes`; the gradient goes to the first maximal scalar of each slice.
    public func max(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let axes = resolvedAxes(axes, op: "max")
        var value = detached()
        var mask = Tensor(ones: shape)
        for axis in axes {
            let (values, positions) = value.maxKernel(axis: axis)
            var picked = Tensor(zeros: value.shape)
            picked.scalars.withUnsafeMutableBufferPointer { p in
                for offset in positions { p[offset] = 1 }
            }
            mask = mask.zipScalars(picked.expanded(to: mask.shape).detached(), *)
            value = values
        }
        let kept = value.shape
        if !keepingDimensions { value = value.reshaped(to: shape(removing: axes)) }
        let source = shape
        let winners = mask
        return Tensor.record("max", value, (self, { $0.reshaped(to: kept).expanded(to: source) * winners }))
    }

    /// Maximum over one axis.
    public func max(alongAxis axis: Int, keepingDimensions: Bool = false) -> Tensor {
        self.max(alongAxes: [axis], keepingDimensions: keepingDimensions)
    }

    /// Maximum of every scalar: `[..s] -> []`.
    public func max() -> Tensor { self.max(alongAxes: Array(0..<rank)) }

    /// Minimum over `axes`.
    public func min(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        -(-self).max(alongAxes: axes, keepingDimensions: keepingDimensions)
    }

    /// log Σ e^x over `axes`, computed without overflow.
    public func logSumExp(alongAxes axes: [Int], keepingDimensions: Bool = false) -> Tensor {
        let peak = self.max(alongAxes: axes, keepingDimensions: true).detached()
            .mapScalars { $0.isFinite ? $0 : 0 }
        let shifted = (self - peak).exp().sum(alongAxes: axes, keepingDimensions: true).log() + peak
        if keepingDimensions { return shifted }
        let axes = resolvedAxes(axes, op: "logSumExp")
        return shifted.reshaped(to: shape(removing: axes))
    }

    /// Variance over `axes`, divided by n - 1 when `unbiased`, by n otherwise.
    public func variance(alongAxes axes: [Int], unbiased: Bool = false, keepingDimensions: Bool = false) -> Tensor {
        let count = axes.map { shape[shape.normalizedAxis($0, op: "variance")] }.reduce(1, *)
        let centered = self - mean(alongAxes: axes, keepingDimensions: true)
        let squares = centered.squared().sum(alongAxes: axes, keepingDimensions: keepingDimensions)
        return squares / Float(Swift.max(unbiased ? count - 1 : count, 1))
    }

    /// The index of the first maximum along `axis` for every other position, row-major.
    public func argmax(alongAxis axis: Int) -> [Int] {
        let axis = shape.normalizedAxis(axis, op: "argmax")
        let (_, positions) = detached().maxKernel(axis: axis)
        let inner = reductionView(axis: axis).inner
        return positions.map { ($0 / inner) % shape[axis] }
    }
}
