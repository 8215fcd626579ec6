// Differentiable graph ops over an `Adjacency` (messages flow source → target).
// Per-edge tensors have one row per canonical edge id.

/// 1 / in-degree of each target (0 for a target with no edges): the mean aggregator's scale.
func inverseInDegrees(_ adj: Adjacency) -> [Float] {
    (0..<adj.targetCount).map { t in
        let n = adj.rowPtr[t + 1] - adj.rowPtr[t]
        return n > 0 ? 1 / Float(n) : 0
    }
}

@inline(__always)
private func checkSources(_ op: String, _ x: Variable, _ adj: Adjacency) {
    precondition(x.rows == adj.sourceCount,
                 "\(op): node features \(x.shapeDescription) need \(adj.sourceCount) rows, one per source node")
}

@inline(__always)
private func checkEdges(_ op: String, _ m: Variable, _ adj: Adjacency) {
    precondition(m.rows == adj.edgeCount,
                 "\(op): per-edge tensor \(m.shapeDescription) needs \(adj.edgeCount) rows, one per edge")
}

/// Y = A X with fixed edge weights: y_t = Σ_{s→t} w_e x_s (all ones when
/// `weights` is nil). `weights` holds one value per canonical edge.
public func sparseMatmul(_ adj: Adjacency, _ x: Variable, weights: [Float]? = nil) -> Variable {
    sparseMatmul(adj, x, weights: weights, scale: nil)
}

func sparseMatmul(_ adj: Adjacency, _ x: Variable, weights: [Float]?, scale: [Float]?) -> Variable {
    checkSources("sparseMatmul", x, adj)
    if let weights {
        precondition(weights.count == adj.edgeCount,
                     "sparseMatmul: \(weights.count) edge weights for \(adj.edgeCount) edges")
    }
    let out = SparseKernels.aggregate(adj, read: .source, weights: weights, scale: scale, x.value)
    let xi = x.id
    return x.tape.record(out, inputs: [x]) { g, grads in
        // dX = Aᵀ dY, through the by-source CSR.
        grads.accumulate(SparseKernels.aggregateBySource(adj, read: .target, weights: weights, scale: scale, g),
                         into: xi)
    }
}

/// Y = A(w) X with learnable edge weights `w` (edgeCount × 1). The pullback
/// gives dX = A(w)ᵀ dY and dw_e = dy_t · x_s for each edge s → t.
public func sparseMatmul(_ adj: Adjacency, _ x: Variable, learnableWeights w: Variable) -> Variable {
    sparseMatmul(adj, x, learnableWeights: w, scale: nil)
}

func sparseMatmul(_ adj: Adjacency, _ x: Variable, learnableWeights w: Variable, scale: [Float]?) -> Variable {
    checkSources("sparseMatmul", x, adj)
    precondition(w.rows == adj.edgeCount && w.cols == 1,
                 "sparseMatmul: edge weights \(w.shapeDescription) must be \(adj.edgeCount)x1")
    let (xv, wv) = (x.value, w.value.scalars)
    let out = SparseKernels.aggregate(adj, read: .source, weights: wv, scale: scale, xv)
    let (xi, wi) = (x.id, w.id)
    return x.tape.record(out, inputs: [x, w]) { g, grads in
        if grads.needs(xi) {
            grads.accumulate(SparseKernels.aggregateBySource(adj, read: .target, weights: wv, scale: scale, g),
                             into: xi)
        }
        if grads.needs(wi) {
            grads.accumulate(SparseKernels.edgeDots(adj, targetRows: g, read: .source, xv, scale: scale), into: wi)
        }
    }
}

/// Row e of the output is the source row of edge e: x_s for e = s → t.
public func gatherSources(_ x: Variable, over adj: Adjacency) -> Variable {
    checkSources("gatherSources", x, adj)
    let out = SparseKernels.expandToEdges(adj, from: .source, scale: nil, x.value)
    let xi = x.id
    return x.tape.record(out, inputs: [x]) { g, grads in
        grads.accumulate(SparseKernels.aggregateBySource(adj, read: .edge, weights: nil, scale: nil, g), into: xi)
    }
}

/// Row e of the output is the target row of edge e: x_t for e = s → t.
public func gatherTargets(_ x: Variable, over adj: Adjacency) -> Variable {
    precondition(x.rows == adj.targetCount,
                 "gatherTargets: node features \(x.shapeDescription) need \(adj.targetCount) rows, one per target node")
    let out = SparseKernels.expandToEdges(adj, from: .target, scale: nil, x.value)
    let xi = x.id
    return x.tape.record(out, inputs: [x]) { g, grads in
        grads.accumulate(SparseKernels.aggregate(adj, read: .edge, weights: nil, scale: nil, g), into: xi)
    }
}

