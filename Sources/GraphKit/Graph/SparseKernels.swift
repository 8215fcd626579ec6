import Foundation

// The sparse kernels behind every graph op. Each loops over one CSR direction
// of an `Adjacency`, owns whole output rows per thread (split by entry count),
// and so needs no atomics and gives the same bits on every run.

/// Which rows of the input a by-target entry reads.
enum TargetSideRead {
    /// The entry's source node (input has sourceCount rows).
    case source
    /// The entry's canonical edge (input has edgeCount rows).
    case edge
}

/// Which rows of the input a by-source entry reads.
enum SourceSideRead {
    /// The entry's target node (input has targetCount rows).
    case target
    /// The entry's canonical edge (input has edgeCount rows).
    case edge
}

/// Calls `body` with the buffer of `array`, or with nil when there is none.
@inline(__always)
func withOptionalBuffer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}

enum SparseKernels {
    /// out[t] = scale[t] · Σ_{k ∈ row t} w[edge k] · input[read(k)]   (targetCount × d)
    static func aggregate(_ adj: Adjacency, read: TargetSideRead, weights: [Float]?, scale: [Float]?,
                          _ input: Tensor) -> Tensor {
        let d = input.cols
        if d == 0 { return Tensor(rows: adj.targetCount, cols: 0) }
        let out = Tensor(rows: adj.targetCount, cols: d) { po in
        adj.rowPtr.withUnsafeBufferPointer { rp in
        adj.source.withUnsafeBufferPointer { src in
        adj.edge.withUnsafeBufferPointer { edge in
        withOptionalBuffer(weights) { w in
        withOptionalBuffer(scale) { sc in
        input.scalars.withUnsafeBufferPointer { px in
            let rows = read == .source ? src : edge
            let (x, o) = (px.baseAddress!, po.baseAddress!)
            parallelForRows(rp, work: adj.edgeCount * d) { range in
                for t in range {
                    let entries = Int(rp[t])..<Int(rp[t + 1])
                    let s: Float = sc?[t] ?? 1
                    if let w {
                        accumulateRows(into: o + t * d, d: d, entries: entries, scale: s, from: x,
                                       row: { Int(rows[$0]) }, weight: { w[Int(edge[$0])] })
                    } else {
                        accumulateRows(into: o + t * d, d: d, entries: entries, scale: s, from: x,
                                       row: { Int(rows[$0]) }, weight: { _ in 1 })
                    }
                }
            }
        }}}}}}
        }
        return out
    }

    /// `aggregate` with read `.source` at the targets `targets` alone: row i of
    /// the output (targets.count × d) is row targets[i] of the whole product,
    /// the same bits, computed by the same row loop.
    static func aggregate(_ adj: Adjacency, weights: [Float], _ input: Tensor, targets: [Int32]) -> Tensor {
        let d = input.cols
        if d == 0 { return Tensor(rows: targets.count, cols: 0) }
        let work = targets.reduce(0) { $0 + Int(adj.rowPtr[Int($1) + 1] - adj.rowPtr[Int($1)]) } * d
        return Tensor(rows: targets.count, cols: d) { po in
        adj.rowPtr.withUnsafeBufferPointer { rp in
        adj.source.withUnsafeBufferPointer { src in
        adj.edge.withUnsafeBufferPointer { edge in
        weights.withUnsafeBufferPointer { w in
        targets.withUnsafeBufferPointer { tg in
        input.scalars.withUnsafeBufferPointer { px in
            let (x, o) = (px.baseAddress!, po.baseAddress!)
            parallelFor(tg.count, work: work) { range in
                for i in range {
                    let t = Int(tg[i])
                    accumulateRows(into: o + i * d, d: d, entries: Int(rp[t])..<Int(rp[t + 1]), scale: 1, from: x,
                                   row: { Int(src[$0]) }, weight: { w[Int(edge[$0])] })
                }
            }
        }}}}}}
        }
    }

