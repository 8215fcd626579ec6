import CBLAS

/// Dense matrix products through OpenBLAS `cblas_sgemm`.
///
/// OpenBLAS runs single-threaded here and GraphKit splits each product into
/// blocks of output rows (or columns) itself: OpenBLAS's own threads spin
/// after every call and would steal the cores from the sparse kernels that
/// follow.
///
/// The bits of a sgemm depend on the shape of each call (OpenBLAS's kernels
/// treat rows by their place in a tile), so the split is fixed:
/// `Parallelism.referenceParts` blocks, whatever the core count. Results are
/// then the same on 1 core or 64; a product uses at most that many cores.
public enum BLAS {
    /// Set once, before the first product; code that calls cblas_sgemm
    /// directly reads it first.
    static let singleThreaded: Void = { openblas_set_num_threads(1) }()

    /// `C = alpha * op(A) * op(B) + beta * C`, where op transposes when asked.
    ///
    /// Shapes are checked: op(A) is m × k, op(B) is k × n and C is m × n.
    public static func gemm(_ a: Tensor, transposeA: Bool = false,
                            _ b: Tensor, transposeB: Bool = false,
                            alpha: Float = 1, beta: Float = 0, into c: inout Tensor) {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let kb = transposeB ? b.cols : b.rows
        let n = transposeB ? b.rows : b.cols
        precondition(k == kb,
                     "matmul: inner sizes differ, \(a.shapeDescription)\(transposeA ? "ᵀ" : "") by \(b.shapeDescription)\(transposeB ? "ᵀ" : "")")
        precondition(c.rows == m && c.cols == n,
                     "matmul: output is \(c.shapeDescription), expected \(m)x\(n)")
        if m == 0 || n == 0 { return }
        if k == 0 {
            c = beta == 0 ? Tensor(rows: m, cols: n) : c.scaled(by: beta)
            return
        }
        _ = singleThreaded
        let (lda, ldb) = (Int32(a.cols), Int32(b.cols))
        let (ta, tb) = (transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans)
        a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                c.scalars.withUnsafeMutableBufferPointer { pc in
                    let (a0, b0, c0) = (pa.baseAddress!, pb.baseAddress!, pc.baseAddress!)
                    let work = m * n * k / 64
                    if m >= n {
                        // Blocks of rows of op(A) and C.
                        parallelForReferenceParts(m, work: work) { rows in
                            let aBlock = transposeA ? a0 + rows.lowerBound : a0 + rows.lowerBound * a.cols
                            cblas_sgemm(CblasRowMajor, ta, tb, Int32(rows.count), Int32(n), Int32(k), alpha,
                                        aBlock, lda, b0, ldb, beta, c0 + rows.lowerBound * n, Int32(n))
                        }
                    } else {
                        // Blocks of columns of op(B) and C.
                        parallelForReferenceParts(n, work: work) { cols in
                            let bBlock = transposeB ? b0 + cols.lowerBound * b.cols : b0 + cols.lowerBound
                            cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(cols.count), Int32(k), alpha,
                                        a0, lda, bBlock, ldb, beta, c0 + cols.lowerBound, Int32(n))
                        }
                    }
                }
            }
        }
    }

    /// `op(A) * op(B)` as a new tensor.
    public static func matmul(_ a: Tensor, transposeA: Bool = false,
                              _ b: Tensor, transposeB: Bool = false) -> Tensor {
        let (m, n) = (transposeA ? a.cols : a.rows, transposeB ? b.rows : b.cols)
        let k = transposeA ? a.rows : a.cols
        // With beta = 0 sgemm overwrites every entry, so the output need not be zero-filled first.
        var c = k == 0 ? Tensor(rows: m, cols: n) : Tensor(rows: m, cols: n) { _ in }
        gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c)
        return c
    }
}
