import Foundation
import Testing
import TestSupport

/// The walk-through on TikTok: `bench train --checkpoint`, `bench
/// evaluate` and `bench export`, then the exported files read back and every
/// metric recomputed with plain loops that share no code with the evaluator.
@Suite struct ExportTests {
    /// A float32 `.npy` file, read here without the suite's reader.
    func readNPY(_ url: URL) throws -> (rows: Int, cols: Int, values: [Float]) {
        let bytes = [UInt8](try Data(contentsOf: url))
        let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
        let shape = header.split(separator: "(")[1].split(separator: ")")[0].split(separator: ",")
            .map { Int($0.trimmingCharacters(in: .whitespaces))! }
        let start = 10 + headerLength
        var values = [Float](repeating: 0, count: shape[0] * shape[1])
        for k in values.indices {
            let b = start + 4 * k
            values[k] = Float(bitPattern: UInt32(bytes[b]) | UInt32(bytes[b + 1]) << 8 | UInt32(bytes[b + 2]) << 16 | UInt32(bytes[b + 3]) << 24)
        }
        return (shape[0], shape[1], values)
    }

    @Test func exportedListsAndVectorsGiveTheStoredTestMetrics() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let train = try runBench(["train", "--dataset", "tiktok", "--model", "GRCN", "--epochs", "3", "--checkpoint", "ck", "--quiet"], in: folder)
        #expect(train.status == 0, "\(train.stderr)")
        let evaluate = try runBench(["evaluate", "ck"], in: folder)
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        #expect(evaluate.stdout.contains("every metric equals the stored one bit for bit (15 on each split)"), "\(evaluate.stdout)")
        let export = try runBench(["export", "ck"], in: folder)
        #expect(export.status == 0, "\(export.stderr)")
        let out = folder.appendingPathComponent("ck/export")

        // The run's stored test metrics, from the checkpoint's manifest.
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("ck/checkpoint.json"))) as! [String: Any]
        let stored = (manifest["test"] as! [String: Any])["values"] as! [String: Double]
        #expect(stored.count == 15)

        // The splits, from the .inter file: x_label 0 train, 1 valid, 2 test.
        var splits = [[Int: Set<Int>]](repeating: [:], count: 3)
        let inter = try String(contentsOfFile: repositoryPath("Data/tiktok/tiktok.inter"), encoding: .utf8)
        for line in inter.split(separator: "\n").dropFirst() {
            let f = line.split(separator: "\t").map { Int($0)! }
            splits[f[2]][f[0], default: []].insert(f[1])
        }
        // The lists: MMRec's layout, a header, then a user id and 50 items per row.
        let rows = try String(contentsOf: out.appendingPathComponent("topk-test.tsv"), encoding: .utf8).split(separator: "\n")
        #expect(rows[0] == (["id"] + (0..<50).map { "top_\($0)" }).joined(separator: "\t"))
        let lists = rows.dropFirst().map { $0.split(separator: "\t").map { Int($0)! } }
        // Evaluated users: a test item and a training item.
        let evaluated = splits[2].keys.filter { splits[0][$0] != nil }.sorted()
        #expect(lists.map { $0[0] } == evaluated)

        // Every metric at K, per user, averaged over users in id order.
        var sums: [String: Double] = [:]
        for list in lists {
            let user = list[0], ranked = Array(list.dropFirst())
            let truth = splits[2][user]!
            for k in [10, 20, 50] {
                var hits = 0, dcg = 0.0, ap = 0.0
                for r in 0..<k where truth.contains(ranked[r]) {
                    hits += 1
                    dcg += 1 / log2(Double(r) + 2)
                    ap += Double(hits) / Double(r + 1)
                }
                var ideal = 0.0
                for r in 0..<min(truth.count, k) { ideal += 1 / log2(Double(r) + 2) }
                sums["recall@\(k)", default: 0] += Double(hits) / Double(truth.count)
                sums["precision@\(k)", default: 0] += Double(hits) / Double(k)
                sums["hit@\(k)", default: 0] += hits > 0 ? 1 : 0
                sums["ndcg@\(k)", default: 0] += dcg / ideal
                sums["map@\(k)", default: 0] += ap / Double(min(truth.count, k))
            }
        }
        for (metric, value) in stored {
            let mine = sums[metric]! / Double(lists.count)
            #expect(abs(mine - value) <= 1e-12, "\(metric): recomputed \(mine), stored \(value)")
        }

        // The lists are the top 50 of users · items with training and validation
        // items masked: checked for every 20th user, scores recomputed in Double.
        let users = try readNPY(out.appendingPathComponent("users.npy"))
        let items = try readNPY(out.appendingPathComponent("items.npy"))
        #expect(users.cols == items.cols && users.rows == 9308 && items.rows == 6710)
        for list in lists.enumerated().filter({ $0.offset % 20 == 0 }).map(\.element) {
            let user = list[0], ranked = Array(list.dropFirst())
            let masked = splits[0][user, default: []].union(splits[1][user, default: []])
            var scores = [Double](repeating: 0, count: items.rows)
            for i in 0..<items.rows {
                for c in 0..<users.cols {
                    scores[i] += Double(users.values[user * users.cols + c]) * Double(items.values[i * items.cols + c])
                }
            }
            let scale = scores.map(abs).max()!
            // Float rounding of the suite's sgemm against these Double sums.
            let tolerance = 1e-5 * scale
            #expect(Set(ranked).count == 50 && masked.isDisjoint(with: ranked), "user \(user)")
            for r in 1..<50 { #expect(scores[ranked[r]] <= scores[ranked[r - 1]] + tolerance, "user \(user) rank \(r)") }
            let listed = Set(ranked)
            let bestLeftOut = (0..<items.rows).filter { !listed.contains($0) && !masked.contains($0) }.map { scores[$0] }.max()!
            #expect(bestLeftOut <= scores[ranked[49]] + tolerance, "user \(user): an unlisted item scores \(bestLeftOut)")
        }
    }

    /// A checkpoint folder that holds other files is refused before training,
    /// and nothing is written; a folder without a checkpoint is bad input.
    @Test func badDestinationsAndMissingCheckpointsExit64() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(UUID())")
        let occupied = folder.appendingPathComponent("mine")
        try FileManager.default.createDirectory(at: occupied, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "notes".write(to: occupied.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let train = try runBench(["train", "--dataset", "mmgcn-toy", "--epochs", "1", "--checkpoint", "mine", "--quiet"], in: folder)
        #expect(train.status == 64)
        #expect(train.stderr.contains("mine: holds other files (notes.txt) and no checkpoint.json"), "\(train.stderr)")
        #expect(train.stdout.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["mine"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: occupied.path) == ["notes.txt"])
        for command in ["evaluate", "export"] {
            let outcome = try runBench([command, "mine"], in: folder)
            #expect(outcome.status == 64)
            #expect(outcome.stderr.contains("no checkpoint here"), "\(outcome.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: occupied.path) == ["notes.txt"])
    }
}
