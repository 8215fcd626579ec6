import Foundation
import Testing
import TestSupport

/// `bench run`'s exit status when it completes with a failed run: 2 after the
/// tables are written, with one line per failed run on stderr, in one process
/// and with `--jobs`; 0 for a stage, so that the next Slurm stage starts.
@Suite struct ExitStatusTests {
    /// A study folder with an MMRec folder that has interactions and no
    /// features (VBPR cannot run on it) and a config that trains LightGCN
    /// (which can) and VBPR on it for one epoch.
    func study() throws -> (root: URL, config: String) {
        let root = try temporaryFolder()
        let shop = root.appendingPathComponent("shop")
        try FileManager.default.createDirectory(at: shop, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: shop.appendingPathComponent("shop.inter").path,
                                                   withDestinationPath: repositoryPath("Data/mmgcn-toy/tiktok_toy.inter"))
        let config = """
            {"name": "failing", "datasets": ["shop"],
             "protocol": {"ks": [10], "metrics": ["recall"], "valid_metric": "recall@10"},
             "training": {"epochs": 1}, "seeds": [1], "models": [{"model": "LightGCN"}, {"model": "VBPR"}]}
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
        #expect(failures.first?.hasPrefix("bench: failed: VBPR on shop, default, seed 1 (run ") == true, "\(failures)")
        #expect(failures.first?.contains("): VBPR: dataset shop has no item features") == true, "\(failures)")
        let table = try String(contentsOf: root.appendingPathComponent("Results/failing/failing.md"), encoding: .utf8)
        #expect(table.contains("| VBPR | failed (note 1) |"), "\(table)")
        // LightGCN trained: a value (in bold, the best of its column), not a failure.
        #expect(table.contains("| LightGCN | **0.") || table.contains("| LightGCN | 0."), "\(table)")
    }

    @Test func aStageWithAFailedRunExitsZeroAndNamesIt() throws {
        let (root, config) = try study()
        defer { try? FileManager.default.removeItem(at: root) }
        let outcome = try runBench(["run", "--quiet", "--stage", "tuning", config], in: root)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("bench: failed: VBPR on shop, default, seed 1 (run "), "\(outcome.stderr)")
    }
}
