import GraphKit
import RecommenderCore

/// What MMRec's BM3 does differently from the paper (docs/models/BM3.md,
/// "Under compat"). The names are `compat`'s "mmrec:NAME" values.
public enum BM3MMRecBehaviour: String, CaseIterable, Hashable, Sendable {
    /// MMRec's `EmbLoss` on the whole backbone output, λ (‖H_U‖_F + ‖H_I‖_F) / I,
    /// instead of eq. 10.
    case embLoss = "emb_loss"
    /// The raw feature tables are trained parameters, read by eq. 1.
    case trainableFeatures = "trainable_features"
    /// W_p and every W_m Xavier normal, b_p and b_m PyTorch's U(±1/√fan_in),
    /// instead of Xavier uniform weights and zero biases.
    case initialisation
}

/// BM3's resolved settings, checked against `compat`.
struct BM3Options {
    let embeddingSize: Int
    let layers: Int
    let dropout: Float
    let regWeight: Float
    let alignmentWeight: Float
    let selfLoops: Bool
    let compat: MMRecCompat<BM3MMRecBehaviour>

    init(_ h: Hyperparameters, model: String) throws {
        embeddingSize = h.int("embedding_size")
        layers = h.int("n_layers")
        dropout = h.float("dropout")
        regWeight = h.float("reg_weight")
        alignmentWeight = h.float("cl_weight")
        selfLoops = h.bool("self_loops")
        compat = MMRecCompat(h)
        if compat.isPort && selfLoops {
            throw ConfigError(key: "\(model).self_loops",
                              "compat \"mmrec\" is MMRec's port, whose graph has no self-loops; drop self_loops true or use compat \"paper\"")
        }
    }
}
