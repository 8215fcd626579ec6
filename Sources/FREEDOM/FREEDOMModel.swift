import GraphKit
import RecommenderCore

/// FREEDOM (Zhou and Shen, ACM MM 2023), as specified in docs/models/FREEDOM.md.
///
/// An item–item graph S = Σ_m α_m S̃^m of each modality's kNN lists is built
/// once from the raw features and frozen (eqs. 1-4); the item ID embeddings
/// are convolved over it, h̃ = S^{L_ii} e (eq. 5). The user–item graph is
/// pruned before every epoch, keeping n edges drawn by degree-sensitive
/// weights 1/(√ω_u √ω_i) (eqs. 7-9), and LightGCN runs over the pruned graph in
/// training and the full one in evaluation (eq. 10). Users are ĥ_u, items
/// h̃_i + ĥ_i (eq. 11), y_ui = h_u · h_i (eq. 13). Loss: BPR plus λ times one
/// BPR term per modality that scores h_u against the projected features
/// h_i^m = x_i^m W_m + b_m (eqs. 12, 14); there is no L2 term.
public final class FREEDOMModel: Recommender {
    public static let name = "FREEDOM"

    public static let hyperparameters: [HyperparameterSpec] = [
        .integer("embedding_size", default: 64, in: 1...4096, "size d of the ID embeddings and of each modality's projection"),
        .integer("n_ui_layers", default: 2, in: 0...8, "LightGCN layers on the user–item graph (eq. 10)"),
        .integer("n_mm_layers", default: 1, in: 0...8, "convolutions over the frozen item–item graph (eq. 5)"),
        .integer("knn_k", default: 10, in: 1...10_000, "neighbours per item in each modality's kNN graph, the item itself included"),
        .real("mm_image_weight", default: 0.1, in: 0...1,
              "α of the visual kNN graph in eq. 4; the other modalities share 1 − α (1/M each without visual)"),
        .real("dropout", default: 0.8, in: 0...0.99, "ρ, the share of training edges pruned before each epoch (0: none)"),
        .choice("pruning", default: "degree", ["degree", "uniform"],
                "edge weights of the pruning: 1/(√ω_u √ω_i) (degree-sensitive), or equal (random edge dropout)"),
        .real("reg_weight", default: 1e-4, in: 0...1e3, "λ, the weight of the modality BPR terms (eq. 14)"),
        .modalities,
        MMRecCompat<FREEDOMMMRecBehaviour>.spec(
            "\"mmrec\": MMRec's port: trainable feature tables, PyTorch's default draws for the projections, ⌊(1 − ρ)|E|⌋ edges kept"),
    ]

    let graph: BipartiteGraph
    let norm: [Float]
    let options: FREEDOMOptions
    /// The frozen item–item graph S; nil with `n_mm_layers: 0`.
    let itemGraph: FrozenItemGraph?
    let pruning: EdgePruning?
    /// This epoch's training graph and its normalisation (the full graph before the first epoch or with ρ = 0).
    public private(set) var trainingGraph: (graph: BipartiteGraph, norm: [Float])
    /// α_m of eq. 4, one per modality used.
    public let modalityWeights: [Float]
    /// The modalities used, in order, and their loaded features x^m.
    let features: [(modality: Modality, matrix: Tensor)]
    /// E_U (U × d) and E_I (I × d), Xavier uniform.
    public let userEmbedding: Parameter
    public let itemEmbedding: Parameter
    /// W_m, b_m per modality (eq. 12).
    public let projections: [Linear]
    /// The trained copies of the feature tables, under MMRec's `trainable_features` only.
    public let trainedFeatures: [Parameter]
    public let settingsRun: [String: HyperparameterValue]

    /// `modalities` must exist when given.
    public static func keysThatMatterWhenGiven(_ h: Hyperparameters) -> Set<String> { ["modalities"] }

