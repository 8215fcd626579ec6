import GraphKit

/// How DualGNN builds a user's multi-modal vector ũ_u from its single-modal
/// representations r_u^m (docs/models/DualGNN.md, step 3).
public enum UserConstruction: String, Sendable, CaseIterable {
    /// ũ_u = Σ_m α_{u,m} r_u^m with α trainable per user.
    case weightedSum = "weighted_sum"
    /// ũ_u = (1/M) Σ_m r_u^m.
    case mean
    /// ũ_u = max_m r_u^m, element-wise.
    case max
    /// ũ_u = W [r_u^{m1} ‖ r_u^{m2} ‖ …] + b, a linear map from M·d to d.
    case catMLP = "cat_mlp"
}

extension UserConstruction {
    /// ũ (U × d) from the users' single-modal representations r^m (docs/models/DualGNN.md,
    /// DualGNN step 3). `alpha` (U × M) is read by `.weightedSum`, `mlp` (M·d → d)
    /// by `.catMLP`.
    func construct(_ r: [Variable], alpha: Variable?, mlp: Linear?) -> Variable {
        precondition(!r.isEmpty, "UserConstruction: no modality")
        switch self {
        case .weightedSum:
            // ũ_u = Σ_m α_{u,m} r_u^m: column m of α broadcast along the row.
            let alpha = alpha!
            let terms = r.indices.map { sliceColumns(alpha, $0..<($0 + 1)) * r[$0] }
            return terms.dropFirst().reduce(terms[0], +)
        case .mean:
            return scale(r.dropFirst().reduce(r[0], +), by: 1 / Float(r.count))
        case .max:
            // The element-wise max, folded over the modalities.
            return r.dropFirst().reduce(r[0], maximum)
        case .catMLP:
            return mlp!(r.count == 1 ? r[0] : concatColumns(r))
        }
    }
}
