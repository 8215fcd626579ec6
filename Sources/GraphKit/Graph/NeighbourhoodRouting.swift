import CPrefetch
import Foundation

// Neighbourhood routing over K column blocks (DisenGCN, Ma et al., ICML'19,
// Algorithm 1, lines 6-7) as one fused op. The same result as
//   p = softmaxRows(edgeScores(targets: c, sources: z, over: adj, blocks: K) / τ)
//   y = propagate(z, over: adj, weights: .learnableBlocks(p))
// but each source row is gathered once per edge in the forward pass and
// three times in the backward pass, where the composed ops gather six times.

/// y_t[k] = Σ_{s→t} p_{e,k} z_s[k] with p_{e,·} = softmax_k(c_t[k] · z_s[k] / τ)
/// for each edge e = s → t: every source is split into K factor blocks and sent
/// to the target's factors it agrees with.
///
/// - Parameters:
///   - c: the targets' current factor rows (targetCount × d).
///   - z: the sources' factor rows (sourceCount × d), d a multiple of `blocks`.
///   - blocks: K, the number of factor blocks.
///   - temperature: τ > 0.
/// - Returns: the messages y (targetCount × d), differentiable in c and z
///   (through p as well), and the routing p (edgeCount × K, one distribution
///   over the factors per edge) as a plain tensor for inspection.
public func neighbourhoodRouting(targets c: Variable, sources z: Variable, over adj: Adjacency, blocks: Int,
                                 temperature: Float = 1) -> (messages: Variable, routing: Tensor) {
    precondition(c.rows == adj.targetCount && z.rows == adj.sourceCount && c.cols == z.cols,
                 "neighbourhoodRouting: target rows \(c.shapeDescription) and source rows \(z.shapeDescription) do not fit a \(adj.targetCount)x\(adj.sourceCount) graph")
    precondition(blocks >= 1 && z.cols % blocks == 0,
                 "neighbourhoodRouting: \(z.cols) columns do not split into \(blocks) equal blocks")
    precondition(temperature > 0, "neighbourhoodRouting: temperature \(temperature) must be positive")
    let (cv, zv) = (c.value, z.value)
    let (y, p) = RoutingKernels.forward(adj, c: cv, z: zv, blocks: blocks, temperature: temperature)
    let (ci, zi) = (c.id, z.id)
    let messages = c.tape.record(y, inputs: [c, z]) { g, grads in
        guard grads.needs(ci) || grads.needs(zi) else { return }
        let (dc, ds) = RoutingKernels.backwardByTarget(adj, gradient: g, z: zv, routing: p,
                                                       temperature: temperature)
        if grads.needs(ci) { grads.accumulate(dc, into: ci) }
        if grads.needs(zi) {
            grads.accumulate(RoutingKernels.backwardBySource(adj, gradient: g, c: cv, routing: p, scoreGradient: ds),
                             into: zi)
        }
    }
    return (messages, p)
}

enum RoutingKernels {
    /// How many entries ahead the gathers prefetch their source rows.
    static let prefetchDistance = 4

    /// Per target t and edge e = s → t: s_{e,k} = c_t[k]·z_s[k], p_e = softmax(s_e / τ),
    /// y_t += p_{e,k} z_s[k]. Returns y (targetCount × d) and p (edgeCount × K).
    static func forward(_ adj: Adjacency, c: Tensor, z: Tensor, blocks: Int,
                        temperature: Float) -> (Tensor, Tensor) {
        let d = z.cols
        let size = d / blocks
        let rowBytes = d * MemoryLayout<Float>.stride
        var y = Tensor(rows: adj.targetCount, cols: d)
        if d == 0 { return (y, Tensor(rows: adj.edgeCount, cols: blocks, repeating: 1 / Float(blocks))) }
        var p = Tensor(rows: adj.edgeCount, cols: blocks)
        let inverseTemperature = 1 / temperature
        adj.rowPtr.withUnsafeBufferPointer { rp in
        adj.source.withUnsafeBufferPointer { src in
        adj.edge.withUnsafeBufferPointer { edge in
        c.scalars.withUnsafeBufferPointer { pc in
        z.scalars.withUnsafeBufferPointer { pz in
        y.scalars.withUnsafeMutableBufferPointer { py in
        p.scalars.withUnsafeMutableBufferPointer { pp in
            let (cb, zb, yb, pb) = (pc.baseAddress!, pz.baseAddress!, py.baseAddress!, pp.baseAddress!)
            parallelForRows(rp, work: adj.edgeCount * d * 2) { range in
                for t in range {
                    let entries = Int(rp[t])..<Int(rp[t + 1])
                    // Scores for all of t's edges first: the row gathers are then
                    // independent of each other and overlap in the memory system.
                    for k in entries {
                        if k + Self.prefetchDistance < entries.upperBound {
                            graphkit_prefetch(zb + Int(src[k + Self.prefetchDistance]) * d, rowBytes)
                        }
                        blockDots(cb + t * d, zb + Int(src[k]) * d, into: pb + Int(edge[k]) * blocks,
                                  blocks: blocks, size: size)
                    }
                    for k in entries { softmaxInPlace(pb + Int(edge[k]) * blocks, count: blocks, scale: inverseTemperature) }
                    // The rows are in cache now; the sum is held in registers.
                    accumulateBlockRows(into: yb + t * d, d: d, size: size, entries: entries, from: zb,
                                        row: { Int(src[$0]) }, weights: { UnsafePointer(pb + Int(edge[$0]) * blocks) })
                }
            }
        }}}}}}}
        return (y, p)
    }

