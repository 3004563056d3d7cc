/// How `BLAS.gemm` cuts the `[m, n]` result of a product with summed axis `k` into panels, by shape
/// alone: along its longer side, into at most `maximumCount` panels of whole multiples of `alignment`
/// rows (or columns), each worth at least `minimumWork` multiply-adds. Every element of `c` is summed
/// by one single-threaded sgemm over the whole of `k`, so the thread count never moves a bit.
struct GEMMPanels: Equatable {
    /// Below this many multiply-adds a panel costs more to start than it saves (OpenBLAS's own
    /// threshold for threading is 4 · 65536).
    static let minimumWork = 262_144
    /// Each panel packs the whole other operand again; more panels than this cost more in packing
    /// than a wider machine gains.
    static let maximumCount = 8
    /// Panel sides are multiples of this (the AVX-512 sgemm kernel's row unroll).
    static let alignment = 16

    /// Whether panels are bands of rows of `c` (else bands of columns).
    let alongRows: Bool
    /// Rows (or columns) per panel; the last may hold fewer.
    let size: Int
    /// The number of panels, at least 1.
    let count: Int
    private let extent: Int

    init(m: Int, n: Int, k: Int) {
        alongRows = m >= n
        extent = alongRows ? m : n
        let work = Double(m) * Double(n) * Double(k)
        let byWork = Int(Swift.min(Double(Self.maximumCount), work / Double(Self.minimumWork)))
        let wanted = Swift.max(1, Swift.min(Self.maximumCount, byWork, extent / (2 * Self.alignment)))
        let rough = (extent + wanted - 1) / wanted
        size = (rough + Self.alignment - 1) / Self.alignment * Self.alignment
        count = (extent + size - 1) / size
    }

    /// The rows (or columns) of panel `index`.
    func range(_ index: Int) -> Range<Int> {
        (index * size)..<Swift.min(extent, (index + 1) * size)
    }
}
