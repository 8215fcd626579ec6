import GraphKit

/// The BPR loss averaged over a batch: mean of softplus(−(y_ui − y_uj)),
/// which is −ln σ(y_ui − y_uj) written stably (Rendle et al., 2009).
public func bprLoss(positive: Variable, negative: Variable) -> Variable {
    mean(softplus(negative - positive))
}

/// The default L2 regulariser of docs/MODELS.md: λ · Σ_k ‖E_k‖² / (2B) over the
/// batch's rows E_k (LightGCN paper's form).
public func l2Regularization(_ rows: [Variable], weight: Float, batchSize: Int) -> Variable {
    precondition(!rows.isEmpty, "l2Regularization: no rows")
    let total = rows.dropFirst().reduce(squaredNorm(rows[0])) { $0 + squaredNorm($1) }
    return scale(total, by: weight / Float(2 * batchSize))
}

/// MMRec's `EmbLoss`: λ · Σ_k ‖E_k‖_F / B, with non-squared Frobenius norms.
/// Used only under `compat: "mmrec"`.
public func mmrecEmbeddingLoss(_ rows: [Variable], weight: Float, batchSize: Int) -> Variable {
    precondition(!rows.isEmpty, "mmrecEmbeddingLoss: no rows")
    let norms = rows.map { sqrt(squaredNorm($0)) }
    let total = norms.dropFirst().reduce(norms[0], +)
    return scale(total, by: weight / Float(batchSize))
}

/// The batch's scores y_ui = e_u · e_i and y_uj = e_u · e_j (B × 1 each) from
/// the final user (U × d) and item (I × d) rows.
public func batchScores(users: Variable, items: Variable, _ batch: TrainingBatch)
    -> (positive: Variable, negative: Variable) {
    let u = gatherRows(users, batch.users)
    return (rowDot(u, gatherRows(items, batch.positives)), rowDot(u, gatherRows(items, batch.negatives)))
}

/// The batch's layer-0 rows e⁰_u, e⁰_i and e⁰_j, which the default L2 term reads.
public func batchLayerZeroRows(users: Variable, items: Variable, _ batch: TrainingBatch) -> [Variable] {
    [gatherRows(users, batch.users), gatherRows(items, batch.positives), gatherRows(items, batch.negatives)]
}
