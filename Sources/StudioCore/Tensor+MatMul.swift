// MARK: - Matrix products through sgemm

extension Tensor {
    /// Matrix product `op(a) · op(b)` where `op` transposes the last two axes when asked:
    /// `[m, k] · [k, n] -> [m, n]` or batched `[B, m, k] · [B, k, n] -> [B, m, n]`; a batch of 1,
    /// or a rank-2 operand, is broadcast over the other's batch.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        precondition((a.rank == 2 || a.rank == 3) && (b.rank == 2 || b.rank == 3),
                     "matmul: needs rank-2 or rank-3 operands, got \(a.shape) and \(b.shape)")
        // A rank-3 left operand against a shared matrix is one large product.
        if a.rank == 3 && b.rank == 2 && !transposeA {
            let flat = a.reshaped(to: [a.shape[0] * a.shape[1], a.shape[2]])
            let product = matmul(flat, b, transposeB: transposeB)
            return product.reshaped(to: [a.shape[0], a.shape[1], product.shape[1]])
        }
        if a.rank == 3 || b.rank == 3 {
            let batchA = a.rank == 3 ? a.shape[0] : 1
            let batchB = b.rank == 3 ? b.shape[0] : 1
            precondition(batchA == batchB || batchA == 1 || batchB == 1,
                         "matmul: batch sizes of \(a.shape) and \(b.shape) differ")
            let batch = Swift.max(batchA, batchB)
            let a3 = a.rank == 3 ? a : a.expandingDimension(at: 0)
            let b3 = b.rank == 3 ? b : b.expandingDimension(at: 0)
            let ea = a3.shape[0] == batch ? a3 : a3.expanded(to: [batch, a3.shape[1], a3.shape[2]])
            let eb = b3.shape[0] == batch ? b3 : b3.expanded(to: [batch, b3.shape[1], b3.shape[2]])
            return batchedMatmul(ea, eb, transposeA: transposeA, transposeB: transposeB)
        }
        return batchedMatmul(a.expandingDimension(at: 0), b.expandingDimension(at: 0),
                             transposeA: transposeA, transposeB: transposeB).squeezingDimension(at: 0)
    }

    private static func batchedMatmul(_ a: Tensor, _ b: Tensor, transposeA: Bool, transposeB: Bool) -> Tensor {
        let batch = a.shape[0]
        let (m, ka) = transposeA ? (a.shape[2], a.shape[1]) : (a.shape[1], a.shape[2])
        let (kb, n) = transposeB ? (b.shape[2], b.shape[1]) : (b.shape[1], b.shape[2])
        precondition(ka == kb, "matmul: inner sizes differ: \(a.shape)\(transposeA ? "ᵀ" : "") · \(b.shape)\(transposeB ? "ᵀ" : "")")
        let value = a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                Tensor(shape: [batch, m, n], unsafeUninitialized: { pc in
                    // Products too small to cut into panels (attention heads, say) run side by side
                    // instead; each is computed alike either way, so the bits are the same.
                    let sideBySide = batch > 1 && GEMMPanels(m: m, n: n, k: ka).count == 1
                    parallelFor(batch, work: sideBySide ? batch * m * n * ka : 0) { i in
                        BLAS.gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: ka,
                                  a: pa.baseAddress! + i * m * ka, b: pb.baseAddress! + i * ka * n,
                                  c: pc.baseAddress! + i * m * n, parallel: !sideBySide)
                    }
                })
            }
        }
        return record("matmul", value,
                      (a, { g in
                          transposeA
                              ? matmul(b, g, transposeA: transposeB, transposeB: true)
                              : matmul(g, b, transposeB: !transposeB)
                      }),
                      (b, { g in
                          transposeB
                              ? matmul(g, a, transposeA: true, transposeB: transposeA)
                              : matmul(a, g, transposeA: !transposeA)
                      }))
    }
}
