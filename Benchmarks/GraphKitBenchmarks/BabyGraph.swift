import Foundation
import GraphKit

/// The training graph of Amazon Baby (Data/baby/baby.inter), read once.
enum BabyGraph {
    /// The package root, found from this file's path so the benchmark runs from any folder.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Training pairs (x_label 0) of Data/baby/baby.inter as a bipartite graph.
    static let graph: BipartiteGraph = {
        let path = packageRoot.appendingPathComponent("Data/baby/baby.inter").path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            fatalError("benchmark: cannot read \(path); run from a checkout that has Data/baby")
        }
        var users: [Int32] = [], items: [Int32] = []
        var userCount = 0, itemCount = 0
        for (n, line) in text.split(separator: "\n").enumerated().dropFirst() {
            let fields = line.split(separator: "\t")
            guard fields.count >= 3, let u = Int32(fields[0]), let i = Int32(fields[1]), let label = Int(fields[2]) else {
                fatalError("benchmark: \(path) line \(n + 1) is not 'userID itemID x_label'")
            }
            userCount = max(userCount, Int(u) + 1)
            itemCount = max(itemCount, Int(i) + 1)
            if label == 0 { users.append(u); items.append(i) }
        }
        do {
            return try BipartiteGraph(userCount: userCount, itemCount: itemCount, users: users, items: items)
        } catch {
            fatalError("benchmark: \(path): \(error)")
        }
    }()
}
