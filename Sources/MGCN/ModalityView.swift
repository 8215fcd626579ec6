import GraphKit
import RecommenderCore

/// One modality's branch of MGCN (docs/models/MGCN.md): the behaviour-guided
/// purifier (eqs. 1-2), the frozen item–item kNN graph (eqs. 6-8), the
/// item–item view over it (eq. 9) and the users' rows collected from their
/// items (eq. 10), plus the preference gate of the fuser (eq. 11).
struct ModalityView {
    let modality: Modality
    /// F_m as loaded.
    let features: Tensor
    /// F_m as a trained parameter, under MMRec's `trainable_features` only.
    let trainedFeatures: Parameter?
    /// W_1^m, b_1^m: D_m → d (eq. 1).
    let projection: Linear
    /// W_2^m, b_2^m: the purifier gate, d → d (eq. 2).
    let purifierGate: Linear
    /// W_3^m, b_3^m: the preference gate, d → d (eq. 11).
    let preferenceGate: Linear
    /// Ŝ_m (eqs. 6-8): each item aggregates its k nearest items, with the
    /// cosine weights normalised by row sums; nil without item–item layers.
    let itemGraph: (adjacency: Adjacency, weights: [Float])?

    init(modality: Modality, features: Tensor, embeddingSize d: Int, k: Int, buildGraph: Bool,
         pytorchDraws: Bool, trainableFeatures: Bool, rng: inout RandomGenerator) throws {
        self.modality = modality
        self.features = features
        func linear(_ input: Int, _ output: Int, _ name: String) -> Linear {
            let name = "\(modality.rawValue)_\(name)"
            return pytorchDraws ? Linear.pytorchDefault(inputSize: input, outputSize: output, rng: &rng, name: name)
                                : Linear(inputSize: input, outputSize: output, rng: &rng, name: name)
        }
        projection = linear(features.cols, d, "projection")
        purifierGate = linear(d, d, "purifier_gate")
        preferenceGate = linear(d, d, "preference_gate")
        trainedFeatures = trainableFeatures ? Parameter(features, name: "\(modality.rawValue)_features") : nil
        if buildGraph {
            let knn = try NearestNeighbours(features: features, k: k, includeSelf: true,
                                            name: "MGCN \(modality.rawValue) kNN graph")
            itemGraph = (knn.adjacency(name: "MGCN \(modality.rawValue) item graph"), knn.normalisedWeights(.similarity))
        } else {
            itemGraph = nil
        }
    }

    var parameters: [Parameter] {
        projection.parameters + purifierGate.parameters + preferenceGate.parameters + (trainedFeatures.map { [$0] } ?? [])
    }

    /// ē^m for every item (I × d), eqs. 1, 2 and 9: the ID rows `items`
    /// gated by the projected features, then `layers` products with Ŝ_m.
    func itemRows(_ items: Variable, layers: Int) -> Variable {
        let tape = items.tape
        let f = trainedFeatures.map { tape.watch($0) } ?? tape.constant(features)
        // ė = W_1 f + b_1 (eq. 1); ë = e_i ⊙ σ(W_2 ė + b_2) (eq. 2).
        let purified = items * sigmoid(purifierGate(projection(f)))
        guard let itemGraph else { return purified }
        return (0..<layers).reduce(purified) { h, _ in sparseMatmul(itemGraph.adjacency, h, weights: itemGraph.weights) }
    }
}