    /// out[s] = Σ_{by-source entries k' of s} w[edge] · scale[target] · input[read(k')]
    /// (sourceCount × d): the transpose of `aggregate`, for gradients into sources.
    static func aggregateBySource(_ adj: Adjacency, read: SourceSideRead, weights: [Float]?, scale: [Float]?,
                                  _ input: Tensor) -> Tensor {
        let d = input.cols
        if d == 0 { return Tensor(rows: adj.sourceCount, cols: 0) }
        let out = Tensor(rows: adj.sourceCount, cols: d) { po in
        adj.sourceRowPtr.withUnsafeBufferPointer { rp in
        adj.target.withUnsafeBufferPointer { tgt in
        adj.sourceEdge.withUnsafeBufferPointer { edge in
        withOptionalBuffer(weights) { w in
        withOptionalBuffer(scale) { sc in
        input.scalars.withUnsafeBufferPointer { px in
            let rows = read == .target ? tgt : edge
            let (x, o) = (px.baseAddress!, po.baseAddress!)
            parallelForRows(rp, work: adj.edgeCount * d) { range in
                for s in range {
                    let entries = Int(rp[s])..<Int(rp[s + 1])
                    switch (w, sc) {
                    case let (w?, sc?):
                        accumulateRows(into: o + s * d, d: d, entries: entries, scale: 1, from: x,
                                       row: { Int(rows[$0]) }, weight: { w[Int(edge[$0])] * sc[Int(tgt[$0])] })
                    case let (w?, nil):
                        accumulateRows(into: o + s * d, d: d, entries: entries, scale: 1, from: x,
                                       row: { Int(rows[$0]) }, weight: { w[Int(edge[$0])] })
                    case let (nil, sc?):
                        accumulateRows(into: o + s * d, d: d, entries: entries, scale: 1, from: x,
                                       row: { Int(rows[$0]) }, weight: { sc[Int(tgt[$0])] })
                    case (nil, nil):
                        accumulateRows(into: o + s * d, d: d, entries: entries, scale: 1, from: x,
                                       row: { Int(rows[$0]) }, weight: { _ in 1 })
                    }
                }
            }
        }}}}}}
        }
        return out
    }

    /// `aggregateBySource` with read `.target` of a gradient that is zero
    /// outside a few target rows (`input`'s rows are targets `rows`): only the
    /// entries that meet those rows are read, in the same order, so each output
    /// row is the same sum as over the zero-filled table, without the zeros.
    static func aggregateBySource(_ adj: Adjacency, weights: [Float], _ input: RowGradient) -> Tensor {
        let d = input.cols
        if d == 0 { return Tensor(rows: adj.sourceCount, cols: 0) }
        var position = [Int32](repeating: -1, count: adj.targetCount)
        for (k, t) in input.rows.enumerated() { position[Int(t)] = Int32(k) }
        // The entries that meet the rows, by source, and where each source's run starts.
        var kept: [Int32] = []
        kept.reserveCapacity(adj.edgeCount)
        var start = [Int32](repeating: 0, count: adj.sourceCount + 1)
        adj.sourceRowPtr.withUnsafeBufferPointer { rp in
        adj.target.withUnsafeBufferPointer { tgt in
            for s in 0..<adj.sourceCount {
                for k in Int(rp[s])..<Int(rp[s + 1]) where position[Int(tgt[k])] >= 0 { kept.append(Int32(k)) }
                start[s + 1] = Int32(kept.count)
            }
        }}
        return Tensor(rows: adj.sourceCount, cols: d) { po in
        start.withUnsafeBufferPointer { rp in
        kept.withUnsafeBufferPointer { entry in
        adj.target.withUnsafeBufferPointer { tgt in
        adj.sourceEdge.withUnsafeBufferPointer { edge in
        position.withUnsafeBufferPointer { pos in
        weights.withUnsafeBufferPointer { w in
        input.values.scalars.withUnsafeBufferPointer { px in
            let (x, o) = (px.baseAddress!, po.baseAddress!)
            parallelForRows(rp, work: (kept.count + adj.sourceCount) * d) { range in
                for s in range {
                    accumulateRows(into: o + s * d, d: d, entries: Int(rp[s])..<Int(rp[s + 1]), scale: 1, from: x,
                                   row: { Int(pos[Int(tgt[Int(entry[$0])])]) },
                                   weight: { w[Int(edge[Int(entry[$0])])] })
                }
            }
        }}}}}}}
        }
    }

    /// out[edge k] = scale[t] · input[source k or t]   (edgeCount × d)
    static func expandToEdges(_ adj: Adjacency, from side: SourceOrTarget, scale: [Float]?,
                              _ input: Tensor) -> Tensor {
        let d = input.cols
        if d == 0 { return Tensor(rows: adj.edgeCount, cols: 0) }
        let out = Tensor(rows: adj.edgeCount, cols: d) { po in
        adj.rowPtr.withUnsafeBufferPointer { rp in
        adj.source.withUnsafeBufferPointer { src in
        adj.edge.withUnsafeBufferPointer { edge in
        withOptionalBuffer(scale) { sc in
        input.scalars.withUnsafeBufferPointer { px in
            let x = px.baseAddress!
            let o = po.baseAddress!
            parallelForRows(rp, work: adj.edgeCount * d) { range in
                for t in range {
                    let s: Float = sc?[t] ?? 1
                    for k in Int(rp[t])..<Int(rp[t + 1]) {
                        let xr = x + (side == .source ? Int(src[k]) : t) * d
                        let oe = o + Int(edge[k]) * d
                        for j in 0..<d { oe[j] = s * xr[j] }
                    }
                }
            }
        }}}}}
        }
        return out
    }

