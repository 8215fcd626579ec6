import Foundation

/// Joins matrices side by side: [x₁ ‖ x₂ ‖ …], all with the same row count.
public func concatColumns(_ parts: [Variable]) -> Variable {
    precondition(!parts.isEmpty, "concatColumns: no inputs")
    let m = parts[0].rows
    for p in parts {
        precondition(p.rows == m, "concatColumns: row counts differ, \(parts[0].shapeDescription) and \(p.shapeDescription)")
    }
    let widths = parts.map(\.cols)
    let out = Tensor.concatenatingColumns(parts.map(\.value))
    let ids = parts.map(\.id)
    return parts[0].tape.record(out, inputs: parts) { g, grads in
        var start = 0
        for (id, w) in zip(ids, widths) {
            if grads.needs(id) { grads.accumulate(g.columns(start..<(start + w)), into: id) }
            start += w
        }
    }
}

/// Stacks matrices on top of each other, all with the same column count.
public func concatRows(_ parts: [Variable]) -> Variable {
    precondition(!parts.isEmpty, "concatRows: no inputs")
    let n = parts[0].cols
    for p in parts {
        precondition(p.cols == n, "concatRows: column counts differ, \(parts[0].shapeDescription) and \(p.shapeDescription)")
    }
    var scalars: [Float] = []
    scalars.reserveCapacity(parts.reduce(0) { $0 + $1.value.count })
    for p in parts { scalars.append(contentsOf: p.value.scalars) }
    let heights = parts.map(\.rows)
    let ids = parts.map(\.id)
    let out = Tensor(rows: heights.reduce(0, +), cols: n, scalars: scalars)
    return parts[0].tape.record(out, inputs: parts) { g, grads in
        var start = 0
        for (id, h) in zip(ids, heights) {
            if grads.needs(id) { grads.accumulate(g.rows(start..<(start + h)), into: id) }
            start += h
        }
    }
}

/// Columns `range` of `x`.
public func sliceColumns(_ x: Variable, _ range: Range<Int>) -> Variable {
    precondition(range.lowerBound >= 0 && range.upperBound <= x.cols,
                 "sliceColumns: columns \(range) out of bounds for \(x.shapeDescription)")
    let xv = x.value
    let xi = x.id
    return x.tape.record(xv.columns(range), inputs: [x]) { g, grads in
        var dx = Tensor.zeros(like: xv)
        let (m, n, w) = (xv.rows, xv.cols, range.count)
        g.scalars.withUnsafeBufferPointer { pg in
            dx.scalars.withUnsafeMutableBufferPointer { pd in
                for i in 0..<m {
                    for j in 0..<w { pd[i * n + range.lowerBound + j] = pg[i * w + j] }
                }
            }
        }
        grads.accumulate(dx, into: xi)
    }
}

/// Rows `range` of `x`.
public func sliceRows(_ x: Variable, _ range: Range<Int>) -> Variable {
    precondition(range.lowerBound >= 0 && range.upperBound <= x.rows,
                 "sliceRows: rows \(range) out of bounds for \(x.shapeDescription)")
    let xv = x.value
    let xi = x.id
    return x.tape.record(xv.rows(range), inputs: [x]) { g, grads in
        var dx = Tensor.zeros(like: xv)
        dx.scalars.replaceSubrange((range.lowerBound * xv.cols)..<(range.upperBound * xv.cols), with: g.scalars)
        grads.accumulate(dx, into: xi)
    }
}

/// Rows `indices` of `table` (an embedding lookup). The pullback scatter-adds
/// into the table, so a repeated index gets the sum of its rows' gradients; it
/// sends back those rows alone (a `RowGradient`), not a zero-filled table.
public func gatherRows(_ table: Variable, _ indices: [Int32]) -> Variable {
    let tv = table.value
    let (m, d) = (tv.rows, tv.cols)
    for (k, r) in indices.enumerated() {
        precondition(r >= 0 && Int(r) < m,
                     "gatherRows: index \(r) at position \(k) is out of range for table \(tv.shapeDescription)")
    }
    let out = Tensor(rows: indices.count, cols: d) { dst in
        indices.withUnsafeBufferPointer { idx in
        tv.scalars.withUnsafeBufferPointer { src in
            parallelFor(idx.count, work: idx.count * d) { range in
                for k in range {
                    let s = Int(idx[k]) * d
                    for j in 0..<d { dst[k * d + j] = src[s + j] }
                }
            }
        }}
    }
    let ti = table.id
    return table.tape.record(out, inputs: [table]) { g, grads in
        grads.accumulate(scatterRows(g, indices, tableRows: m), into: ti)
    }
}

