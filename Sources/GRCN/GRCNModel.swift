import GraphKit
import RecommenderCore

/// GRCN (Wei et al., MM'20), as specified in docs/models/GRCN.md.
///
/// Per modality, a prototypical network routes item content to user
/// prototypes (eqs. 1-4) and scores every edge in both directions (eq. 5). The
/// scores are fused into one weight per edge and direction (eqs. 6-7), which
/// weigh a LightGCN-style convolution of the ID embeddings (eqs. 8-9). Users
/// and items are the ID embedding concatenated with the modality vectors
/// (eq. 10), y = e*_u · e*_i (eq. 11), trained with BPR and L2 (eq. 13).
public final class GRCNModel: Recommender {
    public static let name = "GRCN"

    public static let hyperparameters: [HyperparameterSpec] = [
        .integer("embedding_size", default: 64, in: 1...4096, "size d of the ID embeddings E"),
        .integer("latent_dim", default: 64, in: 1...4096, "size d_C of the preferences P_m and distilled features ī_m"),
        .integer("num_routing", default: 3, in: 0...16, "routing iterations T of the prototypical network (eqs. 2-4)"),
        .integer("n_layers", default: 2, in: 0...8, "graph convolution layers L on the ID embeddings (eqs. 8-9)"),
        .choice("weight_mode", default: "confid", WeightMode.allCases.map(\.rawValue),
                "fusion of the modalities' edge scores: max with the receiving node's base vector ρ (eq. 7), max, or mean"),
        .choice("pruning", default: "soft", Pruning.allCases.map(\.rawValue),
                "\"soft\": the fused weights as they are (the paper's GRCN); \"hard\": ReLU on them (GRCN_hard)"),
        .choice("fusion_mode", default: "concat", FusionMode.allCases.map(\.rawValue),
                "prediction vectors: e ‖ modality vectors (eq. 10), their mean, or e alone"),
        .boolean("has_norm", default: true,
                 "L2-normalise E, P_m, ī_m and each routed prototype (the reference code's has_norm)"),
        .real("reg_weight", default: 1e-4, in: 0...1e3,
              "λ of the L2 term: batch mean of ‖E_u‖² + ‖E_i‖² + ‖E_j‖², plus the modalities' mean of the batch mean of ‖P_m[u]‖²"),
        .modalities,
        MMRecCompat<GRCNMMRecBehaviour>.spec(
            "\"mmrec\": MMRec's port: prototypes fixed at P_m, the sending node's ρ, hard pruning, content aggregation, its regulariser and initialisation, evaluation from the last training batch"),
    ]

    let graph: BipartiteGraph
    let configuration: GRCNConfiguration
    /// E ∈ R^{(U+I)×d}: users' rows first, then items'.
    public let idEmbedding: Parameter
    /// ρ ∈ R^{(U+I)×M}, the base vectors of eq. 6; a parameter only with weight_mode "confid".
    public let baseVectors: Parameter?
    /// One prototypical network per selected modality, in the order visual, acoustic, textual.
    public let networks: [PrototypicalNetwork]
    /// The last training batch's representations, for MMRec's `last_batch_eval`.
    let lastBatch = LastBatchRepresentation()
    /// The modalities it uses and, under MMRec's port, `pruning: "hard"`,
    /// where they differ from the settings given.
    public let settingsRun: [String: HyperparameterValue]

    /// `modalities` must exist when given; under MMRec's port `pruning:
    /// "soft"` is an error when given and hard pruning when left out.
    public static func keysThatMatterWhenGiven(_ h: Hyperparameters) -> Set<String> {
        MMRecCompat<GRCNMMRecBehaviour>(h).isPort ? ["modalities", "pruning"] : ["modalities"]
    }

