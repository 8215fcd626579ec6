import GraphKit
import RecommenderCore

/// How DualGNN builds a user's multi-modal vector ũ_u from its single-modal
/// representations r_u^m (MODELS.md, DualGNN step 3).
public enum UserConstruction: String, Sendable, CaseIterable {
    /// ũ_u = Σ_m α_{u,m} r_u^m with α trainable per user.
    case weightedSum = "weighted_sum"
    /// ũ_u = (1/M) Σ_m r_u^m.
    case mean
    /// ũ_u = max_m r_u^m, element-wise.
    case max
    /// ũ_u = W [r_u^{m1} ‖ r_u^{m2} ‖ …] + b, a linear map from M·d to d.
    case catMLP = "cat_mlp"
}

/// DualGNN's resolved settings, checked against `compat`.
struct DualGNNOptions {
    let embeddingSize: Int
    let k: Int
    let construction: UserConstruction
    let userAggregation: UserCooccurrence.Weighting
    let resampleNeighbours: Bool
    let regWeight: Float
    /// `compat: "mmrec"`: log2 loss, the reference's regulariser with β, urn padding.
    let mmrec: Bool

    init(_ h: Hyperparameters, model: String) throws {
        embeddingSize = h.int("embedding_size")
        k = h.int("k")
        construction = UserConstruction(rawValue: h.string("construction"))!
        userAggregation = UserCooccurrence.Weighting(rawValue: h.string("user_aggregation"))!
        resampleNeighbours = h.bool("resample_neighbours")
        regWeight = h.float("reg_weight")
        mmrec = h.string("compat") == "mmrec"
        guard mmrec else { return }
        // MMRec's port fixes these three; a config that asks otherwise contradicts it.
        if h.explicitKeys.contains("construction") && construction != .weightedSum {
            throw ConfigError(key: "\(model).construction",
                              "compat \"mmrec\" is MMRec's port, whose construction is always \"weighted_sum\"; drop construction \"\(construction.rawValue)\" or use compat \"paper\"")
        }
        if h.explicitKeys.contains("user_aggregation") && userAggregation != .softmax {
            throw ConfigError(key: "\(model).user_aggregation",
                              "compat \"mmrec\" is MMRec's port, whose user aggregation is always \"softmax\"; drop user_aggregation \"\(userAggregation.rawValue)\" or use compat \"paper\"")
        }
        if h.explicitKeys.contains("resample_neighbours") && !resampleNeighbours {
            throw ConfigError(key: "\(model).resample_neighbours",
                              "compat \"mmrec\" is MMRec's port, which resamples the neighbour padding every epoch; drop resample_neighbours false or use compat \"paper\"")
        }
    }
}
