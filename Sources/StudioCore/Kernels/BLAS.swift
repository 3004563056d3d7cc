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

    // MARK: - LAPACK

    /// Eigenvalues (ascending, into `values[n]`) and orthonormal eigenvectors of the symmetric `n × n`
    /// matrix `a`, through dsyev; returns LAPACK's info (0 on success, > 0 when it did not converge).
    /// Row-major and column-major readings of a symmetric matrix agree, so `a` goes in as it is and
    /// LAPACK's "upper" triangle is the row-major lower one. On return row `j` of `a` is the eigenvector
    /// of `values[j]`: LAPACK writes it as column `j`, column-major.
    static func symmetricEigen(n: Int, a: UnsafeMutablePointer<Double>, values: UnsafeMutablePointer<Double>) -> Int {
        guard n > 0 else { return 0 }
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
