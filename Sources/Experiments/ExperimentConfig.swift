import Foundation
import ModelRegistry
import RecommenderCore

/// An experiment: one or more datasets, one protocol, a list of model entries
/// (each possibly a grid), a list of seeds, and the table to write. See
/// docs/experiments.md for the schema.
public struct ExperimentConfig: Sendable {
    /// The config's name: its tables go to Results/NAME/.
    public var name: String
    /// The datasets, in table order: each as written in the config and the
    /// path it resolved to (a descriptor, an MMRec folder or an `.inter` file).
    public var datasets: [(name: String, path: String)]
    /// The result store the runs go to: Results/STORE/runs/. Configs that
    /// share a store share every run with the same settings.
    public var store: String
    public var evaluationProtocol: EvaluationProtocol
    /// When set, the test set is also ranked under the sampled protocol with
    /// this many candidates, from the same trained parameters.
    public var sampledTest: Int?
    /// Training defaults; a model entry may override any of them, or grid over them.
    public var training: TrainingOptions
    public var seeds: [UInt64]
    /// Grid points run with the first `tuningSeeds` seeds; the point chosen
    /// on their mean validation metric then runs with the other seeds.
    public var tuningSeeds: Int
    /// A grid expanding to more runs than this is refused.
    public var maxRuns: Int
    public var models: [ModelEntry]
    public var output: OutputSpec
    /// What reading the file recovered from (a UTF-8 byte-order mark), one
    /// line each, for stderr.
    public var warnings: [String] = []
    /// Keep each run's best-epoch parameters in Results/STORE/checkpoints/KEY/
    /// when it finishes (`Checkpoint`); off by default, since a table's runs
    /// would otherwise fill the disk by surprise.
    public var checkpoints = false

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
        /// The datasets (names as in the config) the entry runs on; nil: all.
        public var datasets: [String]?
        /// The label of another entry whose chosen grid point this entry
        /// takes, per dataset, with its own fixed settings on top (an
        /// ablation runs at the full model's tuned settings).
        public var tunedAs: String?
        /// The entry's own `mask_valid_in_test`, overriding the protocol's
        /// (MMRec leaves validation items unmasked at test; the mmrec-bugs
        /// table prices that); nil: the protocol's.
        public var maskValidInTest: Bool? = nil

