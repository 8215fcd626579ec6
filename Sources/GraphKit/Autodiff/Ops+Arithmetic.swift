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

/// `-x`.
public prefix func - (x: Variable) -> Variable { scale(x, by: -1) }