    public init(dataset: Dataset, hyperparameters h: Hyperparameters, seed: UInt64) throws {
        let features = try dataset.features(selectedBy: h, model: Self.name)
        configuration = try GRCNConfiguration(h, modalities: features.map(\.modality), model: Self.name)
        var ran = h.modalitiesRun(features.map(\.modality))
        if configuration.pruning.rawValue != h.string("pruning") { ran["pruning"] = .string(configuration.pruning.rawValue) }
        settingsRun = ran
        graph = dataset.graph
        let nodes = dataset.userCount + dataset.itemCount
        var rng = RandomGenerator(seed: seed, stream: 0)
        // Xavier uniform (the suite's default, docs/MODELS.md); the reference's Xavier normal has the same variance.
        let mmrecDraws = configuration.compat.has(.initialisation)
        let draw = mmrecDraws ? Initializer.xavierNormal : Initializer.xavierUniform
        idEmbedding = Parameter(draw(nodes, configuration.embeddingSize, &rng), name: "id_embedding")
        var networks: [PrototypicalNetwork] = []
        for (modality, matrix) in features {
            networks.append(PrototypicalNetwork(modality: modality, features: matrix, userCount: dataset.userCount,
                                                latentDim: configuration.latentDim, mmrecInitialisation: mmrecDraws,
                                                rng: &rng))
        }
        self.networks = networks
        baseVectors = configuration.weightMode == .confid
            ? Parameter(draw(nodes, features.count, &rng), name: "base_vectors")
            : nil
    }

    public var parameters: [Parameter] {
        [idEmbedding] + networks.flatMap(\.parameters) + (baseVectors.map { [$0] } ?? [])
    }

    public var buffers: [Parameter] { configuration.compat.has(.lastBatchEval) ? lastBatch.buffers : [] }

    /// The whole graph's representations, computed once per batch.
    struct Forward {
        /// e*_u, one row per user.
        let users: Variable
        /// e*_i, one row per item.
        let items: Variable
        /// E on the tape, for the regulariser.
        let idEmbedding: Variable
        /// P_m on the tape, per modality, for the regulariser.
        let preferences: [Variable]
        /// Each modality's prototypes, distilled features and affinities.
        let modalities: [PrototypicalNetwork.Output]
        /// The fused, pruned edge weights s_{u←i} and s_{i←u} (E × 1 each).
        let intoUsers: Variable
        let intoItems: Variable
    }

    /// Eqs. 1-10 on `tape`.
    func forward(on tape: Tape) -> Forward {
        let c = configuration
        let (userCount, itemCount) = (graph.userCount, graph.itemCount)
        let outputs = networks.map {
            $0(graph: graph, on: tape, iterations: c.routingIterations, hasNorm: c.hasNorm,
               staticPrototypes: c.compat.has(.staticPrototypes), aggregateContent: c.compat.has(.contentAggregation))
        }
        // Eqs. 6-7, one weight per edge and direction.
        var baseIntoUsers: Variable?
        var baseIntoItems: Variable?
        if let baseVectors {
            let rho = tape.watch(baseVectors)
            let (rhoUsers, rhoItems) = (sliceRows(rho, 0..<userCount), sliceRows(rho, userCount..<(userCount + itemCount)))
            if c.compat.has(.senderConfidence) {
                // MMRec's port weighs each edge with the sending node's confidence.
                baseIntoUsers = gatherSources(rhoItems, over: graph.itemsToUsers)
                baseIntoItems = gatherSources(rhoUsers, over: graph.usersToItems)
            } else {
                // Eq. 7: the receiving node's base vector, ρ_u for the edge into u.
                baseIntoUsers = gatherTargets(rhoUsers, over: graph.itemsToUsers)
                baseIntoItems = gatherTargets(rhoItems, over: graph.usersToItems)
            }
        }
        let intoUsers = fusedEdgeWeights(outputs.map(\.intoUsers), base: baseIntoUsers, mode: c.weightMode,
                                         pruning: c.pruning)
        let intoItems = fusedEdgeWeights(outputs.map(\.intoItems), base: baseIntoItems, mode: c.weightMode,
                                         pruning: c.pruning)
        // Eqs. 8-9 from e⁰ = E, L2-normalised with has_norm.
        let e = tape.watch(idEmbedding)
        let e0 = c.hasNorm ? l2NormalizeRows(e) : e
        let (eUsers, eItems) = refinedConvolution(
            users: sliceRows(e0, 0..<userCount), items: sliceRows(e0, userCount..<(userCount + itemCount)),
            graph: graph, layers: c.layers, intoUsers: intoUsers, intoItems: intoItems)
        // Eq. 10 and its variants.
        let users: Variable
        let items: Variable
        switch c.fusionMode {
        case .concat:
            users = concatColumns([eUsers] + outputs.map(\.contentUsers))
            items = concatColumns([eItems] + outputs.map(\.contentItems))
        case .id:
            (users, items) = (eUsers, eItems)
        case .mean:
            let share = 1 / Float(outputs.count + 1)
            users = scale(outputs.map(\.contentUsers).reduce(eUsers, +), by: share)
            items = scale(outputs.map(\.contentItems).reduce(eItems, +), by: share)
        }
        return Forward(users: users, items: items, idEmbedding: e,
                       preferences: networks.map { tape.watch($0.preference) }, modalities: outputs,
                       intoUsers: intoUsers, intoItems: intoItems)
    }

