import Foundation
import GraphKit
import RecommenderCore

/// DualGNN (Wang et al., IEEE TMM 2023), as specified in docs/models/DualGNN.md.
///
/// Per modality m, items are projected D_m → 4d → d and users hold a
/// preference P_m; x^m = P_m ‖ x_items^m is L2-normalised by row and convolved
/// twice with Â = D^{-1/2} A D^{-1/2}: r^m = x + Â x + Â² x. Users are then
/// constructed across modalities (`construction`) into ũ and aggregated over
/// the user co-occurrence graph, u* = ũ_u + Σ_{v ∈ top-k(u)} w_uv ũ_v; items
/// are i* = Σ_m r_i^m, and y_ui = u*·i*. Loss: BPR + λ (Σ_m mean_{u∈batch}
/// ‖P_m[u]‖²/d + mean(α²)).
///
/// With `construction: "weighted_sum"` the per-user modality weights α ∈ R^{U×M}
/// start as a softmax over modalities of normal samples and are unconstrained
/// afterwards, as in the reference code: they need not stay positive or sum to 1.
///
/// The co-occurrence graph is built here from the training split (top `k`
/// users by shared items, ties to the lower id); a user with fewer than k
/// neighbours is padded by resampling its own, anew each epoch with
/// `resample_neighbours`. Evaluation always uses the sample drawn at
/// initialisation, so that scores depend on the parameters alone: the trainer
/// restores the best epoch's parameters, not the graph sampled for that epoch.
///
/// `compat: "mmrec"` is MMRec's port: the BPR term in log2, the regulariser
/// λ (Σ_m mean(P_m[batch]²) + mean(α²) + mean(β²)) with β ∈ R^{I×M} the
/// reference's per-item modality weights (`weight_i`), trained but read by
/// nothing else, and the reference's padding, which draws from the list
/// padded so far.
public final class DualGNNModel: Recommender {
    public static let name = "DualGNN"

    public static let hyperparameters: [HyperparameterSpec] = [
        .integer("embedding_size", default: 64, in: 1...4096, "size d of the representations"),
        .integer("k", default: 40, in: 1...10_000, "neighbours per user in the user co-occurrence graph (the README's --sampling)"),
        .choice("construction", default: "weighted_sum", UserConstruction.allCases.map(\.rawValue),
                "multi-modal user construction: per-user weighted sum (α), mean, element-wise max, or a linear map of the concatenation"),
        .choice("user_aggregation", default: "softmax", ["softmax", "mean"],
                "neighbour weights on the user graph: softmax of the co-occurrence counts, or 1/k"),
        .boolean("resample_neighbours", default: true,
                 "resample the padding of users with fewer than k neighbours every epoch (false: once, at initialisation)"),
        .real("reg_weight", default: 1e-4, in: 0...1e3, "λ of the regulariser on the batch users' P_m and on α"),
        .modalities,
        MMRecCompat<DualGNNMMRecBehaviour>.spec(
            "\"mmrec\": MMRec's port: loss in log2, regulariser with mean(β²), the reference's neighbour padding, the in-place sum, its initialisation, evaluation from the last training batch"),
    ]

    let graph: BipartiteGraph
    let norm: [Float]
    let options: DualGNNOptions
    /// The users' co-occurrence counts and top-k neighbours, from the training split.
    public let cooccurrence: UserCooccurrence
    /// The user graph the loss uses: this epoch's sample; nil when no two users share an item.
    public private(set) var userGraph: UserGraph?
    /// The user graph the scorer uses: the sample drawn at initialisation.
    public let evaluationUserGraph: UserGraph?
    /// One single-modal branch per modality used, in the order visual, acoustic, textual.
    public let branches: [SingleModalConvolution]
    /// α (U × M), present with `construction: "weighted_sum"`.
    public let modalityWeights: Parameter?
    /// The linear map M·d → d, present with `construction: "cat_mlp"`.
    public let concatenationMap: Linear?
    /// β (I × M), the reference's per-item modality weights; present with MMRec's `regulariser` only.
    public let itemModalityWeights: Parameter?
    /// The last training batch's representations, for MMRec's `last_batch_eval`.
    let lastBatch = LastBatchRepresentation()
    /// The modalities it uses, where they differ from the list given. (The
    /// settings MMRec's port fixes are the defaults, and an error when given
    /// otherwise, so they always run as resolved.)
    public let settingsRun: [String: HyperparameterValue]

    /// `modalities` must exist when given.
    public static func keysThatMatterWhenGiven(_ h: Hyperparameters) -> Set<String> { ["modalities"] }

    public init(dataset: Dataset, hyperparameters h: Hyperparameters, seed: UInt64) throws {
        let features = try dataset.features(selectedBy: h, model: Self.name)
        settingsRun = h.modalitiesRun(features.map(\.modality))
        let options = try DualGNNOptions(h, model: Self.name)
        self.options = options
        graph = dataset.graph
        norm = graph.symmetricNormalization
        let (d, m) = (options.embeddingSize, features.count)
        var rng = RandomGenerator(seed: seed, stream: 0)
        branches = features.map {
            SingleModalConvolution(modality: $0.modality, features: $0.matrix, userCount: dataset.userCount,
                                   embeddingSize: d, mmrecInitialisation: options.compat.has(.initialisation),
                                   rng: &rng)
        }
        modalityWeights = options.construction == .weightedSum
            ? Parameter(Self.softmaxOfNormalSamples(rows: dataset.userCount, cols: m, rng: &rng), name: "alpha")
            : nil
        concatenationMap = options.construction == .catMLP
            ? Linear(inputSize: m * d, outputSize: d, rng: &rng, name: "cat_mlp")
            : nil
        // Drawn last, so that compat "mmrec" starts from the same α, P and projections.
        itemModalityWeights = options.compat.has(.regulariser)
            ? Parameter(Self.softmaxOfNormalSamples(rows: dataset.itemCount, cols: m, rng: &rng), name: "beta")
            : nil
        cooccurrence = UserCooccurrence(graph: graph, k: options.k)
        // A first sample: the evaluation graph, and the training graph until the first epoch.
        var graphRNG = RandomGenerator(seed: seed, stream: 2)
        evaluationUserGraph = try cooccurrence.sample(weighting: options.userAggregation,
                                                      polyaUrnPadding: options.compat.has(.urnPadding),
                                                      rng: &graphRNG)
        userGraph = evaluationUserGraph
    }

