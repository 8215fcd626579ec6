import Foundation
import ModelRegistry
import RecommenderCore

/// An experiment: one dataset, one protocol, a list of model entries (each
/// possibly a grid), a list of seeds, and the table to write. See the README's
/// "Experiment configs" for the schema.
public struct ExperimentConfig: Sendable {
    /// The config's name: results go to Results/NAME/.
    public var name: String
    /// Path of the dataset descriptor.
    public var dataset: String
    public var evaluationProtocol: EvaluationProtocol
    /// Training defaults; a model entry may override any of them, or grid over them.
    public var training: TrainingOptions
    public var seeds: [UInt64]
    /// A grid expanding to more runs than this is refused.
    public var maxRuns: Int
    public var models: [ModelEntry]
    public var output: OutputSpec

    /// One line of the table: a model with fixed and gridded settings.
    public struct ModelEntry: Sendable {
        /// The registered model name.
        public var model: String
        /// The row label in the table (default: the model name).
        public var label: String
        /// Each hyper-parameter's candidate values (one value: fixed).
        public var parameters: [String: [HyperparameterValue]]
        /// Each training option's candidate values (one value: fixed).
        public var training: [String: [JSONValue]]
    }

    /// What the table shows.
    public struct OutputSpec: Sendable {
        public var table: String
        public var columns: [MetricKey]
        public var caption: String
    }

    /// Training option keys a model entry may set.
    static let trainingKeys = ["epochs", "batch_size", "learning_rate", "weight_decay", "patience", "eval_every"]

    /// Reads and checks a config file; dataset names resolve under `configsRoot/datasets`.
    public static func load(_ path: String, registry: ModelRegistry, configsRoot: String = "Configs") throws -> ExperimentConfig {
        let data: Data
        guard let d = FileManager.default.contents(atPath: path) else {
            throw DataError(file: path, "experiment config not found")
        }
        data = d
        do {
            return try parse(JSONValue.parse(data, file: path), registry: registry, configsRoot: configsRoot)
        } catch let error as ConfigError {
            throw DataError(file: path, location: "key '\(error.key)'", error.reason)
        }
    }

    /// Checks a parsed config: every key, type, range, model and hyper-parameter.
    public static func parse(_ json: JSONValue, registry: ModelRegistry, configsRoot: String = "Configs") throws -> ExperimentConfig {
        let root = try JSONReader(json, path: "")
        try root.allowOnly(["name", "dataset", "protocol", "training", "seeds", "max_runs", "models", "output", "notes"])
        guard let name = try root.string("name"), !name.isEmpty,
              name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw ConfigError(key: "name", "expected a non-empty name of letters, digits, - and _ (it names the results folder)")
        }
        guard let datasetName = try root.string("dataset") else {
            throw ConfigError(key: "dataset", "missing; expected a descriptor name (such as \"tiktok\") or a path to one")
        }
        let dataset = datasetName.hasSuffix(".json") || datasetName.contains("/")
            ? datasetName : "\(configsRoot)/datasets/\(datasetName).json"
        guard FileManager.default.fileExists(atPath: dataset) else {
            throw ConfigError(key: "dataset", "no dataset descriptor at \(dataset)")
        }

