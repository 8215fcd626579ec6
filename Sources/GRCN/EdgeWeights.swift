import GraphKit

/// The fused weight of every edge in one direction (GRCN eqs. 6-7), E × 1.
///
/// - `scores`: s̄^m for each modality m (E × 1 each), in the order of the
///   columns of `base`.
/// - `base`: ρ of the node whose base vector weighs each edge, gathered per
///   edge (E × M); used by `.confid` only.
func fusedEdgeWeights(_ scores: [Variable], base: Variable?, mode: WeightMode, pruning: Pruning) -> Variable {
    precondition(!scores.isEmpty, "fusedEdgeWeights: no modality")
    let fused: Variable
    switch mode {
    case .confid:
        // Eq. 7: s = max_m ρ^m s̄^m.
        guard let base else { preconditionFailure("fusedEdgeWeights: weight_mode confid needs base vectors") }
        let weighted = scores.enumerated().map { m, s in sliceColumns(base, m..<(m + 1)) * s }
        fused = weighted.dropFirst().reduce(weighted[0], maximum)
    case .max:
        fused = scores.dropFirst().reduce(scores[0], maximum)
    case .mean:
        fused = scale(scores.dropFirst().reduce(scores[0], +), by: 1 / Float(scores.count))
    }
    // Hard pruning cuts the edges whose fused weight is negative.
    return pruning == .hard ? relu(fused) : fused
}
