import Foundation
import Testing
import TestSupport

/// `bench run`'s exit status when it completes with a failed run: 2 after the
/// tables are written, with one line per failed run on stderr, in one process
/// and with `--jobs`; 0 for a stage, so that the next Slurm stage starts. A
/// setting the data cannot serve is bad input instead: 64, nothing written.
@Suite struct ExitStatusTests {
    /// A study folder with an MMRec folder that has interactions and no
    /// features, and a config that trains LightGCN on it for two epochs, once
    /// as it is and once ("Diverging") at a learning rate of 1e30, where the
    /// first batch's Adam step (about the learning rate per entry) sends the
    /// embeddings past 1e29, the next scores overflow Float and the loss is
    /// not finite. `extra` adds entries to the models list.
    func study(extra: String = "") throws -> (root: URL, config: String) {
        let root = try temporaryFolder()
        let shop = root.appendingPathComponent("shop")
        try FileManager.default.createDirectory(at: shop, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: shop.appendingPathComponent("shop.inter").path,
                                                   withDestinationPath: repositoryPath("Data/mmgcn-toy/tiktok_toy.inter"))
        let config = """
            {"name": "failing", "datasets": ["shop"],
             "protocol": {"ks": [10], "metrics": ["recall"], "valid_metric": "recall@10"},
             "training": {"epochs": 2, "batch_size": 256}, "seeds": [1],
             "models": [{"model": "LightGCN"},
                        {"model": "LightGCN", "label": "Diverging", "training": {"learning_rate": 1e30}}\(extra)]}
            """
        try Data(config.utf8).write(to: root.appendingPathComponent("failing.json"))
        return (root, "failing.json")
    }

    @Test(arguments: [["run", "--brief"], ["run", "--brief", "--jobs", "2"]])
    func aFailedRunGivesStatusTwoAfterTheTables(_ command: [String]) throws {
        let (root, config) = try study()
        defer { try? FileManager.default.removeItem(at: root) }
        let outcome = try runBench(command + [config], in: root)
        #expect(outcome.status == 2, "\(outcome.stderr)")
        let failures = outcome.stderr.split(separator: "\n").filter { $0.hasPrefix("bench: failed: ") }
        #expect(failures.count == 1, "\(outcome.stderr)")
        #expect(failures.first?.hasPrefix("bench: failed: Diverging on shop, ") == true, "\(failures)")
        #expect(failures.first?.contains("seed 1 (run ") == true && failures.first?.contains("loss") == true, "\(failures)")
        let table = try String(contentsOf: root.appendingPathComponent("Results/failing/failing.md"), encoding: .utf8)
        #expect(table.contains("| Diverging | failed (note 1) |"), "\(table)")
        // LightGCN trained: a value (in bold, the best of its column), not a failure.
        #expect(table.contains("| LightGCN | **0.") || table.contains("| LightGCN | 0."), "\(table)")
    }

    /// VBPR on data without features is known before training: bench run
    /// refuses it as bench validate does, naming the entry, and writes nothing.
    @Test func aModelTheDataCannotServeIsBadInputForRunAndValidateAlike() throws {
        let (root, config) = try study(extra: #", {"model": "VBPR"}"#)
        defer { try? FileManager.default.removeItem(at: root) }
        for command in [["validate"], ["run", "--brief"], ["run", "--brief", "--jobs", "2"]] {
            let outcome = try runBench(command + [config], in: root)
            #expect(outcome.status == 64, "\(command): \(outcome.stderr)")
            #expect(outcome.stderr.contains("failing.json, key 'models[2]': VBPR at default on dataset shop: VBPR: dataset shop has no item features"),
                    "\(command): \(outcome.stderr)")
            #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("Results").path), "\(command)")
        }
    }

    @Test func aStageWithAFailedRunExitsZeroAndNamesIt() throws {
        let (root, config) = try study()
        defer { try? FileManager.default.removeItem(at: root) }
        let outcome = try runBench(["run", "--quiet", "--stage", "tuning", config], in: root)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("bench: failed: Diverging on shop, "), "\(outcome.stderr)")
    }
}