    /// out[edge k] = scale[t] · (a[t] · b[read(k)])   (edgeCount × 1)
    static func edgeDots(_ adj: Adjacency, targetRows a: Tensor, read: TargetSideRead, _ b: Tensor,
                         scale: [Float]?) -> Tensor {
        let d = a.cols
        if d == 0 { return Tensor(rows: adj.edgeCount, cols: 1) }
        let out = Tensor(rows: adj.edgeCount, cols: 1) { po in
        adj.rowPtr.withUnsafeBufferPointer { rp in
        adj.source.withUnsafeBufferPointer { src in
        adj.edge.withUnsafeBufferPointer { edge in
        withOptionalBuffer(scale) { sc in
        a.scalars.withUnsafeBufferPointer { pa in
        b.scalars.withUnsafeBufferPointer { pb in
            let rows = read == .source ? src : edge
            parallelForRows(rp, work: adj.edgeCount * d) { range in
                for t in range {
                    let at = pa.baseAddress! + t * d
                    let s: Float = sc?[t] ?? 1
                    for k in Int(rp[t])..<Int(rp[t + 1]) {
                        po[Int(edge[k])] = s * dotRows(at, pb.baseAddress! + Int(rows[k]) * d, d)
                    }
                }
            }
        }}}}}}
        }
        return out
    }

    /// Element-wise max over each target's incoming edge rows of `messages`
    /// (edgeCount × d); empty targets give 0. Also returns, per output entry,
    /// the canonical edge that won (−1 for an empty target).
    static func segmentMax(_ adj: Adjacency, _ messages: Tensor) -> (Tensor, [Int32]) {
        rowMax(adj, rowOf: .edge, messages)
    }

    /// Element-wise max over each target's incoming edges of the source rows
    /// of `input` (sourceCount × d), without materialising per-edge rows; empty
    /// targets give 0. Also returns the winning canonical edge per output entry.
    static func gatherMax(_ adj: Adjacency, _ input: Tensor) -> (Tensor, [Int32]) {
        rowMax(adj, rowOf: .source, input)
    }

    /// The shared max kernel: the rows are read whole, entry after entry, and
    /// compared against the running maximum of the output row. Ties go to the
    /// first entry in CSR order (lowest source, then lowest id).
    private static func rowMax(_ adj: Adjacency, rowOf read: TargetSideRead, _ input: Tensor) -> (Tensor, [Int32]) {
        let d = input.cols
        var out = Tensor(rows: adj.targetCount, cols: d)
        var argmax = [Int32](repeating: -1, count: adj.targetCount * d)
        adj.rowPtr.withUnsafeBufferPointer { rp in
        adj.source.withUnsafeBufferPointer { src in
        adj.edge.withUnsafeBufferPointer { edge in
        input.scalars.withUnsafeBufferPointer { px in
        out.scalars.withUnsafeMutableBufferPointer { po in
        argmax.withUnsafeMutableBufferPointer { pa in
            let rows = read == .source ? src : edge
            parallelForRows(rp, work: adj.edgeCount * d) { range in
                for t in range {
                    let (begin, end) = (Int(rp[t]), Int(rp[t + 1]))
                    if begin == end { continue }
                    let (o, a) = (po.baseAddress! + t * d, pa.baseAddress! + t * d)
                    let first = px.baseAddress! + Int(rows[begin]) * d
                    for j in 0..<d { o[j] = first[j]; a[j] = edge[begin] }
                    for k in (begin + 1)..<end {
                        maxInto(o, argmax: a, from: px.baseAddress! + Int(rows[k]) * d, edge: edge[k], d: d)
                    }
                }
            }
        }}}}}}
        return (out, argmax)
    }

