/// A gradient that is zero except on a few rows of a table: what an embedding
/// lookup sends back. Kept as those rows alone until something needs the whole
/// table, so that a 2048-row batch does not cost a zero-filled pass, a scatter
/// and an addition over a table of tens of thousands of rows.
///
/// Adding rows gives the same bits as adding the zero-filled table would:
/// x + 0 = x, and IEEE addition is commutative, so only the order in which
/// contributions arrive matters, and that order is kept.
public struct RowGradient {
    /// Rows of the table in the full gradient (`tableRows` × d).
    public let tableRows: Int
    /// The rows that may be non-zero, each once.
    public private(set) var rows: [Int32]
    /// Their values, one row per entry of `rows` (rows.count × d).
    public private(set) var values: Tensor

    /// The gradient that is `values` on `rows` (distinct, each in 0..<tableRows) and zero elsewhere.
    public init(tableRows: Int, rows: [Int32], values: Tensor) {
        precondition(values.rows == rows.count,
                     "RowGradient: \(rows.count) rows but values \(values.shapeDescription)")
        self.tableRows = tableRows
        self.rows = rows
        self.values = values
    }

    /// Columns d.
    public var cols: Int { values.cols }

    /// The whole table: zeros, with `values` written into `rows`.
    public func dense() -> Tensor {
        var out = Tensor(rows: tableRows, cols: cols)
        add(into: &out)
        return out
    }

    /// table[r] += values[r] on the rows, in place.
    public func add(into table: inout Tensor) {
        precondition(table.rows == tableRows && table.cols == cols,
                     "RowGradient: rows of a \(tableRows)x\(cols) gradient added to \(table.shapeDescription)")
        let d = cols
        rows.withUnsafeBufferPointer { r in
        values.scalars.withUnsafeBufferPointer { v in
        table.scalars.withUnsafeMutableBufferPointer { t in
            parallelFor(r.count, work: r.count * d) { range in
                for k in range {
                    let (o, s) = (Int(r[k]) * d, k * d)
                    for j in 0..<d { t[o + j] += v[s + j] }
                }
            }
        }}}
    }

    /// self + other, row by row (self's rows first, then other's new ones).
    public func adding(_ other: RowGradient) -> RowGradient {
        precondition(other.tableRows == tableRows && other.cols == cols,
                     "RowGradient: a \(other.tableRows)x\(other.cols) gradient added to a \(tableRows)x\(cols) one")
        let d = cols
        var position = [Int32](repeating: -1, count: tableRows)
        for (k, r) in rows.enumerated() { position[Int(r)] = Int32(k) }
        var merged = rows
        for r in other.rows where position[Int(r)] < 0 {
            position[Int(r)] = Int32(merged.count)
            merged.append(r)
        }
        var sum = Tensor(rows: merged.count, cols: d)
        sum.scalars.withUnsafeMutableBufferPointer { s in
            values.scalars.withUnsafeBufferPointer { v in
                for k in 0..<(rows.count * d) { s[k] = v[k] }
            }
            other.values.scalars.withUnsafeBufferPointer { v in
                for (k, r) in other.rows.enumerated() {
                    let o = Int(position[Int(r)]) * d
                    for j in 0..<d { s[o + j] += v[k * d + j] }
                }
            }
        }
        return RowGradient(tableRows: tableRows, rows: merged, values: sum)
    }
}
