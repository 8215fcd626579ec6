import CBLAS

/// Dense matrix products through OpenBLAS `cblas_sgemm`.
public enum BLAS {
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
            if beta == 0 { c = Tensor(rows: m, cols: n) } else { c = c.scaled(by: beta) }
            return
        }
        a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                c.scalars.withUnsafeMutableBufferPointer { pc in
                    cblas_sgemm(CblasRowMajor,
                                transposeA ? CblasTrans : CblasNoTrans,
                                transposeB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), alpha,
                                pa.baseAddress, Int32(a.cols),
                                pb.baseAddress, Int32(b.cols),
                                beta, pc.baseAddress, Int32(n))
                }
            }
        }
    }

    /// `op(A) * op(B)` as a new tensor.
    public static func matmul(_ a: Tensor, transposeA: Bool = false,
                              _ b: Tensor, transposeB: Bool = false) -> Tensor {
        var c = Tensor(rows: transposeA ? a.cols : a.rows, cols: transposeB ? b.rows : b.cols)
        gemm(a, transposeA: transposeA, b, transposeB: transposeB, into: &c)
        return c
    }
}
