import Foundation
import GraphKit
import RecommenderCore

/// LATTICE (Zhang et al., ACM MM 2021), as specified in docs/models/LATTICE.md.
///
/// Per modality, an initial kNN graph of the raw features S̃^m (eqs. 1-3)
/// and a learned one Â^m from projected features (eqs. 4-5) are mixed,
/// λ_s S̃^m + (1 − λ_s) Â^m (eq. 6), and the modalities summed with weights
/// α = softmax(ω) (eq. 7). The item ID table is convolved over that graph
/// (eq. 8), and its L2-normalised rows are added to a collaborative
/// backbone's item vectors (eqs. 9-10); y_ui = x_u · x̃_i (eq. 11), trained with
/// BPR and the L2 of the batch's ID rows (eq. 12). The backbone is LightGCN or
/// MF; the paper's NGCF backbone is not offered (see the page).
public final class LATTICEModel: Recommender {
    public static let name = "LATTICE"

    public static let hyperparameters: [HyperparameterSpec] = [
        .integer("embedding_size", default: 64, in: 1...4096, "size d of the ID embeddings"),
        .integer("feat_embed_dim", default: 64, in: 1...4096, "size d' of each modality's projection (eq. 4)"),
        .integer("knn_k", default: 10, in: 1...1000, "neighbours per item in the initial and learned graphs, the item itself included"),
        .real("lambda_coeff", default: 0.9, in: 0...1, "λ_s, the share of the initial graph in eq. 6"),
        .integer("n_layers", default: 1, in: 0...8, "L, convolutions over the item graph (eq. 8)"),
        .choice("cf_model", default: "lightgcn", Backbone.allCases.map(\.rawValue), "the collaborative backbone of eq. 9"),
        .integer("cf_layers", default: 2, in: 0...8, "layers of the LightGCN backbone"),
        .choice("graph_update", default: "batch", GraphUpdate.allCases.map(\.rawValue),
                "build the learned graphs on every batch, or on each epoch's first batch and reuse them (MMRec)"),
        .real("reg_weight", default: 1e-4, in: 0...1e3, "λ of the L2 term on the batch's ID rows (eq. 12)"),
        .modalities,
        MMRecCompat<LATTICEMMRecBehaviour>.spec(
            "\"mmrec\": MMRec's port: graphs learned once per epoch, normalised after the sum, trainable features, D⁻¹(A + I) backbone, L2 on the final vectors over the configured batch size, the learning rate × 0.96^(epoch/50), PyTorch's draws"),
    ]

    let graph: BipartiteGraph
    let norm: [Float]
    let options: LATTICEOptions
    /// E_U (U × d) and E_I (I × d), Xavier uniform.
    public let userEmbedding: Parameter
    public let itemEmbedding: Parameter
    /// W_m, b_m: D_m → d' per modality (eq. 4).
    public let projections: [Linear]
    /// ω, 1 × M, starting at 0.5 (eq. 7).
    public let modalityLogits: Parameter
    let features: [(modality: Modality, matrix: Tensor)]
    /// The feature tables as trained parameters, under MMRec's `trainable_features` only.
    public let trainedFeatures: [Parameter]
    let initialGraphs: [InitialGraph]
    /// D^{-1}(A + I) on the U + I nodes, under MMRec's `row_normalised_adjacency` only.
    let rowNormalised: (adjacency: Adjacency, weights: [Float])?
    /// Under `graph_update: "epoch"`: whether the next batch builds the graphs,
    /// the graphs it built, and the parameters the later batches do not reach.
    private var buildNext = true
    private var cached: ItemGraphValues?
    public private(set) var idleParameters: [Parameter] = []
    /// The learned graphs' edges, per modality, when a test holds them fixed
    /// (nil: chosen anew from the projections, as in training).
    var fixedLearnedEdges: [Adjacency]?
    public let settingsRun: [String: HyperparameterValue]

    /// `modalities` must exist when given.
    public static func keysThatMatterWhenGiven(_ h: Hyperparameters) -> Set<String> { ["modalities"] }

