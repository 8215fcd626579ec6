/// The weight each edge puts on its message.
public enum EdgeWeights {
    /// Every message has weight 1.
    case unit
    /// Fixed weights, one per canonical edge (a normalisation, say). No gradient.
    case fixed([Float])
    /// Learnable weights, an edgeCount × 1 node; gradients reach them.
    case learnable(Variable)
    /// Learnable weights per column block, an edgeCount × K node: the message on
    /// edge e is x_s with its block k scaled by w_{e,k} (x has K equal blocks).
    case learnableBlocks(Variable)
}

/// How messages arriving at a target are combined.
public enum Aggregation: String, Sendable {
    /// Σ of the messages.
    case sum
    /// Mean of the messages (the one-sided normalisation 1 / |N(t)|).
    case mean
    /// Element-wise max of the messages; the gradient goes to the argmax.
    case max
}

/// Message passing in the spirit of PyG's `propagate`: the message on edge
/// s → t is w_e · x_s, and each target aggregates its incoming messages.
///
/// Sum and mean take the fused sparse–dense product. Max with unit weights
/// gathers the maximum straight from the source rows; weighted max
/// materialises the per-edge messages and takes a segment max. A LightGCN layer is
/// `propagate(x, over: graph.itemsToUsers, weights: .fixed(norm))`.
public func propagate(_ x: Variable, over adj: Adjacency, weights: EdgeWeights = .unit,
                      aggregation: Aggregation = .sum) -> Variable {
    switch aggregation {
    case .sum, .mean:
        let scale = aggregation == .mean ? inverseInDegrees(adj) : nil
        switch weights {
        case .unit: return sparseMatmul(adj, x, weights: nil, scale: scale)
        case let .fixed(w): return sparseMatmul(adj, x, weights: w, scale: scale)
        case let .learnable(w): return sparseMatmul(adj, x, learnableWeights: w, scale: scale)
        case let .learnableBlocks(w):
            let y = sparseMatmul(adj, x, learnableBlockWeights: w)
            guard let scale else { return y }
            return y * x.tape.constant(Tensor(rows: scale.count, cols: 1, scalars: scale))
        }
    case .max:
        switch weights {
        case .unit:
            return gatherMax(x, over: adj)
        case let .fixed(w):
            precondition(w.count == adj.edgeCount, "propagate: \(w.count) edge weights for \(adj.edgeCount) edges")
            let wv = x.tape.constant(Tensor(rows: w.count, cols: 1, scalars: w))
            return segmentMax(gatherSources(x, over: adj) * wv, over: adj)
        case let .learnable(w):
            return segmentMax(gatherSources(x, over: adj) * w, over: adj)
        case let .learnableBlocks(w):
            // Spread w_{e,k} over block k's columns: w (E × K) times a K × d 0/1 matrix.
            let (blocks, d) = (w.cols, x.cols)
            precondition(blocks >= 1 && d % blocks == 0,
                         "propagate: \(d) columns do not split into \(blocks) equal blocks")
            var spread = Tensor(rows: blocks, cols: d)
            for j in 0..<d { spread[j / (d / blocks), j] = 1 }
            return segmentMax(gatherSources(x, over: adj) * matmul(w, x.tape.constant(spread)), over: adj)
        }
    }
}
