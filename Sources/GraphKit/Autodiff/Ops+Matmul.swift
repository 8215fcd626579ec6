/// The matrix product op(a) · op(b) through cblas_sgemm, where op transposes
/// when asked.
public func matmul(_ a: Variable, transposeA: Bool = false,
                   _ b: Variable, transposeB: Bool = false) -> Variable {
    let (av, bv) = (a.value, b.value)
    let out = BLAS.matmul(av, transposeA: transposeA, bv, transposeB: transposeB)
    let (ai, bi) = (a.id, b.id)
    return a.tape.record(out, inputs: [a, b]) { g, grads in
        // C = A B:    dA = dC Bᵀ,    dB = Aᵀ dC
        // C = Aᵀ B:   dA = B dCᵀ,    dB = A dC
        // C = A Bᵀ:   dA = dC B,     dB = dCᵀ A
        // C = Aᵀ Bᵀ:  dA = Bᵀ dCᵀ,   dB = dCᵀ Aᵀ
        if grads.needs(ai) {
            let da = transposeA
                ? BLAS.matmul(bv, transposeA: transposeB, g, transposeB: true)
                : BLAS.matmul(g, bv, transposeB: !transposeB)
            grads.accumulate(da, into: ai)
        }
        if grads.needs(bi) {
            let db = transposeB
                ? BLAS.matmul(g, transposeA: true, av, transposeB: transposeA)
                : BLAS.matmul(av, transposeA: !transposeA, g)
            grads.accumulate(db, into: bi)
        }
    }
}
