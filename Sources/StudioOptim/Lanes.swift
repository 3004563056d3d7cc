import StudioCore

/// A run of Float32 lanes, one (`Float`) or eight (`SIMD8<Float>`), so that an update formula is written
/// once and runs eight scalars at a time; lane-wise IEEE operations give the same bits either way.
protocol Lanes {
    /// How many scalars one value holds.
    static var laneCount: Int { get }
    /// The `laneCount` scalars starting at `pointer`.
    init(loadingFrom pointer: UnsafePointer<Float>)
    /// Writes the lanes to the `laneCount` scalars starting at `pointer`.
    func store(to pointer: UnsafeMutablePointer<Float>)
    func squareRoot() -> Self
    static func + (lhs: Self, rhs: Self) -> Self
    static func - (lhs: Self, rhs: Self) -> Self
    static func * (lhs: Self, rhs: Self) -> Self
    static func / (lhs: Self, rhs: Self) -> Self
    static func + (lhs: Self, rhs: Float) -> Self
    static func * (lhs: Self, rhs: Float) -> Self
    static func * (lhs: Float, rhs: Self) -> Self
    static func / (lhs: Self, rhs: Float) -> Self
}

extension Float: Lanes {
    static var laneCount: Int { 1 }
    init(loadingFrom pointer: UnsafePointer<Float>) { self = pointer.pointee }
    func store(to pointer: UnsafeMutablePointer<Float>) { pointer.pointee = self }
}

extension SIMD8: Lanes where Scalar == Float {
    static var laneCount: Int { 8 }
    init(loadingFrom pointer: UnsafePointer<Float>) {
        self = UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }
    func store(to pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: SIMD8<Float>.self)
    }
}

/// An elementwise update over raw buffers, applied to a range of indices at a time.
protocol RangeKernel {
    /// Updates the elements at `range`.
    func sweep(_ range: Range<Int>)
}

/// An elementwise update over raw buffers, written once for any `Lanes`.
protocol LaneKernel: RangeKernel {
    /// Updates the `V.laneCount` elements starting at index `i`.
    func apply<V: Lanes>(_ lanes: V.Type, at i: Int)
}

extension RangeKernel {
    /// Applies the kernel to every index in `0..<count`, on several threads for large parameters.
    /// Elements are independent, so the split changes no bits.
    func run(count: Int) {
        let grain = 65_536
        let chunks = min(ComputeThreads.count, (count + grain - 1) / grain)
        if chunks <= 1 {
            sweep(0..<count)
            return
        }
        let size = ((count + chunks - 1) / chunks + 7) / 8 * 8
        ComputeThreads.forEach(chunks) { chunk in
            let range = min(count, chunk * size)..<min(count, (chunk + 1) * size)
            if !range.isEmpty { sweep(range) }
        }
    }
}

extension LaneKernel {
    /// Eight lanes at a time with a scalar tail.
    @inline(__always)
    func sweep(_ range: Range<Int>) {
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            apply(SIMD8<Float>.self, at: i)
            i += 8
        }
        while i < range.upperBound {
            apply(Float.self, at: i)
            i += 1
        }
    }
}