    public init(dataset: Dataset, hyperparameters h: Hyperparameters, seed: UInt64) throws {
        features = try dataset.features(selectedBy: h, model: Self.name)
        settingsRun = h.modalitiesRun(features.map(\.modality))
        let options = try LATTICEOptions(h, model: Self.name)
        self.options = options
        graph = dataset.graph
        norm = graph.symmetricNormalization
        let d = options.embeddingSize
        var rng = RandomGenerator(seed: seed, stream: 0)
        userEmbedding = Parameter(Initializer.xavierUniform(rows: dataset.userCount, cols: d, rng: &rng),
                                  name: "user_embedding")
        itemEmbedding = Parameter(Initializer.xavierUniform(rows: dataset.itemCount, cols: d, rng: &rng),
                                  name: "item_embedding")
        let pytorchDraws = options.compat.has(.initialisation)
        let features = self.features
        projections = features.map { f in
            let name = "\(f.modality.rawValue)_projection"
            return pytorchDraws
                ? Linear.pytorchDefault(inputSize: f.matrix.cols, outputSize: options.featureSize, rng: &rng, name: name)
                : Linear(inputSize: f.matrix.cols, outputSize: options.featureSize, rng: &rng, name: name)
        }
        modalityLogits = Parameter(Tensor(rows: 1, cols: features.count, repeating: 0.5), name: "modality_logits")
        trainedFeatures = options.compat.has(.trainableFeatures)
            ? features.map { Parameter($0.matrix, name: "\($0.modality.rawValue)_features") }
            : []
        initialGraphs = try features.map { try InitialGraph(features: $0.matrix, k: options.k, modality: $0.modality) }
        if options.compat.has(.rowNormalisedAdjacency) {
            let adjacency = graph.nodeAdjacency(selfLoops: true)
            let degree = graph.userDegrees + graph.itemDegrees
            rowNormalised = (adjacency, adjacency.targetOfEdge.map { 1 / Float(degree[Int($0)] + 1) })
        } else {
            rowNormalised = nil
        }
    }

    public var parameters: [Parameter] {
        [userEmbedding, itemEmbedding] + projections.flatMap(\.parameters) + [modalityLogits] + trainedFeatures
    }

    /// The parameters only the learned graphs reach.
    var graphParameters: [Parameter] { projections.flatMap(\.parameters) + [modalityLogits] + trainedFeatures }

    public func prepareEpoch(_ epoch: Int, rng: inout RandomGenerator) throws { buildNext = true }

    /// MMRec's `lr_decay`: 0.96^((epoch − 1)/50); otherwise 1.
    public func learningRateFactor(epoch: Int) -> Double {
        options.compat.has(.lrDecay) ? pow(0.96, Double(epoch - 1) / 50) : 1
    }

    /// The item–item operator from the current parameters on `tape` (eqs. 4-7);
    /// nil when a projection is not finite (the loss then reports NaN).
    func itemGraphOperator(on tape: Tape) -> ItemGraphOperator? {
        let m = features.count
        let alpha: [Variable]
        if m == 1 {
            alpha = [tape.constant(Tensor(scalar: 1))]
        } else {
            let probabilities = softmaxRows(tape.watch(modalityLogits))
            alpha = (0..<m).map { sliceColumns(probabilities, $0..<($0 + 1)) }
        }
        var raw: [(adjacency: Adjacency, values: Variable)] = []
        for (index, projection) in projections.enumerated() {
            let f = trainedFeatures.isEmpty ? tape.constant(features[index].matrix) : tape.watch(trainedFeatures[index])
            guard let learned = learnedGraph(projection(f), k: options.k, edges: fixedLearnedEdges?[index]) else { return nil }
            raw.append(learned)
        }
        let union = options.compat.has(.normaliseAfterSum) && m > 1
        let learned: [(adjacency: Adjacency, weights: Variable)]
        if union {
            // 𝒩(Σ_m α_m Ā^m): the M edge lists as one graph, values scaled by α_m, normalised once.
            let adjacency = try! Adjacency(targetCount: graph.itemCount, sourceCount: graph.itemCount,
                                           targets: raw.flatMap(\.adjacency.targetOfEdge),
                                           sources: raw.flatMap(\.adjacency.sourceOfEdge), name: "LATTICE learned union")
            let values = concatRows((0..<m).map { raw[$0].values * alpha[$0] })
            learned = [(adjacency, symmetricallyNormalised(values, over: adjacency))]
        } else {
            learned = raw.map { ($0.adjacency, symmetricallyNormalised($0.values, over: $0.adjacency)) }
        }
        return ItemGraphOperator(initial: initialGraphs, learned: learned, alpha: alpha,
                                 initialShare: options.initialShare, unionLearned: union)
    }

