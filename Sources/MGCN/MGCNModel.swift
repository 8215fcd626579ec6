import Foundation
import GraphKit
import RecommenderCore

/// MGCN (Yu, Tan, Lu and Bao, ACM MM 2023), as specified in docs/models/MGCN.md.
///
/// The behaviour view ē_id is LightGCN's layer mean over the user–item graph
/// (eqs. 3-5). Per modality, the item ID rows are gated by the projected
/// features (the purifier, eqs. 1-2), convolved over a frozen kNN graph of the
/// raw features (eqs. 6-9), and collected into users (eq. 10). The fuser
/// splits the modality views into a shared part by attention and specific
/// parts weighed by gates on ē_id (eqs. 11-15). Final vectors e* = ē_id + e_mul
/// (eq. 17), y_ui = e*_u · e*_i (eq. 18); the loss is BPR, λ_C times InfoNCE
/// between e_mul and ē_id (eq. 16) and λ_E times the L2 of the batch's ID rows (eq. 19).
public final class MGCNModel: Recommender {
    public static let name = "MGCN"

    public static let hyperparameters: [HyperparameterSpec] = [
        .integer("embedding_size", default: 64, in: 1...4096, "size d of the ID embeddings, projections, gates and views"),
        .integer("n_ui_layers", default: 2, in: 0...8, "LightGCN layers of the behaviour view (eqs. 3-5)"),
        .integer("n_layers", default: 1, in: 0...8, "products with each modality's item–item graph (eq. 9)"),
        .integer("knn_k", default: 10, in: 1...1000, "neighbours per item in each kNN graph, the item itself included (eq. 7)"),
        .real("cl_weight", default: 0.01, in: 0...1e3, "λ_C, the weight of the InfoNCE term (eq. 16; MMRec's cl_loss)"),
        .real("temperature", default: 0.2, in: 0.001...100, "τ of eq. 16"),
        .choice("cl_similarity", default: "cosine", ["cosine", "dot"],
                "c in eq. 16: the cosine, as the code computes it, or the plain dot product"),
        .real("reg_weight", default: 1e-4, in: 0...1e3, "λ_E of the L2 term on the batch's ID rows (eq. 19)"),
        .modalities,
        MMRecCompat<MGCNMMRecBehaviour>.spec(
            "\"mmrec\": MMRec's port: trainable feature tables, eq. 15 as a mean of three terms, InfoNCE over the batch's repeated rows, L2 on the final vectors over the configured batch size, PyTorch's draws, the learning rate × 0.96^(epoch/50)"),
    ]

    let graph: BipartiteGraph
    let norm: [Float]
    let options: MGCNOptions
    /// E_U (U × d) and E_I (I × d), Xavier uniform.
    public let userEmbedding: Parameter
    public let itemEmbedding: Parameter
    /// One branch per modality used, in the order visual, acoustic, textual.
    let views: [ModalityView]
    let fuser: BehaviourAwareFuser
    public let settingsRun: [String: HyperparameterValue]

    /// `modalities` must exist when given.
    public static func keysThatMatterWhenGiven(_ h: Hyperparameters) -> Set<String> { ["modalities"] }

    public init(dataset: Dataset, hyperparameters h: Hyperparameters, seed: UInt64) throws {
        let features = try dataset.features(selectedBy: h, model: Self.name)
        settingsRun = h.modalitiesRun(features.map(\.modality))
        options = try MGCNOptions(h, model: Self.name, modalities: features.count)
        graph = dataset.graph
        norm = graph.symmetricNormalization
        let d = options.embeddingSize
        var rng = RandomGenerator(seed: seed, stream: 0)
        userEmbedding = Parameter(Initializer.xavierUniform(rows: dataset.userCount, cols: d, rng: &rng),
                                  name: "user_embedding")
        itemEmbedding = Parameter(Initializer.xavierUniform(rows: dataset.itemCount, cols: d, rng: &rng),
                                  name: "item_embedding")
        let pytorchDraws = options.compat.has(.initialisation)
        var views: [ModalityView] = []
        for f in features {
            views.append(try ModalityView(modality: f.modality, features: f.matrix, embeddingSize: d, k: options.k,
                                          buildGraph: options.itemItemLayers > 0, pytorchDraws: pytorchDraws,
                                          trainableFeatures: options.compat.has(.trainableFeatures), rng: &rng))
        }
        self.views = views
        fuser = BehaviourAwareFuser(embeddingSize: d, pytorchDraws: pytorchDraws, rng: &rng)
    }

