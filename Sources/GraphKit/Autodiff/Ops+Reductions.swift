/// An axis of a matrix: `.rows` reduces over the rows (giving 1 × cols),
/// `.columns` over the columns (giving rows × 1).
public enum Axis: Sendable {
    /// Reduce down the rows, one result per column.
    case rows
    /// Reduce across the columns, one result per row.
    case columns
}

/// Sum of all entries, as a 1 × 1 node.
public func sum(_ x: Variable) -> Variable {
    let (m, n) = (x.rows, x.cols)
    let xi = x.id
    return x.tape.record(Tensor(scalar: Float(x.value.sum)), inputs: [x]) { g, grads in
        grads.accumulate(Tensor(rows: m, cols: n, repeating: g.scalar), into: xi)
    }
}

/// Mean of all entries, as a 1 × 1 node.
public func mean(_ x: Variable) -> Variable {
    precondition(x.value.count > 0, "mean: empty tensor \(x.shapeDescription)")
    return scale(sum(x), by: 1 / Float(x.value.count))
}

/// Sum along an axis: `.rows` gives 1 × cols, `.columns` gives rows × 1.
public func sum(_ x: Variable, along axis: Axis) -> Variable {
    let xv = x.value
    let xi = x.id
    switch axis {
    case .rows:
        return x.tape.record(xv.sumRows(), inputs: [x]) { g, grads in
            grads.accumulate(Tensor.broadcasting(Tensor.zeros(like: xv), g, .row) { _, b in b }, into: xi)
        }
    case .columns:
        return x.tape.record(xv.sumColumns(), inputs: [x]) { g, grads in
            grads.accumulate(Tensor.broadcasting(Tensor.zeros(like: xv), g, .column) { _, b in b }, into: xi)
        }
    }
}

/// Mean along an axis: `.rows` gives 1 × cols, `.columns` gives rows × 1.
public func mean(_ x: Variable, along axis: Axis) -> Variable {
    let n = axis == .rows ? x.rows : x.cols
    precondition(n > 0, "mean(along:): empty axis in \(x.shapeDescription)")
    return scale(sum(x, along: axis), by: 1 / Float(n))
}

/// Sum of squares of all entries, ‖x‖², as a 1 × 1 node.
public func squaredNorm(_ x: Variable) -> Variable {
    let xv = x.value
    let xi = x.id
    return x.tape.record(Tensor(scalar: Float(xv.squaredNorm)), inputs: [x]) { g, grads in
        grads.accumulate(xv.scaled(by: 2 * g.scalar), into: xi)
    }
}

/// log Σ_j exp(x_ij) of each row, as rows × 1, computed stably as
/// m_i + log Σ_j exp(x_ij − m_i) with m_i the row's maximum. The gradient of
/// row i is g_i · softmax(x_i): InfoNCE's denominator.
public func logSumExpRows(_ x: Variable) -> Variable {
    let xv = x.value
    precondition(xv.cols > 0, "logSumExpRows: rows of \(x.shapeDescription) are empty")
    // softmax(x_i) is kept for the pullback.
    let (weights, out) = rowSoftmax(xv)
    let xi = x.id
    return x.tape.record(out, inputs: [x]) { g, grads in
        grads.accumulate(Tensor.broadcasting(weights, g, .column) { w, gi in w * gi }, into: xi)
    }
}
