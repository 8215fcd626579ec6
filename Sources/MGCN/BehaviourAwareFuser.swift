import GraphKit

/// MGCN's behaviour-aware fuser (docs/models/MGCN.md, eqs. 11-15), row by row:
/// P_m = σ(W_3^m ē_id + b_3^m); α = softmax over the modalities of
/// q_1ᵀ tanh(W_4 ē^m + b_4); e_s = Σ_m α_m ē^m; ẽ^m = ē^m − e_s; and
/// e_mul = e_s + (1/M) Σ_m ẽ^m ⊙ P_m, or (e_s + Σ_m ẽ^m ⊙ P_m)/(M + 1) under
/// MMRec's `fusion_mean`.
struct BehaviourAwareFuser {
    /// W_4, b_4: d → d, shared by the modalities.
    let attention: Linear
    /// q_1: d → 1, no bias.
    let query: Linear

    init(embeddingSize d: Int, pytorchDraws: Bool, rng: inout RandomGenerator) {
        attention = pytorchDraws ? Linear.pytorchDefault(inputSize: d, outputSize: d, rng: &rng, name: "attention")
                                 : Linear(inputSize: d, outputSize: d, rng: &rng, name: "attention")
        query = pytorchDraws ? Linear.pytorchDefault(inputSize: d, outputSize: 1, bias: false, rng: &rng, name: "query")
                             : Linear(inputSize: d, outputSize: 1, bias: false, rng: &rng, name: "query")
    }

    var parameters: [Parameter] { attention.parameters + query.parameters }

    /// e_mul for the rows of `behaviour` (ē_id) and `views` (one ē^m per
    /// modality, same rows), with each modality's preference gate.
    func fuse(behaviour: Variable, views: [Variable], preferenceGates: [Linear], meanOfTerms: Bool) -> Variable {
        let m = views.count
        // α_m per row: softmax over the M scores q_1ᵀ tanh(W_4 ē^m + b_4) (eq. 12).
        let scores = views.map { query(tanh(attention($0))) }
        let alpha = softmaxRows(concatColumns(scores))
        // e_s = Σ_m α_m ē^m (eq. 13).
        let weighted = (0..<m).map { views[$0] * sliceColumns(alpha, $0..<($0 + 1)) }
        let shared = weighted.dropFirst().reduce(weighted[0], +)
        // Σ_m (ē^m − e_s) ⊙ P_m (eqs. 11, 14).
        let gated = (0..<m).map { (views[$0] - shared) * sigmoid(preferenceGates[$0](behaviour)) }
        let specific = gated.dropFirst().reduce(gated[0], +)
        // Eq. 15.
        return meanOfTerms ? scale(shared + specific, by: 1 / Float(m + 1)) : shared + scale(specific, by: 1 / Float(m))
    }
}
