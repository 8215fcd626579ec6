import Foundation
import GraphKit
import RecommenderCore

/// What `bench export` writes beside the representations and lists, as
/// `export.json`: how to score, which files hold what, and the metrics the
/// lists give.
public struct ExportManifest: Codable, Sendable {
    /// The checkpoint's run key.
    public var key: String
    public var model: String
    public var dataset: String
    /// How a user's score for an item is computed from `users` and `items`:
    /// always "dot" (y_ui = users[u] · items[i]) for the suite's models.
    public var scoring: String
    /// U × d, row u the user with id u of the `.inter` file.
    public var users: String
    /// I × d, row i the item with id i.
    public var items: String
    /// The top-K file: MMRec's layout, a header `id top_0 … top_{K-1}` and one
    /// tab-separated row per evaluated user, best item first; −1 pads a list
    /// that masking left shorter than K.
    public var recommendations: String
    /// The split the lists rank for ("test" or "valid").
    public var split: String
    public var k: Int
    /// The interactions removed from each user's ranking: "train", and "valid" when testing with it masked.
    public var masked: [String]
    /// Users with held-out items in the split and training items: the rows of the list.
    public var evaluatedUsers: Int
    /// The metrics computed from these lists, which equal the run's stored ones.
    public var metrics: [MetricKey: Double]
}

extension RestoredCheckpoint {
    /// Whether `folder` may receive an export: absent, empty, or an older
    /// export (which is replaced); checked before anything is computed.
    public static func checkExportDestination(_ folder: URL) throws {
        try AtomicFolder.checkDestination(folder, what: "export", marker: "export.json")
    }

    /// Writes the model's final representations and its top-`k` lists on
    /// `split` to `folder` (whole or not at all): `users.npy`, `items.npy`,
    /// `topk-SPLIT.tsv` and `export.json`. The lists are the evaluator's own
    /// rankings, so their metrics are the run's.
    @discardableResult
    public func export(to folder: URL, k: Int, split: Split) throws -> ExportManifest {
        precondition(k > 0 && split != .train, "export: k must be positive and the split valid or test")
        let scorer = try model.makeScorer()
        guard let representations = scorer.representations else {
            throw DataError(file: checkpoint.folder.path, "\(checkpoint.manifest.spec.model)'s scorer has no user and item vectors to export")
        }
        if case .sampled = evaluator.evaluationProtocol.ranking {
            throw DataError(file: checkpoint.folder.path, "the run ranks sampled candidates, not every item; export writes full-ranking lists only")
        }
        let (result, detail) = try evaluator.evaluateInDetail(scorer, on: split, listLength: k)
        let masksValid = split == .test && evaluator.evaluationProtocol.maskValidInTest
        let manifest = ExportManifest(
            key: checkpoint.manifest.key, model: checkpoint.manifest.spec.model, dataset: dataset.name,
            scoring: "dot", users: "users.npy", items: "items.npy", recommendations: "topk-\(split.name).tsv",
            split: split.name, k: k, masked: masksValid ? ["train", "valid"] : ["train"],
            evaluatedUsers: result.evaluatedUsers, metrics: result.values)
        try AtomicFolder.write(folder, what: "export") { temporary in
            try NumpyArray.encode(representations.users).write(to: temporary.appendingPathComponent(manifest.users))
            try NumpyArray.encode(representations.items).write(to: temporary.appendingPathComponent(manifest.items))
            var tsv = "id\t" + (0..<k).map { "top_\($0)" }.joined(separator: "\t") + "\n"
            for (position, user) in detail.users.enumerated() {
                let start = position * detail.listLength
                let row = detail.lists[start..<(start + k)]
                tsv += "\(user)\t" + row.map(String.init).joined(separator: "\t") + "\n"
            }
            try Data(tsv.utf8).write(to: temporary.appendingPathComponent(manifest.recommendations))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(manifest).write(to: temporary.appendingPathComponent("export.json"))
        }
        return manifest
    }
}
