/// The weight each edge puts on its message.
public enum EdgeWeights {
    /// Every message has weight 1.
    case unit
    /// Fixed weights, one per canonical edge (a normalisation, say). No gradient.
    case fixed([Float])
    /// Learnable weights, an edgeCount × 1 node; gradients reach them.
    case learnable(Variable)
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
/// Sum and mean take the fused sparse–dense product; max materialises the
/// per-edge messages and takes a segment max. A LightGCN layer is
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
        }
    case .max:
        let messages = gatherSources(x, over: adj)
        switch weights {
        case .unit:
            return segmentMax(messages, over: adj)
        case let .fixed(w):
            precondition(w.count == adj.edgeCount, "propagate: \(w.count) edge weights for \(adj.edgeCount) edges")
            let wv = x.tape.constant(Tensor(rows: w.count, cols: 1, scalars: w))
            return segmentMax(messages * wv, over: adj)
        case let .learnable(w):
            return segmentMax(messages * w, over: adj)
        }
    }
}
