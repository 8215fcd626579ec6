import GraphKit
import RecommenderCore

/// What MMRec's LATTICE does differently from the paper (docs/models/LATTICE.md,
/// "Under compat"). The names are `compat`'s "mmrec:NAME" values.
public enum LATTICEMMRecBehaviour: String, CaseIterable, Hashable, Sendable {
    /// The α-weighted sum of the unnormalised learned kNN graphs, normalised
    /// once, instead of each modality's graph normalised and mixed first.
    case normaliseAfterSum = "normalise_after_sum"
    /// The raw feature tables are trained parameters, read by eq. 4; the
    /// initial graphs stay built from the loaded values.
    case trainableFeatures = "trainable_features"
    /// The backbone propagates over D^{-1}(A + I) instead of LightGCN's graph.
    case rowNormalisedAdjacency = "row_normalised_adjacency"
    /// λ / (2 B_cfg) Σ (‖x_u‖² + ‖x̃_i‖² + ‖x̃_j‖²) on the final vectors, B_cfg
    /// the configured batch size, instead of eq. 12's term.
    case regulariser
    /// Epoch e (from 1) trains at lr · 0.96^((e − 1)/50).
    case lrDecay = "lr_decay"
    /// The projections keep PyTorch's `nn.Linear` draws, U(±1/√D_m) for weight
    /// and bias, instead of Xavier uniform and a zero bias.
    case initialisation
}

/// When the learned graphs are built: on every batch's tape, or on the first
/// batch of each epoch and reused, as constants, by the rest.
enum GraphUpdate: String, CaseIterable {
    case batch, epoch
}

/// The collaborative backbone of eq. 9.
enum Backbone: String, CaseIterable {
    case lightgcn, mf
}

/// LATTICE's resolved settings, checked against `compat`.
struct LATTICEOptions {
    let embeddingSize: Int
    let featureSize: Int
    let k: Int
    let initialShare: Float
    let itemLayers: Int
    let backbone: Backbone
    let backboneLayers: Int
    let graphUpdate: GraphUpdate
    let regWeight: Float
    let compat: MMRecCompat<LATTICEMMRecBehaviour>

    init(_ h: Hyperparameters, model: String) throws {
        embeddingSize = h.int("embedding_size")
        featureSize = h.int("feat_embed_dim")
        k = h.int("knn_k")
        initialShare = h.float("lambda_coeff")
        itemLayers = h.int("n_layers")
        backbone = Backbone(rawValue: h.string("cf_model"))!
        backboneLayers = h.int("cf_layers")
        regWeight = h.float("reg_weight")
        compat = MMRecCompat(h)
        let update = GraphUpdate(rawValue: h.string("graph_update"))!
        if compat.isPort {
            if h.explicitKeys.contains("graph_update") && update != .epoch {
                throw ConfigError(key: "\(model).graph_update",
                                  "compat \"mmrec\" is MMRec's port, which builds the learned graph once per epoch; drop graph_update \"batch\" or use compat \"paper\"")
            }
            graphUpdate = .epoch
        } else {
            graphUpdate = update
        }
    }
}
