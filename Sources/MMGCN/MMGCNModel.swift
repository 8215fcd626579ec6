import GraphKit
import RecommenderCore

/// MMGCN (Wei et al., MM'19), as specified in docs/models/MMGCN.md.
///
/// One graph convolution network per modality on its own copy of the training
/// graph (`ModalityBranch`, eqs. 1-8); the final user and item vectors are the
/// sum of the branches' outputs (eq. 9), y_ui = u*·i*, and the loss is BPR plus
/// λ (‖u_id‖² + ‖i_id‖² + ‖j_id‖² + Σ_m ‖u_m‖²) / (2B) over the batch (eq. 11).
///
/// The paper's Table 3 variants are `combination` × `has_id`: (concat, true)
/// g_co, (concat, false) g_co-id, (element, true) g_ele, (element, false)
/// g_ele-id; its Table 4 is `n_layers` 1, 2, 3.
///
/// `compat: "mmrec"` is MMRec's port (docs/models/MMGCN.md): concatenation always
/// (its flag is the truthy string 'False'), exactly three layers, ID embeddings
/// and user preferences never trained (not registered as parameters), the mean
/// over modalities instead of the sum, the visual features always projected to
/// 256 and the others used raw, MMRec's initialisation and its regulariser
/// λ (mean(id[u]²) + mean(id[i]²) + mean(u_visual²)) over entries, and
/// evaluation from the last training batch. Each behaviour that has no
/// hyper-parameter of its own can be switched on alone (`MMRecBehaviour`).
public final class MMGCNModel: Recommender {
    /// What MMRec's MMGCN does differently from the paper (docs/models/MMGCN.md),
    /// besides three layers (`n_layers: 3`) and concatenation (`combination:
    /// "concat"`, the default). The names are `compat`'s "mmrec:NAME" values.
    public enum MMRecBehaviour: String, CaseIterable, Hashable, Sendable {
        /// The ID embeddings and user preferences are never trained (MMRec
        /// never registers them as parameters).
        case frozenTables = "frozen_tables"
        /// The final vectors are the mean over modalities, not the sum (eq. 9).
        case modalityMean = "modality_mean"
        /// The visual features are always projected to 256 and the others used
        /// raw, instead of projecting any modality wider than `latent_dim`.
        case projection
        /// MMRec's draws: Xavier normal for the ID table (one (U+I) × d table),
        /// the preferences, W₁, W₂ and the first W₃; PyTorch's default
        /// U(±1/√in) for the projection, the later W₃ and every bias.
        case initialisation
        /// λ (mean(id[u]²)·2 + mean(id[i]²) + mean(id[j]²)) over entries of the
        /// 2B pairs plus the visual preferences' mean over every user, instead
        /// of eq. 11's λ Σ‖·‖² / (2B).
        case regulariser
        /// Evaluation scores with the representation of the last training batch
        /// (`LastBatchRepresentation`).
        case lastBatchEval = "last_batch_eval"
    }

    public static let name = "MMGCN"

    public static let hyperparameters: [HyperparameterSpec] = [
        .integer("embedding_size", default: 64, in: 1...4096, "size d of the ID embeddings and of every layer's output"),
        .integer("latent_dim", default: 256, in: 1...4096,
                 "features wider than this are first projected to it by a learned linear map"),
        .integer("n_layers", default: 2, in: 1...3, "graph convolution layers L (the paper's Table 4)"),
        .choice("aggregation", default: "mean", ["mean", "max"], "neighbourhood aggregation: mean (eq. 2) or max (eq. 3)"),
        .choice("combination", default: "concat", ["concat", "element"],
                "combination layer: concatenation (eq. 6) or element-wise (eq. 7)"),
        .boolean("has_id", default: true, "add the shared ID embedding to the node's own representation (eq. 5)"),
        .real("reg_weight", default: 1e-4, in: 0...1e3, "λ of the L2 term on the batch's ID and preference rows (eq. 11)"),
        .modalities,
        MMRecCompat<MMRecBehaviour>.spec(
            "\"mmrec\": MMRec's port — concatenation always, three layers, untrained ID and preference tables, mean over modalities, visual projected to 256, its initialisation and regulariser, evaluation from the last training batch"),
    ]

    let userCount: Int
    let nodes: Adjacency
    let branches: [ModalityBranch]
    let regWeight: Float
    let compat: MMRecCompat<MMRecBehaviour>
    /// The last training batch's representations, for `last_batch_eval`.
    let lastBatch = LastBatchRepresentation()
    /// The shared ID embeddings u_id of users (U × d) and items (I × d), present with `has_id`.
    public let userID: Parameter?
    public let itemID: Parameter?
    /// The modalities it uses, and the settings MMRec's port fixes (three
    /// layers; 256 with its projection), where they differ from those given.
    public let settingsRun: [String: HyperparameterValue]

