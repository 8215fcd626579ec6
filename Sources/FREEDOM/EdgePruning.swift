import Foundation
import GraphKit

/// FREEDOM's degree-sensitive edge pruning (docs/models/FREEDOM.md, eqs. 7-9):
/// before every epoch, n of the |E| training edges are kept, drawn without
/// replacement with probability proportional to p_e = 1/(√ω_u √ω_i) among the
/// edges not yet drawn, so that edges between popular nodes are the likeliest
/// to go; the kept edges form a new graph, normalised by its own degrees.
///
/// The draw uses exponential keys: κ_e = −ln(u_e) / p_e with u_e uniform on
/// (0, 1], one per edge in canonical order, and the n smallest keys are kept
/// (ties to the lower edge). This has exactly the distribution of n
/// successive proportional draws (Efraimidis and Spirakis's weighted sampling).
struct EdgePruning {
    /// The full training graph.
    let graph: BipartiteGraph
    /// n, the number of edges kept (eq. 8).
    let keepCount: Int
    /// p_e per canonical edge (eq. 7), or all 1 for uniform pruning.
    let weights: [Double]

    /// Pruning of `graph` at ratio ρ = `ratio`. `truncate` keeps ⌊(1 − ρ)|E|⌋
    /// edges (MMRec's `keep_count`) instead of |E| − ⌊ρ|E|⌋.
    init(graph: BipartiteGraph, ratio: Double, degreeSensitive: Bool, truncate: Bool) {
        self.graph = graph
        let e = graph.edgeCount
        keepCount = truncate ? Int(Double(e) * (1 - ratio)) : e - Int(ratio * Double(e))
        if degreeSensitive {
            let (du, di) = (graph.userDegrees, graph.itemDegrees)
            weights = (0..<e).map { k in
                1 / (Double(du[Int(graph.edgeUsers[k])]).squareRoot() * Double(di[Int(graph.edgeItems[k])]).squareRoot())
            }
        } else {
            weights = Array(repeating: 1, count: e)
        }
    }

    /// The canonical ids of the kept edges, ascending.
    func keptEdges(rng: inout RandomGenerator) -> [Int] {
        let keys = weights.map { p in -log(1 - rng.nextDouble()) / p }
        var order = Array(0..<keys.count)
        order.sort { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 }
        return order.prefix(keepCount).sorted()
    }

    /// One epoch's pruned graph and its symmetric normalisation (eq. 9).
    /// Throws when no edge is kept.
    func sample(rng: inout RandomGenerator) throws -> (graph: BipartiteGraph, norm: [Float]) {
        let kept = keptEdges(rng: &rng)
        let pruned = try BipartiteGraph(userCount: graph.userCount, itemCount: graph.itemCount,
                                        users: kept.map { graph.edgeUsers[$0] }, items: kept.map { graph.edgeItems[$0] },
                                        name: "pruned training graph")
        return (pruned, pruned.symmetricNormalization)
    }
}