/// The distinct ids of `ids` in first-seen order, and each id's position
/// among them: `ids[k] == rows[Int(slot[k])]`. Lookups of a batch's rows from
/// a table computed at `rows` only (see `propagatedLayerMean`).
public func distinctRows(_ ids: [Int32]) -> (rows: [Int32], slot: [Int32]) {
    var position: [Int32: Int32] = [:]
    var rows: [Int32] = []
    let slot = ids.map { id -> Int32 in
        if let p = position[id] { return p }
        let p = Int32(rows.count)
        position[id] = p
        rows.append(id)
        return p
    }
    return (rows, slot)
}

/// The pullback of a row lookup: Σ of g's rows per distinct index, in the order
/// of `indices` (each sum starts from 0, as a scatter into a zero table would).
func scatterRows(_ g: Tensor, _ indices: [Int32], tableRows: Int) -> RowGradient {
    let d = g.cols
    var position = [Int32](repeating: -1, count: tableRows)
    var rows: [Int32] = []
    rows.reserveCapacity(indices.count)
    let slot = indices.map { r -> Int32 in
        if position[Int(r)] < 0 {
            position[Int(r)] = Int32(rows.count)
            rows.append(r)
        }
        return position[Int(r)]
    }
    var sums = Tensor(rows: rows.count, cols: d)
    slot.withUnsafeBufferPointer { sl in
    g.scalars.withUnsafeBufferPointer { pg in
    sums.scalars.withUnsafeMutableBufferPointer { ps in
        for k in 0..<sl.count {
            let o = Int(sl[k]) * d
            for j in 0..<d { ps[o + j] += pg[k * d + j] }
        }
    }}}
    return RowGradient(tableRows: tableRows, rows: rows, values: sums)
}

/// Row-wise dot product: y_k = a_k · b_k, a rows × 1 column.
public func rowDot(_ a: Variable, _ b: Variable) -> Variable {
    precondition(a.rows == b.rows && a.cols == b.cols,
                 "rowDot: shapes differ, \(a.shapeDescription) and \(b.shapeDescription)")
    let (av, bv) = (a.value, b.value)
    let (m, d) = (av.rows, av.cols)
    var out = Tensor(rows: m, cols: 1)
    av.scalars.withUnsafeBufferPointer { pa in
        bv.scalars.withUnsafeBufferPointer { pb in
            out.scalars.withUnsafeMutableBufferPointer { o in
                for i in 0..<m {
                    var s: Float = 0
                    for j in 0..<d { s += pa[i * d + j] * pb[i * d + j] }
                    o[i] = s
                }
            }
        }
    }
    let (ai, bi) = (a.id, b.id)
    return a.tape.record(out, inputs: [a, b]) { g, grads in
        if grads.needs(ai) { grads.accumulate(Tensor.broadcasting(bv, g, .column, *), into: ai) }
        if grads.needs(bi) { grads.accumulate(Tensor.broadcasting(av, g, .column, *), into: bi) }
    }
}