    /// `modalities` must exist when given; under MMRec's port `n_layers: 2`
    /// is an error when given and three layers when left out.
    public static func keysThatMatterWhenGiven(_ h: Hyperparameters) -> Set<String> {
        MMRecCompat<MMRecBehaviour>(h).isPort ? ["modalities", "n_layers"] : ["modalities"]
    }

    public init(dataset: Dataset, hyperparameters h: Hyperparameters, seed: UInt64) throws {
        let features = try dataset.features(selectedBy: h, model: Self.name)
        let compat = MMRecCompat<MMRecBehaviour>(h)
        let mmrec = compat.isPort
        if mmrec { try Self.checkMMRecConflicts(h) }
        self.compat = compat
        let d = h.int("embedding_size")
        let mmrecProjection = compat.has(.projection)
        let latent = mmrecProjection ? 256 : h.int("latent_dim")
        var ran = h.modalitiesRun(features.map(\.modality))
        if latent != h.int("latent_dim") { ran["latent_dim"] = .int(latent) }
        if mmrec && h.int("n_layers") != 3 { ran["n_layers"] = .int(3) }
        if mmrec && h.string("combination") != "concat" { ran["combination"] = .string("concat") }
        settingsRun = ran
        let mmrecDraws = compat.has(.initialisation)
        let settings = BranchSettings(
            aggregation: Aggregation(rawValue: h.string("aggregation"))!,
            combination: mmrec ? .concat : Combination(rawValue: h.string("combination"))!,
            hasID: h.bool("has_id"), embeddingSize: d, layers: mmrec ? 3 : h.int("n_layers"),
            mmrecInitialisation: mmrecDraws)
        userCount = dataset.userCount
        nodes = dataset.graph.nodeAdjacency(selfLoops: false)
        regWeight = h.float("reg_weight")
        var rng = RandomGenerator(seed: seed, stream: 0)
        branches = features.map { f in
            // MMRec projects the visual features to 256 always and uses the others raw;
            // the paper projects any modality wider than latent_dim.
            let project = mmrecProjection ? f.modality == .visual : f.matrix.cols > latent
            return ModalityBranch(modality: f.modality, features: f.matrix, userCount: dataset.userCount,
                                  project: project, latentSize: latent, settings: settings, rng: &rng)
        }
        if settings.hasID && mmrecDraws {
            // MMRec draws one (U + I) × d table, so its σ is √(2 / (U + I + d)).
            let ids = Initializer.xavierNormal(rows: dataset.userCount + dataset.itemCount, cols: d, rng: &rng)
            userID = Parameter(ids.rows(0..<dataset.userCount), name: "user_id")
            itemID = Parameter(ids.rows(dataset.userCount..<ids.rows), name: "item_id")
        } else if settings.hasID {
            userID = Parameter(Initializer.xavierUniform(rows: dataset.userCount, cols: d, rng: &rng), name: "user_id")
            itemID = Parameter(Initializer.xavierUniform(rows: dataset.itemCount, cols: d, rng: &rng), name: "item_id")
        } else {
            (userID, itemID) = (nil, nil)
        }
    }

    /// Under MMRec's port these settings are fixed; saying otherwise is an error, not silently ignored.
    static func checkMMRecConflicts(_ h: Hyperparameters) throws {
        let fixed: [(key: String, holds: Bool, port: String)] = [
            ("combination", h.string("combination") == "concat", "always concatenates (its flag is the truthy string 'False')"),
            ("n_layers", h.int("n_layers") == 3, "has exactly three layers"),
            ("has_id", h.bool("has_id"), "always adds the ID embedding"),
            ("aggregation", h.string("aggregation") == "mean", "aggregates by mean"),
            ("latent_dim", h.int("latent_dim") == 256, "projects the visual features to 256 and uses the others raw"),
        ]
        for f in fixed where h.explicitKeys.contains(f.key) && !f.holds {
            throw ConfigError(key: "\(name).\(f.key)",
                              "compat \"mmrec\" is MMRec's port, which \(f.port); drop \(f.key) or use compat \"paper\"")
        }
    }

    /// The trainable parameters. Under MMRec's port the ID embeddings and the
    /// user preferences are missing: they are never registered there, so never trained.
    public var parameters: [Parameter] {
        let tables = compat.has(.frozenTables) ? [] : [userID, itemID].compactMap { $0 } + branches.map(\.preference)
        return tables + branches.flatMap(\.weights)
    }