        // Protocol.
        var evaluation = EvaluationProtocol()
        var validMetric = MetricKey(.recall, at: 20)
        if let p = try root.child("protocol") {
            try p.allowOnly(["ranking", "candidates", "metrics", "ks", "valid_metric", "mask_valid_in_test"])
            let candidates = try p.int("candidates", min: 1) ?? 1000
            switch try p.string("ranking") ?? "full" {
            case "full": evaluation.ranking = .full
            case "sampled": evaluation.ranking = .sampled(candidates: candidates)
            case let other: throw ConfigError(key: p.key("ranking"), "\"\(other)\"; expected \"full\" or \"sampled\"")
            }
            var metrics = RankingMetric.allCases
            if let list = try p.array("metrics") {
                metrics = try list.enumerated().map { i, v in
                    guard case let .string(s) = v, let m = RankingMetric(rawValue: s) else {
                        throw ConfigError(key: p.key("metrics[\(i)]"),
                                          "expected one of \(RankingMetric.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return m
                }
            }
            var ks = [10, 20, 50]
            if let list = try p.array("ks") {
                ks = try list.enumerated().map { i, v in try JSONReader.int(v, key: p.key("ks[\(i)]"), min: 1) }
            }
            guard !metrics.isEmpty, !ks.isEmpty else { throw ConfigError(key: p.key("metrics"), "expected at least one metric and one K") }
            if let text = try p.string("valid_metric") { validMetric = try MetricKey(parsing: text, key: p.key("valid_metric")) }
            evaluation.metrics = Array(Set(ks.flatMap { k in metrics.map { MetricKey($0, at: k) } } + [validMetric])).sorted()
            evaluation.maskValidInTest = try p.bool("mask_valid_in_test") ?? true
        }

        // Training defaults.
        var training = TrainingOptions()
        if let t = try root.child("training") {
            try t.allowOnly(trainingKeys)
            for k in trainingKeys {
                if let v = t.object[k] { try apply(k, v, to: &training, key: t.key(k)) }
            }
        }
        training.validMetric = validMetric

        let seeds: [UInt64] = try (root.array("seeds") ?? [.int(2024)]).enumerated().map { i, v in
            UInt64(try JSONReader.int(v, key: "seeds[\(i)]", min: 0))
        }
        guard !seeds.isEmpty, Set(seeds).count == seeds.count else {
            throw ConfigError(key: "seeds", "expected a non-empty list of distinct seeds")
        }
        let maxRuns = try root.int("max_runs", min: 1) ?? 200

        // Models.
        guard let list = try root.array("models"), !list.isEmpty else {
            throw ConfigError(key: "models", "expected a non-empty list of model entries")
        }
        var models: [ModelEntry] = []
        for (i, item) in list.enumerated() {
            let m = try JSONReader(item, path: "models[\(i)]")
            try m.allowOnly(["model", "label", "parameters", "training"])
            guard let modelName = try m.string("model") else {
                throw ConfigError(key: m.key("model"), "missing; known models: \(registry.names.joined(separator: ", "))")
            }
            let type = try registry.model(named: modelName, key: m.key("model"))
            var parameters: [String: [HyperparameterValue]] = [:]
            if let p = try m.child("parameters") {
                for (k, v) in p.object {
                    let values: [JSONValue]
                    let takesList = type.hyperparameters.contains { spec in
                        if spec.name == k, case .subset = spec.kind { return true }
                        return false
                    }
                    if case let .array(a) = v, !(takesList && a.allSatisfy(\.isString)) {
                        values = a  // a grid; for a list-valued key, a list of lists
                    } else {
                        values = [v]
                    }
                    guard !values.isEmpty else { throw ConfigError(key: p.key(k), "an empty grid") }
                    parameters[k] = try values.map { value in
                        guard let h = value.hyperparameter else {
                            throw ConfigError(key: p.key(k), "expected a number, boolean or string (or a list of them), got \(value.typeName)")
                        }
                        return h
                    }
                }
            }
            var trainingGrid: [String: [JSONValue]] = [:]
            if let t = try m.child("training") {
                try t.allowOnly(trainingKeys)
                for (k, v) in t.object {
                    if case let .array(a) = v { trainingGrid[k] = a } else { trainingGrid[k] = [v] }
                    guard !trainingGrid[k]!.isEmpty else { throw ConfigError(key: t.key(k), "an empty grid") }
                }
            }
            let entry = ModelEntry(model: type.name, label: try m.string("label") ?? type.name,
                                   parameters: parameters, training: trainingGrid)
            // Check every grid point now, so a bad value fails before any training.
            for point in entry.gridPoints() {
                _ = try Hyperparameters(point.parameters, specs: type.hyperparameters, model: "models[\(i)].parameters")
                var options = training
                for (k, v) in point.training { try apply(k, v, to: &options, key: "models[\(i)].training.\(k)") }
            }
            models.append(entry)
        }
        let labels = models.map(\.label)
        guard Set(labels).count == labels.count else {
            throw ConfigError(key: "models", "two entries share a label; give each a distinct \"label\"")
        }

        let config = ExperimentConfig(name: name, dataset: dataset, evaluationProtocol: evaluation, training: training,
                                      seeds: seeds, maxRuns: maxRuns, models: models,
                                      output: try outputSpec(root, name: name, evaluation: evaluation, valid: validMetric))
        let runs = config.plannedRunCount
        guard runs <= maxRuns else {
            throw ConfigError(key: "max_runs", "the grid expands to \(runs) runs (grid points × \(seeds.count) seeds), more than max_runs = \(maxRuns)")
        }
        return config
    }

    static func outputSpec(_ root: JSONReader, name: String, evaluation: EvaluationProtocol, valid: MetricKey) throws -> OutputSpec {
        guard let o = try root.child("output") else {
            return OutputSpec(table: name, columns: [valid], caption: "")
        }
        try o.allowOnly(["table", "columns", "caption"])
        var columns = [valid]
        if let list = try o.array("columns") {
            columns = try list.enumerated().map { i, v in
                guard case let .string(s) = v else { throw ConfigError(key: o.key("columns[\(i)]"), "expected metric@K") }
                let key = try MetricKey(parsing: s, key: o.key("columns[\(i)]"))
                guard evaluation.metrics.contains(key) else {
                    throw ConfigError(key: o.key("columns[\(i)]"), "\(key) is not evaluated; add its metric and K to protocol.metrics and protocol.ks")
                }
                return key
            }
        }
        return OutputSpec(table: try o.string("table") ?? name, columns: columns, caption: try o.string("caption") ?? "")
    }

    /// Sets training option `name` from a JSON value, checking type and range.
    static func apply(_ name: String, _ v: JSONValue, to options: inout TrainingOptions, key: String) throws {
        switch name {
        case "epochs": options.epochs = try JSONReader.int(v, key: key, min: 1)
        case "batch_size": options.batchSize = try JSONReader.int(v, key: key, min: 1)
        case "patience": options.patience = try JSONReader.int(v, key: key, min: 1)
        case "eval_every": options.evalEvery = try JSONReader.int(v, key: key, min: 1)
        case "learning_rate": options.learningRate = try JSONReader.double(v, key: key, positive: true)
        case "weight_decay": options.weightDecay = try JSONReader.double(v, key: key, positive: false)
        default: throw ConfigError(key: key, "unknown training option; expected one of \(trainingKeys.joined(separator: ", "))")
        }
    }

    /// Number of runs: grid points of every entry times the seeds.
    public var plannedRunCount: Int { models.reduce(0) { $0 + $1.gridPoints().count } * seeds.count }
}

/// One point of a model entry's grid.
public struct GridPoint: Sendable, Equatable {
    public var parameters: [String: HyperparameterValue]
    public var training: [String: JSONValue]

    /// A short description such as `learning_rate=0.01 reg_weight=0.1`, or `default`.
    public var summary: String {
        let parts = parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            + training.sorted { $0.key < $1.key }.map { "\($0.key)=\(JSONValue.describe($0.value))" }
        return parts.isEmpty ? "default" : parts.joined(separator: " ")
    }
}

extension JSONValue {
    static func describe(_ v: JSONValue) -> String {
        switch v {
        case let .int(i): return String(i)
        case let .double(d): return String(d)
        case let .bool(b): return String(b)
        case let .string(s): return s
        default: return v.typeName
        }
    }
}

extension ExperimentConfig.ModelEntry {
    /// The cartesian product of every listed value, in a fixed order (keys sorted).
    public func gridPoints() -> [GridPoint] {
        var points = [GridPoint(parameters: [:], training: [:])]
        for key in parameters.keys.sorted() {
            points = points.flatMap { p in parameters[key]!.map { v in
                var q = p; q.parameters[key] = v; return q
            } }
        }
        for key in training.keys.sorted() {
            points = points.flatMap { p in training[key]!.map { v in
                var q = p; q.training[key] = v; return q
            } }
        }
        return points
    }
}
