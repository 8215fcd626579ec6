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
        var out = Tensor(rows: adj.targetCount, cols: d)
        let nnz = adj.edgeCount
        adj.rowPtr.withUnsafeBufferPointer { rp in
        adj.source.withUnsafeBufferPointer { src in
        adj.edge.withUnsafeBufferPointer { edge in
        withOptionalBuffer(weights) { w in
        withOptionalBuffer(scale) { sc in
        input.scalars.withUnsafeBufferPointer { px in
        out.scalars.withUnsafeMutableBufferPointer { po in
            let rows = read == .source ? src : edge
            let x = px.baseAddress!
            let o = po.baseAddress!
            parallelForRows(rp, work: nnz * d) { range in
                for t in range {
                    let ot = o + t * d
                    for k in Int(rp[t])..<Int(rp[t + 1]) {
                        let xs = x + Int(rows[k]) * d
                        if let w {
                            let wk = w[Int(edge[k])]
                            for j in 0..<d { ot[j] += wk * xs[j] }
                        } else {
                            for j in 0..<d { ot[j] += xs[j] }
                        }
                    }
                    if let sc {
                        let s = sc[t]
                        for j in 0..<d { ot[j] *= s }
                    }
                }
            }
        }}}}}}}
        return out
    }

    /// out[s] = Σ_{by-source entries k' of s} w[edge] · scale[target] · input[read(k')]
    /// (sourceCount × d): the transpose of `aggregate`, for gradients into sources.
    static func aggregateBySource(_ adj: Adjacency, read: SourceSideRead, weights: [Float]?, scale: [Float]?,
                                  _ input: Tensor) -> Tensor {
        let d = input.cols
        var out = Tensor(rows: adj.sourceCount, cols: d)
        let nnz = adj.edgeCount
        adj.sourceRowPtr.withUnsafeBufferPointer { rp in
        adj.target.withUnsafeBufferPointer { tgt in
        adj.entry.withUnsafeBufferPointer { entry in
        adj.edge.withUnsafeBufferPointer { edge in
        withOptionalBuffer(weights) { w in
        withOptionalBuffer(scale) { sc in
        input.scalars.withUnsafeBufferPointer { px in
        out.scalars.withUnsafeMutableBufferPointer { po in
            let x = px.baseAddress!
            let o = po.baseAddress!
            parallelForRows(rp, work: nnz * d) { range in
                for s in range {
                    let os = o + s * d
                    for k in Int(rp[s])..<Int(rp[s + 1]) {
                        let t = Int(tgt[k])
                        let e = Int(edge[Int(entry[k])])
                        let row = read == .target ? t : e
                        var wk: Float = 1
                        if let w { wk = w[e] }
                        if let sc { wk *= sc[t] }
                        let xr = x + row * d
                        for j in 0..<d { os[j] += wk * xr[j] }
                    }
                }
            }
        }}}}}}}}
        return out
    }

    /// out[edge k] = scale[t] · input[source k or t]   (edgeCount × d)
    static func expandToEdges(_ adj: Adjacency, from side: SourceOrTarget, scale: [Float]?,
                              _ input: Tensor) -> Tensor {
        let d = input.cols
        var out = Tensor(rows: adj.edgeCount, cols: d)
        adj.rowPtr.withUnsafeBufferPointer { rp in
        adj.source.withUnsafeBufferPointer { src in
        adj.edge.withUnsafeBufferPointer { edge in
        withOptionalBuffer(scale) { sc in
        input.scalars.withUnsafeBufferPointer { px in
        out.scalars.withUnsafeMutableBufferPointer { po in
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
        }}}}}}
        return out
    }

    /// out[edge k] = scale[t] · (a[t] · b[read(k)])   (edgeCount × 1)
    static func edgeDots(_ adj: Adjacency, targetRows a: Tensor, read: TargetSideRead, _ b: Tensor,
                         scale: [Float]?) -> Tensor {
        let d = a.cols
        var out = Tensor(rows: adj.edgeCount, cols: 1)
        adj.rowPtr.withUnsafeBufferPointer { rp in
        adj.source.withUnsafeBufferPointer { src in
        adj.edge.withUnsafeBufferPointer { edge in
        withOptionalBuffer(scale) { sc in
        a.scalars.withUnsafeBufferPointer { pa in
        b.scalars.withUnsafeBufferPointer { pb in
        out.scalars.withUnsafeMutableBufferPointer { po in
            let rows = read == .source ? src : edge
            parallelForRows(rp, work: adj.edgeCount * d) { range in
                for t in range {
                    let at = pa.baseAddress! + t * d
                    let s: Float = sc?[t] ?? 1
                    for k in Int(rp[t])..<Int(rp[t + 1]) {
                        let br = pb.baseAddress! + Int(rows[k]) * d
                        var dot: Float = 0
                        for j in 0..<d { dot += at[j] * br[j] }
                        po[Int(edge[k])] = s * dot
                    }
                }
            }
        }}}}}}}
        return out
    }

    /// Element-wise max over each target's incoming edge rows of `messages`
    /// (edgeCount × d); empty targets give 0. Also returns, per output entry,
    /// the canonical edge that won (−1 for an empty target).
    static func segmentMax(_ adj: Adjacency, _ messages: Tensor) -> (Tensor, [Int32]) {
        let d = messages.cols
        var out = Tensor(rows: adj.targetCount, cols: d)
        var argmax = [Int32](repeating: -1, count: adj.targetCount * d)
        adj.rowPtr.withUnsafeBufferPointer { rp in
        adj.edge.withUnsafeBufferPointer { edge in
        messages.scalars.withUnsafeBufferPointer { pm in
        out.scalars.withUnsafeMutableBufferPointer { po in
        argmax.withUnsafeMutableBufferPointer { pa in
            parallelForRows(rp, work: adj.edgeCount * d) { range in
                for t in range {
                    let (begin, end) = (Int(rp[t]), Int(rp[t + 1]))
                    if begin == end { continue }
                    // Ties go to the first entry in CSR order (lowest source, then lowest id).
                    for j in 0..<d {
                        var best = -Float.infinity
                        var arg: Int32 = -1
                        for k in begin..<end {
                            let v = pm[Int(edge[k]) * d + j]
                            if v > best || arg < 0 { best = v; arg = edge[k] }
                        }
                        po[t * d + j] = best
                        pa[t * d + j] = arg
                    }
                }
            }
        }}}}}
        return (out, argmax)
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
