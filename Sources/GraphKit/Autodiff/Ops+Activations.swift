import Foundation

/// Records an element-wise op y = f(x) whose derivative is `derivative(x, y)`.
@inline(__always)
private func elementwise(_ x: Variable, _ f: (Float) -> Float,
                         derivative: @escaping (Float, Float) -> Float) -> Variable {
    let xv = x.value
    let y = xv.map(f)
    let xi = x.id
    return x.tape.record(y, inputs: [x]) { g, grads in
        var dx = Tensor.zeros(like: xv)
        let n = xv.count
        xv.scalars.withUnsafeBufferPointer { px in
            y.scalars.withUnsafeBufferPointer { py in
                g.scalars.withUnsafeBufferPointer { pg in
                    dx.scalars.withUnsafeMutableBufferPointer { pd in
                        for k in 0..<n { pd[k] = pg[k] * derivative(px[k], py[k]) }
                    }
                }
            }
        }
        grads.accumulate(dx, into: xi)
    }
}

/// A piecewise-linear activation: y = x for x > 0, `slope · x` otherwise.
/// Its own kernels (rather than `elementwise`) keep the two hottest
/// activations free of per-entry closure calls.
private func piecewiseLinear(_ x: Variable, slope: Float) -> Variable {
    let xv = x.value
    let y = xv.parallelMap { $0 > 0 ? $0 : slope * $0 }
    let xi = x.id
    return x.tape.record(y, inputs: [x]) { g, grads in
        grads.accumulate(g.parallelZip(xv) { gk, xk in xk > 0 ? gk : slope * gk }, into: xi)
    }
}

/// max(x, 0).
public func relu(_ x: Variable) -> Variable {
    piecewiseLinear(x, slope: 0)
}

/// The element-wise maximum of two same-shaped nodes, as b + relu(a − b).
/// The gradient goes to the larger entry; at a tie, to `b`.
public func maximum(_ a: Variable, _ b: Variable) -> Variable {
    b + relu(a - b)
}

/// x for x > 0, `negativeSlope * x` otherwise (slope 0.01 by default).
public func leakyReLU(_ x: Variable, negativeSlope: Float = 0.01) -> Variable {
    piecewiseLinear(x, slope: negativeSlope)
}

/// x for x > 0, exp(x) − 1 otherwise (ELU with α = 1).
public func elu(_ x: Variable) -> Variable {
    elementwise(x, { $0 > 0 ? $0 : Foundation.expm1($0) }, derivative: { x, y in x > 0 ? 1 : y + 1 })
}

/// The logistic function 1 / (1 + e^−x).
public func sigmoid(_ x: Variable) -> Variable {
    elementwise(x, logistic, derivative: { _, y in y * (1 - y) })
}

/// Hyperbolic tangent.
public func tanh(_ x: Variable) -> Variable {
    elementwise(x, { Foundation.tanh($0) }, derivative: { _, y in 1 - y * y })
}

/// e^x.
public func exp(_ x: Variable) -> Variable {
    elementwise(x, { Foundation.exp($0) }, derivative: { _, y in y })
}

/// Natural logarithm.
public func log(_ x: Variable) -> Variable {
    elementwise(x, { Foundation.log($0) }, derivative: { x, _ in 1 / x })
}

/// √x, for x ≥ 0.
public func sqrt(_ x: Variable) -> Variable {
    elementwise(x, { $0.squareRoot() }, derivative: { _, y in 1 / (2 * y) })
}

/// x^{−1/2} where x > 0, and 0 where x ≤ 0: the D^{−1/2} of a normalisation
/// whose degrees may vanish (a node without weight sends and receives nothing).
public func inverseSquareRoot(_ x: Variable) -> Variable {
    elementwise(x, { $0 > 0 ? 1 / $0.squareRoot() : 0 }, derivative: { x, y in x > 0 ? -0.5 * y / x : 0 })
}

/// ln(1 + e^x), computed stably as max(x, 0) + ln(1 + e^−|x|).
public func softplus(_ x: Variable) -> Variable {
    elementwise(x, stableSoftplus, derivative: { x, _ in logistic(x) })
}

/// ln σ(x) = −softplus(−x).
public func logSigmoid(_ x: Variable) -> Variable {
    elementwise(x, { -stableSoftplus(-$0) }, derivative: { x, _ in logistic(-x) })
}

/// σ(x), written so that it neither overflows nor loses the small tail.
@inline(__always)
func logistic(_ x: Float) -> Float {
    if x >= 0 { return 1 / (1 + Foundation.exp(-x)) }
    let e = Foundation.exp(x)
    return e / (1 + e)
}

/// ln(1 + e^x) without overflow.
@inline(__always)
func stableSoftplus(_ x: Float) -> Float {
    max(x, 0) + Foundation.log1p(Foundation.exp(-abs(x)))
}

/// Softmax along each row: y_ij = e^{x_ij} / Σ_k e^{x_ik}.
public func softmaxRows(_ x: Variable) -> Variable {
    let y = rowSoftmax(x.value).softmax
    let (m, n) = (y.rows, y.cols)
    let xi = x.id
    return x.tape.record(y, inputs: [x]) { g, grads in
        // dx_ij = y_ij (g_ij − Σ_k y_ik g_ik)
        var dx = Tensor.zeros(like: y)
        y.scalars.withUnsafeBufferPointer { py in
            g.scalars.withUnsafeBufferPointer { pg in
                dx.scalars.withUnsafeMutableBufferPointer { pd in
                    parallelFor(m, work: m * n * 2) { range in
                        for i in range {
                            let row = i * n
                            var dot: Float = 0
                            for j in 0..<n { dot += py[row + j] * pg[row + j] }
                            for j in 0..<n { pd[row + j] = py[row + j] * (pg[row + j] - dot) }
                        }
                    }
                }
            }
        }
        grads.accumulate(dx, into: xi)
    }
}

/// Each row's softmax and its log-sum-exp m_i + log Σ_j exp(x_ij − m_i), m_i
/// the row's maximum: the forward pass of `softmaxRows` and `logSumExpRows`.
func rowSoftmax(_ x: Tensor) -> (softmax: Tensor, logSumExp: Tensor) {
    let (m, n) = (x.rows, x.cols)
    var y = Tensor.zeros(like: x)
    var lse = Tensor(rows: m, cols: 1)
    x.scalars.withUnsafeBufferPointer { px in
    y.scalars.withUnsafeMutableBufferPointer { py in
    lse.scalars.withUnsafeMutableBufferPointer { pl in
        parallelFor(m, work: m * n * 8) { range in
            for i in range {
                let row = i * n
                var top = -Float.infinity
                for j in 0..<n { top = max(top, px[row + j]) }
                var total: Float = 0
                for j in 0..<n {
                    let e = Foundation.exp(px[row + j] - top)
                    py[row + j] = e
                    total += e
                }
                pl[i] = top + Foundation.log(total)
                let inverse = 1 / total
                for j in 0..<n { py[row + j] *= inverse }
            }
        }
    }}}
    return (y, lse)
}
