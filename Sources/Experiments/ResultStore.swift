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
    /// file's name and its spec's hash. Without `history`, the per-epoch
    /// records and embedding projection are skipped (`RunRecord.decode`).
    public static func record(at path: String, history: Bool = true) throws -> RunRecord {
        guard let data = FileManager.default.contents(atPath: path) else { throw DataError(file: path, "cannot be read") }
        return try record(data, at: path, history: history)
    }

    /// The run in `data`, read from `path`, checked as `record(at:)` checks it.
    static func record(_ data: Data, at path: String, history: Bool) throws -> RunRecord {
        let record: RunRecord
        do {
            record = try RunRecord.decode(data, history: history)
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
    /// Timings, labels, hosts, CPUs, kernels and finishing times may differ.
    /// The per-user hits are compared only when both runs have them: a run
    /// stored before the suite kept them is the same run as its retraining.
    static func sameRun(_ a: RunRecord, _ b: RunRecord) -> Bool {
        var (x, y) = (untimed(a.result), untimed(b.result))
        if x.testHits == nil || y.testHits == nil { (x.testHits, y.testHits) = (nil, nil) }
        if x.testSampledHits == nil || y.testSampledHits == nil { (x.testSampledHits, y.testSampledHits) = (nil, nil) }
        return a.spec == b.spec && x == y
    }

    /// Keys that say how long a run took, or where, when and under which
    /// label it ran: `sameRun` ignores them, and no other field has their names.
    static let volatileKeys: Set<String> = ["trainSeconds", "evalSeconds", "seconds", "secondsPerEpoch",
                                           "secondsPerEvaluation", "totalSeconds", "host", "finished", "label", "gridPoint",
                                           "cpu", "blasKernel"]

    /// A run file's lines, less those that hold a `volatileKeys` key (a run
    /// file is written one key to a line). Two files with the same such
    /// lines hold the same run: a fast way to `sameRun`'s answer when it is
    /// yes, without decoding either file.
    static func withoutVolatileLines(_ data: Data) -> [UInt8] {
        var kept: [UInt8] = []
        kept.reserveCapacity(data.count)
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
                var i = start
                while i < end && bytes[i] == UInt8(ascii: " ") { i += 1 }
                var volatile = false
                if i < end && bytes[i] == UInt8(ascii: "\"") {
                    var close = i + 1
                    while close < end && bytes[close] != UInt8(ascii: "\"") { close += 1 }
                    if close + 2 < end && bytes[close + 1] == UInt8(ascii: " ") && bytes[close + 2] == UInt8(ascii: ":") {
                        let key = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(i + 1)..<close]), as: UTF8.self)
                        volatile = volatileKeys.contains(key)
                    }
                }
                if !volatile { kept.append(contentsOf: bytes[start..<min(end + 1, bytes.count)]) }
                start = end + 1
            }
        }
        return kept
    }

    /// `result` with every duration set to 0.
    private static func untimed(_ result: TrainingResult) -> TrainingResult {
        var r = result
        (r.secondsPerEpoch, r.secondsPerEvaluation, r.totalSeconds) = (0, 0, 0)
        r.epochs = r.epochs.map { epoch in
            var e = epoch
            (e.trainSeconds, e.evalSeconds) = (0, 0)
            return e
        }
        r.valid?.seconds = 0
        r.test?.seconds = 0
        r.testSampled?.seconds = 0
        return r
    }

    /// Two files of one key that hold different runs.
    public struct Conflict: Sendable, Equatable, CustomStringConvertible {
        public let key: String
        public let kept: String
        public let incoming: String
        /// Why they differ, where the records tell: computed on different
        /// CPUs or BLAS kernels. Nil when nothing recorded explains it.
        public var cause: String? = nil
        public var description: String {
            let why = cause.map { ": \($0)" } ?? " in its spec or metrics"
            return "run \(key): \(incoming) differs from \(kept)\(why); kept \(kept), did not copy \(incoming)"
        }
    }

    /// What explains that two runs of one spec differ: a different BLAS
    /// kernel or CPU, whose rounding gives other last digits and a training
    /// path that drifts from them. Nil when both ran on the same recorded
    /// machine kind, or either record predates the machine fields.
    static func conflictCause(_ kept: RunRecord, _ incoming: RunRecord) -> String? {
        guard kept.spec == incoming.spec, let a = kept.computedOn, let b = incoming.computedOn, a != b else { return nil }
        let what = kept.blasKernel != incoming.blasKernel ? "different BLAS kernels" : "different CPUs"
        return "the two were computed with \(what) (kept: \(a) on \(kept.host); incoming: \(b) on \(incoming.host)), "
            + "which round differently, so the same spec and seed give other last digits and a training path that drifts apart; "
            + "results are bit-identical only on one CPU and kernel"
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
    /// Every incoming file is checked first (valid, named by its spec's key),
    /// so a bad file stops the merge before anything is written. Each copy
    /// is written to a temporary file and renamed into place. The files are
    /// read, checked and copied on all the workers.
    public func merge(_ sources: [ResultStore]) throws -> MergeReport {
        try FileManager.default.createDirectory(at: runsFolder, withIntermediateDirectories: true)
        // What to do with each incoming file, decided in order: copy the first
        // file of a key the store lacks; compare any other with the file kept.
        enum Action { case copy(target: String), compare(kept: String) }
        var held: [String: String] = [:]
        for (key, path) in try runFiles() { held[key] = path }
        var copies: [String: String] = [:]  // incoming file -> its copy here
        var items: [(key: String, path: String, action: Action)] = []
        for source in sources {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: source.runsFolder.path, isDirectory: &isFolder), isFolder.boolValue else {
                throw DataError(file: source.folder.path, "not a result store: it has no runs/ folder (give the folder that holds runs/, such as Results/paper-tables)")
            }
        }
        for source in sources where source.runsFolder.standardizedFileURL != runsFolder.standardizedFileURL {
            for (key, path) in try source.runFiles() {
                if let kept = held[key] {
                    items.append((key, path, .compare(kept: kept)))
                } else {
                    let target = runsFolder.appendingPathComponent("\(key).json").path
                    items.append((key, path, .copy(target: target)))
                    copies[path] = target
                    // Later files of this key compare with this one, whose bytes the copy will hold.
                    held[key] = path
                }
            }
        }
        func read(_ path: String) throws -> Data {
            guard let data = FileManager.default.contents(atPath: path) else { throw DataError(file: path, "cannot be read") }
            return data
        }
        // Check every incoming file, then act on each.
        try forEachFile(items.count) { i in _ = try Self.record(try read(items[i].path), at: items[i].path, history: false) }
        enum Outcome { case copied, identical, conflict(cause: String?) }
        var outcomes = [Outcome?](repeating: nil, count: items.count)
        try outcomes.withUnsafeMutableBufferPointer { out in
            try forEachFile(items.count) { i in
                switch items[i].action {
                case let .copy(target):
                    try Self.place(items[i].path, at: target)
                    out[i] = .copied
                case let .compare(keptPath):
                    let data = try read(items[i].path)
                    let kept = try read(keptPath)
                    // The same bytes, or the same lines but for timings and where
                    // and when it ran, are the same run; else compare the runs themselves.
                    if kept == data || Self.withoutVolatileLines(kept) == Self.withoutVolatileLines(data) {
                        out[i] = .identical
                        return
                    }
                    let (a, b) = (try Self.record(kept, at: keptPath, history: true),
                                  try Self.record(data, at: items[i].path, history: true))
                    out[i] = Self.sameRun(a, b) ? .identical : .conflict(cause: Self.conflictCause(a, b))
                }
            }
        }
        var report = MergeReport()
        for (item, outcome) in zip(items, outcomes) {
            switch outcome {
            case .copied: report.copied += 1
            case .identical: report.identical += 1
            case let .conflict(cause):
                guard case let .compare(kept) = item.action else { continue }
                // A conflict with a file copied in this merge names the copy.
                report.conflicts.append(Conflict(key: item.key, kept: copies[kept] ?? kept, incoming: item.path, cause: cause))
            case nil:
                continue
            }
        }
        return report
    }

    /// Puts the run file `source` at `target`, atomically: a hard link made
    /// under a temporary name and renamed into place, so that no bytes are
    /// copied; where the two are on different filesystems, a copy written to
    /// a temporary file and renamed. Sharing the file is safe because run
    /// files are never changed in place: a rewrite replaces the file.
    static func place(_ source: String, at target: String) throws {
        let url = URL(fileURLWithPath: target)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp").path
        guard link(source, temporary) == 0 else {
            guard let data = FileManager.default.contents(atPath: source) else { throw DataError(file: source, "cannot be read") }
            try AtomicFile.write(data, to: target)
            return
        }
        if rename(temporary, target) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw DataError(file: target, "cannot move the merged file into place: \(reason)")
        }
    }
}
