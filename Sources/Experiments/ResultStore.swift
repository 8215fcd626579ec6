import Foundation
import RecommenderCore

/// A folder of stored runs: `STORE/runs/KEY.json`, one file per run, named by
/// the key of its spec (`Results/NAME` of a config is one). Stores made on
/// different machines, by different shards, merge file by file.
public struct ResultStore {
    /// The store's folder (it holds `runs/`).
    public let folder: URL

    public init(_ path: String) {
        folder = URL(fileURLWithPath: path)
    }

    /// The folder of the run files.
    public var runsFolder: URL { folder.appendingPathComponent("runs") }

    /// The run files' paths by key, sorted by key; an empty or missing store has none.
    public func runFiles() throws -> [(key: String, path: String)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: runsFolder.path) else { return [] }
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().map {
            (String($0.dropLast(5)), runsFolder.appendingPathComponent($0).path)
        }
    }

    /// The run in `path`, checked: valid JSON of a run record whose key is the
    /// file's name and its spec's hash.
    public static func record(at path: String) throws -> RunRecord {
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError(file: path, "cannot be read") }
        let record: RunRecord
        do {
            record = try JSONDecoder().decode(RunRecord.self, from: data)
        } catch {
            throw DataError(file: path, "not a run record (\(error))")
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        guard record.key == name, record.spec.key == name else {
            throw DataError(file: path, "names run \(name) but holds key \(record.key) with a spec that hashes to \(record.spec.key)")
        }
        return record
    }

    /// Whether two records of one key hold the same run: the same spec and the
    /// same result, epoch by epoch: losses, metrics, best epoch, status.
    /// Timings, labels, hosts and finishing times may differ.
    static func sameRun(_ a: RunRecord, _ b: RunRecord) -> Bool {
        func comparable(_ record: RunRecord) -> NSDictionary? {
            let encoder = JSONEncoder()
            guard let data = try? encoder.encode(Comparable(spec: record.spec, result: record.result)),
                  let object = try? JSONSerialization.jsonObject(with: data) else { return nil }
            return withoutTimings(object) as? NSDictionary
        }
        guard let x = comparable(a), let y = comparable(b) else { return false }
        return x.isEqual(y)
    }

    private struct Comparable: Encodable {
        let spec: RunSpec
        let result: TrainingResult
    }

    /// `object` with every key that names a duration (trainSeconds, secondsPerEpoch, …) removed, at any depth.
    private static func withoutTimings(_ object: Any) -> Any {
        if let dictionary = object as? [String: Any] {
            var out: [String: Any] = [:]
            for (key, value) in dictionary where !key.lowercased().contains("seconds") {
                out[key] = withoutTimings(value)
            }
            return out
        }
        if let array = object as? [Any] { return array.map(withoutTimings) }
        return object
    }

    /// Two files of one key that hold different runs.
    public struct Conflict: Sendable, Equatable, CustomStringConvertible {
        public let key: String
        public let kept: String
        public let incoming: String
        public var description: String {
            "run \(key): \(incoming) differs from \(kept) in its spec or metrics; kept \(kept), did not copy \(incoming)"
        }
    }

    /// What a merge did.
    public struct MergeReport: Sendable {
        /// Runs copied into the target.
        public var copied = 0
        /// Runs the target already held, identical.
        public var identical = 0
        public var conflicts: [Conflict] = []
    }

    /// Copies every run of `sources` into this store. A key the store holds
    /// already is kept once when the runs are the same, and is a conflict,
    /// reported with both files and never overwritten, when they differ.
    /// Each copy is written to a temporary file and renamed into place.
    public func merge(_ sources: [ResultStore]) throws -> MergeReport {
        try FileManager.default.createDirectory(at: runsFolder, withIntermediateDirectories: true)
        var report = MergeReport()
        var held: [String: (path: String, record: RunRecord)] = [:]
        for (key, path) in try runFiles() { held[key] = (path, try Self.record(at: path)) }
        for source in sources where source.runsFolder.standardizedFileURL != runsFolder.standardizedFileURL {
            for (key, path) in try source.runFiles() {
                let incoming = try Self.record(at: path)
                if let existing = held[key] {
                    if Self.sameRun(existing.record, incoming) {
                        report.identical += 1
                    } else {
                        report.conflicts.append(Conflict(key: key, kept: existing.path, incoming: path))
                    }
                    continue
                }
                let target = runsFolder.appendingPathComponent("\(key).json").path
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw DataError(file: path, "cannot be read")
                }
                try AtomicFile.write(data, to: target)
                held[key] = (path, incoming)
                report.copied += 1
            }
        }
        return report
    }
}