    /// By target: dp_{e,k} = g_t[k]·z_s[k]; the softmax's pullback gives the
    /// score gradient ds_{e,k} = p_{e,k} (dp_{e,k} − Σ_j p_{e,j} dp_{e,j}) / τ;
    /// and dc_t[k] = Σ_e ds_{e,k} z_s[k]. Returns dc and ds (edgeCount × K).
    static func backwardByTarget(_ adj: Adjacency, gradient g: Tensor, z: Tensor, routing p: Tensor,
                                 temperature: Float) -> (Tensor, Tensor) {
        let (d, blocks) = (z.cols, p.cols)
        let size = d / blocks
        let rowBytes = d * MemoryLayout<Float>.stride
        var dc = Tensor(rows: adj.targetCount, cols: d)
        var ds = Tensor(rows: adj.edgeCount, cols: blocks)
        let inverseTemperature = 1 / temperature
        adj.rowPtr.withUnsafeBufferPointer { rp in
        adj.source.withUnsafeBufferPointer { src in
        adj.edge.withUnsafeBufferPointer { edge in
        g.scalars.withUnsafeBufferPointer { pg in
        z.scalars.withUnsafeBufferPointer { pz in
        p.scalars.withUnsafeBufferPointer { pp in
        dc.scalars.withUnsafeMutableBufferPointer { pdc in
        ds.scalars.withUnsafeMutableBufferPointer { pds in
            let (gb, zb, pb) = (pg.baseAddress!, pz.baseAddress!, pp.baseAddress!)
            let (dcb, dsb) = (pdc.baseAddress!, pds.baseAddress!)
            parallelForRows(rp, work: adj.edgeCount * d * 2) { range in
                for t in range {
                    let entries = Int(rp[t])..<Int(rp[t + 1])
                    for k in entries {
                        if k + Self.prefetchDistance < entries.upperBound {
                            graphkit_prefetch(zb + Int(src[k + Self.prefetchDistance]) * d, rowBytes)
                        }
                        blockDots(gb + t * d, zb + Int(src[k]) * d, into: dsb + Int(edge[k]) * blocks,
                                  blocks: blocks, size: size)
                    }
                    for k in entries {
                        let e = Int(edge[k]) * blocks
                        let (pe, dse) = (pb + e, dsb + e)
                        var mean: Float = 0
                        for b in 0..<blocks { mean += pe[b] * dse[b] }
                        for b in 0..<blocks { dse[b] = pe[b] * (dse[b] - mean) * inverseTemperature }
                    }
                    accumulateBlockRows(into: dcb + t * d, d: d, size: size, entries: entries, from: zb,
                                        row: { Int(src[$0]) }, weights: { UnsafePointer(dsb + Int(edge[$0]) * blocks) })
                }
            }
        }}}}}}}}
        return (dc, ds)
    }

    /// By source: dz_s[k] = Σ_{e = s → t} p_{e,k} g_t[k] + ds_{e,k} c_t[k].
    static func backwardBySource(_ adj: Adjacency, gradient g: Tensor, c: Tensor, routing p: Tensor,
                                 scoreGradient ds: Tensor) -> Tensor {
        let (d, blocks) = (c.cols, p.cols)
        let size = d / blocks
        let rowBytes = d * MemoryLayout<Float>.stride
        var dz = Tensor(rows: adj.sourceCount, cols: d)
        adj.sourceRowPtr.withUnsafeBufferPointer { rp in
        adj.target.withUnsafeBufferPointer { tgt in
        adj.sourceEdge.withUnsafeBufferPointer { edge in
        g.scalars.withUnsafeBufferPointer { pg in
        c.scalars.withUnsafeBufferPointer { pc in
        p.scalars.withUnsafeBufferPointer { pp in
        ds.scalars.withUnsafeBufferPointer { pds in
        dz.scalars.withUnsafeMutableBufferPointer { pdz in
            let (gb, cb, pb, dsb, dzb) = (pg.baseAddress!, pc.baseAddress!, pp.baseAddress!,
                                          pds.baseAddress!, pdz.baseAddress!)
            parallelForRows(rp, work: adj.edgeCount * d * 2) { range in
                for s in range {
                    // Start every row this source reads on its way before summing.
                    for k in Int(rp[s])..<Int(rp[s + 1]) {
                        graphkit_prefetch(gb + Int(tgt[k]) * d, rowBytes)
                        graphkit_prefetch(cb + Int(tgt[k]) * d, rowBytes)
                    }
                    accumulateBlockRows(into: dzb + s * d, d: d, size: size, entries: Int(rp[s])..<Int(rp[s + 1]),
                                        from: gb, weights: { pb + Int(edge[$0]) * blocks },
                                        and: cb, weights: { dsb + Int(edge[$0]) * blocks },
                                        row: { Int(tgt[$0]) })
                }
            }
        }}}}}}}}
        return dz
    }

    /// x ← softmax(scale · x) over `count` entries, stably.
    @inline(__always)
    static func softmaxInPlace(_ x: UnsafeMutablePointer<Float>, count: Int, scale: Float) {
        var top = -Float.infinity
        for b in 0..<count { top = max(top, x[b]) }
        var total: Float = 0
        for b in 0..<count {
            let e = Foundation.exp(scale * (x[b] - top))
            x[b] = e
            total += e
        }
        let inverse = 1 / total
        for b in 0..<count { x[b] *= inverse }
    }
}
