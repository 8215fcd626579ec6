import GraphKit

/// InfoNCE of eq. 16 (docs/models/MGCN.md) for one side, users or items: row
/// r's anchor is its fused vector e_mul, its positive its own behaviour
/// vector ē_id, and its negatives the other rows' behaviour vectors, with
/// c the cosine (or the dot product) over a temperature τ:
/// mean_r [ log Σ_s exp(c(a_r, b_s)/τ) − c(a_r, b_r)/τ ].
func infoNCE(anchors a: Variable, positives b: Variable, temperature: Float, cosine: Bool) -> Variable {
    let (x, y) = cosine ? (l2NormalizeRows(a), l2NormalizeRows(b)) : (a, b)
    // 1/τ scales the n × d anchors, not the n × n similarities.
    let sharp = scale(x, by: 1 / temperature)
    return mean(logSumExpRows(matmul(sharp, y, transposeB: true)) - rowDot(sharp, y))
}
