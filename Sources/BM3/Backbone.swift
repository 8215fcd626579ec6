import GraphKit

/// BM3's ID backbone (docs/models/BM3.md, eqs. 2-3): LightGCN's weight-free
/// propagation, the mean of layers 0 … L, and each item's ID row added once
/// more. Over the bipartite graph Â = D^{-1/2} A D^{-1/2}, or with
/// `self_loops` over D^{-1/2} (A + I) D^{-1/2} on the U + I nodes.
struct Backbone {
    let graph: BipartiteGraph
    let norm: [Float]
    let layers: Int
    /// The node graph with self-loops and its weights, with `self_loops` only.
    let selfLooped: (adjacency: Adjacency, weights: [Float])?

    init(graph: BipartiteGraph, layers: Int, selfLoops: Bool) {
        self.graph = graph
        self.layers = layers
        norm = graph.symmetricNormalization
        guard selfLoops else {
            selfLooped = nil
            return
        }
        let adjacency = graph.nodeAdjacency(selfLoops: true)
        // Degrees count the self-edge: 1/√((|N(u)| + 1)(|N(i)| + 1)), and 1/(|N(v)| + 1) on the loop.
        let degree = (graph.userDegrees + graph.itemDegrees).map { Float($0 + 1) }
        let (targets, sources) = (adjacency.targetOfEdge, adjacency.sourceOfEdge)
        selfLooped = (adjacency, (0..<adjacency.edgeCount).map { e in
            1 / (degree[Int(targets[e])] * degree[Int(sources[e])]).squareRoot()
        })
    }

    /// h_u at `userRows` and h_i at `itemRows` (eq. 3).
    func callAsFunction(users u0: Variable, items i0: Variable, userRows: [Int32], itemRows: [Int32])
        -> (users: Variable, items: Variable) {
        let (users, items): (Variable, Variable)
        if let selfLooped {
            // The whole node table, then the rows.
            var x = concatRows([u0, i0])
            var total = x
            for _ in 0..<layers {
                x = sparseMatmul(selfLooped.adjacency, x, weights: selfLooped.weights)
                total = total + x
            }
            let mean = scale(total, by: 1 / Float(layers + 1))
            let nu = Int32(graph.userCount)
            users = gatherRows(mean, userRows)
            items = gatherRows(mean, itemRows.map { $0 + nu })
        } else {
            (users, items) = propagatedLayerMean(users: u0, items: i0, over: graph, weights: norm, layers: layers,
                                                 userRows: userRows, itemRows: itemRows)
        }
        // The item residual of eq. 3.
        return (users, items + gatherRows(i0, itemRows))
    }
}
