// Element-wise kernels over unsafe buffers. They allocate one output per call,
// never per element, and split large tensors across cores.

extension Tensor {
    /// `self += alpha * other`.
    ///
    /// A plain loop split across cores rather than `cblas_saxpy`: a level-1 call
    /// wakes OpenBLAS's own threads, which then spin and steal the cores.
    public mutating func add(_ other: Tensor, scaledBy alpha: Float = 1) {
        precondition(rows == other.rows && cols == other.cols,
                     "add: shapes differ, \(shapeDescription) and \(other.shapeDescription)")
        let n = count
        other.scalars.withUnsafeBufferPointer { x in
            scalars.withUnsafeMutableBufferPointer { y in
                parallelFor(n, work: n) { range in
                    for k in range { y[k] += alpha * x[k] }
                }
            }
        }
    }

    /// `alpha * self`, as a new tensor.
    public func scaled(by alpha: Float) -> Tensor {
        parallelMap { $0 * alpha }
    }

    /// Applies `f` to every entry.
    @inlinable
    public func map(_ f: (Float) -> Float) -> Tensor {
        var out = Tensor(rows: rows, cols: cols)
        let n = count
        scalars.withUnsafeBufferPointer { a in
            out.scalars.withUnsafeMutableBufferPointer { o in
                for k in 0..<n { o[k] = f(a[k]) }
            }
        }
        return out
    }

    /// Applies `f` to every entry, split across cores for large tensors.
    /// Inlined so that `f` is specialised into the loop rather than called per entry.
    @inline(__always)
    func parallelMap(_ f: (Float) -> Float) -> Tensor {
        let n = count
        return scalars.withUnsafeBufferPointer { a in
            Tensor(rows: rows, cols: cols) { o in
                parallelFor(n, work: n) { range in
                    for k in range { o[k] = f(a[k]) }
                }
            }
        }
    }

    /// Combines `self` with a same-shaped tensor entry by entry, split across
    /// cores for large tensors; inlined so that `f` is specialised.
    @inline(__always)
    func parallelZip(_ other: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(rows == other.rows && cols == other.cols,
                     "zip: shapes differ, \(shapeDescription) and \(other.shapeDescription)")
        let n = count
        return scalars.withUnsafeBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in
                Tensor(rows: rows, cols: cols) { o in
                    parallelFor(n, work: n) { range in
                        for k in range { o[k] = f(a[k], b[k]) }
                    }
                }
            }
        }
    }

    /// Combines two tensors of the same shape entry by entry.
    @inlinable
    public static func zip(_ a: Tensor, _ b: Tensor, op: String, _ f: (Float, Float) -> Float) -> Tensor {
        precondition(a.rows == b.rows && a.cols == b.cols,
                     "\(op): shapes differ, \(a.shapeDescription) and \(b.shapeDescription)")
        var out = Tensor(rows: a.rows, cols: a.cols)
        let n = a.count
        a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                out.scalars.withUnsafeMutableBufferPointer { o in
                    for k in 0..<n { o[k] = f(pa[k], pb[k]) }
                }
            }
        }
        return out
    }

    /// Sum of all entries, accumulated in Double.
    public var sum: Double {
        scalars.withUnsafeBufferPointer { p in
            var s = 0.0
            for v in p { s += Double(v) }
            return s
        }
    }

    /// Sum of squares of all entries, accumulated in Double.
    public var squaredNorm: Double {
        scalars.withUnsafeBufferPointer { p in
            var s = 0.0
            for v in p { s += Double(v) * Double(v) }
            return s
        }
    }
}

/// How the right operand of a binary op is broadcast to the left's shape.
enum Broadcast {
    case none, row, column, scalar

    /// The broadcast that makes `b` fit `a`, or nil when none does.
    static func of(_ b: Tensor, to a: Tensor) -> Broadcast? {
        if b.rows == a.rows && b.cols == a.cols { return Broadcast.none }
        if b.rows == 1 && b.cols == 1 { return .scalar }
        if b.rows == 1 && b.cols == a.cols { return .row }
        if b.cols == 1 && b.rows == a.rows { return .column }
        return nil
    }
}

extension Tensor {
    /// `a ∘ b` where `b` is broadcast to `a`'s shape along rows, columns or both.
    /// Inlined so that `f` is specialised into the loops; large tensors are
    /// split across cores by rows.
    @inline(__always)
    static func broadcasting(_ a: Tensor, _ b: Tensor, _ kind: Broadcast,
                             _ f: (Float, Float) -> Float) -> Tensor {
        let (m, n) = (a.rows, a.cols)
        return a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                Tensor(rows: m, cols: n) { o in
                    parallelFor(m, work: m * n) { rows in
                        switch kind {
                        case .none:
                            for k in (rows.lowerBound * n)..<(rows.upperBound * n) { o[k] = f(pa[k], pb[k]) }
                        case .scalar:
                            let s = pb[0]
                            for k in (rows.lowerBound * n)..<(rows.upperBound * n) { o[k] = f(pa[k], s) }
                        case .row:
                            for i in rows {
                                for j in 0..<n { o[i * n + j] = f(pa[i * n + j], pb[j]) }
                            }
                        case .column:
                            for i in rows {
                                let s = pb[i]
                                for j in 0..<n { o[i * n + j] = f(pa[i * n + j], s) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Sums `self` down to the shape of a broadcast operand (the pullback of broadcasting).
    func reduced(to kind: Broadcast) -> Tensor {
        switch kind {
        case .none: return self
        case .scalar: return Tensor(scalar: Float(sum))
        case .row: return sumRows()
        case .column: return sumColumns()
        }
    }

    /// Sum over rows: a 1 × cols tensor.
    func sumRows() -> Tensor {
        var out = [Double](repeating: 0, count: cols)
        let (m, n) = (rows, cols)
        scalars.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer { o in
                // Columns are cut across cores; each column is summed over all
                // rows in order, so the bits do not depend on the cut.
                parallelFor(n, work: m * n) { columns in
                    for i in 0..<m {
                        for j in columns { o[j] += Double(p[i * n + j]) }
                    }
                }
            }
        }
        return Tensor(rows: 1, cols: cols, scalars: out.map { Float($0) })
    }

    /// Sum over columns: a rows × 1 tensor.
    func sumColumns() -> Tensor {
        var out = Tensor(rows: rows, cols: 1)
        let (m, n) = (rows, cols)
        scalars.withUnsafeBufferPointer { p in
            out.scalars.withUnsafeMutableBufferPointer { o in
                for i in 0..<m {
                    var s: Float = 0
                    for j in 0..<n { s += p[i * n + j] }
                    o[i] = s
                }
            }
        }
        return out
    }
}
