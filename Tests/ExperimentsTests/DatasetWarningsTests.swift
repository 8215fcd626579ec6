import Foundation
import Testing
import TestSupport

/// The loader's recoveries reach the person running `bench`: each is a
/// warning on stderr (once per command, whatever `--jobs`) and is recorded in
/// the run record; a data error stops `bench run` before it writes anything.
@Suite struct DatasetWarningsTests {
    /// Five users and six items, every one with training pairs, and two
    /// defects: (0, 0) twice in train, and (0, 1) in both train and test.
    static let interactions = """
        userID\titemID\tx_label
        0\t0\t0
        0\t0\t0
        0\t1\t0
        0\t2\t2
        0\t1\t2
        1\t1\t0
        1\t2\t0
        1\t3\t1
        1\t4\t2
        2\t2\t0
        2\t3\t0
        2\t5\t1
        2\t0\t2
        3\t3\t0
        3\t4\t0
        3\t1\t1
        3\t5\t2
        4\t4\t0
        4\t5\t0
        4\t0\t1
        4\t2\t2

        """
    static let expected = [
        "1 repeated (user, item) pair in train dropped; each pair is kept once",
        "1 (user, item) pair is in both train and test: kept in test, where training items are masked, so it can never be a hit and lowers every test metric",
    ]

    func study(interactions: String = Self.interactions) throws -> URL {
        let root = try temporaryFolder()
        let shop = root.appendingPathComponent("shop")
        try FileManager.default.createDirectory(at: shop, withIntermediateDirectories: true)
        try Data(interactions.utf8).write(to: shop.appendingPathComponent("shop.inter"))
        let config = """
            {"name": "warned", "datasets": ["shop"],
             "protocol": {"ks": [10], "metrics": ["recall"], "valid_metric": "recall@10"},
             "training": {"epochs": 1}, "seeds": [1], "models": [{"model": "LightGCN"}]}
            """
        try Data(config.utf8).write(to: root.appendingPathComponent("warned.json"))
        return root
    }

    func warnings(_ stderr: String) -> [String] {
        stderr.split(separator: "\n").filter { $0.hasPrefix("bench: warning: shop: ") }
            .map { String($0.dropFirst("bench: warning: shop: ".count)) }
    }

    @Test(arguments: [["run", "--brief"], ["run", "--brief", "--jobs", "2"]])
    func runWarnsOnceAndRecordsTheWarnings(_ command: [String]) throws {
        let root = try study()
        defer { try? FileManager.default.removeItem(at: root) }
        let outcome = try runBench(command + ["warned.json"], in: root)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(warnings(outcome.stderr) == Self.expected, "\(outcome.stderr)")
        let runs = root.appendingPathComponent("Results/warned/runs")
        let files = try FileManager.default.contentsOfDirectory(atPath: runs.path).filter { $0.hasSuffix(".json") }
        #expect(files.count == 1)
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: runs.appendingPathComponent(files[0]))) as? [String: Any]
        #expect(record?["datasetWarnings"] as? [String] == Self.expected, "\(String(describing: record?["datasetWarnings"]))")
    }

    @Test func trainWarns() throws {
        let root = try study()
        defer { try? FileManager.default.removeItem(at: root) }
        let outcome = try runBench(["train", "--dataset", "shop", "--model", "LightGCN", "--epochs", "1"], in: root)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(warnings(outcome.stderr) == Self.expected, "\(outcome.stderr)")
    }

    /// bench validate reads the data as bench run does: the same warnings,
    /// and "valid" only when the data is.
    @Test func validateSaysValidOnlyWhenTheDataIs() throws {
        let root = try study()
        defer { try? FileManager.default.removeItem(at: root) }
        let good = try runBench(["validate", "warned.json"], in: root)
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.hasPrefix("warned: valid\n"), "\(good.stdout)")
        #expect(warnings(good.stderr) == Self.expected, "\(good.stderr)")
        try Data(Self.interactions.replacingOccurrences(of: "3\t5\t2", with: "3\tfive\t2").utf8)
            .write(to: root.appendingPathComponent("shop/shop.inter"))
        let bad = try runBench(["validate", "warned.json"], in: root)
        #expect(bad.status == 64, "\(bad.stderr)")
        #expect(!bad.stdout.contains("valid"), "\(bad.stdout)")
        #expect(bad.stderr.contains("shop.inter, line 18: itemID 'five' is not a non-negative integer id"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("Results").path))
    }

    /// A bad line in the data: the error names it, and no results folder appears.
    @Test(arguments: [["run"], ["run", "--jobs", "2"]])
    func aDataErrorWritesNothing(_ command: [String]) throws {
        let root = try study(interactions: Self.interactions.replacingOccurrences(of: "3\t5\t2", with: "3\tfive\t2"))
        defer { try? FileManager.default.removeItem(at: root) }
        let outcome = try runBench(command + ["warned.json"], in: root)
        #expect(outcome.status == 64, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("shop.inter, line 18: itemID 'five' is not a non-negative integer id"), "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("Results").path))
    }
}