    public init(dataset: Dataset, hyperparameters h: Hyperparameters, seed: UInt64) throws {
        features = try dataset.features(selectedBy: h, model: Self.name)
        settingsRun = h.modalitiesRun(features.map(\.modality))
        options = try FREEDOMOptions(h, model: Self.name)
        graph = dataset.graph
        norm = graph.symmetricNormalization
        trainingGraph = (graph, norm)
        let d = options.embeddingSize
        var rng = RandomGenerator(seed: seed, stream: 0)
        userEmbedding = Parameter(Initializer.xavierUniform(rows: dataset.userCount, cols: d, rng: &rng),
                                  name: "user_embedding")
        itemEmbedding = Parameter(Initializer.xavierUniform(rows: dataset.itemCount, cols: d, rng: &rng),
                                  name: "item_embedding")
        let pytorchDraws = options.compat.has(.initialisation)
        projections = features.map { f in
            let name = "\(f.modality.rawValue)_projection"
            return pytorchDraws
                ? Linear.pytorchDefault(inputSize: f.matrix.cols, outputSize: d, rng: &rng, name: name)
                : Linear(inputSize: f.matrix.cols, outputSize: d, rng: &rng, name: name)
        }
        trainedFeatures = options.compat.has(.trainableFeatures)
            ? features.map { Parameter($0.matrix, name: "\($0.modality.rawValue)_features") }
            : []
        modalityWeights = options.modalityWeights(features.map(\.modality))
        itemGraph = options.itemItemLayers > 0
            ? try FrozenItemGraph(features: features, k: options.k, modalityWeights: modalityWeights)
            : nil
        pruning = options.pruningRatio > 0
            ? EdgePruning(graph: graph, ratio: options.pruningRatio, degreeSensitive: options.degreeSensitive,
                          truncate: options.compat.has(.keepCount))
            : nil
    }

    public var parameters: [Parameter] {
        [userEmbedding, itemEmbedding] + projections.flatMap(\.parameters) + trainedFeatures
    }

    /// Draws this epoch's pruned training graph (eqs. 7-9) from the trainer's stream.
    public func prepareEpoch(_ epoch: Int, rng: inout RandomGenerator) throws {
        guard let pruning else { return }
        trainingGraph = try pruning.sample(rng: &rng)
    }

    /// h_u and h_i (eq. 11) at `userRows` and `itemRows` over the user–item
    /// graph `over` with normalisation `weights`.
    func representations(users u0: Variable, items i0: Variable, over g: BipartiteGraph, weights: [Float],
                         userRows: [Int32], itemRows: [Int32]) -> (users: Variable, items: Variable) {
        let (users, items) = propagatedLayerMean(users: u0, items: i0, over: g, weights: weights,
                                                 layers: options.userItemLayers, userRows: userRows, itemRows: itemRows)
        // h̃ = S^{L_ii} e (eq. 5), whole, then read at the rows.
        let itemItem = itemGraph.map { $0.convolve(i0, layers: options.itemItemLayers) } ?? i0
        return (users, items + gatherRows(itemItem, itemRows))
    }

    public func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        let (u0, i0) = (tape.watch(userEmbedding), tape.watch(itemEmbedding))
        let (userRows, userSlot) = distinctRows(batch.users)
        let (itemRows, itemSlot) = distinctRows(batch.positives + batch.negatives)
        let (users, items) = representations(users: u0, items: i0, over: trainingGraph.graph,
                                             weights: trainingGraph.norm, userRows: userRows, itemRows: itemRows)
        let b = batch.count
        let (positiveSlot, negativeSlot) = (Array(itemSlot[0..<b]), Array(itemSlot[b..<(2 * b)]))
        let u = gatherRows(users, userSlot)
        // Eq. 14: BPR on y_ui = h_u · h_i (eq. 13) ...
        var total = bprLoss(positive: rowDot(u, gatherRows(items, positiveSlot)),
                            negative: rowDot(u, gatherRows(items, negativeSlot)))
        guard options.regWeight > 0 else { return total }
        // ... plus λ Σ_m BPR on h_u · h_i^m, with h_i^m = x_i^m W_m + b_m (eq. 12) at the batch's items.
        for (m, projection) in projections.enumerated() {
            let x = trainedFeatures.isEmpty ? tape.constant(features[m].matrix) : tape.watch(trainedFeatures[m])
            let projected = projection(gatherRows(x, itemRows))
            let term = bprLoss(positive: rowDot(u, gatherRows(projected, positiveSlot)),
                               negative: rowDot(u, gatherRows(projected, negativeSlot)))
            total = total + scale(term, by: options.regWeight)
        }
        return total
    }

    /// Scores from the full graph Â, never a pruned sample: they depend on the parameters alone.
    public func makeScorer() throws -> Scorer {
        let tape = Tape.noGrad()
        let (users, items) = representations(users: tape.watch(userEmbedding), items: tape.watch(itemEmbedding),
                                             over: graph, weights: norm,
                                             userRows: Array(0..<Int32(graph.userCount)),
                                             itemRows: Array(0..<Int32(graph.itemCount)))
        return DotProductScorer(users: users.value, items: items.value)
    }
}
