import Foundation
import Testing
import TestSupport

/// `bench` from a folder outside the repository: built-in names, MMRec
/// folders and configs stored elsewhere mean the same as from the repository.
@Suite struct BenchFromAnywhereTests {
    @Test func trainReadsBuiltInNamesAndMMRecFoldersFromAnyFolder() throws {
        let elsewhere = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: elsewhere) }
        let named = try runBench(["train", "--dataset", "tiktok", "--model", "MostPopular"], in: elsewhere)
        #expect(named.status == 0, "\(named.stderr)")
        #expect(named.stdout.hasPrefix("MostPopular on tiktok, seed 2024:"), "\(named.stdout)")
        let folder = try runBench(["train", "--dataset", repositoryPath("Data/tiktok"), "--model", "VBPR", "--epochs", "2"],
                                  in: elsewhere)
        #expect(folder.status == 0, "\(folder.stderr)")
        #expect(folder.stderr.contains("bench: tiktok: MMRec folder \(repositoryPath("Data/tiktok")): interactions tiktok.inter; "
                                       + "visual image_feat.npy, acoustic audio_feat.npy"), "\(folder.stderr)")
        #expect(folder.stdout.hasPrefix("VBPR on tiktok, seed 2024:"), "\(folder.stdout)")
        // Nothing but the checkpoints bench train keeps by default.
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere.path) == ["checkpoints"])
        let kept = try FileManager.default.contentsOfDirectory(atPath: elsewhere.appendingPathComponent("checkpoints").path)
        #expect(kept.count == 2 && kept.allSatisfy { $0.hasPrefix("MostPopular-tiktok-") || $0.hasPrefix("VBPR-tiktok-") }, "\(kept)")
    }

    /// A config outside the repository: a dataset path read from the config's
    /// folder (an MMRec folder), a built-in name, and the results written beside
    /// the config, not in the working directory.
    @Test func runTakesAConfigStoredOutsideTheRepository() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let (study, shop, cwd) = (root.appendingPathComponent("study"), root.appendingPathComponent("shop"),
                                  root.appendingPathComponent("cwd"))
        for folder in [study, shop, cwd] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        for (name, target) in [("shop.inter", "Data/mmgcn-toy/tiktok_toy.inter"), ("image_feat.npy", "Data/mmgcn-toy/v_feat.npy")] {
            try FileManager.default.createSymbolicLink(atPath: shop.appendingPathComponent(name).path,
                                                       withDestinationPath: repositoryPath(target))
        }
        let config = """
            {"name": "outside", "datasets": ["../shop", "mmgcn-toy"],
             "protocol": {"ks": [10], "metrics": ["recall"], "valid_metric": "recall@10"},
             "training": {"epochs": 1}, "seeds": [1], "models": [{"model": "LightGCN"}]}
            """
        try Data(config.utf8).write(to: study.appendingPathComponent("outside.json"))
        let outcome = try runBench(["run", "--brief", "../study/outside.json"], in: cwd)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("bench: shop: MMRec folder"), "\(outcome.stderr)")
        let table = study.appendingPathComponent("Results/outside/outside.md")
        let text = try String(contentsOf: table, encoding: .utf8)
        #expect(text.contains("shop") && text.contains("mmgcn-toy"))
        let runs = try FileManager.default.contentsOfDirectory(atPath: study.appendingPathComponent("Results/outside/runs").path)
        #expect(runs.filter { $0.hasSuffix(".json") }.count == 2, "\(runs)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: cwd.path).isEmpty)
    }

    /// A validation metric at a K outside the default 10, 20 and 50 is
    /// evaluated and decides the early stop (it stopped on a precondition).
    @Test func trainStopsOnAValidationMetricAtAnyK() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let outcome = try runBench(["train", "--dataset", "mmgcn-toy", "--model", "LightGCN", "--epochs", "2",
                                    "--valid-metric", "recall@5", "--output", "result.json"], in: root)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("most-popular valid recall@5 "), "\(outcome.stderr)")
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("result.json"))) as? [String: Any]
        let epochs = try #require(record?["epochs"] as? [[String: Any]])
        #expect(epochs.count == 2)
        for epoch in epochs {
            let valid = try #require(epoch["valid"] as? [String: Any])
            #expect(valid["recall@5"] != nil && valid["recall@20"] != nil, "\(valid.keys.sorted())")
        }
    }

    @Test func splitCreatesItsOutputFolder() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        // A header line, then 10 interactions for each of 3 users: 1 valid, 1 test, 8 train each.
        let raw = "user\titem\n" + (0..<3).flatMap { u in (0..<10).map { i in "u\(u)\ti\(i)" } }.joined(separator: "\n") + "\n"
        try Data(raw.utf8).write(to: root.appendingPathComponent("raw.tsv"))
        let outcome = try runBench(["split", "raw.tsv", "new/deeper/mine.inter"], in: root)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.hasPrefix("new/deeper/mine.inter: 3 users, 10 items; train 24, valid 3, test 3"), "\(outcome.stdout)")
        for name in ["mine.inter", "u_id_mapping.tsv", "i_id_mapping.tsv"] {
            #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("new/deeper/\(name)").path))
        }
    }
}
