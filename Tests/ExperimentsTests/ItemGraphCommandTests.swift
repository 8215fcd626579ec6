import Foundation
import GraphKit
import RecommenderCore
import Testing
import TestSupport

/// `bench item-graph` through the executable: the graph it writes for numpy
/// is GraphKit's, read back here; bad input is refused by name with nothing written.
@Suite struct ItemGraphCommandTests {
    func scratch() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("item-graph-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// The int32 `.npy` the command writes, read by hand: the header's dtype
    /// and shape, then the values.
    func readInt32(_ url: URL) throws -> (shape: String, values: [Int32]) {
        let data = try Data(contentsOf: url)
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        let header = String(decoding: data[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.contains("'descr': '<i4'"))
        let shape = String(header[header.range(of: "(")!.lowerBound...header.range(of: ")")!.lowerBound])
        let payload = data[(10 + headerLength)...]
        var values: [Int32] = []
        for i in stride(from: payload.startIndex, to: payload.endIndex, by: 4) {
            var word: UInt32 = 0
            for b in 0..<4 { word |= UInt32(payload[i + b]) << (8 * UInt32(b)) }
            values.append(Int32(bitPattern: word))
        }
        return (shape, values)
    }

    @Test func writesTikToksVisualGraphAsGraphKitBuildsIt() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let features = repositoryPath("Data/tiktok/image_feat.npy")
        let outcome = try runBench(["item-graph", features, "--k", "5", "--to", "graph"], in: folder)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("6710 items × 128 features: 5 neighbours each (self included)"))
        #expect(outcome.stdout.contains("peak memory"))
        let (shape, neighbours) = try readInt32(folder.appendingPathComponent("graph/neighbours.npy"))
        #expect(shape == "(6710, 5)")
        let expected = try NearestNeighbours(features: NumpyArray.loadMatrix(features), k: 5)
        #expect(neighbours == expected.neighbours)
        let similarities = try NumpyArray.parseFloat32(Data(contentsOf: folder.appendingPathComponent("graph/similarities.npy")),
                                                       file: "similarities.npy")
        #expect(similarities.scalars == expected.similarities)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("graph/item-graph.json"))) as! [String: Any]
        #expect(summary["k"] as? Int == 5 && summary["items"] as? Int == 6710 && summary["self_included"] as? Bool == true)
    }

    @Test func badInputIsRefusedWithNothingWritten() throws {
        let folder = try scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let features = repositoryPath("Data/tiktok/image_feat.npy")
        let zeroK = try runBench(["item-graph", features, "--k", "0", "--to", "graph"], in: folder)
        #expect(zeroK.status == 64 && zeroK.stderr.contains("--k") && zeroK.stderr.contains("got 0"))
        let missing = try runBench(["item-graph", "nowhere.npy", "--to", "graph"], in: folder)
        #expect(missing.status == 64 && missing.stderr.contains("nowhere.npy"))
        try Data("x".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        let occupied = try runBench(["item-graph", features, "--to", "."], in: folder)
        #expect(occupied.status == 64 && occupied.stderr.contains("holds other files"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["notes.txt"])
    }
}
