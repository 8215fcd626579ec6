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
    let (y, entryRouting) = RoutingKernels.forward(adj, c: cv, z: zv, blocks: blocks, temperature: temperature)
    let (ci, zi) = (c.id, z.id)
    let messages = c.tape.record(y, inputs: [c, z]) { g, grads in
        guard grads.needs(ci) || grads.needs(zi) else { return }
        let (dc, routingAndScores) = RoutingKernels.backwardByTarget(adj, gradient: g, z: zv, routing: entryRouting,
                                                                     temperature: temperature)
        if grads.needs(ci) { grads.accumulate(dc, into: ci) }
        if grads.needs(zi) {
            grads.accumulate(RoutingKernels.backwardBySource(adj, gradient: g, c: cv, routingAndScores: routingAndScores),
                             into: zi)
        }
    }
    return (messages, RoutingKernels.canonicalOrder(entryRouting, over: adj))
}

enum RoutingKernels {
    /// How many entries ahead the gathers prefetch their source rows.
    static let prefetchDistance = 4

    // Per-edge values (p, and the score gradient) are kept in by-target entry
    // order, so that the by-target passes read and write them sequentially.

    /// Per target t and entry k of edge s → t: s_k = c_t[b]·z_s[b] for each
    /// block b, p_k = softmax(s_k / τ), y_t += p_{k,b} z_s[b]. Returns y
    /// (targetCount × d) and p (edgeCount × K, by-target entry order).
    static func forward(_ adj: Adjacency, c: Tensor, z: Tensor, blocks: Int,
                        temperature: Float) -> (Tensor, Tensor) {
        let d = z.cols
        let size = d / blocks
        let rowBytes = d * MemoryLayout<Float>.stride
        var y = Tensor(rows: adj.targetCount, cols: d)
        var p = Tensor(rows: adj.edgeCount, cols: blocks, repeating: 1 / Float(blocks))
        if d == 0 { return (y, p) }
        let inverseTemperature = 1 / temperature
        adj.rowPtr.withUnsafeBufferPointer { rp in
        adj.source.withUnsafeBufferPointer { src in
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
                        blockDots(cb + t * d, zb + Int(src[k]) * d, into: pb + k * blocks, blocks: blocks, size: size)
                        softmaxInPlace(pb + k * blocks, count: blocks, scale: inverseTemperature)
                    }
                    // The rows are in cache now; the sum is held in registers.
                    accumulateBlockRows(into: yb + t * d, d: d, size: size, entries: entries, from: zb,
                                        row: { Int(src[$0]) }, weights: { UnsafePointer(pb + $0 * blocks) })
                }
            }
        }}}}}}
        return (y, p)
    }

    /// By target: dp_{k,b} = g_t[b]·z_s[b]; the softmax's pullback gives the
    /// score gradient ds_{k,b} = p_{k,b} (dp_{k,b} − Σ_j p_{k,j} dp_{k,j}) / τ;
    /// and dc_t[b] = Σ_k ds_{k,b} z_s[b]. Returns dc and, per entry, p and ds
    /// side by side (edgeCount × 2K, by-target entry order) for `backwardBySource`.
    static func backwardByTarget(_ adj: Adjacency, gradient g: Tensor, z: Tensor, routing p: Tensor,
                                 temperature: Float) -> (Tensor, Tensor) {
        let (d, blocks) = (z.cols, p.cols)
        let size = d / blocks
        let rowBytes = d * MemoryLayout<Float>.stride
        var dc = Tensor(rows: adj.targetCount, cols: d)
        var pds = Tensor(rows: adj.edgeCount, cols: 2 * blocks)
        if d == 0 { return (dc, pds) }
        let inverseTemperature = 1 / temperature
        adj.rowPtr.withUnsafeBufferPointer { rp in
        adj.source.withUnsafeBufferPointer { src in
        g.scalars.withUnsafeBufferPointer { pg in
        z.scalars.withUnsafeBufferPointer { pz in
        p.scalars.withUnsafeBufferPointer { pp in
        dc.scalars.withUnsafeMutableBufferPointer { pdc in
        pds.scalars.withUnsafeMutableBufferPointer { ppds in
            let (gb, zb, pb) = (pg.baseAddress!, pz.baseAddress!, pp.baseAddress!)
            let (dcb, both) = (pdc.baseAddress!, ppds.baseAddress!)
            parallelForRows(rp, work: adj.edgeCount * d * 2) { range in
                for t in range {
                    let entries = Int(rp[t])..<Int(rp[t + 1])
                    for k in entries {
                        if k + Self.prefetchDistance < entries.upperBound {
                            graphkit_prefetch(zb + Int(src[k + Self.prefetchDistance]) * d, rowBytes)
                        }
                        let (pe, out) = (pb + k * blocks, both + k * 2 * blocks)
                        let dse = out + blocks
                        blockDots(gb + t * d, zb + Int(src[k]) * d, into: dse, blocks: blocks, size: size)
                        var mean: Float = 0
                        for b in 0..<blocks { mean += pe[b] * dse[b] }
                        for b in 0..<blocks {
                            out[b] = pe[b]
                            dse[b] = pe[b] * (dse[b] - mean) * inverseTemperature
                        }
                    }
                    accumulateBlockRows(into: dcb + t * d, d: d, size: size, entries: entries, from: zb,
                                        row: { Int(src[$0]) },
                                        weights: { UnsafePointer(both + $0 * 2 * blocks + blocks) })
                }
            }
        }}}}}}}
        return (dc, pds)
    }

    /// By source: dz_s[b] = Σ_{k: s → t} p_{k,b} g_t[b] + ds_{k,b} c_t[b], reading
    /// g_t and c_t from one interleaved row [g_t | c_t] per target.
    static func backwardBySource(_ adj: Adjacency, gradient g: Tensor, c: Tensor, routingAndScores pds: Tensor) -> Tensor {
        let d = c.cols
        let blocks = pds.cols / 2
        let size = d / blocks
        var dz = Tensor(rows: adj.sourceCount, cols: d)
        if d == 0 { return dz }
        let gc = Tensor.concatenatingColumns([g, c])
        adj.sourceRowPtr.withUnsafeBufferPointer { rp in
        adj.target.withUnsafeBufferPointer { tgt in
        adj.entry.withUnsafeBufferPointer { entry in
        gc.scalars.withUnsafeBufferPointer { pgc in
        pds.scalars.withUnsafeBufferPointer { ppds in
        dz.scalars.withUnsafeMutableBufferPointer { pdz in
            let (rows, both, dzb) = (pgc.baseAddress!, ppds.baseAddress!, pdz.baseAddress!)
            parallelForRows(rp, work: adj.edgeCount * d * 2) { range in
                for s in range {
                    let entries = Int(rp[s])..<Int(rp[s + 1])
                    // Start every row this source reads on its way before summing.
                    for k in entries { graphkit_prefetch(rows + Int(tgt[k]) * 2 * d, 2 * d * MemoryLayout<Float>.stride) }
                    accumulateBlockRows(into: dzb + s * d, d: d, size: size, entries: entries,
                                        from: rows, weights: { both + Int(entry[$0]) * 2 * blocks },
                                        and: rows + d, weights: { both + Int(entry[$0]) * 2 * blocks + blocks },
                                        row: { Int(tgt[$0]) }, stride: 2 * d)
                }
            }
        }}}}}}
        return dz
    }

    /// p in canonical edge order (row e is edge e), from by-target entry order.
    static func canonicalOrder(_ p: Tensor, over adj: Adjacency) -> Tensor {
        let blocks = p.cols
        var out = Tensor(rows: p.rows, cols: blocks)
        adj.edge.withUnsafeBufferPointer { edge in
        p.scalars.withUnsafeBufferPointer { pp in
        out.scalars.withUnsafeMutableBufferPointer { po in
            for k in 0..<edge.count {
                for b in 0..<blocks { po[Int(edge[k]) * blocks + b] = pp[k * blocks + b] }
            }
        }}}
        return out
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
