import GraphKit
import RecommenderCore

/// What MMRec's MGCN does differently from the paper (docs/models/MGCN.md,
/// "Under compat"). The names are `compat`'s "mmrec:NAME" values.
public enum MGCNMMRecBehaviour: String, CaseIterable, Hashable, Sendable {
    /// The raw feature tables are trained parameters, read by eq. 1; the kNN
    /// graphs stay built from the loaded values.
    case trainableFeatures = "trainable_features"
    /// Eq. 15 as (e_s + Σ_m ẽ^m ⊙ P_m) / (M + 1) instead of e_s + (1/M) Σ_m.
    case fusionMean = "fusion_mean"
    /// Eq. 16 over the batch's rows with their repeats, instead of its distinct
    /// users and positive items.
    case batchDuplicates = "batch_duplicates"
    /// λ_E / (2 B_cfg) Σ (‖e*_u‖² + ‖e*_i‖² + ‖e*_j‖²) on the final vectors of
    /// eq. 17, B_cfg the configured batch size, instead of eq. 19's term.
    case regulariser
    /// PyTorch's `nn.Linear` draws, U(±1/√fan_in) for weights and biases,
    /// instead of Xavier uniform and zero biases.
    case initialisation
    /// Epoch e (from 1) trains at lr · 0.96^((e − 1)/50), MMRec's
    /// `learning_rate_scheduler: [0.96, 50]`.
    case lrDecay = "lr_decay"
}

/// MGCN's resolved settings, checked against `compat`.
struct MGCNOptions {
    let embeddingSize: Int
    let userItemLayers: Int
    let itemItemLayers: Int
    let k: Int
    let contrastiveWeight: Float
    let temperature: Float
    let cosine: Bool
    let regWeight: Float
    let compat: MMRecCompat<MGCNMMRecBehaviour>

    init(_ h: Hyperparameters, model: String, modalities: Int) throws {
        embeddingSize = h.int("embedding_size")
        userItemLayers = h.int("n_ui_layers")
        itemItemLayers = h.int("n_layers")
        k = h.int("knn_k")
        contrastiveWeight = h.float("cl_weight")
        temperature = h.float("temperature")
        cosine = h.string("cl_similarity") == "cosine"
        regWeight = h.float("reg_weight")
        compat = MMRecCompat(h)
        guard compat.isPort else { return }
        if !cosine {
            throw ConfigError(key: "\(model).cl_similarity",
                              "compat \"mmrec\" is MMRec's port, whose InfoNCE uses the cosine; drop cl_similarity \"dot\" or use compat \"paper\"")
        }
        if modalities != 2 {
            throw ConfigError(key: "\(model).modalities",
                              "compat \"mmrec\" is MMRec's port, which needs exactly two modalities (its vision and text slots); this run has \(modalities)")
        }
    }
}
