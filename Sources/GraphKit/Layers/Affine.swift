/// The activation fused into an `affine` op.
public enum Activation: Sendable, Equatable {
    /// y = z.
    case identity
    /// y = z for z > 0, `negativeSlope · z` otherwise (ReLU when the slope is 0).
    case leakyReLU(negativeSlope: Float)

    /// ReLU, max(z, 0).
    public static let relu = Activation.leakyReLU(negativeSlope: 0)
}

/// y = act(x Wᵀ + b) as one op: a sgemm, then one pass adding the bias and
/// applying the activation in place.
///
/// The same values as `leakyReLU(matmul(x, w, transposeB: true) + b)`, without
/// the two intermediate tensors and their passes over memory. The pullback
/// takes act′ from the sign of y (the sign of z, for a positive or zero slope):
/// dz = g ⊙ act′, db = Σ_rows dz, dW = dzᵀ x, dx = dz W.
public func affine(_ x: Variable, _ w: Variable, bias b: Variable?, activation: Activation = .identity) -> Variable {
    precondition(x.cols == w.cols, "affine: input \(x.shapeDescription) and weight \(w.shapeDescription) (out × in) do not fit")
    if let b {
        precondition(b.rows == 1 && b.cols == w.rows, "affine: bias \(b.shapeDescription) must be 1x\(w.rows)")
    }
    let (xv, wv) = (x.value, w.value)
    var y = BLAS.matmul(xv, wv, transposeB: true)
    let slope: Float? = if case let .leakyReLU(s) = activation { s } else { nil }
    let (rows, cols) = (y.rows, y.cols)
    let biasValue = b?.value
    if biasValue != nil || slope != nil {
        y.scalars.withUnsafeMutableBufferPointer { py in
            let bias = biasValue?.scalars ?? [Float](repeating: 0, count: cols)
            bias.withUnsafeBufferPointer { pb in
                parallelFor(rows, work: rows * cols) { range in
                    for i in range {
                        for j in 0..<cols {
                            let z = py[i * cols + j] + pb[j]
                            py[i * cols + j] = slope.map { z > 0 ? z : $0 * z } ?? z
                        }
                    }
                }
            }
        }
    }
    let (xi, wi, bi) = (x.id, w.id, b?.id)
    let inputs = [x, w] + (b.map { [$0] } ?? [])
    let out = y
    return x.tape.record(out, inputs: inputs) { g, grads in
        let dz = slope.map { s in g.parallelZip(out) { gk, yk in yk > 0 ? gk : s * gk } } ?? g
        if grads.needs(xi) { grads.accumulate(BLAS.matmul(dz, wv), into: xi) }
        if grads.needs(wi) { grads.accumulate(BLAS.matmul(dz, transposeA: true, xv), into: wi) }
        if let bi, grads.needs(bi) { grads.accumulate(dz.sumRows(), into: bi) }
    }
}
