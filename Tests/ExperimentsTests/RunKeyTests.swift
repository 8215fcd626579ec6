import Foundation
import ModelRegistry
import Testing
import TestSupport
@testable import Experiments
@testable import RecommenderCore

/// The run key identifies what ran: keys the model treats differently when
/// given (`Recommender.keysThatMatterWhenGiven`), a model's revision, and the
/// settings it actually ran with in the record.
@Suite struct RunKeyTests {
    func runner(_ models: String, in folder: URL) throws -> ExperimentRunner {
        let config = try parse("""
            {"name": "keys", "dataset": "\(repositoryPath("Configs/datasets/mmgcn-toy.json"))",
             "protocol": {"ks": [10], "metrics": ["recall"], "valid_metric": "recall@10"},
             "training": {"epochs": 2}, "seeds": [1], "models": \(models)}
            """)
        return try ExperimentRunner(config: config, registry: .standard, resultsRoot: folder.path, progress: .quiet)
    }

    /// Under compat "mmrec" GRCN with `pruning: "soft"` given is an error,
    /// and without it runs MMRec's hard pruning. The resolved values are the
    /// same, so before the key covered the given keys the two shared one
    /// run, and whichever ran first served the other.
    @Test func aGivenSettingThatContradictsCompatHasItsOwnKeyAndTheRecordSaysWhatRan() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let runner = try runner("""
            [{"model": "GRCN", "label": "given", "parameters": {"compat": "mmrec", "pruning": "soft"}},
             {"model": "GRCN", "label": "left out", "parameters": {"compat": "mmrec"}}]
            """, in: folder)
        let plan = try runner.plan()
        let given = try #require(plan.first { $0.label == "given" })
        let leftOut = try #require(plan.first { $0.label == "left out" })
        #expect(given.spec.hyperparameters == leftOut.spec.hyperparameters)
        #expect(given.spec.givenAtDefault == ["pruning"] && leftOut.spec.givenAtDefault == nil)
        #expect(given.key != leftOut.key)

        let summary = try runner.run()
        #expect(summary.trained == 2 && summary.failed == 1)
        let failed = try #require(summary.records.first { $0.label == "given" })
        let ran = try #require(summary.records.first { $0.label == "left out" })
        #expect(failed.result.status == .failed && failed.result.failure?.contains("GRCN.pruning") == true)
        #expect(ran.result.status == .finished)
        // Resolved "soft", ran hard; and the toy data has no textual features.
        #expect(ran.settingsRun == ["pruning": .string("hard"), "modalities": .list(["visual", "acoustic"])])
        #expect(ran.spec.hyperparameters["pruning"] == .string("soft"))

        // The stored failure, put under the valid run's key by hand, is not
        // taken for it: its spec is not the planned one.
        let runs = runner.runsFolder
        try FileManager.default.removeItem(at: runs.appendingPathComponent("\(leftOut.key).json"))
        try FileManager.default.copyItem(at: runs.appendingPathComponent("\(given.key).json"),
                                         to: runs.appendingPathComponent("\(leftOut.key).json"))
        #expect(runner.storedRecord(leftOut) == nil)
        #expect(runner.storedRecord(given)?.result.status == .failed)
    }

    /// A `modalities` list given with the default value names textual, which
    /// the toy data lacks: an error, where the default runs with visual and
    /// acoustic. Two keys, and only the given one fails.
    @Test func aModalityListGivenAtItsDefaultIsNotTheDefault() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let runner = try runner("""
            [{"model": "MMGCN", "label": "all three", "parameters": {"modalities": ["visual", "acoustic", "textual"]}},
             {"model": "MMGCN", "label": "default"}]
            """, in: folder)
        let plan = try runner.plan()
        #expect(Set(plan.map(\.key)).count == 2)
        #expect(plan.map(\.spec.givenAtDefault) == [["modalities"], nil])
        let summary = try runner.run()
        let allThree = try #require(summary.records.first { $0.label == "all three" })
        let byDefault = try #require(summary.records.first { $0.label == "default" })
        #expect(allThree.result.status == .failed && allThree.result.failure?.contains("no textual features") == true)
        #expect(byDefault.result.status == .finished)
        #expect(byDefault.settingsRun == ["modalities": .list(["visual", "acoustic"])])
    }

    /// A given setting at its default where nothing hinges on it being given
    /// (paper-mode MMGCN's `n_layers: 2`, as mmgcn-table4 gives it) keeps the
    /// key of the spec that leaves it out, so stored runs are not trained again.
    @Test func aGivenDefaultThatChangesNothingKeepsTheKey() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = try runner("""
            [{"model": "MMGCN", "label": "given", "parameters": {"n_layers": 2}}, {"model": "MMGCN", "label": "left out"}]
            """, in: folder).plan()
        #expect(plan.count == 2 && plan[0].key == plan[1].key && plan[0].spec.givenAtDefault == nil)
    }

    /// GAT, GraphSAGE and DisenGCN with `features: true` are at revision 1
    /// (their L2 term now reads the featured item rows); without features, and
    /// NGCF (whose term always did), they keep revision 0 and their keys.
    @Test func aModelRevisionTouchesOnlyTheSettingsItChanged() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let plan = try runner("""
            [{"model": "GAT", "label": "GAT-f", "parameters": {"features": true}}, {"model": "GAT"},
             {"model": "GraphSAGE", "label": "SAGE-f", "parameters": {"features": true}},
             {"model": "DisenGCN", "label": "Disen-f", "parameters": {"features": true}},
             {"model": "NGCF", "label": "NGCF-f", "parameters": {"features": true}}]
            """, in: folder).plan()
        #expect(plan.map(\.spec.modelRevision) == [1, nil, 1, 1, nil])
    }

    /// Every committed run's key is the hash of its spec as this code encodes
    /// it: the fields added since (absent when nil) leave old keys alone.
    @Test func committedRunsKeepTheirKeys() throws {
        let runs = URL(fileURLWithPath: repositoryPath("Results/paper-tables/runs"))
        let files = try FileManager.default.contentsOfDirectory(atPath: runs.path).filter { $0.hasSuffix(".json") }.sorted()
        #expect(files.count > 300)
        for file in files {
            let record = try RunRecord.decode(Data(contentsOf: runs.appendingPathComponent(file)), history: false)
            #expect(record.spec.key == record.key && "\(record.key).json" == file, "\(file)")
        }
    }
}
