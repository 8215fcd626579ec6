import GraphKit
import RecommenderCore

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
