// Sparse kernels over rows cut into K equal column blocks, with one weight or
// score per (edge, block): DisenGCN's factor channels. Like `SparseKernels`,
// each thread owns whole output rows, so results are the same bits every run.

extension SparseKernels {
    /// out[t][block b] = Σ_{k ∈ row t} w[edge k][b] · x[source k][block b]
    /// (targetCount × d), for `weights` edgeCount × K and `input` sourceCount × d.
    static func blockAggregate(_ adj: Adjacency, weights: Tensor, _ input: Tensor) -> Tensor {
        blockGather(rowPtr: adj.rowPtr, neighbour: adj.source, edge: adj.edge, rows: adj.targetCount,
                    weights: weights, input)
    }

    /// out[s][block b] = Σ_{by-source entries of s} w[edge][b] · x[target][block b]
    /// (sourceCount × d): the transpose of `blockAggregate`.
    static func blockAggregateBySource(_ adj: Adjacency, weights: Tensor, _ input: Tensor) -> Tensor {
        blockGather(rowPtr: adj.sourceRowPtr, neighbour: adj.target, edge: adj.sourceEdge, rows: adj.sourceCount,
                    weights: weights, input)
    }

    /// out[r][block b] = Σ_{k ∈ row r} w[edge k][b] · x[neighbour k][block b] over
    /// one CSR direction of an adjacency (by target, or by source).
    private static func blockGather(rowPtr: [Int32], neighbour: [Int32], edge: [Int32], rows: Int,
                                    weights: Tensor, _ input: Tensor) -> Tensor {
        let (d, blocks) = (input.cols, weights.cols)
        let size = d / blocks
        if d == 0 { return Tensor(rows: rows, cols: 0) }
        return Tensor(rows: rows, cols: d) { po in
        rowPtr.withUnsafeBufferPointer { rp in
        neighbour.withUnsafeBufferPointer { nb in
        edge.withUnsafeBufferPointer { edge in
        weights.scalars.withUnsafeBufferPointer { pw in
        input.scalars.withUnsafeBufferPointer { px in
            let (x, w, o) = (px.baseAddress!, pw.baseAddress!, po.baseAddress!)
            parallelForRows(rp, work: edge.count * d) { range in
                for r in range {
                    accumulateBlockRows(into: o + r * d, d: d, size: size, entries: Int(rp[r])..<Int(rp[r + 1]),
                                        from: x, row: { Int(nb[$0]) }, weights: { w + Int(edge[$0]) * blocks })
                }
            }
        }}}}}
        }
    }

    /// out[edge k][b] = a[t][block b] · x[source k][block b]   (edgeCount × K)
    static func blockEdgeDots(_ adj: Adjacency, targetRows a: Tensor, _ x: Tensor, blocks: Int) -> Tensor {
        let d = a.cols
        let size = d / blocks
        var out = Tensor(rows: adj.edgeCount, cols: blocks)
        adj.rowPtr.withUnsafeBufferPointer { rp in
        adj.source.withUnsafeBufferPointer { src in
        adj.edge.withUnsafeBufferPointer { edge in
        a.scalars.withUnsafeBufferPointer { pa in
        x.scalars.withUnsafeBufferPointer { px in
        out.scalars.withUnsafeMutableBufferPointer { po in
            let (av, xv, o) = (pa.baseAddress!, px.baseAddress!, po.baseAddress!)
            parallelForRows(rp, work: adj.edgeCount * d) { range in
                for t in range {
                    for k in Int(rp[t])..<Int(rp[t + 1]) {
                        blockDots(av + t * d, xv + Int(src[k]) * d, into: o + Int(edge[k]) * blocks,
                                  blocks: blocks, size: size)
                    }
                }
            }
        }}}}}}
        return out
    }
}
