import Foundation
import RecommenderCore

extension ExperimentRunner {
    /// Everything about a config's input that can be known without training,
    /// checked in the one place that `bench validate` and `bench run` share, so
    /// that they never disagree, and before anything is written.
    ///
    /// Every dataset is read and checked (`loadDatasets`). Then every model
    /// is built at every grid point it may run with, on every dataset it runs
    /// on: a `tuned_as` entry at each of its reference's points. A setting
    /// that the data cannot serve is then a `ConfigError` naming the entry:
    /// VBPR on a dataset without features, a modality the dataset lacks, a
    /// setting that contradicts `compat: "mmrec"`. What only training can
    /// show (a loss that diverges) stays a failed run.
    public func checkInputs() throws -> [Dataset] {
        let datasets = try loadDatasets()
        for (d, data) in datasets.enumerated() {
            var built: Set<Setting> = []
            for (index, entry) in config.models.enumerated() where entry.runs(on: config.datasets[d].name) {
                let type = try registry.model(named: entry.model, key: "models[\(index)].model")
                var points = entry.gridPoints()
                if let reference = entry.tunedAs, let base = config.models.first(where: { $0.label == reference }) {
                    points = base.gridPoints().map { config.point(of: entry, tunedAt: $0) }
                }
                for point in points {
                    let hyper = try Hyperparameters(point.parameters, specs: type.hyperparameters,
                                                    model: "models[\(index)].parameters")
                    // One build per distinct setting: grid points that differ only in
                    // training options build the same model.
                    guard built.insert(Setting(model: type.name, hyperparameters: hyper)).inserted else { continue }
                    do {
                        _ = try type.init(dataset: data, hyperparameters: hyper, seed: 0)
                    } catch let error as ConfigError {
                        throw ConfigError(key: "models[\(index)]",
                                          "\(entry.label) at \(point.summary) on dataset \(data.name): \(error)")
                    }
                }
            }
        }
        return datasets
    }
}

/// A model and its settings: what building a model depends on.
private struct Setting: Hashable {
    let model: String
    let hyperparameters: Hyperparameters
}
