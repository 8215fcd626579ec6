import GraphKit
import RecommenderCore

/// BPR-MF, matrix factorisation trained with Bayesian Personalized Ranking
/// (Rendle et al., UAI 2009): the baseline every graph recommender starts
/// from, here as a model of a package of its own.
///
/// y_ui = p_u · q_i (the factor model of Sec. 5, without biases), trained on
/// BPR-Opt (eq. 7) as −ln σ(y_ui − y_uj) averaged over the batch, with the L2
/// prior λ (‖p_u‖² + ‖q_i‖² + ‖q_j‖²) / (2B) on the batch's rows.
public final class BPRMFModel: Recommender {
    public static let name = "BPRMF"

    public static let hyperparameters: [HyperparameterSpec] = [
        .integer("embedding_size", default: 64, in: 1...4096, "number of latent factors d"),
        .real("reg_weight", default: 1e-4, in: 0...1e3, "λ of the L2 prior on the batch's factors"),
    ]

    let regWeight: Float
    /// P (U × d) and Q (I × d), Xavier-uniform.
    public let userFactors: Parameter
    public let itemFactors: Parameter

    public init(dataset: Dataset, hyperparameters: Hyperparameters, seed: UInt64) throws {
        let d = hyperparameters.int("embedding_size")
        regWeight = hyperparameters.float("reg_weight")
        var rng = RandomGenerator(seed: seed, stream: 0)
        userFactors = Parameter(Initializer.xavierUniform(rows: dataset.userCount, cols: d, rng: &rng), name: "user_factors")
        itemFactors = Parameter(Initializer.xavierUniform(rows: dataset.itemCount, cols: d, rng: &rng), name: "item_factors")
    }

    public var parameters: [Parameter] { [userFactors, itemFactors] }

    public func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        let (p, q) = (tape.watch(userFactors), tape.watch(itemFactors))
        let u = gatherRows(p, batch.users)
        let (i, j) = (gatherRows(q, batch.positives), gatherRows(q, batch.negatives))
        return bprLoss(positive: rowDot(u, i), negative: rowDot(u, j))
            + l2Regularization([u, i, j], weight: regWeight, batchSize: batch.count)
    }

    public func makeScorer() throws -> Scorer {
        DotProductScorer(users: userFactors.value, items: itemFactors.value)
    }
}
