import CBLAS

/// Every row's k nearest rows of a feature matrix by cosine similarity: the
/// item–item kNN graph that LATTICE, FREEDOM and MGCN build from each
/// modality's features.
///
/// The similarity of rows i and j is the dot product of their L2-normalised
/// features, x̂ = x / max(‖x‖₂, 10⁻¹²) (a zero row has similarity 0 to every
/// row, itself included). The N × N similarity matrix is never held: rows are
/// taken in blocks of `blockRows(count:)`, each block's similarities to all N
/// rows come from one sgemm into a block-sized buffer, and each row's top k are
/// selected from it at once (`RowSelector`). Memory is O(N·k) for the result
/// plus O(B·N) for one buffer per worker, where B·N is bounded by about 2²⁴
/// floats (64 MB); time is O(N²·d).
///
/// Ties go to the lower row index, and the blocks are fixed by N alone, so the
/// graph is the same on any number of cores. It is the same on another CPU or
/// BLAS kernel only where no two similarities are close enough for the last
/// bit of rounding to reorder them.
public struct NearestNeighbours: Sendable {
    /// Number of rows (nodes).
    public let count: Int
    /// Neighbours kept per row: the k asked for, or fewer when there are fewer
    /// candidates (N, or N − 1 without self).
    public let k: Int
    /// Whether a row may be its own neighbour. With self, a row's own
    /// similarity (1 for a non-zero row) competes like any other.
    public let includesSelf: Bool
    /// Row i's neighbours are `neighbours[i·k ..< (i+1)·k]`, most similar
    /// first, ties to the lower index.
    public let neighbours: [Int32]
    /// The cosine similarity of each entry of `neighbours`.
    public let similarities: [Float]

    /// The largest number of rows in one block for `count` rows: at most 256,
    /// and at most 2²⁴ / `count` (at least 1), so that one block's
    /// similarities take at most 64 MB.
    public static func blockRows(count: Int) -> Int {
        max(1, min(256, (1 << 24) / max(count, 1)))
    }

