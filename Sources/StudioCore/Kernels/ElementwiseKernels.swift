/// A scalar function the kernel loops specialise on. A closure captured by the parallel loop stays
/// an opaque call per scalar; a struct conforming to this is inlined and the loop vectorised, so
/// the hot ops (arithmetic, rectifiers) use these.
protocol UnaryScalarKernel {
    func callAsFunction(_ x: Float) -> Float
}

/// A function of two scalars the kernel loops specialise on; see `UnaryScalarKernel`.
protocol BinaryScalarKernel {
    func callAsFunction(_ a: Float, _ b: Float) -> Float
}

struct AddKernel: BinaryScalarKernel {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a + b }
}

struct SubtractKernel: BinaryScalarKernel {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a - b }
}

struct MultiplyKernel: BinaryScalarKernel {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a * b }
}

struct DivideKernel: BinaryScalarKernel {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { a / b }
}

/// The second operand, unchanged: broadcasting a tensor to a larger shape.
struct SecondKernel: BinaryScalarKernel {
    @inline(__always) func callAsFunction(_ a: Float, _ b: Float) -> Float { b }
}

/// `kernel(x, constant)`.
struct BoundRight<Kernel: BinaryScalarKernel>: UnaryScalarKernel {
    let kernel: Kernel
    let constant: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { kernel(x, constant) }
}

/// `kernel(constant, x)`.
struct BoundLeft<Kernel: BinaryScalarKernel>: UnaryScalarKernel {
    let kernel: Kernel
    let constant: Float
    @inline(__always) func callAsFunction(_ x: Float) -> Float { kernel(constant, x) }
}

/// Raw elementwise loops over scalar buffers; these make constants, the ops wrap them in graph nodes.
extension Tensor {
    /// `kernel` applied to every scalar.
    func mapScalars<Kernel: UnaryScalarKernel>(_ kernel: Kernel) -> Tensor {
        let count = elementCount
        return withUnsafeBufferPointer { src in
            Tensor(shape: shape, unsafeUninitialized: { dst in
                parallelChunks(count) { range in
                    for i in range { dst[i] = kernel(src[i]) }
                }
            })
        }
    }

    /// `kernel(x, y, count)` over runs of the scalars, writing `count` results at `y`: for the C kernels.
    func mapRuns(_ kernel: (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> Tensor {
        withUnsafeBufferPointer { src in
            Tensor(shape: shape, unsafeUninitialized: { dst in
                parallelChunks(elementCount) { range in
                    kernel(src.baseAddress! + range.lowerBound, dst.baseAddress! + range.lowerBound, range.count)
                }
            })
        }
    }

    /// `kernel(a, b, y, count)` over runs of pairs of scalars of two tensors of the same shape.
    func zipRuns(_ other: Tensor,
                 _ kernel: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void) -> Tensor {
        precondition(shape == other.shape, "zipRuns: shapes \(shape) and \(other.shape) differ")
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                Tensor(shape: shape, unsafeUninitialized: { dst in
                    parallelChunks(elementCount) { range in
                        kernel(a.baseAddress! + range.lowerBound, b.baseAddress! + range.lowerBound,
                               dst.baseAddress! + range.lowerBound, range.count)
                    }
                })
            }
        }
    }

