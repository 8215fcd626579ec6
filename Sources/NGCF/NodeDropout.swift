import GraphKit

/// Node dropout (NGCF, Wang et al., SIGIR'19, §2.4.2; docs/models/NGCF.md): in
/// each training batch, every edge of L_norm is dropped with probability p and
/// the kept ones are rescaled by 1/(1-p), so that L_norm keeps its expectation.
///
/// A dropped edge is a canonical (user, item) edge, dropped in both directions
/// at once, so the perturbed L_norm stays symmetric. The result is a fixed
/// per-edge weight vector for `propagate(_:over:weights: .fixed(_))`, drawn
/// from the batch's generator (one draw per canonical edge, in edge-id order).
func nodeDropoutWeights(_ norm: [Float], rate p: Float, rng: inout RandomGenerator) -> [Float] {
    precondition(p >= 0 && p < 1, "node dropout: rate \(p) is outside [0, 1)")
    guard p > 0 else { return norm }
    let keep = 1 / (1 - p)
    var weights = norm
    for e in weights.indices {
        weights[e] = rng.nextUniform() < p ? 0 : weights[e] * keep
    }
    return weights
}