    /// Pullback of `segmentMax`: each output entry's gradient goes to the
    /// winning edge's row (edgeCount × d). An edge has one target, so the
    /// threads, which own targets, never write the same entry.
    static func segmentMaxBackward(_ adj: Adjacency, argmax: [Int32], gradient g: Tensor) -> Tensor {
        let d = g.cols
        var dm = Tensor(rows: adj.edgeCount, cols: d)
        adj.rowPtr.withUnsafeBufferPointer { rp in
        argmax.withUnsafeBufferPointer { pa in
        g.scalars.withUnsafeBufferPointer { pg in
        dm.scalars.withUnsafeMutableBufferPointer { pd in
            parallelForRows(rp, work: adj.edgeCount * d) { range in
                for i in (range.lowerBound * d)..<(range.upperBound * d) where pa[i] >= 0 {
                    pd[Int(pa[i]) * d + i % d] += pg[i]
                }
            }
        }}}}
        return dm
    }

    /// Pullback of `gatherMax`: dx_s[j] = Σ over the targets t whose entry j
    /// was won by an edge s → t of dy_t[j] (sourceCount × d), by source.
    static func gatherMaxBackward(_ adj: Adjacency, argmax: [Int32], gradient g: Tensor) -> Tensor {
        let d = g.cols
        var dx = Tensor(rows: adj.sourceCount, cols: d)
        adj.sourceRowPtr.withUnsafeBufferPointer { rp in
        adj.target.withUnsafeBufferPointer { tgt in
        adj.sourceEdge.withUnsafeBufferPointer { edge in
        argmax.withUnsafeBufferPointer { pa in
        g.scalars.withUnsafeBufferPointer { pg in
        dx.scalars.withUnsafeMutableBufferPointer { pd in
            parallelForRows(rp, work: adj.edgeCount * d) { range in
                for s in range {
                    let o = pd.baseAddress! + s * d
                    for k in Int(rp[s])..<Int(rp[s + 1]) {
                        let t = Int(tgt[k]) * d
                        addWhereWon(into: o, from: pg.baseAddress! + t, argmax: pa.baseAddress! + t, edge: edge[k], d: d)
                    }
                }
            }
        }}}}}}
        return dx
    }

    /// Softmax over each target's incoming edges, column by column, of
    /// `scores` (edgeCount × h).
    static func segmentSoftmax(_ adj: Adjacency, _ scores: Tensor) -> Tensor {
        let h = scores.cols
        var out = Tensor(rows: adj.edgeCount, cols: h)
        adj.rowPtr.withUnsafeBufferPointer { rp in
        adj.edge.withUnsafeBufferPointer { edge in
        scores.scalars.withUnsafeBufferPointer { ps in
        out.scalars.withUnsafeMutableBufferPointer { po in
            parallelForRows(rp, work: adj.edgeCount * h * 8) { range in
                for t in range {
                    let (begin, end) = (Int(rp[t]), Int(rp[t + 1]))
                    if begin == end { continue }
                    for c in 0..<h {
                        var top = -Float.infinity
                        for k in begin..<end { top = max(top, ps[Int(edge[k]) * h + c]) }
                        var total: Float = 0
                        for k in begin..<end {
                            let i = Int(edge[k]) * h + c
                            let e = Foundation.exp(ps[i] - top)
                            po[i] = e
                            total += e
                        }
                        let inv = 1 / total
                        for k in begin..<end { po[Int(edge[k]) * h + c] *= inv }
                    }
                }
            }
        }}}}
        return out
    }

    /// Pullback of `segmentSoftmax`: dx_e = y_e (g_e − Σ_{e' into t} y_e' g_e').
    static func segmentSoftmaxBackward(_ adj: Adjacency, output y: Tensor, gradient g: Tensor) -> Tensor {
        let h = y.cols
        var dx = Tensor(rows: adj.edgeCount, cols: h)
        adj.rowPtr.withUnsafeBufferPointer { rp in
        adj.edge.withUnsafeBufferPointer { edge in
        y.scalars.withUnsafeBufferPointer { py in
        g.scalars.withUnsafeBufferPointer { pg in
        dx.scalars.withUnsafeMutableBufferPointer { pd in
            parallelForRows(rp, work: adj.edgeCount * h * 4) { range in
                for t in range {
                    let (begin, end) = (Int(rp[t]), Int(rp[t + 1]))
                    for c in 0..<h {
                        var dot: Float = 0
                        for k in begin..<end {
                            let i = Int(edge[k]) * h + c
                            dot += py[i] * pg[i]
                        }
                        for k in begin..<end {
                            let i = Int(edge[k]) * h + c
                            pd[i] = py[i] * (pg[i] - dot)
                        }
                    }
                }
            }
        }}}}}
        return dx
    }
}

/// An end of an edge.
enum SourceOrTarget {
    case source, target
}
