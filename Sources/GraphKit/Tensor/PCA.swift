import CBLAS

/// The first principal components of a set of row vectors.
public struct PrincipalComponents: Sendable, Equatable {
    /// Each row projected on the components: n × k, in Double.
    public var coordinates: [[Double]]
    /// Each component's share of the total variance, largest first.
    public var explainedVariance: [Double]
}

/// A principal-component analysis that could not be computed.
public struct PCAError: Error, CustomStringConvertible {
    public let description: String
}

/// PCA of the rows of `x` (n × d) by eigendecomposition of the covariance
/// C = X̄ᵀX̄ / (n − 1) of the column-centred rows X̄, with LAPACKE's dsyev.
/// The coordinates are X̄ v_j for the eigenvectors v_j of the `count`
/// largest eigenvalues λ_j; the explained share of component j is λ_j / Σλ.
/// Each v_j's sign is fixed so that its largest-magnitude entry is positive,
/// so the result does not depend on LAPACK's sign choice.
public func principalComponents(of x: Tensor, count k: Int) throws -> PrincipalComponents {
    let (n, d) = (x.rows, x.cols)
    guard n >= 2, d >= 1, k >= 1, k <= d else {
        throw PCAError(description: "PCA of \(n) × \(d) rows into \(k) components: expected at least 2 rows and 1 ≤ k ≤ \(d)")
    }
    var centred = [Double](repeating: 0, count: n * d)
    var mean = [Double](repeating: 0, count: d)
    for i in 0..<n {
        for j in 0..<d {
            let v = Double(x[i, j])
            guard v.isFinite else { throw PCAError(description: "PCA: entry (\(i), \(j)) is \(v); expected finite values") }
            mean[j] += v
        }
    }
    for j in 0..<d { mean[j] /= Double(n) }
    for i in 0..<n { for j in 0..<d { centred[i * d + j] = Double(x[i, j]) - mean[j] } }
    // C = X̄ᵀX̄ / (n − 1), row-major d × d.
    var covariance = [Double](repeating: 0, count: d * d)
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(d), Int32(d), Int32(n),
                1 / Double(n - 1), centred, Int32(d), centred, Int32(d), 0, &covariance, Int32(d))
    var eigenvalues = [Double](repeating: 0, count: d)
    let info = LAPACKE_dsyev(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")),
                             Int32(d), &covariance, Int32(d), &eigenvalues)
    guard info == 0 else { throw PCAError(description: "PCA: LAPACKE_dsyev returned \(info)") }
    // Eigenvalues come ascending; eigenvector j is column j of the overwritten matrix.
    let total = eigenvalues.reduce(0) { $0 + max($1, 0) }
    var coordinates = [[Double]](repeating: [Double](repeating: 0, count: k), count: n)
    var explained: [Double] = []
    for c in 0..<k {
        let column = d - 1 - c
        var vector = (0..<d).map { covariance[$0 * d + column] }
        if let largest = vector.indices.max(by: { abs(vector[$0]) < abs(vector[$1]) }), vector[largest] < 0 {
            vector = vector.map { -$0 }
        }
        for i in 0..<n {
            var s = 0.0
            for j in 0..<d { s += centred[i * d + j] * vector[j] }
            coordinates[i][c] = s
        }
        explained.append(total > 0 ? max(eigenvalues[column], 0) / total : 0)
    }
    return PrincipalComponents(coordinates: coordinates, explainedVariance: explained)
}
