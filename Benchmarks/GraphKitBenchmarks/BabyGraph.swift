import Foundation
import GraphKit
import RecommenderCore

/// The training graph of Amazon Baby (Configs/datasets/baby.json), read once
/// through the recommendation core's loader.
enum BabyGraph {
    /// The package root, found from this file's path so the benchmark runs from any folder.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Training pairs (x_label 0) of Data/baby/baby.inter as a bipartite graph.
    static let graph: BipartiteGraph = {
        let path = packageRoot.appendingPathComponent("Configs/datasets/baby.json").path
        do {
            return try Dataset(descriptor: DatasetDescriptor.load(path)).graph
        } catch {
            fatalError("benchmark: \(error)")
        }
    }()
}
