import GraphKit

/// Most popular (docs/models/MostPopular.md), registered as a model so
/// that it is a row of every table: each item's score is its degree in the
/// training split, the same for every user. Nothing is trained; validation and
/// test go through the same evaluator as every model, with its masking and its
/// tie rule (lower item id first).
public final class MostPopularModel: Recommender {
    public static let name = "MostPopular"
    public static let hyperparameters: [HyperparameterSpec] = []
    public static var isTrainable: Bool { false }

    let dataset: Dataset

    public init(dataset: Dataset, hyperparameters: Hyperparameters, seed: UInt64) throws {
        self.dataset = dataset
    }

    public var parameters: [Parameter] { [] }

    /// Zero: the model has nothing to learn, and the trainer never asks.
    public func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        tape.constant(Tensor(scalar: 0))
    }

    public func makeScorer() throws -> Scorer { MostPopular(dataset: dataset) }
}
