import Foundation
import Testing
import TestSupport
@testable import Experiments

/// `bench run --jobs 2`: two processes sharing each stage's runs train the
/// same runs, bit for bit, as one process, and write the same table.
@Suite struct LocalJobsTests {
    @Test func twoProcessesTrainTheRunsOneProcessTrains() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = """
            {"name": "jobs", "dataset": "\(repositoryPath("Configs/datasets/mmgcn-toy.json"))",
             "protocol": {"ks": [10], "metrics": ["recall", "ndcg"], "valid_metric": "recall@10"},
             "training": {"epochs": 3}, "seeds": [1, 2, 3], "tuning_seeds": 1,
             "models": [{"model": "LightGCN", "parameters": {"reg_weight": [0, 0.01, 0.1]}}, {"model": "VBPR"},
                        {"model": "MostPopular"}]}
            """
        try Data(config.utf8).write(to: folder.appendingPathComponent("jobs.json"))
        let one = try runBench(["run", "--quiet", "jobs.json", "--results", "one"], in: folder)
        let two = try runBench(["run", "--brief", "--jobs", "2", "jobs.json", "--results", "two"], in: folder)
        #expect(one.status == 0 && two.status == 0, "\(one.stderr)\n\(two.stderr)")
        // 3 LightGCN points and VBPR and most popular with seed 1, then seeds 2 and 3 of each chosen point.
        #expect(one.stdout.hasPrefix("jobs: trained 11, reused 0, failed 0\n"), "\(one.stdout)")
        #expect(two.stdout.hasPrefix("jobs: trained 11, reused 0, failed 0 (2 processes)\n"), "\(two.stdout)")
        // The processes share each stage's runs, one line per run; the parent counts the job's runs as they land.
        let lines = two.stderr.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("[mmgcn-toy ") }.count == 11, "\(two.stderr)")
        #expect(lines.filter { $0.hasPrefix("bench: jobs: ") && $0.contains(" of 11 runs trained in ") }.count >= 2
                && lines.contains { $0.hasPrefix("bench: jobs: 11 of 11 runs trained in ") }, "\(two.stderr)")
        let (a, b) = (ResultStore(folder.appendingPathComponent("one/jobs").path),
                      ResultStore(folder.appendingPathComponent("two/jobs").path))
        let (filesA, filesB) = (try a.runFiles(), try b.runFiles())
        #expect(filesA.map(\.key) == filesB.map(\.key) && filesA.count == 11)
        for (x, y) in zip(filesA, filesB) {
            #expect(ResultStore.sameRun(try ResultStore.record(at: x.path), try ResultStore.record(at: y.path)), "\(x.key)")
        }
        let rows = { (name: String) in
            try String(contentsOf: folder.appendingPathComponent("\(name)/jobs/jobs.md"), encoding: .utf8)
                .split(separator: "\n").filter { $0.hasPrefix("|") || $0.hasPrefix("- LightGCN") }
        }
        #expect(try rows("one") == rows("two"))
        let refused = try runBench(["run", "--jobs", "2", "--stage", "tuning", "jobs.json", "--results", "two"], in: folder)
        #expect(refused.status != 0 && refused.stderr.contains("--jobs runs every shard and stage itself"), "\(refused.stderr)")
    }
}