/// Per-edge scores s_e = a_t · b_s for each edge s → t (edgeCount × 1), where
/// `targets` has a row per target node and `sources` a row per source node.
/// Computed without materialising the per-edge rows.
public func edgeScores(targets a: Variable, sources b: Variable, over adj: Adjacency) -> Variable {
    precondition(a.rows == adj.targetCount && b.rows == adj.sourceCount && a.cols == b.cols,
                 "edgeScores: target rows \(a.shapeDescription) and source rows \(b.shapeDescription) do not fit a \(adj.targetCount)x\(adj.sourceCount) graph")
    let (av, bv) = (a.value, b.value)
    let out = SparseKernels.edgeDots(adj, targetRows: av, read: .source, bv, scale: nil)
    let (ai, bi) = (a.id, b.id)
    return a.tape.record(out, inputs: [a, b]) { g, grads in
        let gw = g.scalars
        // ds/da_t = Σ_e g_e b_s ; ds/db_s = Σ_e g_e a_t.
        if grads.needs(ai) {
            grads.accumulate(SparseKernels.aggregate(adj, read: .source, weights: gw, scale: nil, bv), into: ai)
        }
        if grads.needs(bi) {
            grads.accumulate(SparseKernels.aggregateBySource(adj, read: .target, weights: gw, scale: nil, av), into: bi)
        }
    }
}

/// y_t = Σ_{e into t} m_e, for per-edge rows `m` (edgeCount × d).
public func segmentSum(_ m: Variable, over adj: Adjacency) -> Variable {
    segmentSum(m, over: adj, scale: nil)
}

/// y_t = (1 / |in(t)|) Σ_{e into t} m_e; a target with no edges gets 0.
public func segmentMean(_ m: Variable, over adj: Adjacency) -> Variable {
    segmentSum(m, over: adj, scale: inverseInDegrees(adj))
}

private func segmentSum(_ m: Variable, over adj: Adjacency, scale: [Float]?) -> Variable {
    checkEdges("segmentSum", m, adj)
    let out = SparseKernels.aggregate(adj, read: .edge, weights: nil, scale: scale, m.value)
    let mi = m.id
    return m.tape.record(out, inputs: [m]) { g, grads in
        grads.accumulate(SparseKernels.expandToEdges(adj, from: .target, scale: scale, g), into: mi)
    }
}

/// y_t = element-wise max over e into t of m_e; a target with no edges gets 0.
/// The pullback routes each output entry's gradient to the edge that won it.
public func segmentMax(_ m: Variable, over adj: Adjacency) -> Variable {
    checkEdges("segmentMax", m, adj)
    let (out, argmax) = SparseKernels.segmentMax(adj, m.value)
    let mi = m.id
    return m.tape.record(out, inputs: [m]) { g, grads in
        grads.accumulate(SparseKernels.segmentMaxBackward(adj, argmax: argmax, gradient: g), into: mi)
    }
}

/// y_t = element-wise max over the sources s → t of x_s: `segmentMax` of
/// `gatherSources(x)` without the per-edge rows. A target with no edges gets 0;
/// the pullback routes each output entry's gradient to the winning source.
public func gatherMax(_ x: Variable, over adj: Adjacency) -> Variable {
    checkSources("gatherMax", x, adj)
    let (out, argmax) = SparseKernels.gatherMax(adj, x.value)
    let xi = x.id
    return x.tape.record(out, inputs: [x]) { g, grads in
        grads.accumulate(SparseKernels.gatherMaxBackward(adj, argmax: argmax, gradient: g), into: xi)
    }
}

/// Softmax of per-edge scores (edgeCount × h) over each target's incoming
/// edges, column by column: α_e = exp(s_e) / Σ_{e' into t} exp(s_e').
public func segmentSoftmax(_ scores: Variable, over adj: Adjacency) -> Variable {
    checkEdges("segmentSoftmax", scores, adj)
    let y = SparseKernels.segmentSoftmax(adj, scores.value)
    let si = scores.id
    return scores.tape.record(y, inputs: [scores]) { g, grads in
        grads.accumulate(SparseKernels.segmentSoftmaxBackward(adj, output: y, gradient: g), into: si)
    }
}
