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

    /// What reading the descriptor recovered from (a UTF-8 byte-order mark),
    /// one line each; `Dataset(descriptor:)` adds them to the dataset's warnings.
    public var warnings: [String] = []

    /// Reads a descriptor file. Malformed JSON is an error with its line and
    /// column; an unknown key, a wrong type, an empty path, and a path that
    /// is missing or a folder are errors naming the key and the value.
    public static func load(_ path: String) throws -> DatasetDescriptor {
        let data = try InputFile.contents(of: path, what: "dataset descriptor")
        var warnings: [String] = []
        guard case let .object(root) = try JSONValue.parse(data, file: path, warnings: &warnings) else {
            throw DataError(file: path, "expected a JSON object with keys name, interactions, features")
        }
        let known: Set<String> = ["name", "interactions", "features", "user_limit", "source", "notes"]
        for key in root.keys.sorted() where !known.contains(key) {
            throw DataError(file: path, location: "key '\(key)'",
                            "unknown key; expected one of \(known.sorted().joined(separator: ", "))")
        }
        guard case let .string(name)? = root["name"], !name.isEmpty else {
            throw DataError(file: path, location: "key 'name'",
                            "\(root["name"].map { "got \($0.typeName)" } ?? "missing"); expected a non-empty string")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        /// The file a key names, resolved from the descriptor's folder and
        /// checked to be a file that exists.
        func file(_ value: JSONValue?, key: String, what: String) throws -> String {
            guard case let .string(written)? = value else {
                throw DataError(file: path, location: "key '\(key)'",
                                "\(value.map { "got \($0.typeName)" } ?? "missing"); expected the path of the \(what) as a string")
            }
            guard !written.isEmpty else {
                throw DataError(file: path, location: "key '\(key)'", "the path is empty; expected the path of the \(what)")
            }
            let resolved = written.hasPrefix("/") ? written : folder.appendingPathComponent(written).standardizedFileURL.path
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: resolved, isDirectory: &isFolder) else {
                throw DataError(file: path, location: "key '\(key)'",
                                "'\(written)' not found (looked for \(resolved)); expected the path of the \(what), relative to the descriptor's folder")
            }
            guard !isFolder.boolValue else {
                throw DataError(file: path, location: "key '\(key)'", "'\(written)' is a folder; expected the path of the \(what)")
            }
            return resolved
        }
        let interactions = try file(root["interactions"], key: "interactions", what: ".inter file")
        var features: [Modality: String] = [:]
        if let raw = root["features"] {
            guard case let .object(table) = raw else {
                throw DataError(file: path, location: "key 'features'",
                                "got \(raw.typeName); expected an object mapping visual, acoustic or textual to .npy paths")
            }
            for key in table.keys.sorted() {
                guard let modality = Modality(rawValue: key) else {
                    throw DataError(file: path, location: "key 'features.\(key)'",
                                    "unknown modality; expected visual, acoustic or textual")
                }
                features[modality] = try file(table[key], key: "features.\(key)", what: "\(key) .npy file")
            }
        }
        var userLimit: Int?
        if let raw = root["user_limit"] {
            guard case let .int(n) = raw, n > 0, n <= Int(Int32.max) else {
                throw DataError(file: path, location: "key 'user_limit'",
                                "got \(raw); expected a positive integer (keep users 0..<N)")
            }
            userLimit = n
        }
        for key in ["source", "notes"] {
            guard let raw = root[key] else { continue }
            guard case .string = raw else {
                throw DataError(file: path, location: "key '\(key)'", "got \(raw.typeName); expected a string")
            }
        }
        var descriptor = DatasetDescriptor(name: name, interactions: interactions, features: features, userLimit: userLimit)
        descriptor.warnings = warnings
        return descriptor
    }
}
