import CBLAS

/// Every call into OpenBLAS goes through here, so that transpose flags and leading dimensions are
/// decided in one place. Matrices are row-major.
enum BLAS {
    static func setThreadCount(_ count: Int) {
        openblas_set_num_threads(Int32(count))
    }

    /// `c[m, n] = alpha * op(a) · op(b) + beta * c`, where `op(a)` is `[m, k]` and `op(b)` is `[k, n]`;
    /// `a` is stored `[m, k]` (or `[k, m]` when `transposeA`), `b` likewise `[k, n]` or `[n, k]`.
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
        b: UnsafePointer<Float>, ldb: Int? = nil,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if beta == 0 { c.update(repeating: 0, count: m * n) }
            return
        }
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha,
            a, blasint(lda ?? (transposeA ? m : k)),
            b, blasint(ldb ?? (transposeB ? k : n)),
            beta, c, blasint(ldc ?? n))
    }
}
