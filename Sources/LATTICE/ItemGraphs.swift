import GraphKit
import RecommenderCore

/// One modality's initial graph S̃^m (docs/models/LATTICE.md, eqs. 1-3): each
/// item's k nearest items by the cosine of the raw features (itself
/// included), the cosine values kept, normalised by row sums on both sides.
/// Built once and never trained.
struct InitialGraph {
    let adjacency: Adjacency
    let weights: [Float]

    init(features: Tensor, k: Int, modality: Modality) throws {
        let knn = try NearestNeighbours(features: features, k: k, includeSelf: true,
                                        name: "LATTICE \(modality.rawValue) kNN graph")
        adjacency = knn.adjacency(name: "LATTICE \(modality.rawValue) initial graph")
        weights = knn.normalisedWeights(.similarity)
    }
}

/// The item–item operator of one step, 𝒜 = Σ_m α_m (λ_s S̃^m + (1 − λ_s) Â^m)
/// (eqs. 5-7), applied by linearity as 2M sparse products; or, under MMRec's
/// `normalise_after_sum`, (1 − λ_s) 𝒩(Σ_m α_m Ā^m) + λ_s Σ_m α_m S̃^m, with
/// the learned graphs' union normalised once.
struct ItemGraphOperator {
    let initial: [InitialGraph]
    /// The learned graphs: one per modality, or their union; weights per edge.
    let learned: [(adjacency: Adjacency, weights: Variable)]
    /// α_m, each 1 × 1.
    let alpha: [Variable]
    let initialShare: Float
    let unionLearned: Bool

    /// 𝒜 h (one layer of eq. 8).
    func callAsFunction(_ h: Variable) -> Variable {
        let lambda = initialShare
        var parts: [Variable] = []
        for (m, graph) in initial.enumerated() {
            var part = scale(sparseMatmul(graph.adjacency, h, weights: graph.weights), by: lambda)
            if !unionLearned {
                part = part + scale(sparseMatmul(learned[m].adjacency, h, learnableWeights: learned[m].weights), by: 1 - lambda)
            }
            parts.append(part * alpha[m])
        }
        var total = parts.dropFirst().reduce(parts[0], +)
        if unionLearned {
            total = total + scale(sparseMatmul(learned[0].adjacency, h, learnableWeights: learned[0].weights), by: 1 - lambda)
        }
        return total
    }

    /// The operator's weights as values, taken while its tape still holds
    /// them: what the batches after an epoch's first reuse under
    /// `graph_update: "epoch"`.
    func values() -> ItemGraphValues {
        ItemGraphValues(initial: initial, learned: learned.map { ($0.adjacency, $0.weights.value) },
                        alpha: alpha.map(\.value), initialShare: initialShare, unionLearned: unionLearned)
    }
}

/// An `ItemGraphOperator`'s weights as plain values, kept across tapes.
struct ItemGraphValues {
    let initial: [InitialGraph]
    let learned: [(adjacency: Adjacency, weights: Tensor)]
    let alpha: [Tensor]
    let initialShare: Float
    let unionLearned: Bool

    /// The operator with every weight a constant on `tape`: no gradient
    /// reaches the parameters that made it.
    func constantOperator(on tape: Tape) -> ItemGraphOperator {
        ItemGraphOperator(initial: initial, learned: learned.map { ($0.adjacency, tape.constant($0.weights)) },
                          alpha: alpha.map { tape.constant($0) }, initialShare: initialShare, unionLearned: unionLearned)
    }
}

/// The learned kNN graph of projected features (eq. 5): the edges are chosen
/// on the values, outside the tape (no gradient through the choice), and the
/// kept cosines are recomputed on the tape along them, so that the weights
/// are differentiable in the projections. Nil when a projection is not finite.
/// `edges`, when given, replaces the choice: a gradient check holds the
/// edges fixed while the parameters move, as the step's gradient does.
func learnedGraph(_ projected: Variable, k: Int, edges: Adjacency? = nil) -> (adjacency: Adjacency, values: Variable)? {
    let adjacency: Adjacency
    if let edges {
        adjacency = edges
    } else {
        guard let knn = try? NearestNeighbours(features: projected.value, k: k, includeSelf: true,
                                               name: "LATTICE learned graph") else { return nil }
        adjacency = knn.adjacency(name: "LATTICE learned graph")
    }
    let unit = l2NormalizeRows(projected)
    return (adjacency, edgeScores(targets: unit, sources: unit, over: adjacency))
}

/// D^{-1/2} A D^{-1/2} by row sums (eq. 3) of per-edge values `a` over
/// `adjacency`, differentiable in `a` through the values and the degrees; a
/// row whose sum is not positive sends and receives nothing.
func symmetricallyNormalised(_ a: Variable, over adjacency: Adjacency) -> Variable {
    let r = inverseSquareRoot(segmentSum(a, over: adjacency))
    return a * gatherTargets(r, over: adjacency) * gatherSources(r, over: adjacency)
}