    /// The reference's initialisation of α and β: Xavier-normal samples
    /// (σ = √(2 / (rows + cols))), then a softmax over each row.
    static func softmaxOfNormalSamples(rows: Int, cols: Int, rng: inout RandomGenerator) -> Tensor {
        let samples = Initializer.xavierNormal(rows: rows, cols: cols, rng: &rng)
        return softmaxRows(Tape.noGrad().constant(samples)).value
    }

    public var parameters: [Parameter] {
        branches.flatMap(\.parameters) + [modalityWeights, itemModalityWeights].compactMap { $0 }
            + (concatenationMap?.parameters ?? [])
    }

    public var buffers: [Parameter] { options.compat.has(.lastBatchEval) ? lastBatch.buffers : [] }

    /// Resamples the padding of the user graph (the reference's `pre_epoch_processing`).
    public func prepareEpoch(_ epoch: Int, rng: inout RandomGenerator) throws {
        guard options.resampleNeighbours else { return }
        userGraph = try cooccurrence.sample(weighting: options.userAggregation,
                                            polyaUrnPadding: options.compat.has(.urnPadding), rng: &rng)
    }

    /// The whole graph's representations for the current parameters and this
    /// epoch's user graph, recorded on `tape`: what the loss sees.
    public func representations(on tape: Tape) -> DualGNNRepresentations {
        representations(on: tape, userGraph: userGraph)
    }

    /// The whole graph's representations over a given sample of the user graph.
    public func representations(on tape: Tape, userGraph: UserGraph?) -> DualGNNRepresentations {
        let modal = branches.map { $0.representations(graph: graph, norm: norm, on: tape) }
        var constructionInput = modal.map(\.users)
        if options.compat.has(.inplaceSum) && modal.count > 1 {
            // MMRec's `representation += self.t_rep` writes into the first modality's tensor.
            constructionInput[0] = modal.dropFirst().reduce(modal[0].users) { $0 + $1.users }
        }
        let constructed = options.construction.construct(constructionInput,
                                                         alpha: modalityWeights.map { tape.watch($0) },
                                                         mlp: concatenationMap)
        // Step 5: u* = ũ_u + Σ_v w_uv ũ_v; a user without neighbours keeps ũ_u.
        var users = constructed
        if let userGraph {
            users = constructed + propagate(constructed, over: userGraph.adjacency, weights: .fixed(userGraph.weights))
        }
        let items = modal.dropFirst().reduce(modal[0].items) { $0 + $1.items }
        return DualGNNRepresentations(userModal: modal.map(\.users), itemModal: modal.map(\.items),
                                      constructedUsers: constructed, users: users, items: items)
    }

    public func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        let b = batch.count
        let r = representations(on: tape)
        if options.compat.has(.lastBatchEval) { lastBatch.record(users: r.users, items: r.items) }
        // Step 6: y = u*·i*, positives and negatives gathered in one pass.
        let u = gatherRows(r.users, batch.users)
        let y = rowDot(concatRows([u, u]), gatherRows(r.items, batch.positives + batch.negatives))
        let bpr = bprLoss(positive: sliceRows(y, 0..<b), negative: sliceRows(y, b..<(2 * b)))
        // MMRec: −mean log2 σ(y_ui − y_uj) = BPR / ln 2.
        let ranking = options.compat.has(.log2Loss) ? scale(bpr, by: 1 / Float(M_LN2)) : bpr
        return ranking + regularization(users: batch.users, on: tape)
    }

    /// λ (Σ_m mean_{u∈batch} ‖P_m[u]‖²/d + mean(α²)), plus λ mean(β²) with MMRec's `regulariser`.
    func regularization(users: [Int32], on tape: Tape) -> Variable {
        let d = Float(options.embeddingSize)
        var terms = branches.map {
            scale(squaredNorm(gatherRows(tape.watch($0.preference), users)), by: 1 / (Float(users.count) * d))
        }
        for weights in [modalityWeights, itemModalityWeights].compactMap({ $0 }) {
            terms.append(scale(squaredNorm(tape.watch(weights)), by: 1 / Float(weights.value.count)))
        }
        return scale(terms.dropFirst().reduce(terms[0], +), by: options.regWeight)
    }

    public func makeScorer() throws -> Scorer {
        if options.compat.has(.lastBatchEval) { return try lastBatch.scorer() }
        let r = representations(on: Tape.noGrad(), userGraph: evaluationUserGraph)
        return DotProductScorer(users: r.users.value, items: r.items.value)
    }
}

/// DualGNN's representations of every user and item for one set of parameters.
public struct DualGNNRepresentations {
    /// r_u^m (U × d), one per modality.
    public let userModal: [Variable]
    /// r_i^m (I × d), one per modality.
    public let itemModal: [Variable]
    /// ũ (U × d), the multi-modal user construction.
    public let constructedUsers: Variable
    /// u* (U × d), after the user co-occurrence graph.
    public let users: Variable
    /// i* (I × d) = Σ_m r_i^m.
    public let items: Variable
}
