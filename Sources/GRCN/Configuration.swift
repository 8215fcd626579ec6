import RecommenderCore

/// How the per-modality affinities of an edge are fused into one weight (GRCN eqs. 6-7).
public enum WeightMode: String, Sendable, CaseIterable {
    /// max_m ρ^m s̄^m, with the receiving node's base vector ρ (eq. 7).
    case confid
    /// max_m s̄^m, without base vectors.
    case max
    /// The mean over modalities of s̄^m.
    case mean
}

/// What is done with the fused edge weights before the graph convolution.
public enum Pruning: String, Sendable, CaseIterable {
    /// The weights as they are: the paper's GRCN (the README's `--is_pruning=False`).
    case soft
    /// ReLU on the weights, so a negative weight cuts its edge: GRCN_hard (Table 3).
    case hard
}

/// What the prediction layer scores with (GRCN eq. 10).
public enum FusionMode: String, Sendable, CaseIterable {
    /// e ‖ ū_v ‖ ū_a ‖ ū_t for users and e ‖ ī_v ‖ ī_a ‖ ī_t for items (eq. 10).
    case concat
    /// The mean of e and the modality vectors; needs latent_dim == embedding_size.
    case mean
    /// The ID embeddings e alone.
    case id
}

/// What MMRec's GRCN does differently from the paper (docs/models/GRCN.md),
/// besides hard pruning (`pruning: "hard"`). The names are `compat`'s
/// "mmrec:NAME" values.
public enum GRCNMMRecBehaviour: String, CaseIterable, Hashable, Sendable {
    /// Routing sends its messages to the items, and the users' rows, which
    /// receive nothing, are kept: the prototypes stay at P_m.
    case staticPrototypes = "static_prototypes"
    /// The sending node's base vector ρ weighs an edge, not the receiving node's.
    case senderConfidence = "sender_confidence"
    /// The modality vectors that the prediction concatenates get one more
    /// aggregation over the affinities of eq. 5: ū + Σ_i s̄_{u←i} ī for users
    /// and ī + Σ_u s̄_{i←u} ū for items (CGCN's `x + x_hat_1`).
    case contentAggregation = "content_aggregation"
    /// The regulariser λ (mean(E[u]²)·2 + mean(E[i]²) + mean(E[j]²)) over
    /// entries of the 2B pairs, plus the visual P's mean over every user, plus
    /// each modality's mean of P_m[u]² over the batch, instead of eq. 13's
    /// batch means of squared norms.
    case regulariser
    /// Xavier-normal draws, and PyTorch's default bias U(±1/√D_m) for the
    /// projections, instead of Xavier-uniform draws and zero biases.
    case initialisation
    /// Evaluation scores with the representation of the last training batch
    /// (`LastBatchRepresentation`).
    case lastBatchEval = "last_batch_eval"
}

/// GRCN's hyper-parameters, checked against each other and against `compat`.
struct GRCNConfiguration {
    let embeddingSize: Int
    let latentDim: Int
    let routingIterations: Int
    let layers: Int
    let weightMode: WeightMode
    let pruning: Pruning
    let fusionMode: FusionMode
    let hasNorm: Bool
    let regWeight: Float
    /// The MMRec behaviours switched on by `compat` (all of them under "mmrec").
    let compat: MMRecCompat<GRCNMMRecBehaviour>

    /// Reads `h`; throws a `ConfigError` for a combination that cannot run or
    /// that contradicts `compat: "mmrec"`. `modalities` are the selected ones.
    init(_ h: Hyperparameters, modalities: [Modality], model: String) throws {
        embeddingSize = h.int("embedding_size")
        latentDim = h.int("latent_dim")
        routingIterations = h.int("num_routing")
        layers = h.int("n_layers")
        weightMode = WeightMode(rawValue: h.string("weight_mode"))!
        fusionMode = FusionMode(rawValue: h.string("fusion_mode"))!
        hasNorm = h.bool("has_norm")
        regWeight = h.float("reg_weight")
        compat = MMRecCompat(h)
        let mmrec = compat.isPort
        let askedPruning = Pruning(rawValue: h.string("pruning"))!
        if mmrec && h.explicitKeys.contains("pruning") && askedPruning == .soft {
            throw ConfigError(key: "\(model).pruning",
                              "compat \"mmrec\" is MMRec's port, which always prunes hard (ReLU on the edge weights); drop pruning: \"soft\" or use compat \"paper\"")
        }
        // MMRec's port always applies ReLU to the fused weights (`self.pruning = True`).
        pruning = mmrec ? .hard : askedPruning
        if mmrec && modalities == [.textual] {
            throw ConfigError(key: "\(model).modalities",
                              "compat \"mmrec\" with the textual modality alone: MMRec's GRCN crashes there (it stores the text representation in a misspelt variable, `conetent_rep`, and then concatenates None); this suite does not reproduce the crash; add another modality or use compat \"paper\"")
        }
        if fusionMode == .mean && latentDim != embeddingSize {
            throw ConfigError(key: "\(model).fusion_mode",
                              "fusion_mode \"mean\" averages the ID embedding with the modality vectors, so latent_dim (\(latentDim)) must equal embedding_size (\(embeddingSize))")
        }
    }
}
