import CBLAS

/// Every call into OpenBLAS goes through here, so that transpose flags and leading dimensions are
/// decided in one place. Matrices are row-major.
///
/// OpenBLAS runs on one thread, always: its threaded sgemm driver (0.3.21 at least) cuts the summed
/// axis into other blocks than its single-threaded one once `k` passes its block depth (320 for the
/// AVX-512 kernels; `(k + 1) / 2` against `k / 2`, rounded up to the unroll), so one product gave other
/// bits with 1 and with 2 threads. Large products are cut here instead, into panels of rows or columns
/// of `c` whose bounds depend on the shape alone, each computed by one single-threaded sgemm.
enum BLAS {
    /// Set once, before the first call into OpenBLAS: one thread, none idle beside it, and not the SSE3
    /// fallback kernels.
    private static let singleThreaded: Void = {
        OpenBLASCore.leaveFallback()
        openblas_set_num_threads(1)
        OpenBLASCore.stopIdleThreads()
    }()

    /// `c[m, n] = alpha * op(a) · op(b) + beta * c`, where `op(a)` is `[m, k]` and `op(b)` is `[k, n]`;
    /// `a` is stored `[m, k]` (or `[k, m]` when `transposeA`), `b` likewise `[k, n]` or `[n, k]`.
    /// With `parallel`, the panels of a large product run on the compute threads; a caller that is
    /// already spread over them passes false. Either way the bits are the same.
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int? = nil,
        b: UnsafePointer<Float>, ldb: Int? = nil,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int? = nil,
        parallel: Bool = true
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            if beta == 0 {
                for row in 0..<m { (c + row * (ldc ?? n)).update(repeating: 0, count: n) }
            }
            return
        }
        let lda = lda ?? (transposeA ? m : k), ldb = ldb ?? (transposeB ? k : n), ldc = ldc ?? n
        let panels = GEMMPanels(m: m, n: n, k: k)
        let run = { (panel: Int) in
            let range = panels.range(panel)
            if panels.alongRows {
                sgemm(transposeA, transposeB, range.count, n, k, alpha,
                      a + (transposeA ? range.lowerBound : range.lowerBound * lda), lda, b, ldb,
                      beta, c + range.lowerBound * ldc, ldc)
            } else {
                sgemm(transposeA, transposeB, m, range.count, k, alpha, a, lda,
                      b + (transposeB ? range.lowerBound * ldb : range.lowerBound), ldb,
                      beta, c + range.lowerBound, ldc)
            }
        }
        if parallel {
            parallelFor(panels.count, work: panels.count > 1 ? Int.max : 0, run)
        } else {
            for panel in 0..<panels.count { run(panel) }
        }
    }

    private static func sgemm(_ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                              _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                              _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        _ = singleThreaded
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    // MARK: - LAPACK

    /// Eigenvalues (ascending, into `values[n]`) and orthonormal eigenvectors of the symmetric `n × n`
    /// matrix `a`, through dsyev; returns LAPACK's info (0 on success, > 0 when it did not converge).
    /// Row-major and column-major readings of a symmetric matrix agree, so `a` goes in as it is and
    /// LAPACK's "upper" triangle is the row-major lower one. On return row `j` of `a` is the eigenvector
    /// of `values[j]`: LAPACK writes it as column `j`, column-major.
    static func symmetricEigen(n: Int, a: UnsafeMutablePointer<Double>, values: UnsafeMutablePointer<Double>) -> Int {
        guard n > 0 else { return 0 }
        _ = singleThreaded
        var order = blasint(n), info = blasint(0), query = blasint(-1), optimal = 0.0
        let jobz: CChar = 86 /* V */, uplo: CChar = 85 /* U */
        withUnsafePointer(to: jobz) { jobz in
            withUnsafePointer(to: uplo) { uplo in
                dsyev_(jobz, uplo, &order, a, &order, values, &optimal, &query, &info, 1, 1)
                guard info == 0 else { return }
                var size = blasint(Swift.max(Double(3 * n), optimal))
                let work = UnsafeMutablePointer<Double>.allocate(capacity: Int(size))
                defer { work.deallocate() }
                dsyev_(jobz, uplo, &order, a, &order, values, work, &size, &info, 1, 1)
            }
        }
        return Int(info)
    }
}