/// Each row divided by its Euclidean norm: y_k = x_k / max(‖x_k‖, ε), as
/// PyTorch's `F.normalize` (ε = 1e-12).
///
/// With `blocks` K > 1, each row is K equal column blocks and each block is
/// normalised on its own (DisenGCN's per-factor channels). Row-major, an
/// m × d tensor in K blocks is the (m·K) × (d/K) tensor of its blocks.
public func l2NormalizeRows(_ x: Variable, blocks: Int = 1, epsilon: Float = 1e-12) -> Variable {
    let xv = x.value
    precondition(blocks >= 1 && xv.cols % blocks == 0,
                 "l2NormalizeRows: \(xv.cols) columns do not split into \(blocks) equal blocks")
    let (m, d) = (xv.rows * blocks, xv.cols / blocks)
    var y = Tensor.zeros(like: xv)
    var norms = [Float](repeating: 0, count: m)
    xv.scalars.withUnsafeBufferPointer { px in
        y.scalars.withUnsafeMutableBufferPointer { py in
            norms.withUnsafeMutableBufferPointer { pn in
                parallelFor(m, work: m * d) { range in
                    for i in range {
                        let row = px.baseAddress! + i * d
                        let norm = max(dotRows(row, row, d).squareRoot(), epsilon)
                        pn[i] = norm
                        for j in 0..<d { py[i * d + j] = px[i * d + j] / norm }
                    }
                }
            }
        }
    }
    let xi = x.id
    return x.tape.record(y, inputs: [x]) { g, grads in
        // For ‖x‖ > ε: dx = (g − y (y · g)) / ‖x‖; below ε the map is x / ε.
        var dx = Tensor.zeros(like: xv)
        y.scalars.withUnsafeBufferPointer { py in
            g.scalars.withUnsafeBufferPointer { pg in
                norms.withUnsafeBufferPointer { pn in
                    dx.scalars.withUnsafeMutableBufferPointer { pd in
                        parallelFor(m, work: m * d) { range in
                            for i in range {
                                let norm = pn[i]
                                let dot = norm > epsilon
                                    ? dotRows(py.baseAddress! + i * d, pg.baseAddress! + i * d, d) : 0
                                for j in 0..<d { pd[i * d + j] = (pg[i * d + j] - py[i * d + j] * dot) / norm }
                            }
                        }
                    }
                }
            }
        }
        grads.accumulate(dx, into: xi)
    }
}

/// Inverted dropout: each entry is zeroed with probability `rate` and the rest
/// are scaled by 1 / (1 − rate). The mask comes from `rng`, so it is seeded.
/// Call it only in training; at evaluation leave it out.
public func dropout(_ x: Variable, rate: Float, rng: inout RandomGenerator) -> Variable {
    precondition(rate >= 0 && rate < 1, "dropout: rate \(rate) is outside [0, 1)")
    if rate == 0 { return x }
    let keep = 1 / (1 - rate)
    var mask = Tensor.zeros(like: x.value)
    mask.scalars.withUnsafeMutableBufferPointer { pm in
        for k in 0..<pm.count { pm[k] = rng.nextUniform() < rate ? 0 : keep }
    }
    let out = Tensor.zip(x.value, mask, op: "dropout", *)
    let xi = x.id
    return x.tape.record(out, inputs: [x]) { g, grads in
        grads.accumulate(Tensor.zip(g, mask, op: "dropout", *), into: xi)
    }
}

extension Tensor {
    /// [x₁ ‖ x₂ ‖ …] as a new tensor; every part has the same row count.
    /// Rows are copied on all cores, each row written once.
    public static func concatenatingColumns(_ parts: [Tensor]) -> Tensor {
        let m = parts[0].rows
        let n = parts.reduce(0) { $0 + $1.cols }
        for part in parts {
            precondition(part.rows == m, "concatenatingColumns: row counts differ, \(m) and \(part.rows)")
        }
        return Tensor(rows: m, cols: n) { dst in
            var offset = 0
            for part in parts {
                let w = part.cols
                part.scalars.withUnsafeBufferPointer { src in
                    let (s, d) = (src.baseAddress, dst.baseAddress!)
                    if w > 0, let s {
                        parallelFor(m, work: m * w) { rows in
                            for i in rows { (d + i * n + offset).update(from: s + i * w, count: w) }
                        }
                    }
                }
                offset += w
            }
        }
    }

    /// Columns `range` as a new tensor, copied on all cores.
    public func columns(_ range: Range<Int>) -> Tensor {
        let (m, n, w) = (rows, cols, range.count)
        return scalars.withUnsafeBufferPointer { src in
            Tensor(rows: m, cols: w) { dst in
                guard w > 0, let s = src.baseAddress, let d = dst.baseAddress else { return }
                parallelFor(m, work: m * w) { rows in
                    for i in rows { (d + i * w).update(from: s + i * n + range.lowerBound, count: w) }
                }
            }
        }
    }

    /// Rows `range` as a new tensor.
    public func rows(_ range: Range<Int>) -> Tensor {
        Tensor(rows: range.count, cols: cols,
               scalars: Array(scalars[(range.lowerBound * cols)..<(range.upperBound * cols)]))
    }
}
