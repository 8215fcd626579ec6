import GraphKit
import RecommenderCore

/// FREEDOM's frozen item–item graph S = Σ_m α_m S̃^m (docs/models/FREEDOM.md,
/// eqs. 1-4): per modality, each item's k nearest items by the cosine of the
/// raw features (itself included), as a 0/1 matrix normalised by its row
/// sums, D^{-1/2} Ŝ D^{-1/2}; built once from the loaded features and never trained.
///
/// The M modalities' edge lists are concatenated into one `Adjacency`, each
/// edge weighted α_m w^m_e, so a pair listed by several modalities carries
/// the sum of its weights, as a summed sparse matrix would.
struct FrozenItemGraph {
    /// Row i aggregates its neighbours in every modality.
    let adjacency: Adjacency
    /// α_m · (D^{-1/2} Ŝ^m D^{-1/2})_ij per edge.
    let weights: [Float]

    init(features: [(modality: Modality, matrix: Tensor)], k: Int, modalityWeights: [Float]) throws {
        var targets: [Int32] = [], sources: [Int32] = [], weights: [Float] = []
        for (m, feature) in features.enumerated() where modalityWeights[m] > 0 {
            let knn = try NearestNeighbours(features: feature.matrix, k: k, includeSelf: true,
                                            name: "FREEDOM \(feature.modality.rawValue) kNN graph")
            targets += knn.targets
            sources += knn.neighbours
            weights += knn.normalisedWeights(.unit).map { modalityWeights[m] * $0 }
        }
        let itemCount = features[0].matrix.rows
        // The α_m sum to 1, so some modality adds edges and the list is not empty.
        adjacency = try Adjacency(targetCount: itemCount, sourceCount: itemCount, targets: targets, sources: sources,
                                  name: "FREEDOM item graph")
        self.weights = weights
    }

    /// S^L x: `layers` products with the frozen graph (eq. 5).
    func convolve(_ x: Variable, layers: Int) -> Variable {
        (0..<layers).reduce(x) { h, _ in sparseMatmul(adjacency, h, weights: weights) }
    }
}