    public var buffers: [Parameter] { compat.has(.lastBatchEval) ? lastBatch.buffers : [] }

    /// A table on the tape: watched when trained, a constant when frozen.
    func read(_ p: Parameter, on tape: Tape) -> Variable {
        compat.has(.frozenTables) ? tape.constant(p.value) : tape.watch(p)
    }

    /// The final node vectors, users first: Σ_m x_m^{(L)} (eq. 9), or the mean
    /// over modalities under MMRec's port; of every node, or of the nodes `rows`
    /// in that order. The tables are read on `tape`.
    func represent(on tape: Tape, rows: [Int32]? = nil)
        -> (nodes: Variable, ids: (users: Variable, items: Variable)?, preferences: [Variable])
    {
        let ids = userID.map { (users: read($0, on: tape), items: read(itemID!, on: tape)) }
        let idNodes = ids.map { concatRows([$0.users, $0.items]) }
        let preferences = branches.map { read($0.preference, on: tape) }
        let outputs = zip(branches, preferences).map {
            $0.forward(preference: $1, ids: idNodes, over: nodes, rows: rows)
        }
        var total = outputs.dropFirst().reduce(outputs[0], +)
        if compat.has(.modalityMean) && outputs.count > 1 { total = scale(total, by: 1 / Float(outputs.count)) }
        return (total, ids, preferences)
    }

    public func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        // The batch's distinct nodes (items offset by U), and each triple's row among them.
        let offset = Int32(userCount)
        var position: [Int32: Int32] = [:]
        var rows: [Int32] = []
        func row(_ node: Int32) -> Int32 {
            if let p = position[node] { return p }
            position[node] = Int32(rows.count)
            rows.append(node)
            return Int32(rows.count - 1)
        }
        let (users, positives, negatives) = (batch.users.map(row), batch.positives.map { row($0 + offset) },
                                             batch.negatives.map { row($0 + offset) })
        let all: Variable
        let ids: (users: Variable, items: Variable)?
        let preferences: [Variable]
        if compat.has(.lastBatchEval) {
            // MMRec caches every node's final vector; the batch's rows come out of that.
            let whole = represent(on: tape)
            (ids, preferences) = (whole.ids, whole.preferences)
            lastBatch.record(users: sliceRows(whole.nodes, 0..<userCount),
                             items: sliceRows(whole.nodes, userCount..<whole.nodes.rows))
            all = gatherRows(whole.nodes, rows)
        } else {
            (all, ids, preferences) = represent(on: tape, rows: rows)
        }
        let u = gatherRows(all, users)
        let pos = rowDot(u, gatherRows(all, positives))
        let neg = rowDot(u, gatherRows(all, negatives))
        return bprLoss(positive: pos, negative: neg) + regularizer(batch, ids: ids, preferences: preferences)
    }

    /// Eq. 11's λ · L2 of the batch's u_id, i_id, j_id and u_m rows, as
    /// λ Σ‖·‖² / (2B); under MMRec's port its λ (mean(id[u]²) + mean(id[i]²) +
    /// mean(u_visual²)) over entries, with each user counted once per item.
    func regularizer(_ batch: TrainingBatch, ids: (users: Variable, items: Variable)?,
                     preferences: [Variable]) -> Variable {
        let b = batch.count
        if compat.has(.regulariser), let ids {
            let items = gatherRows(ids.items, batch.positives + batch.negatives)
            let users = gatherRows(ids.users, batch.users)
            // (id[user_tensor]² + id[item_tensor]²).mean(): user_tensor repeats each user twice.
            var total = scale(squaredNorm(users), by: 2 / Float(2 * b * users.cols))
                + scale(squaredNorm(items), by: 1 / Float(2 * b * items.cols))
            if let v = zip(branches, preferences).first(where: { $0.0.modality == .visual })?.1 {
                total = total + scale(squaredNorm(v), by: 1 / Float(v.rows * v.cols))
            }
            return scale(total, by: regWeight)
        }
        var rows = preferences.map { gatherRows($0, batch.users) }
        if let ids {
            rows += batchLayerZeroRows(users: ids.users, items: ids.items, batch)
        }
        return l2Regularization(rows, weight: regWeight, batchSize: b)
    }

    public func makeScorer() throws -> Scorer {
        if compat.has(.lastBatchEval) { return try lastBatch.scorer() }
        let all = represent(on: Tape.noGrad()).nodes.value
        let items = all.rows - userCount
        return DotProductScorer(users: all.rows(0..<userCount), items: all.rows(userCount..<(userCount + items)))
    }
}
