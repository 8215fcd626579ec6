// Differentiable graph ops on rows cut into K equal column blocks ("factor
// channels"), with one score or weight per (edge, block). One pass over the
// edges serves all K blocks, where K single-block ops would each slice their
// columns out and walk the edges again.

@inline(__always)
private func checkBlocks(_ op: String, _ x: Variable, _ blocks: Int) {
    precondition(blocks >= 1 && x.cols % blocks == 0,
                 "\(op): \(x.cols) columns do not split into \(blocks) equal blocks")
}

/// Per-edge, per-block scores s_{e,k} = a_t[block k] · b_s[block k] for each
/// edge s → t (edgeCount × K); `edgeScores(targets:sources:over:)` is K = 1.
public func edgeScores(targets a: Variable, sources b: Variable, over adj: Adjacency, blocks: Int) -> Variable {
    precondition(a.rows == adj.targetCount && b.rows == adj.sourceCount && a.cols == b.cols,
                 "edgeScores: target rows \(a.shapeDescription) and source rows \(b.shapeDescription) do not fit a \(adj.targetCount)x\(adj.sourceCount) graph")
    checkBlocks("edgeScores", a, blocks)
    let (av, bv) = (a.value, b.value)
    let out = SparseKernels.blockEdgeDots(adj, targetRows: av, bv, blocks: blocks)
    let (ai, bi) = (a.id, b.id)
    return a.tape.record(out, inputs: [a, b]) { g, grads in
        // ∂/∂a_t[k] = Σ_{e into t} g_{e,k} b_s[k];  ∂/∂b_s[k] = Σ_{e out of s} g_{e,k} a_t[k].
        if grads.needs(ai) { grads.accumulate(SparseKernels.blockAggregate(adj, weights: g, bv), into: ai) }
        if grads.needs(bi) { grads.accumulate(SparseKernels.blockAggregateBySource(adj, weights: g, av), into: bi) }
    }
}

/// y_t[block k] = Σ_{s→t} w_{e,k} x_s[block k]: a sparse product whose learnable
/// weights `w` (edgeCount × K) differ per block. The pullback gives
/// dx_s[k] = Σ_e w_{e,k} dy_t[k] and dw_{e,k} = dy_t[k] · x_s[k].
public func sparseMatmul(_ adj: Adjacency, _ x: Variable, learnableBlockWeights w: Variable) -> Variable {
    precondition(x.rows == adj.sourceCount,
                 "sparseMatmul: node features \(x.shapeDescription) need \(adj.sourceCount) rows, one per source node")
    precondition(w.rows == adj.edgeCount, "sparseMatmul: block weights \(w.shapeDescription) need \(adj.edgeCount) rows")
    checkBlocks("sparseMatmul", x, w.cols)
    let (xv, wv) = (x.value, w.value)
    let out = SparseKernels.blockAggregate(adj, weights: wv, xv)
    let (xi, wi) = (x.id, w.id)
    return x.tape.record(out, inputs: [x, w]) { g, grads in
        if grads.needs(xi) { grads.accumulate(SparseKernels.blockAggregateBySource(adj, weights: wv, g), into: xi) }
        if grads.needs(wi) {
            grads.accumulate(SparseKernels.blockEdgeDots(adj, targetRows: g, xv, blocks: wv.cols), into: wi)
        }
    }
}