    public var parameters: [Parameter] {
        [userEmbedding, itemEmbedding] + views.flatMap(\.parameters) + fuser.parameters
    }

    /// MMRec's `lr_decay`: 0.96^((epoch − 1)/50); otherwise 1.
    public func learningRateFactor(epoch: Int) -> Double {
        options.compat.has(.lrDecay) ? pow(0.96, Double(epoch - 1) / 50) : 1
    }

    /// ē_id and e_mul at `userRows` then `itemRows` (users' rows first, in one table each).
    func representations(users u0: Variable, items i0: Variable, userRows: [Int32], itemRows: [Int32])
        -> (behaviour: Variable, fused: Variable) {
        // Eqs. 3-5 at the rows.
        let (bu, bi) = propagatedLayerMean(users: u0, items: i0, over: graph, weights: norm,
                                           layers: options.userItemLayers, userRows: userRows, itemRows: itemRows)
        let behaviour = concatRows([bu, bi])
        // Eqs. 1-2 and 9 for every item, eq. 10 for every user, then the rows.
        let modal = views.map { view -> Variable in
            let items = view.itemRows(i0, layers: options.itemItemLayers)
            let users = propagate(items, over: graph.itemsToUsers, weights: .fixed(norm))
            return concatRows([gatherRows(users, userRows), gatherRows(items, itemRows)])
        }
        let fused = fuser.fuse(behaviour: behaviour, views: modal, preferenceGates: views.map(\.preferenceGate),
                               meanOfTerms: options.compat.has(.fusionMean))
        return (behaviour, fused)
    }

    public func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        let (u0, i0) = (tape.watch(userEmbedding), tape.watch(itemEmbedding))
        let (userRows, userSlot) = distinctRows(batch.users)
        let (itemRows, itemSlot) = distinctRows(batch.positives + batch.negatives)
        let (behaviour, fused) = representations(users: u0, items: i0, userRows: userRows, itemRows: itemRows)
        let final = behaviour + fused  // eq. 17
        let (nu, b) = (Int32(userRows.count), batch.count)
        let positiveSlot = itemSlot[0..<b].map { $0 + nu }, negativeSlot = itemSlot[b..<(2 * b)].map { $0 + nu }
        let u = gatherRows(final, userSlot), i = gatherRows(final, positiveSlot), j = gatherRows(final, negativeSlot)
        // Eqs. 18-19: BPR ...
        var total = bprLoss(positive: rowDot(u, i), negative: rowDot(u, j))
        // ... λ_C InfoNCE (eq. 16): over the distinct users and positive items (the
        // first rows of `itemRows`, which lists the positives first), or every batch row.
        if options.contrastiveWeight > 0 {
            let distinctPositives = Set(batch.positives).count
            let (users, items): ([Int32], [Int32]) = options.compat.has(.batchDuplicates)
                ? (userSlot, positiveSlot)
                : (Array(0..<nu), (0..<Int32(distinctPositives)).map { $0 + nu })
            let contrast = [users, items].map { rows in
                infoNCE(anchors: gatherRows(fused, rows), positives: gatherRows(behaviour, rows),
                        temperature: options.temperature, cosine: options.cosine)
            }
            total = total + scale(contrast[0] + contrast[1], by: options.contrastiveWeight)
        }
        // ... and λ_E times the L2 term.
        guard options.regWeight > 0 else { return total }
        if options.compat.has(.regulariser) {
            return total + l2Regularization([u, i, j], weight: options.regWeight, batchSize: batch.nominalSize)
        }
        return total + l2Regularization(batchLayerZeroRows(users: u0, items: i0, batch), weight: options.regWeight,
                                        batchSize: b)
    }

    public func makeScorer() throws -> Scorer {
        let tape = Tape.noGrad()
        let (nu, ni) = (graph.userCount, graph.itemCount)
        let (behaviour, fused) = representations(users: tape.watch(userEmbedding), items: tape.watch(itemEmbedding),
                                                 userRows: Array(0..<Int32(nu)), itemRows: Array(0..<Int32(ni)))
        let final = (behaviour + fused).value
        return DotProductScorer(users: sliceRows(tape.constant(final), 0..<nu).value,
                                items: sliceRows(tape.constant(final), nu..<(nu + ni)).value)
    }
}
