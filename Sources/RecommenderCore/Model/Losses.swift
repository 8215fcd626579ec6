import GraphKit

/// The BPR loss averaged over a batch: mean of softplus(−(y_ui − y_uj)),
/// which is −ln σ(y_ui − y_uj) written stably (Rendle et al., 2009).
public func bprLoss(positive: Variable, negative: Variable) -> Variable {
    mean(softplus(negative - positive))
}

/// The default L2 regulariser of MODELS.md: λ · Σ_k ‖E_k‖² / (2B) over the
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