    /// `kernel` applied to pairs of scalars of two tensors of the same shape.
    func zipScalars<Kernel: BinaryScalarKernel>(_ other: Tensor, _ kernel: Kernel) -> Tensor {
        precondition(shape == other.shape, "zipScalars: shapes \(shape) and \(other.shape) differ")
        let count = elementCount
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                Tensor(shape: shape, unsafeUninitialized: { dst in
                    parallelChunks(count) { range in
                        for i in range { dst[i] = kernel(a[i], b[i]) }
                    }
                })
            }
        }
    }

    /// `kernel` applied to the broadcast pairs of two tensors; `op` names the caller in shape errors.
    static func broadcastScalars<Kernel: BinaryScalarKernel>(_ a: Tensor, _ b: Tensor, op: String,
                                                             _ kernel: Kernel) -> Tensor {
        if a.shape == b.shape { return a.zipScalars(b, kernel) }
        guard let shape = Shape.broadcast(a.shape, b.shape) else {
            preconditionFailure("\(op): shapes \(a.shape) and \(b.shape) cannot be broadcast together")
        }
        if b.elementCount == 1 && shape == a.shape {
            return a.mapScalars(BoundRight(kernel: kernel, constant: b.scalars[0]))
        }
        if a.elementCount == 1 && shape == b.shape {
            return b.mapScalars(BoundLeft(kernel: kernel, constant: a.scalars[0]))
        }
        let layout = BroadcastLayout(output: shape, a.shape, b.shape)
        let inner = layout.dims.last ?? 1
        let innerA = layout.stridesA.last ?? 0
        let innerB = layout.stridesB.last ?? 0
        let rows = shape.elementCount / Swift.max(inner, 1)
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                Tensor(shape: shape, unsafeUninitialized: { dst in
                    parallelChunks(rows, grain: Swift.max(1, 32_768 / Swift.max(inner, 1))) { range in
                        for row in range {
                            let (oa, ob) = layout.offsets(ofRow: row)
                            let base = row * inner
                            // Separate loops for the common stride patterns, so each one vectorises.
                            if innerA == 1 && innerB == 0 {
                                let y = pb[ob]
                                for j in 0..<inner { dst[base + j] = kernel(pa[oa + j], y) }
                            } else if innerA == 0 && innerB == 1 {
                                let x = pa[oa]
                                for j in 0..<inner { dst[base + j] = kernel(x, pb[ob + j]) }
                            } else if innerA == 1 && innerB == 1 {
                                for j in 0..<inner { dst[base + j] = kernel(pa[oa + j], pb[ob + j]) }
                            } else {
                                for j in 0..<inner { dst[base + j] = kernel(pa[oa + j * innerA], pb[ob + j * innerB]) }
                            }
                        }
                    }
                })
            }
        }
    }

    /// `f` applied to every scalar.
    @inline(__always)
    func mapScalars(_ f: (Float) -> Float) -> Tensor {
        let count = elementCount
        return withUnsafeBufferPointer { src in
            Tensor(shape: shape, unsafeUninitialized: { dst in
                parallelChunks(count) { range in
                    for i in range { dst[i] = f(src[i]) }
                }
            })
        }
    }

    /// `f` applied to pairs of scalars of two tensors of the same shape.
    @inline(__always)
    func zipScalars(_ other: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(shape == other.shape, "zipScalars: shapes \(shape) and \(other.shape) differ")
        let count = elementCount
        return withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                Tensor(shape: shape, unsafeUninitialized: { dst in
                    parallelChunks(count) { range in
                        for i in range { dst[i] = f(a[i], b[i]) }
                    }
                })
            }
        }
    }

    /// `f` applied to the broadcast pairs of two tensors; `op` names the caller in shape errors.
    @inline(__always)
    static func broadcastScalars(_ a: Tensor, _ b: Tensor, op: String,
                                 _ f: (Float, Float) -> Float) -> Tensor {
        if a.shape == b.shape { return a.zipScalars(b, f) }
        guard let shape = Shape.broadcast(a.shape, b.shape) else {
            preconditionFailure("\(op): shapes \(a.shape) and \(b.shape) cannot be broadcast together")
        }
        if b.elementCount == 1 && shape == a.shape {
            let s = b.scalars[0]
            return a.mapScalars { f($0, s) }
        }
        if a.elementCount == 1 && shape == b.shape {
            let s = a.scalars[0]
            return b.mapScalars { f(s, $0) }
        }
        let layout = BroadcastLayout(output: shape, a.shape, b.shape)
        let inner = layout.dims.last ?? 1
        let innerA = layout.stridesA.last ?? 0
        let innerB = layout.stridesB.last ?? 0
        let rows = shape.elementCount / Swift.max(inner, 1)
        return a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                Tensor(shape: shape, unsafeUninitialized: { dst in
                    parallelChunks(rows, grain: Swift.max(1, 32_768 / Swift.max(inner, 1))) { range in
                        for row in range {
                            var (oa, ob) = layout.offsets(ofRow: row)
                            let base = row * inner
                            for j in 0..<inner {
                                dst[base + j] = f(pa[oa], pb[ob])
                                oa += innerA
                                ob += innerB
                            }
                        }
                    }
                })
            }
        }
    }
}

/// Strides of two operands broadcast to one output shape, with adjacent axes merged wherever
/// both operands walk them contiguously (so `[N, C, H, W] + [1, C, 1, 1]` becomes three axes).
struct BroadcastLayout {
    var dims: [Int] = []
    var stridesA: [Int] = []
    var stridesB: [Int] = []

    init(output: Shape, _ a: Shape, _ b: Shape) {
        let rank = output.rank
        func paddedStrides(_ s: Shape) -> [Int] {
            let padded = [Int](repeating: 1, count: rank - s.rank) + s.dimensions
            let natural = Shape(padded).strides
            return (0..<rank).map { padded[$0] == 1 ? 0 : natural[$0] }
        }
        let sa = paddedStrides(a), sb = paddedStrides(b)
        for axis in 0..<rank where output[axis] != 1 {
            if let last = dims.indices.last,
               stridesA[last] == sa[axis] * output[axis], stridesB[last] == sb[axis] * output[axis] {
                dims[last] *= output[axis]
                stridesA[last] = sa[axis]
                stridesB[last] = sb[axis]
            } else {
                dims.append(output[axis])
                stridesA.append(sa[axis])
                stridesB.append(sb[axis])
            }
        }
    }

    /// Offsets into `a` and `b` of the first element of output row `row` (all axes but the last).
    @inline(__always)
    func offsets(ofRow row: Int) -> (Int, Int) {
        var rest = row
        var oa = 0, ob = 0
        var axis = dims.count - 2
        while axis >= 0 {
            let i = rest % dims[axis]
            rest /= dims[axis]
            oa += i * stridesA[axis]
            ob += i * stridesB[axis]
            axis -= 1
        }
        return (oa, ob)
    }
}
