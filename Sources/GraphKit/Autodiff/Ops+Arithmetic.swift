// Binary arithmetic with broadcasting of the right operand: same shape, a row
// (1 × cols), a column (rows × 1) or a scalar (1 × 1). When the left operand is
// the smaller one, the operands are swapped for the element-wise kernel.

/// Broadcasts `a` and `b` to a common shape and applies `f`; returns the result
/// and which operand was broadcast how.
private func broadcastPair(_ a: Tensor, _ b: Tensor, op: String,
                           _ f: (Float, Float) -> Float) -> (Tensor, Broadcast, Broadcast) {
    if let kind = Broadcast.of(b, to: a) {
        return (Tensor.broadcasting(a, b, kind, f), .none, kind)
    }
    if let kind = Broadcast.of(a, to: b) {
        return (Tensor.broadcasting(b, a, kind) { y, x in f(x, y) }, kind, .none)
    }
    preconditionFailure("\(op): shapes \(a.shapeDescription) and \(b.shapeDescription) do not broadcast")
}

/// Element-wise sum, with broadcasting.
public func + (a: Variable, b: Variable) -> Variable {
    let (out, ka, kb) = broadcastPair(a.value, b.value, op: "add") { $0 + $1 }
    let (ai, bi) = (a.id, b.id)
    return a.tape.record(out, inputs: [a, b]) { g, grads in
        if grads.needs(ai) { grads.accumulate(g.reduced(to: ka), into: ai) }
        if grads.needs(bi) { grads.accumulate(g.reduced(to: kb), into: bi) }
    }
}

/// Element-wise difference, with broadcasting.
public func - (a: Variable, b: Variable) -> Variable {
    let (out, ka, kb) = broadcastPair(a.value, b.value, op: "sub") { $0 - $1 }
    let (ai, bi) = (a.id, b.id)
    return a.tape.record(out, inputs: [a, b]) { g, grads in
        if grads.needs(ai) { grads.accumulate(g.reduced(to: ka), into: ai) }
        if grads.needs(bi) { grads.accumulate(g.reduced(to: kb).scaled(by: -1), into: bi) }
    }
}

/// Element-wise (Hadamard) product ⊙, with broadcasting.
public func * (a: Variable, b: Variable) -> Variable {
    let (av, bv) = (a.value, b.value)
    let (out, ka, kb) = broadcastPair(av, bv, op: "mul") { $0 * $1 }
    let (ai, bi) = (a.id, b.id)
    return a.tape.record(out, inputs: [a, b]) { g, grads in
        // d(a ⊙ b) = da ⊙ b + a ⊙ db, then summed back to each operand's shape.
        if grads.needs(ai) {
            let full = ka == .none ? Tensor.broadcasting(g, bv, kb) { $0 * $1 } : Tensor.broadcasting(g, bv, .none) { $0 * $1 }
            grads.accumulate(full.reduced(to: ka), into: ai)
        }
        if grads.needs(bi) {
            let full = kb == .none ? Tensor.broadcasting(g, av, ka) { $0 * $1 } : Tensor.broadcasting(g, av, .none) { $0 * $1 }
            grads.accumulate(full.reduced(to: kb), into: bi)
        }
    }
}

/// Element-wise quotient, with broadcasting.
public func / (a: Variable, b: Variable) -> Variable {
    let (av, bv) = (a.value, b.value)
    let (out, ka, kb) = broadcastPair(av, bv, op: "div") { $0 / $1 }
    let (ai, bi) = (a.id, b.id)
    return a.tape.record(out, inputs: [a, b]) { g, grads in
        // d(a / b) = da / b − (a / b²) db = da / b − (out / b) db.
        if grads.needs(ai) {
            let full = ka == .none ? Tensor.broadcasting(g, bv, kb) { $0 / $1 } : Tensor.broadcasting(g, bv, .none) { $0 / $1 }
            grads.accumulate(full.reduced(to: ka), into: ai)
        }
        if grads.needs(bi) {
            // g ⊙ out / b, at the full shape, with b broadcast when it is the small one.
            let gOut = Tensor.zip(g, out, op: "div") { $0 * $1 }
            let quotient = Tensor.broadcasting(gOut, bv, kb) { -$0 / $1 }
            grads.accumulate(quotient.reduced(to: kb), into: bi)
        }
    }
}

/// `alpha * x`.
public func scale(_ x: Variable, by alpha: Float) -> Variable {
    let xi = x.id
    return x.tape.record(x.value.scaled(by: alpha), inputs: [x]) { g, grads in
        grads.accumulate(g.scaled(by: alpha), into: xi)
    }
}

/// `alpha * x`.
public func * (alpha: Float, x: Variable) -> Variable { scale(x, by: alpha) }

/// `alpha · (x₀ + x₁ + … + x_n)`, summed left to right, in one pass over the
/// entries: the mean of a stack of layers (LightGCN eq. 4) without a new table
/// per partial sum. The same bits as `scale(((x₀ + x₁) + …) + x_n, by: alpha)`:
/// each partial sum is rounded to Float as there. Every input receives the
/// same gradient, alpha · g.
public func scaledSum(_ parts: [Variable], by alpha: Float) -> Variable {
    precondition(!parts.isEmpty, "scaledSum: no inputs")
    let (m, n) = (parts[0].rows, parts[0].cols)
    for p in parts {
        precondition(p.rows == m && p.cols == n,
                     "scaledSum: shapes differ, \(parts[0].shapeDescription) and \(p.shapeDescription)")
    }
    let values = parts.map(\.value)
    let count = m * n
    let out = Tensor(rows: m, cols: n) { o in
        withBuffers(values) { inputs in
            parallelFor(count, work: count * values.count) { range in
                for k in range {
                    var sum = inputs[0][k]
                    for j in 1..<inputs.count { sum += inputs[j][k] }
                    o[k] = sum * alpha
                }
            }
        }
    }
    let ids = parts.map(\.id)
    return parts[0].tape.record(out, inputs: parts) { g, grads in
        let share = g.scaled(by: alpha)
        for id in ids where grads.needs(id) { grads.accumulate(share, into: id) }
    }
}

/// Calls `body` with a base pointer for each tensor's entries, valid for its duration.
func withBuffers<R>(_ tensors: [Tensor], _ body: ([UnsafePointer<Float>]) -> R) -> R {
    func nest(_ k: Int, _ pointers: [UnsafePointer<Float>]) -> R {
        if k == tensors.count { return body(pointers) }
        return tensors[k].scalars.withUnsafeBufferPointer { nest(k + 1, pointers + [$0.baseAddress!]) }
    }
    return nest(0, [])
}

/// `-x`.
public prefix func - (x: Variable) -> Variable { scale(x, by: -1) }
