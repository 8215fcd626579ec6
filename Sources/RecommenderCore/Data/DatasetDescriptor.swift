import Foundation

/// A content modality of item features.
public enum Modality: String, CaseIterable, Sendable, Codable, Comparable {
    case visual, acoustic, textual

    public static func < (a: Modality, b: Modality) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// Where a dataset's files are: `Configs/datasets/NAME.json`.
///
/// ```json
/// { "name": "tiktok",
///   "interactions": "../../Data/tiktok/tiktok.inter",
///   "features": { "visual": "../../Data/tiktok/image_feat.npy",
///                 "acoustic": "../../Data/tiktok/audio_feat.npy" } }
/// ```
/// Relative paths are read from the descriptor's own folder.
public struct DatasetDescriptor: Sendable, Equatable {
    /// The dataset's name, used in tables.
    public var name: String
    /// Absolute path of the `.inter` file.
    public var interactions: String
    /// Absolute path of each modality's `.npy` feature file.
    public var features: [Modality: String]
    /// When set (JSON key `user_limit`), only users 0..<userLimit are kept,
    /// with the items they interact with in any split, re-indexed densely in
    /// id order, and those items' feature rows: a fixed user sample of a
    /// dataset too large for a time budget.
    public var userLimit: Int?

    /// A descriptor from its parts (paths as given).
    public init(name: String, interactions: String, features: [Modality: String] = [:], userLimit: Int? = nil) {
        self.name = name
        self.interactions = interactions
        self.features = features
        self.userLimit = userLimit
    }

    /// Reads a descriptor file; unknown keys and wrong types are errors.
    public static func load(_ path: String) throws -> DatasetDescriptor {
        let data = try InputFile.contents(of: path, what: "dataset descriptor")
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw DataError(file: path, "malformed JSON: \(error.localizedDescription)")
        }
        guard let root = object as? [String: Any] else {
            throw DataError(file: path, "expected a JSON object with keys name, interactions, features")
        }
        let known: Set<String> = ["name", "interactions", "features", "user_limit", "source", "notes"]
        for key in root.keys where !known.contains(key) {
            throw DataError(file: path, location: "key '\(key)'",
                            "unknown key; expected one of \(known.sorted().joined(separator: ", "))")
        }
        guard let name = root["name"] as? String, !name.isEmpty else {
            throw DataError(file: path, location: "key 'name'", "expected a non-empty string")
        }
        guard let interactions = root["interactions"] as? String else {
            throw DataError(file: path, location: "key 'interactions'", "expected the path of the .inter file as a string")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        func resolve(_ p: String) -> String {
            p.hasPrefix("/") ? p : folder.appendingPathComponent(p).standardizedFileURL.path
        }
        var features: [Modality: String] = [:]
        if let raw = root["features"] {
            guard let table = raw as? [String: Any] else {
                throw DataError(file: path, location: "key 'features'",
                                "expected an object mapping visual, acoustic or textual to .npy paths")
            }
            for (key, value) in table {
                guard let modality = Modality(rawValue: key) else {
                    throw DataError(file: path, location: "key 'features.\(key)'",
                                    "unknown modality; expected visual, acoustic or textual")
                }
                guard let file = value as? String else {
                    throw DataError(file: path, location: "key 'features.\(key)'", "expected a path string")
                }
                features[modality] = resolve(file)
            }
        }
        var userLimit: Int?
        if let raw = root["user_limit"] {
            guard let n = raw as? Int, !(raw is Bool), n > 0 else {
                throw DataError(file: path, location: "key 'user_limit'", "expected a positive integer (keep users 0..<N)")
            }
            userLimit = n
        }
        return DatasetDescriptor(name: name, interactions: resolve(interactions), features: features, userLimit: userLimit)
    }
}
