import DualGNN
import Foundation
import GRCN
import LightGCN
import MMGCN
import ModelRegistry
import Testing
import TestSupport
import VBPR
@testable import Experiments
@testable import RecommenderCore

/// The mmrec-bugs table (Configs/tables/mmrec-bugs.json): it prices every one
/// of MMRec's behaviours, and it runs end to end.
@Suite struct MMRecBugsTableTests {
    let path = repositoryPath("Configs/tables/mmrec-bugs.json")

    /// Every behaviour a model lists under `compat` has its row, tuned as the
    /// paper-correct model and switching on that behaviour alone.
    @Test func everyMMRecBehaviourHasItsRow() throws {
        let config = try ExperimentConfig.load(path, registry: .standard, configsRoot: repositoryPath("Configs"))
        let behaviours: [(String, [String])] = [
            (LightGCNModel.name, LightGCNModel.MMRecBehaviour.allCases.map(\.rawValue)),
            (VBPRModel.name, VBPRModel.MMRecBehaviour.allCases.map(\.rawValue)),
            (MMGCNModel.name, MMGCNModel.MMRecBehaviour.allCases.map(\.rawValue)),
            (GRCNModel.name, GRCNMMRecBehaviour.allCases.map(\.rawValue)),
            (DualGNNModel.name, DualGNNMMRecBehaviour.allCases.map(\.rawValue)),
        ]
        for (model, names) in behaviours {
            #expect(config.models.contains { $0.model == model && $0.label == model && $0.tunedAs == nil },
                    "\(model): no paper-correct row")
            for name in names {
                let rows = config.models.filter {
                    $0.model == model && $0.parameters["compat"] == [.string("mmrec:\(name)")]
                }
                #expect(rows.count == 1 && rows.first?.tunedAs == model, "\(model): no row for \(name)")
            }
            // Negatives from trained items: a training setting, whose price depends on the model.
            #expect(config.models.contains { $0.model == model && $0.training["negative_items"] == [.string("trained")] })
        }
        // Validation items unmasked at test: a setting of the protocol, priced once, on both datasets.
        let unmasked = config.models.filter { $0.maskValidInTest == false }
        #expect(unmasked.map(\.model) == [LightGCNModel.name] && unmasked[0].datasets == nil)
        // Early stopping on the metric rounded to 4 decimals: a training setting, priced once, on both datasets.
        let rounded = config.models.filter { $0.training["valid_decimals"] != nil }
        #expect(rounded.map(\.model) == [LightGCNModel.name] && rounded[0].datasets == nil)
        #expect(rounded.first?.training["valid_decimals"] == [.int(4)] && rounded.first?.tunedAs == LightGCNModel.name)
        #expect(config.models.contains { $0.model == MostPopularModel.name })
        #expect(config.output.differences)
    }

    /// The config on the toy data, one epoch and one grid point per model: every
    /// row trains, each behaviour row runs at its reference's point with its
    /// one change, and the table shows each row's difference to its reference.
    @Test func endToEndOnTheToyData() throws {
        var json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        json["datasets"] = [repositoryPath("Configs/datasets/mmgcn-toy.json")]
        json["store"] = "bugs"
        json["training"] = ["epochs": 1, "batch_size": 1024, "patience": 5]
        json["protocol"] = ["metrics": ["recall", "ndcg"], "ks": [20], "valid_metric": "recall@20"]
        var models = try #require(json["models"] as? [[String: Any]])
        for k in models.indices { models[k]["datasets"] = nil }
        for k in models.indices where models[k]["tuned_as"] == nil && models[k]["parameters"] != nil {
            models[k]["parameters"] = ["reg_weight": 0.0001]
            models[k]["training"] = ["learning_rate": 0.005]
        }
        json["models"] = models
        let config = try ExperimentConfig.parse(JSONValue.parse(JSONSerialization.data(withJSONObject: json), file: "bugs.json"),
                                                registry: .standard)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let runner = try ExperimentRunner(config: config, registry: .standard, resultsRoot: folder.path, progress: .quiet)
        let summary = try runner.run()
        #expect(summary.failed == 0 && summary.trained == config.models.count * 3)
        for entry in config.models {
            let records = summary.records.filter { $0.label == entry.label }
            #expect(records.map(\.spec.seed).sorted() == [1, 2, 3], "\(entry.label)")
            guard let reference = entry.tunedAs else { continue }
            let base = try #require(summary.records.first { $0.label == reference && $0.spec.seed == 1 })
            for record in records {
                // The reference's point, with exactly the row's change.
                #expect(record.spec.training.learningRate == base.spec.training.learningRate)
                var expected = base.spec.hyperparameters
                for (k, v) in entry.parameters { expected[k] = v[0] }
                #expect(record.spec.hyperparameters == expected, "\(entry.label)")
                #expect(record.spec.training.negativeItems == (entry.training["negative_items"] == nil ? nil : .trained))
                #expect(record.spec.maskValidInTest == (entry.maskValidInTest ?? true))
                #expect(record.spec.training.validDecimals == (entry.training["valid_decimals"] == nil ? nil : 4))
            }
        }
        let tables = ResultTables(config: config, records: summary.records, datasets: [("mmgcn-toy", "toy")])
        let md = tables.markdown()
        for entry in config.models where entry.tunedAs != nil {
            let line = try #require(md.split(separator: "\n").first { $0.hasPrefix("| \(entry.label) † |") }, "\(entry.label)")
            #expect(line.contains(", p ") || line.contains("identical in every seed"), "\(line)")
        }
        #expect(md.contains("In parentheses: the row's mean against the row it is tuned as"))
    }
}
