import GraphKit
import RecommenderCore
import TestSupport

/// Loads a dataset by descriptor name under Configs/datasets.
func loadDataset(_ name: String) throws -> Dataset {
    try Dataset(descriptor: DatasetDescriptor.load(repositoryPath("Configs/datasets/\(name).json")))
}

/// Training options for quick runs.
func quickOptions(epochs: Int, learningRate: Double = 0.001, patience: Int = 50) -> TrainingOptions {
    var options = TrainingOptions()
    options.epochs = epochs
    options.learningRate = learningRate
    options.patience = patience
    return options
}

/// Trains `model` quietly with the default protocol.
func quickTrain(_ model: Recommender, on data: Dataset, options: TrainingOptions, seed: UInt64 = 1) -> TrainingResult {
    let evaluator = Evaluator(dataset: data, protocol: EvaluationProtocol())
    return Trainer(dataset: data, options: options, evaluator: evaluator)
        .train(model, seed: seed, progress: ProgressReporter(label: "test", mode: .quiet))
}

/// The most-popular baseline's validation Recall@20 on `data`.
func mostPopularValidRecall(_ data: Dataset) throws -> Double {
    try Evaluator(dataset: data, protocol: EvaluationProtocol())
        .evaluate(MostPopular(dataset: data), on: .valid)[MetricKey(.recall, at: 20)]
}

/// A model of type `T` with the given hyper-parameters (defaults elsewhere).
func makeModel<T: Recommender>(_ type: T.Type, _ data: Dataset, _ given: [String: HyperparameterValue] = [:],
                               seed: UInt64 = 1) throws -> T {
    try T(dataset: data, hyperparameters: Hyperparameters(given, specs: T.hyperparameters, model: T.name), seed: seed)
}