    public func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        let f = forward(on: tape)
        if configuration.compat.has(.lastBatchEval) { lastBatch.record(users: f.users, items: f.items) }
        // Eq. 11 for the positives and the negatives.
        let (pos, neg) = batchScores(users: f.users, items: f.items, batch)
        return bprLoss(positive: pos, negative: neg) + regularizer(batch, f)
    }

    /// Eq. 13's λ‖θ‖ as docs/models/GRCN.md says: batch means of squared norms of the
    /// raw rows; or MMRec's means over entries (`regulariser`).
    func regularizer(_ batch: TrainingBatch, _ f: Forward) -> Variable {
        let (b, d, λ) = (batch.count, configuration.embeddingSize, configuration.regWeight)
        let offset = Int32(graph.userCount)
        let idRows = [gatherRows(f.idEmbedding, batch.users),
                      gatherRows(f.idEmbedding, batch.positives.map { $0 + offset }),
                      gatherRows(f.idEmbedding, batch.negatives.map { $0 + offset })]
        let preferenceNorms = f.preferences.map { squaredNorm(gatherRows($0, batch.users)) }
        let preferenceTerm = preferenceNorms.dropFirst().reduce(preferenceNorms[0], +)
        if configuration.compat.has(.regulariser) {
            // (E[user_tensor]² + E[item_tensor]²).mean() over the 2B pairs (each user twice), d entries each.
            let idTerm = scale(squaredNorm(idRows[0]), by: 2) + squaredNorm(idRows[1]) + squaredNorm(idRows[2])
            var reg = scale(idTerm, by: 1 / Float(2 * b * d))
            // The visual P's mean over every user, when the visual modality is used.
            if let v = zip(networks, f.preferences).first(where: { $0.0.modality == .visual })?.1 {
                reg = reg + scale(squaredNorm(v), by: 1 / Float(v.rows * v.cols))
            }
            // Each modality's P_m[user_tensor]².mean(): the batch's users, d_C entries each.
            reg = reg + scale(preferenceTerm, by: 1 / Float(b * configuration.latentDim))
            return scale(reg, by: λ)
        }
        let idTerm = idRows.dropFirst().reduce(squaredNorm(idRows[0])) { $0 + squaredNorm($1) }
        return scale(idTerm, by: λ / Float(b))
            + scale(preferenceTerm, by: λ / Float(b * preferenceNorms.count))
    }

    public func makeScorer() throws -> Scorer {
        if configuration.compat.has(.lastBatchEval) { return try lastBatch.scorer() }
        let f = forward(on: Tape.noGrad())
        return DotProductScorer(users: f.users.value, items: f.items.value)
    }
}