    /// x_u at `userRows` and x̃_i at `itemRows` (eqs. 8-10) with the operator `op`.
    func representations(users u0: Variable, items i0: Variable, operator op: ItemGraphOperator,
                         userRows: [Int32], itemRows: [Int32]) -> (users: Variable, items: Variable) {
        let h = (0..<options.itemLayers).reduce(i0) { h, _ in op(h) }
        let (xu, xi) = backbone(users: u0, items: i0, userRows: userRows, itemRows: itemRows)
        return (xu, xi + gatherRows(l2NormalizeRows(h), itemRows))
    }

    /// Eq. 9 at the rows: LightGCN's layer mean (over D^{-1}(A + I) under
    /// `row_normalised_adjacency`), or the ID rows for MF.
    func backbone(users u0: Variable, items i0: Variable, userRows: [Int32], itemRows: [Int32])
        -> (users: Variable, items: Variable) {
        switch options.backbone {
        case .mf:
            return (gatherRows(u0, userRows), gatherRows(i0, itemRows))
        case .lightgcn:
            guard let rowNormalised else {
                return propagatedLayerMean(users: u0, items: i0, over: graph, weights: norm,
                                           layers: options.backboneLayers, userRows: userRows, itemRows: itemRows)
            }
            var x = concatRows([u0, i0])
            var total = x
            for _ in 0..<options.backboneLayers {
                x = sparseMatmul(rowNormalised.adjacency, x, weights: rowNormalised.weights)
                total = total + x
            }
            let mean = scale(total, by: 1 / Float(options.backboneLayers + 1))
            let nu = Int32(graph.userCount)
            return (gatherRows(mean, userRows), gatherRows(mean, itemRows.map { $0 + nu }))
        }
    }

    public func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        let (u0, i0) = (tape.watch(userEmbedding), tape.watch(itemEmbedding))
        let op: ItemGraphOperator
        if options.graphUpdate == .batch || buildNext || cached == nil {
            guard let built = itemGraphOperator(on: tape) else { return tape.constant(Tensor(scalar: .nan)) }
            op = built
            idleParameters = []
            if options.graphUpdate == .epoch {
                cached = built.values()
                buildNext = false
            }
        } else {
            // The graphs of this epoch's first batch, as constants: the projections,
            // ω and the trained features get no gradient, and the optimiser skips them.
            op = cached!.constantOperator(on: tape)
            idleParameters = graphParameters
        }
        let (userRows, userSlot) = distinctRows(batch.users)
        let (itemRows, itemSlot) = distinctRows(batch.positives + batch.negatives)
        let (users, items) = representations(users: u0, items: i0, operator: op, userRows: userRows, itemRows: itemRows)
        let b = batch.count
        let u = gatherRows(users, userSlot)
        let i = gatherRows(items, Array(itemSlot[0..<b])), j = gatherRows(items, Array(itemSlot[b..<(2 * b)]))
        // Eq. 12: BPR on y = x_u · x̃_i (eq. 11), plus the L2 term.
        let ranking = bprLoss(positive: rowDot(u, i), negative: rowDot(u, j))
        guard options.regWeight > 0 else { return ranking }
        if options.compat.has(.regulariser) {
            return ranking + l2Regularization([u, i, j], weight: options.regWeight, batchSize: batch.nominalSize)
        }
        return ranking + l2Regularization(batchLayerZeroRows(users: u0, items: i0, batch), weight: options.regWeight,
                                          batchSize: b)
    }

    /// Scores from graphs learned anew from the current parameters, as MMRec's
    /// `full_sort_predict` builds them.
    public func makeScorer() throws -> Scorer {
        let tape = Tape.noGrad()
        guard let op = itemGraphOperator(on: tape) else {
            throw LATTICEError(description: "LATTICE: a projected feature is not finite; the learned graph cannot be built")
        }
        let (users, items) = representations(users: tape.watch(userEmbedding), items: tape.watch(itemEmbedding), operator: op,
                                             userRows: Array(0..<Int32(graph.userCount)),
                                             itemRows: Array(0..<Int32(graph.itemCount)))
        return DotProductScorer(users: users.value, items: items.value)
    }
}

/// Why LATTICE cannot score: its learned graph could not be built.
struct LATTICEError: Error, CustomStringConvertible {
    let description: String
}
