import GraphKit
import RecommenderCore

/// What MMRec's DualGNN does differently from the paper (docs/models/DualGNN.md).
/// The names are `compat`'s "mmrec:NAME" values.
public enum DualGNNMMRecBehaviour: String, CaseIterable, Hashable, Sendable {
    /// The BPR term in log2: −mean log₂ σ(y_ui − y_uj).
    case log2Loss = "log2_loss"
    /// The regulariser λ (Σ_m mean(P_m[u]²) + mean(α²) + mean(β²)), with β ∈
    /// R^{I×M} the reference's per-item modality weights, trained and read by
    /// nothing else.
    case regulariser
    /// A user's padding is drawn from the list padded so far (a Pólya urn),
    /// not from the user's own neighbours.
    case urnPadding = "urn_padding"
    /// The first modality's user vectors in the user construction are the sum
    /// over modalities: MMRec adds the others in place (`representation +=
    /// self.t_rep` on the tensor `self.v_rep` is), so its weighted sum is
    /// α_v (r_v + r_t) + α_t r_t.
    case inplaceSum = "inplace_sum"
    /// MMRec's draws: Xavier normal for P_m, PyTorch's default U(±1/√in) for
    /// the projections' weights and biases, instead of Xavier uniform and zero biases.
    case initialisation
    /// Evaluation scores with the representation of the last training batch
    /// (`LastBatchRepresentation`), built on that epoch's user-graph sample.
    case lastBatchEval = "last_batch_eval"
}

/// DualGNN's resolved settings, checked against `compat`.
struct DualGNNOptions {
    let embeddingSize: Int
    let k: Int
    let construction: UserConstruction
    let userAggregation: UserCooccurrence.Weighting
    let resampleNeighbours: Bool
    let regWeight: Float
    /// The MMRec behaviours switched on by `compat` (all of them under "mmrec").
    let compat: MMRecCompat<DualGNNMMRecBehaviour>

    init(_ h: Hyperparameters, model: String) throws {
        embeddingSize = h.int("embedding_size")
        k = h.int("k")
        construction = UserConstruction(rawValue: h.string("construction"))!
        userAggregation = UserCooccurrence.Weighting(rawValue: h.string("user_aggregation"))!
        resampleNeighbours = h.bool("resample_neighbours")
        regWeight = h.float("reg_weight")
        compat = MMRecCompat(h)
        guard compat.isPort else { return }
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