        /// Whether the entry runs on the dataset named `name` in the config.
        public func runs(on name: String) -> Bool { datasets?.contains(name) ?? true }
    }

    /// A figure bench draws next to the table.
    public enum Figure: String, Sendable, CaseIterable {
        /// The validation metric against the epoch, one line per row.
        case validation
        /// The test metric per row as bars with ± std error bars.
        case test
        /// The 2-D PCA projection of a few users' items (MMGCN Fig. 4, GRCN Fig. 4).
        case embeddings
    }

    /// What the table shows.
    public struct OutputSpec: Sendable {
        public var table: String
        public var columns: [TableColumn]
        public var caption: String
        /// Whether the table has a %Improv. row.
        public var improvement: Bool
        /// The row the %Improv. row compares with the strongest other row (default: the first).
        public var improvementOf: String?
        /// Whether each row that is tuned_as another shows its difference to
        /// that row, in percent, with a paired t-test over the seeds (the
        /// mmrec-bugs table: a behaviour against the paper-correct model).
        public var differences: Bool = false
        /// Whether each other row that is not tuned_as another shows its
        /// difference to the focus row (`improvementOf`, by default the first),
        /// in percent, with the Holm-corrected p of the per-user paired t-test
        /// (the modern table: each model against LightGCN).
        public var focusDifferences: Bool = false
        public var figures: [Figure]
        /// The metric of the test bar chart.
        public var chartMetric: TableColumn
    }

    /// Training option keys a model entry may set.
    static let trainingKeys = ["epochs", "batch_size", "learning_rate", "weight_decay", "patience", "eval_every",
                               "negative_items", "valid_decimals"]

    /// Reads and checks a config file. Dataset names resolve under
    /// `configsRoot/datasets` (by default the repository's), dataset paths
    /// from the config file's own folder.
    /// `overrides` (`bench run --set`) make a variant of it (`ConfigOverride`).
    public static func load(_ path: String, registry: ModelRegistry, configsRoot: String = Repository.configs.path,
                            overrides: [ConfigOverride] = []) throws -> ExperimentConfig {
        let data = try InputFile.contents(of: path, what: "experiment config")
        do {
            let base = URL(fileURLWithPath: path).absoluteURL.standardizedFileURL.deletingLastPathComponent()
            var warnings: [String] = []
            let json = try ConfigOverride.apply(overrides, to: JSONValue.parse(data, file: path, warnings: &warnings),
                                                registry: registry)
            var config = try parse(json, registry: registry, configsRoot: configsRoot, base: base)
            config.warnings = warnings
            return config
        } catch let error as ConfigError {
            throw DataError(file: path, location: "key '\(error.key)'", error.reason)
        }
    }

    /// Checks a parsed config: every key, type, range, model and hyper-parameter.
    /// Dataset paths are read from `base` (by default the working directory).
    public static func parse(_ json: JSONValue, registry: ModelRegistry, configsRoot: String = Repository.configs.path,
                             base: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) throws -> ExperimentConfig {
        let root = try JSONReader(json, path: "")
        try root.allowOnly(["name", "dataset", "datasets", "store", "protocol", "training", "seeds", "tuning_seeds",
                            "max_runs", "models", "output", "notes", "checkpoints"])
        guard let name = try root.string("name"), !name.isEmpty,
              name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw ConfigError(key: "name", "expected a non-empty name of letters, digits, - and _ (it names the results folder)")
        }
        var datasetNames: [String] = []
        if let one = try root.string("dataset") { datasetNames = [one] }
        if let list = try root.array("datasets") {
            guard datasetNames.isEmpty else { throw ConfigError(key: "datasets", "give either \"dataset\" or \"datasets\", not both") }
            datasetNames = try list.enumerated().map { i, v in
                guard case let .string(s) = v, !s.isEmpty else {
                    throw ConfigError(key: "datasets[\(i)]", "expected a dataset name or a path to a descriptor, an MMRec folder or an .inter file")
                }
                return s
            }
        }
        guard !datasetNames.isEmpty, Set(datasetNames).count == datasetNames.count else {
            throw ConfigError(key: "dataset", "missing; expected a dataset name (such as \"tiktok\") or a path to a descriptor, an MMRec folder or an .inter file, or \"datasets\": a list of distinct ones")
        }
        var datasets: [(name: String, path: String)] = []
        for (i, name) in datasetNames.enumerated() {
            let reference = DatasetReference(name, base: base, configsRoot: URL(fileURLWithPath: configsRoot))
            guard reference.exists else {
                throw ConfigError(key: datasetNames.count == 1 && root.object["dataset"] != nil ? "dataset" : "datasets[\(i)]",
                                  "'\(name)': nothing at \(reference.path); expected a built-in dataset name or a path "
                                  + "(read from the config's folder) to a descriptor, an MMRec folder or an .inter file")
            }
            datasets.append((name, reference.path))
        }
        let store = try root.string("store") ?? name
        guard !store.isEmpty, store.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw ConfigError(key: "store", "expected a non-empty name of letters, digits, - and _ (it names the folder of the runs)")
        }

        // Protocol.
        var evaluation = EvaluationProtocol()
        var sampledTest: Int?
        var validMetric = MetricKey(.recall, at: 20)
        if let p = try root.child("protocol") {
            try p.allowOnly(["ranking", "candidates", "metrics", "ks", "valid_metric", "mask_valid_in_test", "sampled_test"])
            sampledTest = try p.int("sampled_test", min: 1)
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
        let tuningSeeds = try root.int("tuning_seeds", min: 1) ?? seeds.count
        guard tuningSeeds <= seeds.count else {
            throw ConfigError(key: "tuning_seeds", "\(tuningSeeds), but there are \(seeds.count) seeds; expected 1...\(seeds.count)")
        }

        // Models.
        guard let list = try root.array("models"), !list.isEmpty else {
            throw ConfigError(key: "models", "expected a non-empty list of model entries")
        }
        var models: [ModelEntry] = []
        var plannedSoFar = 0
        for (i, item) in list.enumerated() {
            let m = try JSONReader(item, path: "models[\(i)]")
            try m.allowOnly(["model", "label", "parameters", "training", "datasets", "tuned_as", "protocol"])
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
            var only: [String]?
            if let list = try m.array("datasets") {
                only = try list.enumerated().map { j, v in
                    guard case let .string(s) = v, datasetNames.contains(s) else {
                        throw ConfigError(key: m.key("datasets[\(j)]"), "expected one of the config's datasets: \(datasetNames.joined(separator: ", "))")
                    }
                    return s
                }
                guard !(only ?? []).isEmpty else { throw ConfigError(key: m.key("datasets"), "an empty list; leave the key out to run on every dataset") }
            }
            let tunedAs = try m.string("tuned_as")
            if let reference = tunedAs,
               let k = parameters.first(where: { $0.value.count > 1 }).map({ "parameters.\($0.key)" })
                   ?? trainingGrid.first(where: { $0.value.count > 1 }).map({ "training.\($0.key)" }) {
                throw ConfigError(key: m.key(k), "a grid on an entry that is tuned_as \"\(reference)\"; give one value")
            }
            var maskValidInTest: Bool?
            if let p = try m.child("protocol") {
                try p.allowOnly(["mask_valid_in_test"])
                maskValidInTest = try p.bool("mask_valid_in_test")
            }
            let entry = ModelEntry(model: type.name, label: try m.string("label") ?? type.name,
                                   parameters: parameters, training: trainingGrid, datasets: only, tunedAs: tunedAs,
                                   maskValidInTest: maskValidInTest)
            // The cap, by arithmetic on the lists' lengths before any point is
            // built, so that a huge grid is refused at once in constant memory.
            let points = entry.gridPointCount
            let perDataset = entry.tunedAs != nil ? seeds.count
                : Self.saturatingSum(Self.saturating(points, tuningSeeds), seeds.count - tuningSeeds)
            plannedSoFar = Self.saturatingSum(plannedSoFar, Self.saturating(perDataset, only?.count ?? datasetNames.count))
            if plannedSoFar > maxRuns {
                let lengths = (parameters.sorted { $0.key < $1.key }.map { ("parameters.\($0.key)", $0.value.count) }
                               + trainingGrid.sorted { $0.key < $1.key }.map { ("training.\($0.key)", $0.value.count) })
                    .filter { $0.1 > 1 }.map { "\($0.0) \($0.1)" }
                let grid = points == Int.max ? "more than \(Int.max) points" : "\(points) point\(points == 1 ? "" : "s")"
                let total = plannedSoFar == Int.max ? "more than \(Int.max)" : "\(plannedSoFar)"
                throw ConfigError(key: "models[\(i)]", "\"\(entry.label)\": its grid has \(grid)"
                                  + (lengths.isEmpty ? "" : " (\(lengths.joined(separator: " × ")))")
                                  + ", which brings the config to \(total) runs (grid points × tuning seeds, plus the other "
                                  + "seeds of the chosen point, per dataset), more than max_runs = \(maxRuns)")
            }
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
            let (first, second) = labels.indices.lazy.compactMap { j in
                labels[..<j].firstIndex(of: labels[j]).map { ($0, j) }
            }.first!
            throw ConfigError(key: "models[\(second)]", "label \"\(labels[second])\" is also models[\(first)]'s; give each entry a distinct \"label\"")
        }
        for (i, entry) in models.enumerated() {
            guard let reference = entry.tunedAs else { continue }
            let key = "models[\(i)].tuned_as"
            guard let base = models.first(where: { $0.label == reference }) else {
                throw ConfigError(key: key, "no entry is labelled \"\(reference)\"; expected one of \(labels.joined(separator: ", "))")
            }
            guard base.model == entry.model else {
                throw ConfigError(key: key, "\"\(reference)\" is a \(base.model) entry; tuned_as takes the settings of an entry of the same model")
            }
            guard base.tunedAs == nil else {
                throw ConfigError(key: key, "\"\(reference)\" is itself tuned_as another entry; name an entry with its own grid")
            }
            let missing = datasetNames.filter { entry.runs(on: $0) && !base.runs(on: $0) }
            guard missing.isEmpty else {
                throw ConfigError(key: key, "\"\(reference)\" does not run on \(missing.joined(separator: ", ")), where this entry runs")
            }
        }

        var config = ExperimentConfig(name: name, datasets: datasets, store: store, evaluationProtocol: evaluation,
                                      sampledTest: sampledTest, training: training, seeds: seeds, tuningSeeds: tuningSeeds,
                                      maxRuns: maxRuns, models: models,
                                      output: try outputSpec(root, name: name, evaluation: evaluation, valid: validMetric,
                                                             sampled: sampledTest != nil, labels: labels))
        config.checkpoints = try root.bool("checkpoints") ?? false
        let runs = config.plannedRunCount
        guard runs <= maxRuns else {
            throw ConfigError(key: "max_runs", "the grid expands to \(runs) runs (grid points × tuning seeds, plus the other seeds of the chosen point, per dataset), more than max_runs = \(maxRuns)")
        }
        return config
    }

    static func outputSpec(_ root: JSONReader, name: String, evaluation: EvaluationProtocol, valid: MetricKey,
                           sampled: Bool, labels: [String]) throws -> OutputSpec {
        let validColumn = TableColumn(metric: valid, sampled: false)
        guard let o = try root.child("output") else {
            return OutputSpec(table: name, columns: [validColumn], caption: "", improvement: true, improvementOf: nil,
                              figures: [.validation, .test], chartMetric: validColumn)
        }
        try o.allowOnly(["table", "columns", "caption", "improvement", "improvement_of", "differences",
                         "focus_differences", "figures", "chart_metric"])
        func column(_ v: JSONValue, key: String) throws -> TableColumn {
            guard case let .string(s) = v else { throw ConfigError(key: key, "expected metric@K or sampled:metric@K") }
            let c = try TableColumn(parsing: s, key: key)
            guard evaluation.metrics.contains(c.metric) else {
                throw ConfigError(key: key, "\(c.metric) is not evaluated; add its metric and K to protocol.metrics and protocol.ks")
            }
            guard !c.sampled || sampled else {
                throw ConfigError(key: key, "a sampled column, but protocol.sampled_test is not set")
            }
            return c
        }
        var columns = [validColumn]
        if let list = try o.array("columns") {
            columns = try list.enumerated().map { i, v in try column(v, key: o.key("columns[\(i)]")) }
        }
        let improvementOf = try o.string("improvement_of")
        if let label = improvementOf, !labels.contains(label) {
            throw ConfigError(key: o.key("improvement_of"), "no entry is labelled \"\(label)\"; expected one of \(labels.joined(separator: ", "))")
        }
        var figures: [Figure] = [.validation, .test]
        if let list = try o.array("figures") {
            figures = try list.enumerated().map { i, v in
                guard case let .string(s) = v, let f = Figure(rawValue: s) else {
                    throw ConfigError(key: o.key("figures[\(i)]"), "expected one of \(Figure.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return f
            }
        }
        let chart = try o.object["chart_metric"].map { try column($0, key: o.key("chart_metric")) } ?? validColumn
        return OutputSpec(table: try o.string("table") ?? name, columns: columns, caption: try o.string("caption") ?? "",
                          improvement: try o.bool("improvement") ?? true, improvementOf: improvementOf,
                          differences: try o.bool("differences") ?? false,
                          focusDifferences: try o.bool("focus_differences") ?? false, figures: figures, chartMetric: chart)
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
        case "valid_decimals":
            let range = EarlyStopping.decimalsRange
            options.validDecimals = try JSONReader.int(v, key: key, min: range.lowerBound, max: range.upperBound)
        case "negative_items":
            let expected = NegativeItems.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
            guard case let .string(text) = v else { throw ConfigError(key: key, "expected \(expected), got \(v.typeName)") }
            guard let pool = NegativeItems(rawValue: text) else {
                throw ConfigError(key: key, "got \"\(text)\"; expected \(expected)")
            }
            // "all", the default, is stored as nil: the keys of runs made before the option existed hold.
            options.negativeItems = pool == .all ? nil : pool
        default: throw ConfigError(key: key, "unknown training option; expected one of \(trainingKeys.joined(separator: ", "))")
        }
    }

    /// The datasets (name, descriptor path) `entry` runs on.
    public func datasets(of entry: ModelEntry) -> [(name: String, path: String)] {
        datasets.filter { entry.runs(on: $0.name) }
    }

    /// Number of runs once every selection is made: per dataset, each tuned
    /// entry's grid points times the tuning seeds plus the other seeds of the
    /// chosen point, and each tuned_as entry's one point times all seeds.
    public var plannedRunCount: Int {
        models.reduce(0) { total, entry in
            let tuning = entry.tunedAs != nil ? 0 : entry.gridPointCount * tuningSeeds
            return total + (tuning + finalRunCount(of: entry)) * datasets(of: entry).count
        }
    }

    /// a × b, or Int.max when that overflows (a grid too large to count).
    static func saturating(_ a: Int, _ b: Int) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int.max : product
    }

    /// a + b, or Int.max when that overflows.
    static func saturatingSum(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }

    /// Number of `entry`'s final runs on one dataset: the chosen point's
    /// seeds beyond the tuning seeds, or every seed of a tuned_as entry.
    public func finalRunCount(of entry: ModelEntry) -> Int {
        entry.tunedAs != nil ? seeds.count : seeds.count - tuningSeeds
    }
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
    /// The number of grid points, the product of the lists' lengths, without
    /// building them (Int.max when the product overflows).
    public var gridPointCount: Int {
        (parameters.values.map(\.count) + training.values.map(\.count))
            .reduce(1) { ExperimentConfig.saturating($0, $1) }
    }

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
