import Foundation

// MARK: - Broadcasting binary operators

extension Tensor {
    /// Elementwise sum with broadcasting: `[..a] + [..b] -> broadcast([..a], [..b])`.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        let value = broadcastScalars(lhs, rhs, op: "add", AddKernel())
        return record("add", value,
                      (lhs, { $0.sumToShape(lhs.shape) }),
                      (rhs, { $0.sumToShape(rhs.shape) }))
    }

    /// Elementwise difference with broadcasting.
    public static func - (lhs: Tensor, rhs: Tensor) -> Tensor {
        let value = broadcastScalars(lhs, rhs, op: "subtract", SubtractKernel())
        return record("subtract", value,
                      (lhs, { $0.sumToShape(lhs.shape) }),
                      (rhs, { (-$0).sumToShape(rhs.shape) }))
    }

    /// Elementwise product with broadcasting.
    public static func * (lhs: Tensor, rhs: Tensor) -> Tensor {
        let value = broadcastScalars(lhs, rhs, op: "multiply", MultiplyKernel())
        return record("multiply", value,
                      (lhs, { ($0 * rhs).sumToShape(lhs.shape) }),
                      (rhs, { ($0 * lhs).sumToShape(rhs.shape) }))
    }

    /// Elementwise quotient with broadcasting.
    public static func / (lhs: Tensor, rhs: Tensor) -> Tensor {
        let value = broadcastScalars(lhs, rhs, op: "divide", DivideKernel())
        return record("divide", value,
                      (lhs, { ($0 / rhs).sumToShape(lhs.shape) }),
                      (rhs, { (-$0 * lhs / (rhs * rhs)).sumToShape(rhs.shape) }))
    }

    /// Elementwise maximum with broadcasting; ties send the gradient to `lhs`.
    public static func maximum(_ lhs: Tensor, _ rhs: Tensor) -> Tensor {
        let value = broadcastScalars(lhs, rhs, op: "maximum") { Swift.max($0, $1) }
        let pickLeft = broadcastScalars(lhs, rhs, op: "maximum") { $0 >= $1 ? 1 : 0 }
        return record("maximum", value,
                      (lhs, { ($0 * pickLeft).sumToShape(lhs.shape) }),
                      (rhs, { ($0 * (1 - pickLeft)).sumToShape(rhs.shape) }))
    }

    /// Elementwise minimum with broadcasting; ties send the gradient to `lhs`.
    public static func minimum(_ lhs: Tensor, _ rhs: Tensor) -> Tensor {
        let value = broadcastScalars(lhs, rhs, op: "minimum") { Swift.min($0, $1) }
        let pickLeft = broadcastScalars(lhs, rhs, op: "minimum") { $0 <= $1 ? 1 : 0 }
        return record("minimum", value,
                      (lhs, { ($0 * pickLeft).sumToShape(lhs.shape) }),
                      (rhs, { ($0 * (1 - pickLeft)).sumToShape(rhs.shape) }))
    }

    public static func += (lhs: inout Tensor, rhs: Tensor) { lhs = lhs + rhs }
    public static func -= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs - rhs }
    public static func *= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs * rhs }
    public static func /= (lhs: inout Tensor, rhs: Tensor) { lhs = lhs / rhs }
}

// MARK: - Scalar operands

extension Tensor {
    /// Negation, same shape.
    public static prefix func - (x: Tensor) -> Tensor {
        record("negate", x.mapScalars { -$0 }, (x, { -$0 }))
    }

    public static func + (lhs: Tensor, rhs: Float) -> Tensor {
        record("addScalar", lhs.mapScalars(BoundRight(kernel: AddKernel(), constant: rhs)), (lhs, { $0 }))
    }
    public static func + (lhs: Float, rhs: Tensor) -> Tensor { rhs + lhs }

    public static func - (lhs: Tensor, rhs: Float) -> Tensor { lhs + (-rhs) }
    public static func - (lhs: Float, rhs: Tensor) -> Tensor {
        record("rsubScalar", rhs.mapScalars(BoundLeft(kernel: SubtractKernel(), constant: lhs)), (rhs, { -$0 }))
    }

    public static func * (lhs: Tensor, rhs: Float) -> Tensor {
        record("multiplyScalar", lhs.mapScalars(BoundRight(kernel: MultiplyKernel(), constant: rhs)), (lhs, { $0 * rhs }))
    }
    public static func * (lhs: Float, rhs: Tensor) -> Tensor { rhs * lhs }

    public static func / (lhs: Tensor, rhs: Float) -> Tensor { lhs * (1 / rhs) }
    public static func / (lhs: Float, rhs: Tensor) -> Tensor {
        let value = rhs.mapScalars { lhs / $0 }
        return record("rdivScalar", value, (rhs, { g in -g * lhs / (rhs * rhs) }))
    }
}

// MARK: - Broadcast and its adjoint

extension Tensor {
    /// The sum of `self` over the axes that broadcasting to it added or stretched, giving `target`:
    /// `[..s] -> target`, the adjoint of `expanded(to:)`.
    public func sumToShape(_ target: Shape) -> Tensor {
        if shape == target { return self }
        let lead = rank - target.rank
        precondition(lead >= 0, "sumToShape: cannot reduce \(shape) to \(target)")
        var axes = Array(0..<lead)
        for i in 0..<target.rank where target[i] != shape[lead + i] {
            precondition(target[i] == 1, "sumToShape: cannot reduce \(shape) to \(target)")
            axes.append(lead + i)
        }
        return sum(alongAxes: axes, keepingDimensions: true).reshaped(to: target)
    }

    /// The values repeated along broadcast axes: `[..s] -> shape`, the adjoint of `sumToShape`.
    public func expanded(to target: Shape) -> Tensor {
        if shape == target { return self }
        precondition(Shape.broadcast(shape, target) == target, "expanded: cannot broadcast \(shape) to \(target)")
        // A template as large as the broadcast axes alone gives the result its shape; the kernel ignores it.
        let padded = [Int](repeating: 1, count: target.rank - rank) + shape.dimensions
        let template = Tensor(zeros: Shape((0..<target.rank).map { padded[$0] == target[$0] ? 1 : target[$0] }))
        let value = Tensor.broadcastScalars(template, self.detached(), op: "expanded", SecondKernel())
        let source = shape
        return Tensor.record("expand", value, (self, { $0.sumToShape(source) }))
    }
}
