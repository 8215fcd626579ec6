/// The mean of the propagated layers E⁰ … E^L of a bipartite graph, at a few
/// rows: LightGCN's final embeddings (He et al., SIGIR'20, eqs. 3-4) for the
/// users and items of one batch.
///
/// E^{l+1}_U = Â E^l_I and E^{l+1}_I = Âᵀ E^l_U with fixed edge weights
/// (`weights`, one per canonical edge, such as the symmetric normalisation),
/// and e_r = (Σ_l E^l[r]) / (L + 1) for r in `userRows` and `itemRows`.
///
/// The same values and gradients, to the bit, as `scaledSum` of the `L + 1`
/// whole layers built from `propagate`, followed by `gatherRows` (the
/// composition the scorer uses), but without computing what a batch does not
/// read: the last layer and the mean only at the batch's rows, and in the
/// pullback no zero-filled table per layer and no whole-table sums. Each
/// gradient is still added in the order the composition adds it, so that a
/// training run gives the same bits either way.
///
/// Returns the users' rows (userRows.count × d) and the items' rows.
/// `userRows` and `itemRows` must each hold distinct ids.
public func propagatedLayerMean(users: Variable, items: Variable, over graph: BipartiteGraph, weights: [Float],
                                layers: Int, userRows: [Int32], itemRows: [Int32])
    -> (users: Variable, items: Variable) {
    precondition(layers >= 0, "propagatedLayerMean: \(layers) layers")
    precondition(users.rows == graph.userCount && items.rows == graph.itemCount && users.cols == items.cols,
                 "propagatedLayerMean: embeddings \(users.shapeDescription) and \(items.shapeDescription) for a graph of \(graph.userCount) users and \(graph.itemCount) items")
    precondition(weights.count == graph.edgeCount,
                 "propagatedLayerMean: \(weights.count) edge weights for \(graph.edgeCount) edges")
    checkDistinct(userRows, below: graph.userCount, "user")
    checkDistinct(itemRows, below: graph.itemCount, "item")
    let (toUsers, toItems) = (graph.itemsToUsers, graph.usersToItems)
    let alpha = 1 / Float(layers + 1)
    let d = users.cols

    // Forward: E¹ … E^{L−1} whole, E^L at the rows only.
    var (userLayers, itemLayers) = ([users.value], [items.value])
    for l in 1..<max(layers, 1) {
        userLayers.append(SparseKernels.aggregate(toUsers, read: .source, weights: weights, scale: nil, itemLayers[l - 1]))
        itemLayers.append(SparseKernels.aggregate(toItems, read: .source, weights: weights, scale: nil, userLayers[l - 1]))
    }
    if layers > 0 {
        userLayers.append(SparseKernels.aggregate(toUsers, weights: weights, itemLayers[layers - 1], targets: userRows))
        itemLayers.append(SparseKernels.aggregate(toItems, weights: weights, userLayers[layers - 1], targets: itemRows))
    }
    // e_r = (E⁰[r] + E¹[r] + … + E^L[r]) · α, summed in layer order as `scaledSum` does;
    // the last layer holds the rows alone.
    let mean = Tensor(rows: userRows.count + itemRows.count, cols: d) { out in
        func meanRows(_ layers: [Tensor], rows: [Int32], at offset: Int) {
            let whole = layers.count - (layers.count > 1 ? 1 : 0)
            withBuffers(layers) { bases in
                parallelFor(rows.count, work: rows.count * d * layers.count) { range in
                    for i in range {
                        let (o, r) = ((offset + i) * d, Int(rows[i]) * d)
                        for j in 0..<d {
                            var sum = bases[0][r + j]
                            for l in 1..<whole { sum += bases[l][r + j] }
                            if whole < layers.count { sum += bases[whole][i * d + j] }
                            out[o + j] = sum * alpha
                        }
                    }
                }
            }
        }
        meanRows(userLayers, rows: userRows, at: 0)
        meanRows(itemLayers, rows: itemRows, at: userRows.count)
    }

    let (ui, ii) = (users.id, items.id)
    let stacked = users.tape.record(mean, inputs: [users, items]) { g, grads in
        // The mean's share of each layer: α·g at the rows, zero elsewhere.
        let shareU = RowGradient(tableRows: graph.userCount, rows: userRows,
                                 values: g.rows(0..<userRows.count).scaled(by: alpha))
        let shareI = RowGradient(tableRows: graph.itemCount, rows: itemRows,
                                 values: g.rows(userRows.count..<(userRows.count + itemRows.count)).scaled(by: alpha))
        guard layers > 0 else {
            grads.accumulate(shareU, into: ui)
            grads.accumulate(shareI, into: ii)
            return
        }
        // dE^L = share, zero outside the rows; dE^l = share + (the transposed
        // product of dE^{l+1} of the other side), l = L−1 … 1. The products of
        // dE^L read only the entries that meet the rows.
        func transposed(_ adj: Adjacency, _ g: Tensor?, rows: RowGradient) -> Tensor {
            g.map { SparseKernels.aggregateBySource(adj, read: .target, weights: weights, scale: nil, $0) }
                ?? SparseKernels.aggregateBySource(adj, weights: weights, rows)
        }
        var (gradU, gradI): (Tensor?, Tensor?) = (nil, nil)
        for _ in stride(from: layers - 1, through: 1, by: -1) {
            var nextU = transposed(toItems, gradI, rows: shareI)
            var nextI = transposed(toUsers, gradU, rows: shareU)
            shareU.add(into: &nextU)
            shareI.add(into: &nextI)
            (gradU, gradI) = (nextU, nextI)
        }
        // dE⁰ = share, then the transposed product of dE¹: the composition's order.
        grads.accumulate(shareU, into: ui)
        grads.accumulate(shareI, into: ii)
        grads.accumulate(transposed(toItems, gradI, rows: shareI), into: ui)
        grads.accumulate(transposed(toUsers, gradU, rows: shareU), into: ii)
    }
    return (sliceRows(stacked, 0..<userRows.count),
            sliceRows(stacked, userRows.count..<(userRows.count + itemRows.count)))
}

private func checkDistinct(_ rows: [Int32], below count: Int, _ kind: String) {
    var seen = [Bool](repeating: false, count: count)
    for (k, r) in rows.enumerated() {
        precondition(r >= 0 && Int(r) < count,
                     "propagatedLayerMean: \(kind) row \(r) at position \(k) is out of range 0..<\(count)")
        precondition(!seen[Int(r)], "propagatedLayerMean: \(kind) row \(r) appears twice")
        seen[Int(r)] = true
    }
}
