import Foundation
import ModelRegistry
import RecommenderCore
import Testing
import TestSupport
@testable import Experiments

/// A minimal valid config over the toy dataset, as JSON text, with `extra` spliced in.
func toyConfig(name: String = "toy", models: String = #"[{"model": "LightGCN"}]"#, extra: String = "") -> String {
    """
    {"name": "\(name)", "dataset": "\(repositoryPath("Configs/datasets/mmgcn-toy.json"))",
     "protocol": {"ks": [10], "metrics": ["recall", "ndcg"], "valid_metric": "recall@10"},
     "training": {"epochs": 2}, "seeds": [1, 2], "models": \(models)\(extra)}
    """
}

func parse(_ text: String, registry: ModelRegistry = .standard) throws -> ExperimentConfig {
    try ExperimentConfig.parse(JSONValue.parse(Data(text.utf8), file: "test.json"), registry: registry)
}

/// The message of the error `body` throws, or a failure if it throws none.
func errorMessage(_ body: () throws -> Void) -> String {
    do {
        try body()
        return "no error"
    } catch {
        return "\(error)"
    }
}

@Suite struct ConfigTests {
    @Test func aListOfModalitiesIsOneValueAndAListOfListsIsAGrid() throws {
        let one = try parse(toyConfig(models: #"[{"model": "MMGCN", "parameters": {"modalities": ["visual", "acoustic"]}}]"#))
        #expect(one.models[0].gridPoints().map { $0.parameters["modalities"] } == [.list(["visual", "acoustic"])])
        let grid = try parse(toyConfig(models: #"[{"model": "MMGCN", "parameters": {"modalities": [["visual"], ["acoustic"]]}}]"#))
        #expect(grid.models[0].gridPoints().map { $0.parameters["modalities"] } == [.list(["visual"]), .list(["acoustic"])])
        // An unknown name, a repeat, or an empty list is refused with the key.
        for bad in [#"["visual", "smell"]"#, #"["visual", "visual"]"#, #"[[]]"#, "3"] {
            let message = errorMessage {
                _ = try parse(toyConfig(models: #"[{"model": "MMGCN", "parameters": {"modalities": \#(bad)}}]"#))
            }
            #expect(message.contains("modalities"), "\(bad): \(message)")
        }
        // On the command line, names separated by commas.
        let h = try Hyperparameters(["modalities": .string("acoustic,visual")], specs: [.modalities], model: "M")
        #expect(h.list("modalities") == ["acoustic", "visual"])
    }

    @Test func decodesAConfig() throws {
        let config = try parse(toyConfig(models: #"[{"model": "lightgcn", "label": "LGN", "parameters": {"n_layers": 1}}]"#))
        #expect(config.name == "toy" && config.seeds == [1, 2] && config.training.epochs == 2)
        #expect(config.models[0].model == "LightGCN" && config.models[0].label == "LGN")
        #expect(config.evaluationProtocol.metrics == [MetricKey(.recall, at: 10), MetricKey(.ndcg, at: 10)])
        #expect(config.training.validMetric == MetricKey(.recall, at: 10))
        #expect(config.output.columns == [TableColumn(metric: MetricKey(.recall, at: 10), sampled: false)])
    }

    @Test func gridIsTheCartesianProductInKeyOrder() throws {
        let config = try parse(toyConfig(models: """
            [{"model": "LightGCN", "parameters": {"reg_weight": [1e-4, 1e-3], "n_layers": [1, 2, 3]},
              "training": {"learning_rate": [0.001, 0.01]}}]
            """))
        let points = config.models[0].gridPoints()
        #expect(points.count == 12)
        #expect(config.plannedRunCount == 24)
        // n_layers varies slowest, then reg_weight, then learning_rate.
        #expect(points[0].summary == "n_layers=1 reg_weight=0.0001 learning_rate=0.001")
        #expect(points[1].summary == "n_layers=1 reg_weight=0.0001 learning_rate=0.01")
        #expect(points[2].summary == "n_layers=1 reg_weight=0.001 learning_rate=0.001")
        #expect(points[11].summary == "n_layers=3 reg_weight=0.001 learning_rate=0.01")
    }

    @Test func badInputsNameTheKey() {
        let cases: [(String, String)] = [
            (toyConfig(models: #"[{"model": "GCMC"}]"#),
             "models[0].model: unknown model 'GCMC'; known models: LightGCN, VBPR"),
            (toyConfig(models: #"[{"model": "LightGCN", "parameters": {"layers": 2}}]"#),
             "models[0].parameters.layers: unknown parameter; models[0].parameters accepts compat, embedding_size, n_layers, reg_weight"),
            (toyConfig(models: #"[{"model": "LightGCN", "parameters": {"n_layers": "two"}}]"#),
             "models[0].parameters.n_layers: got \"two\"; expected integer in 0...8"),
            (toyConfig(models: #"[{"model": "LightGCN", "training": {"negative_items": "cold"}}]"#),
             #"models[0].training.negative_items: got "cold"; expected "all" or "trained""#),
            (toyConfig(models: #"[{"model": "LightGCN", "training": {"negative_items": 1}}]"#),
             #"models[0].training.negative_items: expected "all" or "trained", got an integer"#),
            (toyConfig(models: #"[{"model": "LightGCN", "training": {"valid_decimals": 16}}]"#),
             "models[0].training.valid_decimals: 16 is out of range; expected 0 to 15"),
            (toyConfig(models: #"[{"model": "LightGCN", "protocol": {"ks": [5]}}]"#),
             "models[0].protocol.ks: unknown key"),
            (toyConfig(models: #"[{"model": "LightGCN", "parameters": {"compat": "mmrec:log2_loss"}}]"#),
             #"models[0].parameters.compat: got "mmrec:log2_loss"; expected one of "paper", "mmrec", "mmrec:emb_loss""#),
            (toyConfig(models: #"[{"model": "VBPR", "parameters": {"biases": "False"}}]"#),
             "models[0].parameters.biases: got \"False\"; expected true or false"),
            (toyConfig(models: #"[{"model": "LightGCN", "training": {"learning_rate": -0.1}}]"#),
             "models[0].training.learning_rate: -0.1 is out of range; expected a positive number"),
            (toyConfig(extra: #", "output": {"columns": ["recall@0"]}"#),
             "output.columns[0]: K = 0 in 'recall@0'; expected K ≥ 1"),
            (toyConfig(extra: #", "max_runs": 1"#),
             "models[0]: \"LightGCN\": its grid has 1 point, which brings the config to 2 runs (grid points × tuning seeds, plus the other seeds of the chosen point, per dataset), more than max_runs = 1"),
            (toyConfig(extra: #", "epochs": 3"#), "epochs: unknown key"),
            (toyConfig(models: #"[{"model": "LightGCN"}, {"model": "VBPR"}, {"model": "LightGCN"}]"#),
             #"models[2]: label "LightGCN" is also models[0]'s; give each entry a distinct "label""#),
            (#"{"name": "x", "dataset": "nowhere", "models": [{"model": "LightGCN"}]}"#,
             "dataset: 'nowhere': nothing at \(repositoryPath("Configs/datasets/nowhere.json")); expected a built-in dataset name"),
            (toyConfig().replacingOccurrences(of: #""seeds": [1, 2]"#, with: #""seeds": "1""#),
             "seeds: expected an array, got a string"),
            (toyConfig(extra: #", "tuning_seeds": 3"#), "tuning_seeds: 3, but there are 2 seeds; expected 1...2"),
            (toyConfig(extra: #", "datasets": ["tiktok"]"#), #"datasets: give either "dataset" or "datasets", not both"#),
            (toyConfig(extra: #", "store": "a/b""#), "store: expected a non-empty name of letters, digits, - and _"),
            (toyConfig(models: #"[{"model": "LightGCN", "datasets": ["tiktok"]}]"#),
             "models[0].datasets[0]: expected one of the config's datasets"),
            (toyConfig(models: #"[{"model": "LightGCN", "label": "A", "tuned_as": "B"}]"#),
             #"models[0].tuned_as: no entry is labelled "B""#),
            (toyConfig(models: #"[{"model": "LightGCN", "label": "A"}, {"model": "NGCF", "tuned_as": "A"}]"#),
             #"models[1].tuned_as: "A" is a LightGCN entry; tuned_as takes the settings of an entry of the same model"#),
            (toyConfig(models: #"[{"model": "LightGCN", "label": "A"}, {"model": "LightGCN", "label": "B", "tuned_as": "A"}, {"model": "LightGCN", "label": "C", "tuned_as": "B"}]"#),
             #"models[2].tuned_as: "B" is itself tuned_as another entry"#),
            (toyConfig(models: #"[{"model": "LightGCN", "label": "A"}, {"model": "LightGCN", "label": "B", "tuned_as": "A", "parameters": {"n_layers": [1, 2]}}]"#),
             #"models[1].parameters.n_layers: a grid on an entry that is tuned_as "A"; give one value"#),
            (toyConfig(extra: #", "output": {"columns": ["sampled:recall@10"]}"#),
             "output.columns[0]: a sampled column, but protocol.sampled_test is not set"),
            (toyConfig(extra: #", "output": {"improvement_of": "GRCN"}"#),
             #"output.improvement_of: no entry is labelled "GRCN"; expected one of LightGCN"#),
            (toyConfig(extra: #", "output": {"figures": ["pie"]}"#),
             "output.figures[0]: expected one of validation, test, embeddings"),
        ]
        for (text, expected) in cases {
            let message = errorMessage { _ = try parse(text) }
            #expect(message.contains(expected), "\(message)")
        }
    }

    /// A grid over max_runs is refused by arithmetic on its lists' lengths,
    /// naming the entry and the count, before any point is built: 10⁹ points
    /// could not be built in this process's memory, and 10²⁰ overflow Int.
    @Test func aHugeGridIsRefusedWithoutBuildingIt() throws {
        let thousand = "[" + (1...1000).map { "0.\($0)" }.joined(separator: ", ") + "]"
        let sizes = "[" + (1...1000).map(String.init).joined(separator: ", ") + "]"
        let billion = toyConfig(models: """
            [{"model": "LightGCN", "parameters": {"reg_weight": \(thousand)},
              "training": {"learning_rate": \(thousand), "batch_size": \(sizes)}}]
            """)
        let message = errorMessage { _ = try parse(billion) }
        // 1000³ points, each run with both seeds (the toy config tunes on seeds 1 and 2): 2 × 10⁹ runs.
        #expect(message.contains("models[0]: \"LightGCN\": its grid has 1000000000 points (parameters.reg_weight 1000 × "
                                 + "training.batch_size 1000 × training.learning_rate 1000), which brings the config to "
                                 + "2000000000 runs"), "\(message)")
        let tenThousand = "[" + (1...10_000).map(String.init).joined(separator: ", ") + "]"
        let overflowing = toyConfig(models: """
            [{"model": "LightGCN", "parameters": {"reg_weight": \(tenThousand), "n_layers": \(tenThousand)},
              "training": {"learning_rate": \(tenThousand), "batch_size": \(tenThousand), "epochs": \(tenThousand)}}]
            """)
        let huge = errorMessage { _ = try parse(overflowing) }
        #expect(huge.contains("its grid has more than \(Int.max) points"), "\(huge)")
        #expect(huge.contains("which brings the config to more than \(Int.max) runs"), "\(huge)")
    }

    /// Datasets, store, tuning seeds, tuned_as rows and the sampled test read as written, and the run count
    /// counts each tuned entry's grid × tuning seeds plus the chosen point's other seeds, per dataset.
    @Test func multiDatasetConfigWithTuningSeedsAndTunedAsRows() throws {
        let toy = repositoryPath("Configs/datasets/mmgcn-toy.json"), tiktok = repositoryPath("Configs/datasets/tiktok.json")
        let config = try parse("""
            {"name": "t", "datasets": ["\(toy)", "\(tiktok)"], "store": "shared", "seeds": [1, 2, 3], "tuning_seeds": 1,
             "protocol": {"ks": [10], "metrics": ["recall"], "valid_metric": "recall@10", "sampled_test": 100},
             "models": [
               {"model": "GRCN", "label": "GRCN_max", "tuned_as": "GRCN", "parameters": {"weight_mode": "max"}},
               {"model": "LightGCN", "parameters": {"reg_weight": [0.0001, 0.01]}, "training": {"learning_rate": [0.001, 0.005]},
                "datasets": ["\(toy)"]},
               {"model": "GRCN", "training": {"learning_rate": [0.001, 0.005]}}],
             "output": {"columns": ["sampled:recall@10", "recall@10"], "improvement_of": "GRCN", "figures": ["embeddings"]}}
            """)
        #expect(config.datasets.map(\.path) == [toy, tiktok])
        #expect(config.store == "shared" && config.tuningSeeds == 1 && config.sampledTest == 100)
        #expect(config.models[0].tunedAs == "GRCN" && config.models[1].datasets == [toy])
        #expect(config.output.columns == [TableColumn(metric: MetricKey(.recall, at: 10), sampled: true),
                                          TableColumn(metric: MetricKey(.recall, at: 10), sampled: false)])
        #expect(config.output.improvementOf == "GRCN" && config.output.figures == [.embeddings])
        // GRCN_max: 3 seeds × 2 datasets = 6; LightGCN: (4 points × 1 + 2) × 1 dataset = 6; GRCN: (2 × 1 + 2) × 2 = 8.
        #expect(config.plannedRunCount == 20)
        let max = config.point(of: config.models[0], tunedAt: config.models[2].gridPoints()[1])
        #expect(max.summary == #"weight_mode="max" learning_rate=0.005"#)
    }

    @Test func malformedJSONGivesLineAndColumn() {
        let text = "{\n  \"name\": \"x\",\n  \"seeds\": [1, 2,, 3]\n}"
        let message = errorMessage { _ = try JSONValue.parse(Data(text.utf8), file: "bad.json") }
        #expect(message.hasPrefix("bad.json, line 3, column"), "\(message)")
    }

    @Test func aConfigFileErrorNamesTheFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("c.json").path
        try Data(toyConfig(models: #"[{"model": "GCMC"}]"#).utf8).write(to: URL(fileURLWithPath: path))
        let message = errorMessage { _ = try ExperimentConfig.load(path, registry: .standard) }
        #expect(message.hasPrefix("\(path), key 'models[0].model': unknown model"), "\(message)")
        #expect(errorMessage { _ = try ExperimentConfig.load(folder.path + "/none.json", registry: .standard) }
            .contains("experiment config not found"))
    }
}

@Suite struct StatisticsTests {
    @Test func pairedTTestMatchesAWorkedExample() throws {
        // scipy.stats.ttest_rel([0.31, 0.29, 0.33, 0.30], [0.28, 0.27, 0.30, 0.29]):
        // t = 4.700096710803841, p = 0.018219854743222408.
        let r = try #require(pairedTTest([0.31, 0.29, 0.33, 0.30], [0.28, 0.27, 0.30, 0.29]))
        #expect(abs(r.t - 4.700096710803841) < 1e-9)
        #expect(abs(r.p - 0.018219854743222408) < 1e-9)
        // Three seeds: t = 4.325396818735169, p = 0.049513860680643326.
        let s = try #require(pairedTTest([0.0912, 0.0897, 0.0921], [0.0850, 0.0871, 0.0866]))
        #expect(abs(s.p - 0.049513860680643326) < 1e-9)
    }

    @Test func studentTailsAgainstScipy() {
        // 2 · scipy.stats.t.sf(t, ν)
        #expect(abs(studentTwoSidedP(2.5, degreesOfFreedom: 3) - 0.08770664700806556) < 1e-12)
        #expect(abs(studentTwoSidedP(1.0, degreesOfFreedom: 1) - 0.5) < 1e-12)
        #expect(abs(studentTwoSidedP(10, degreesOfFreedom: 30) - 4.575251408229618e-11) < 1e-16)
    }

    @Test func meanAndSampleStd() {
        // mean 2, sample variance ((1 + 0 + 1) / 2) = 1.
        let (m, s) = meanAndStd([1, 2, 3])
        #expect(m == 2 && s == 1)
        #expect(pairedTTest([1], [0]) == nil)
    }
}

/// `bench run --set key=value`: a variant of a config, its own table folder,
/// the original's store, and runs keyed by the settings they train with.
@Suite struct ConfigOverrideTests {
    @Test func setReplacesTrainingOptionsAndHyperparametersWhereTheyApply() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("toy.json").path
        try Data(toyConfig(models: """
            [{"model": "LightGCN", "training": {"learning_rate": [0.001, 0.01]}}, {"model": "ItemBias"}, {"model": "MostPopular"}]
            """).utf8).write(to: URL(fileURLWithPath: path))
        let registry = ModelRegistry(models: ModelRegistry.standard.models + [ItemBiasModel.self])
        let original = try ExperimentConfig.load(path, registry: registry)
        let overrides = try ["learning_rate=0.005", "n_layers=3"].map { try ConfigOverride(parsing: $0) }
        let variant = try ExperimentConfig.load(path, registry: registry, overrides: overrides)
        #expect(variant.name == "toy-learning_rate_0_005-n_layers_3")
        #expect(variant.store == "toy" && variant.output.table == variant.name)
        // The grid over learning_rate is replaced; n_layers reaches LightGCN only (ItemBias and MostPopular have none).
        #expect(variant.models[0].training["learning_rate"] == [.double(0.005)])
        #expect(variant.models[0].parameters["n_layers"] == [.int(3)])
        #expect(variant.models[1].training["learning_rate"] == [.double(0.005)] && variant.models[1].parameters["n_layers"] == nil)
        #expect(variant.plannedRunCount == 6 && original.plannedRunCount == 8)
        #expect(variant.models[2].training.isEmpty)
        // Every trained run of the variant has a key of its own; most popular, which trains nothing, keeps its runs.
        let keys = { (config: ExperimentConfig, label: String) in
            try ExperimentRunner(config: config, registry: registry, resultsRoot: folder.path).knownRuns()
                .filter { $0.run.label == label }.map(\.run.key)
        }
        for label in ["LightGCN", "ItemBias"] {
            #expect(Set(try keys(original, label)).isDisjoint(with: try keys(variant, label)))
        }
        #expect(try keys(original, "MostPopular") == keys(variant, "MostPopular"))
    }

    @Test func aSettingNoEntryHasIsAnErrorNamingIt() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("toy.json").path
        try Data(toyConfig().utf8).write(to: URL(fileURLWithPath: path))
        let message = errorMessage {
            _ = try ExperimentConfig.load(path, registry: .standard, overrides: [try ConfigOverride(parsing: "heads=2")])
        }
        #expect(message.contains("key '--set heads': neither a training option"), "\(message)")
        #expect(errorMessage { _ = try ConfigOverride(parsing: "epochs") }.contains("'epochs' is not key=value"))
        let epochs = errorMessage {
            _ = try ExperimentConfig.load(path, registry: .standard, overrides: [try ConfigOverride(parsing: "epochs=0")])
        }
        #expect(epochs.contains("models[0].training.epochs"), "\(epochs)")
    }
}

@Suite struct JobClockTests {
    /// Two runs done in 30 s and 90 s: 60 s a run, so two left take about 2 minutes.
    @Test func theTimeLeftIsTheMeanRunTimesTheRunsLeft() {
        var clock = JobClock(total: 4)
        #expect(clock.note == " (job: run 1 of 4 to train)")
        clock.finished(seconds: 30)
        clock.finished(seconds: 90)
        #expect(clock.note == " (job: run 3 of 4 to train, about 2m0s left at 1m0s a run)")
    }
}
