import GraphKit

extension UserConstruction {
    /// ũ (U × d) from the users' single-modal representations r^m (MODELS.md,
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
            // max(a, b) = b + relu(a − b), folded over the modalities (no element-wise max op).
            return r.dropFirst().reduce(r[0]) { a, b in b + relu(a - b) }
        case .catMLP:
            return mlp!(r.count == 1 ? r[0] : concatColumns(r))
        }
    }
}