    /// Finds the `k` nearest rows of every row of `features` (N × d).
    ///
    /// - Throws: `GraphError.invalidSize` when `features` has no rows or no
    ///   columns or `k` is not positive (or there is no candidate), and
    ///   `GraphError.nonFinite` when a feature is NaN or infinite.
    public init(features: Tensor, k: Int, includeSelf: Bool = true, name: String = "kNN graph") throws {
        let n = features.rows, d = features.cols
        guard n > 0 else { throw GraphError.invalidSize(graph: name, what: "row count", value: n) }
        guard d > 0 else { throw GraphError.invalidSize(graph: name, what: "feature width", value: d) }
        guard k > 0 else { throw GraphError.invalidSize(graph: name, what: "k", value: k) }
        if let bad = features.scalars.firstIndex(where: { !$0.isFinite }) {
            throw GraphError.nonFinite(graph: name, row: bad / d, column: bad % d, value: features.scalars[bad])
        }
        let candidates = includeSelf ? n : n - 1
        guard candidates > 0 else {
            throw GraphError.invalidSize(graph: name, what: "number of candidate neighbours (one row, self excluded)", value: 0)
        }
        let kept = min(k, candidates)
        let unit = NearestNeighbours.normalisedRows(features)
        var neighbours = [Int32](repeating: 0, count: n * kept)
        var similarities = [Float](repeating: 0, count: n * kept)
        let block = NearestNeighbours.blockRows(count: n)
        _ = BLAS.singleThreaded
        unit.scalars.withUnsafeBufferPointer { px in
        neighbours.withUnsafeMutableBufferPointer { outN in
        similarities.withUnsafeMutableBufferPointer { outS in
            let x = px.baseAddress!
            Parallelism.forEachBlock(n, blockSize: block, work: n * n * d / 64) { blocks in
                let buffer = UnsafeMutablePointer<Float>.allocate(capacity: block * n)
                defer { buffer.deallocate() }
                var selector = RowSelector(k: kept)
                for rows in blocks {
                    // Similarities of this block's rows to every row: X̂[rows] · X̂ᵀ.
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows.count), Int32(n), Int32(d),
                                1, x + rows.lowerBound * d, Int32(d), x, Int32(d), 0, buffer, Int32(n))
                    for (b, i) in rows.enumerated() {
                        let row = UnsafeMutableBufferPointer(start: buffer + b * n, count: n)
                        if !includeSelf { row[i] = -.infinity }
                        // The features are finite, so no similarity is NaN.
                        let got = selector.select(UnsafeBufferPointer(row), unmasked: candidates)!
                        precondition(got == kept, "\(name): row \(i) has \(got) neighbours, expected \(kept)")
                        for r in 0..<kept {
                            let key = selector.candidates[r]
                            outN[i * kept + r] = TopK.item(of: key)
                            outS[i * kept + r] = TopK.score(of: key)
                        }
                    }
                }
            }
        }}}
        self.count = n
        self.k = kept
        self.includesSelf = includeSelf
        self.neighbours = neighbours
        self.similarities = similarities
    }

    /// Rows scaled to unit L2 norm; a zero row stays zero.
    static func normalisedRows(_ x: Tensor) -> Tensor {
        var out = x
        let d = x.cols
        out.scalars.withUnsafeMutableBufferPointer { p in
            for i in 0..<x.rows {
                var sum: Float = 0
                for c in 0..<d { sum += p[i * d + c] * p[i * d + c] }
                let scale = 1 / max(sum.squareRoot(), 1e-12)
                for c in 0..<d { p[i * d + c] *= scale }
            }
        }
        return out
    }

    /// The row of each entry of `neighbours`: i, k times, for every row i.
    public var targets: [Int32] {
        (0..<Int32(count)).flatMap { Array(repeating: $0, count: k) }
    }

    /// The graph as an `Adjacency` in which row i aggregates its neighbours:
    /// edge e = i·k + r has target i and source `neighbours[e]`, so per-edge
    /// weights are laid out as `neighbours` is.
    public func adjacency(name: String = "kNN graph") -> Adjacency {
        // Cannot fail: every id is in 0..<count and there are count·k ≥ 1 edges.
        return try! Adjacency(targetCount: count, sourceCount: count, targets: targets, sources: neighbours, name: name)
    }

    /// What each edge of `adjacency()` carries before normalisation.
    public enum EdgeValue: Sendable {
        /// 1 on every kept edge: the kNN graph as a 0/1 matrix.
        case unit
        /// The edge's cosine similarity.
        case similarity
    }

    /// Symmetric normalisation D^{-1/2} A D^{-1/2} of the kNN matrix A, one
    /// weight per edge of `adjacency()`: w_{ij} = a_{ij} / √(d_i d_j), where
    /// d_i = Σ_j a_{ij} is row i's sum (A need not be symmetric, so d is taken
    /// over rows, as LATTICE's and FREEDOM's normalised graphs are). A row
    /// whose sum is not positive gets weight 0 on the edges it touches.
    public func normalisedWeights(_ value: EdgeValue) -> [Float] {
        let a: [Float] = value == .unit ? [Float](repeating: 1, count: count * k) : similarities
        var inverseRoot = [Float](repeating: 0, count: count)
        for i in 0..<count {
            var sum: Float = 0
            for r in 0..<k { sum += a[i * k + r] }
            inverseRoot[i] = sum > 0 ? 1 / sum.squareRoot() : 0
        }
        var w = [Float](repeating: 0, count: count * k)
        for i in 0..<count {
            for r in 0..<k {
                let j = Int(neighbours[i * k + r])
                w[i * k + r] = a[i * k + r] * inverseRoot[i] * inverseRoot[j]
            }
        }
        return w
    }
}
