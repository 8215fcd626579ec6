import Foundation
import GraphKit
import ModelRegistry
import RecommenderCore

/// One run of the plan: a model entry, a dataset, a grid point and a seed.
public struct PlannedRun: Sendable {
    /// Which selection stage a run belongs to.
    public enum Stage: String, Sendable {
        /// A grid point with a tuning seed: its validation metric takes part in the choice.
        case tuning
        /// A seed of the chosen point beyond the tuning seeds, or a run of a tuned_as entry.
        case final
    }

    public var entry: Int
    public var label: String
    /// The dataset's descriptor name.
    public var dataset: String
    public var point: GridPoint
    public let spec: RunSpec
    public var stage: Stage
    /// The spec's key, worked out once.
    public let key: String

    public init(entry: Int, label: String, dataset: String, point: GridPoint, spec: RunSpec, stage: Stage) {
        (self.entry, self.label, self.dataset, self.point, self.spec, self.stage) = (entry, label, dataset, point, spec, stage)
        key = spec.key
    }
}

/// Trains every run of a config that has no stored result, and stores each
/// as it finishes. Per dataset it first runs every grid point with the tuning
/// seeds, chooses each row's point on validation, then runs the chosen
/// point's other seeds and the tuned_as rows. Safe to interrupt: finished
/// runs are kept, and the next call trains only what is missing.
public final class ExperimentRunner {
    public let config: ExperimentConfig
    public let registry: ModelRegistry
    /// Results/NAME: the tables and figures.
    public let folder: URL
    /// Results/STORE: the runs.
    public let storeFolder: URL
    /// Each dataset's descriptor, in config order.
    public let descriptors: [DatasetDescriptor]
    /// For each dataset given as an MMRec folder or `.inter` file, what was found in its folder.
    public let datasetReports: [String]
    let progressMode: ProgressReporter.Mode
    private var fileHashes: [String: [String: String]] = [:]
    /// The whole job's progress, for a call that trains every stage of every run.
    var clock: JobClock?
    /// Each dataset, loaded on first use or by `loadDatasets()`.
    var sessions: [DatasetSession]

    public init(config: ExperimentConfig, registry: ModelRegistry, resultsRoot: String = "Results",
                progress: ProgressReporter.Mode = .automatic) throws {
        self.config = config
        self.registry = registry
        folder = URL(fileURLWithPath: resultsRoot).appendingPathComponent(config.name)
        storeFolder = URL(fileURLWithPath: resultsRoot).appendingPathComponent(config.store)
        let located = try config.datasets.map { try DatasetDescriptor.locate($0.path) }
        descriptors = located.map { $0.descriptor }
        datasetReports = located.compactMap { $0.found }
        progressMode = progress
        sessions = descriptors.map { DatasetSession(descriptor: $0, config: config) }
    }

    /// Loads and checks every dataset of the config now, before anything is
    /// written, in the config's order (each one's `warnings` are the
    /// recoveries its loader made). `run` then trains on the loaded data.
    public func loadDatasets() throws -> [Dataset] {
        try sessions.indices.map { d in try sessions[d].load().dataset }
    }

    /// The descriptor names of the config's datasets, in order.
    public var datasetNames: [String] { descriptors.map(\.name) }

    /// Folder of the per-run JSON files.
    public var runsFolder: URL { storeFolder.appendingPathComponent("runs") }

    /// Creates the results folders and checks that they can be written.
    public func prepareOutput() throws {
        for (target, path) in [(runsFolder, storeFolder.path), (folder, folder.path)] {
            // A file where a folder of the path should be: say so, by name.
            var probe = target
            while probe.path != "/" {
                var isFolder: ObjCBool = false
                if FileManager.default.fileExists(atPath: probe.path, isDirectory: &isFolder) {
                    if !isFolder.boolValue {
                        throw DataError(file: probe.path, "is a file, where the results need a folder")
                    }
                    break
                }
                probe.deleteLastPathComponent()
            }
            do {
                try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
                let probe = target.appendingPathComponent(".write-test-\(UUID().uuidString)")
                try Data().write(to: probe)
                try FileManager.default.removeItem(at: probe)
            } catch {
                throw DataError(file: path, "the results folder is not writable (\(error.localizedDescription))")
            }
        }
    }

    /// SHA-256 of each file a descriptor names, by file name.
    func hashes(_ descriptor: DatasetDescriptor) throws -> [String: String] {
        if let known = fileHashes[descriptor.name] { return known }
        let files = try RunSpec.fileHashes(descriptor)
        fileHashes[descriptor.name] = files
        return files
    }

    /// The run of entry `index` at `point` with `seed` on dataset `d` (config order).
    func plannedRun(entry index: Int, point: GridPoint, seed: UInt64, dataset d: Int,
                    stage: PlannedRun.Stage) throws -> PlannedRun {
        let entry = config.models[index]
        let type = try registry.model(named: entry.model, key: "models[\(index)].model")
        let hyper = try Hyperparameters(point.parameters, specs: type.hyperparameters, model: "models[\(index)].parameters")
        var training = config.training
        for (k, v) in point.training {
            try ExperimentConfig.apply(k, v, to: &training, key: "models[\(index)].training.\(k)")
        }
        let descriptor = descriptors[d]
        var evaluation = config.evaluationProtocol
        evaluation.maskValidInTest = entry.maskValidInTest ?? evaluation.maskValidInTest
        let spec = RunSpec(model: type, hyperparameters: hyper, training: training, seed: seed,
                           dataset: descriptor.name, datasetFiles: try hashes(descriptor),
                           evaluation: evaluation, sampledTest: config.sampledTest)
        return PlannedRun(entry: index, label: entry.label, dataset: descriptor.name, point: point, spec: spec, stage: stage)
    }

    /// Dataset `d`'s tuning runs: every grid point of every entry with its
    /// own grid, with the tuning seeds, in table order.
    public func tuningRuns(dataset d: Int) throws -> [PlannedRun] {
        var runs: [PlannedRun] = []
        for (index, entry) in config.models.enumerated()
        where entry.tunedAs == nil && entry.runs(on: config.datasets[d].name) {
            for point in entry.gridPoints() {
                for seed in config.seeds.prefix(config.tuningSeeds) {
                    runs.append(try plannedRun(entry: index, point: point, seed: seed, dataset: d, stage: .tuning))
                }
            }
        }
        return runs
    }

    /// Dataset `d`'s final runs that the stored tuning runs decide: the
    /// chosen point's other seeds, and every seed of the tuned_as entries
    /// whose reference is chosen. Entries still being tuned give none.
    public func finalRuns(dataset d: Int, records: [RunRecord]) throws -> [PlannedRun] {
        let rows = selectOnValidation(config: config, datasets: datasetNames, records: records)
        var chosen: [String: GridPoint] = [:]
        for row in rows where row.dataset == datasetNames[d] {
            guard let selected = row.selected, let entry = config.models.first(where: { $0.label == row.label }),
                  entry.tunedAs == nil,
                  let point = entry.gridPoints().first(where: { $0.summary == selected.gridPoint }) else { continue }
            chosen[row.label] = point
        }
        var runs: [PlannedRun] = []
        for (index, entry) in config.models.enumerated()
        where entry.runs(on: config.datasets[d].name) {
            if let reference = entry.tunedAs {
                guard let base = chosen[reference] else { continue }
                for seed in config.seeds {
                    runs.append(try plannedRun(entry: index, point: config.point(of: entry, tunedAt: base), seed: seed,
                                               dataset: d, stage: .final))
                }
            } else if let point = chosen[entry.label] {
                for seed in config.seeds.dropFirst(config.tuningSeeds) {
                    runs.append(try plannedRun(entry: index, point: point, seed: seed, dataset: d, stage: .final))
                }
            }
        }
        return runs
    }

    /// How many of dataset `d`'s final runs wait on those of its `tuning`
    /// runs that `records` lack: the final runs of entries still being tuned,
    /// and of the tuned_as entries that refer to them. (An entry whose tuning
    /// runs all failed has no final runs to wait for.)
    public func undecidedFinalRuns(dataset d: Int, tuning: [PlannedRun], records: [RunRecord]) -> Int {
        let held = Set(records.map(\.key))
        let waiting = Set(tuning.filter { !held.contains($0.key) }.map(\.label))
        return config.models.filter { entry in
            entry.runs(on: config.datasets[d].name) && waiting.contains(entry.tunedAs ?? entry.label)
        }.reduce(0) { $0 + config.finalRunCount(of: $1) }
    }

    /// Every run known now, in table order per dataset, each with its stored
    /// record if it has one: the tuning runs, and the final runs that the
    /// stored tuning runs decide. Each run file is read once. Without
    /// `history`, the records lack their per-epoch history and embedding
    /// projection (see `RunRecord.decode`).
    public func knownRuns(history: Bool = true) throws -> [(run: PlannedRun, record: RunRecord?)] {
        try knownRunsByDataset(history: history).flatMap(\.runs)
    }

    /// `knownRuns` per dataset, with the number of final runs still undecided.
    public func knownRunsByDataset(history: Bool = true) throws
        -> [(runs: [(run: PlannedRun, record: RunRecord?)], undecided: Int)] {
        try descriptors.indices.map { d in
            let tuningRuns = try tuningRuns(dataset: d)
            let tuning = Array(zip(tuningRuns, storedRecords(of: tuningRuns, history: history))).map { (run: $0, record: $1) }
            let records = tuning.compactMap(\.record)
            let finalRuns = try finalRuns(dataset: d, records: records)
            let finals = Array(zip(finalRuns, storedRecords(of: finalRuns, history: history))).map { (run: $0, record: $1) }
            return (tuning + finals, undecidedFinalRuns(dataset: d, tuning: tuningRuns, records: records))
        }
    }

    /// The stored record of each of `runs`, read on all the workers.
    func storedRecords(of runs: [PlannedRun], history: Bool) -> [RunRecord?] {
        var records = [RunRecord?](repeating: nil, count: runs.count)
        records.withUnsafeMutableBufferPointer { out in
            forEachFile(runs.count) { i in out[i] = storedRecord(runs[i], history: history) }
        }
        return records
    }

    /// Every run known now (see `knownRuns`).
    public func plan() throws -> [PlannedRun] {
        try knownRuns().map(\.run)
    }

    /// The stored records of every run known now.
    public func storedRecords() throws -> [RunRecord] {
        try knownRuns().compactMap(\.record)
    }

    /// The stored record of `run`, if any.
    ///
    /// The key is the run's spec alone, so a stored run also serves an entry
    /// that was relabelled since, a second entry with the same spec, or
    /// another config sharing the store: the record comes back under the
    /// planned run's label and grid point.
    public func storedRecord(_ run: PlannedRun, history: Bool = true) -> RunRecord? {
        let url = runsFolder.appendingPathComponent("\(run.key).json")
        // A record under the key whose spec is not the planned one (a file
        // copied or edited by hand) is never taken for it. The comparison is
        // of keys, as JSON reads 0.0 back as the integer 0.
        guard let data = try? Data(contentsOf: url),
              var record = try? RunRecord.decode(data, history: history),
              record.spec.key == run.key else { return nil }
        record.label = run.label
        record.gridPoint = run.point.summary
        return record
    }

    /// What a call to `run` did.
    public struct Summary: Sendable {
        public var trained = 0
        public var skipped = 0
        public var failed = 0
        /// Runs that another process on the store trained while this call waited (see `RunClaim`).
        public var byOthers = 0
        public var interrupted = false
        /// Final runs not run because tuning runs are not all stored yet
        /// (another shard's, still running). A shard runs a dataset's final
        /// runs only once all of them are decided.
        public var undecided = 0
        /// The records to render: those of the runs this call reached, and after
        /// an interruption every stored run of the config, the ones it did not
        /// reach included, so that tables written at a stop are as complete as
        /// the store (what `storedRecords()` gives).
        public var records: [RunRecord] = []
    }

    /// Trains the missing runs. `shouldStop` is polled between epochs; when it
    /// says stop, the run in progress is dropped and the finished ones are kept.
    ///
    /// With a `shard`, only that shard's tuning runs and final runs are
    /// trained or read (see `Shard`); the final runs are those that the stored
    /// tuning runs of every shard decide. With a `stage`, only that stage's runs.
    public func run(shard: Shard? = nil, stage: PlannedRun.Stage? = nil,
                    shouldStop: @escaping () -> Bool = { false }) throws -> Summary {
        try prepareOutput()
        RunClaim.sweep(runsFolder)
        var summary = Summary()
        // The whole config in this process: it keeps the clock, waits for runs
        // that other processes hold, and gathers every tuning record itself.
        let whole = shard == nil && stage == nil
        if whole {
            let stored = try knownRuns(history: false).filter { $0.record != nil }.count
            clock = JobClock(total: max(0, config.plannedRunCount - stored))
        } else {
            clock = nil
        }
        let part = { (runs: [PlannedRun]) in shard.map { $0.runs(of: runs) } ?? runs }
        for d in descriptors.indices {
            var session = sessions[d]
            defer { sessions[d] = session }
            let tuning = try tuningRuns(dataset: d)
            if stage != .final {
                try train(part(tuning), wait: whole, in: &session, summary: &summary, shouldStop: shouldStop)
                if summary.interrupted { break }
            }
            if stage == .tuning { continue }
            // Every shard's tuning runs, as stored now; without a shard, the
            // records gathered so far hold them all.
            let records = whole ? summary.records
                : storedRecords(of: tuning, history: false).compactMap { $0 }
            let waiting = undecidedFinalRuns(dataset: d, tuning: tuning, records: records)
            let finals = try finalRuns(dataset: d, records: records)
            if shard != nil && waiting > 0 {
                // Shards cut only the complete list of final runs, so that each
                // has one shard whenever the shards run.
                summary.undecided += waiting + finals.count
                continue
            }
            summary.undecided += waiting
            try train(part(finals), wait: whole, in: &session, summary: &summary, shouldStop: shouldStop)
            if summary.interrupted { break }
        }
        if summary.interrupted && shard == nil { summary.records = try storedRecords() }
        return summary
    }

    /// The dataset, evaluators and embedding-study users of one dataset, loaded on first use.
    struct DatasetSession {
        let descriptor: DatasetDescriptor
        let config: ExperimentConfig
        var loaded: (dataset: Dataset, evaluator: Evaluator, sampled: Evaluator?, embeddingUsers: [Int32])?

        init(descriptor: DatasetDescriptor, config: ExperimentConfig) {
            self.descriptor = descriptor
            self.config = config
        }

        mutating func load() throws -> (dataset: Dataset, evaluator: Evaluator, sampled: Evaluator?, embeddingUsers: [Int32]) {
            if let loaded { return loaded }
            let dataset = try Dataset(descriptor: descriptor)
            let evaluator = Evaluator(dataset: dataset, protocol: config.evaluationProtocol)
            let sampled = config.sampledTest.map { n -> Evaluator in
                var p = config.evaluationProtocol
                p.ranking = .sampled(candidates: n)
                return Evaluator(dataset: dataset, protocol: p)
            }
            let value = (dataset, evaluator, sampled, EmbeddingStudy.sampleUsers(dataset))
            loaded = value
            return value
        }
    }

    /// Trains `runs` in order, skipping the stored ones. A run that another
    /// process on the store is training (it holds the run's `RunClaim`) is
    /// left to it. With `wait`, such runs are then waited for: the result is
    /// read once stored, and the run is trained here if that process dies
    /// first, so that every run is trained once and the caller has every
    /// result (a whole `bench run` needs them to choose its final runs; a
    /// stage or a shard leaves that to whoever runs the next stage).
    func train(_ runs: [PlannedRun], wait: Bool, in session: inout DatasetSession, summary: inout Summary,
               shouldStop: @escaping () -> Bool) throws {
        var pending: [(n: Int, run: PlannedRun)] = []
        for (n, run) in runs.enumerated() {
            if try !train(run, n: n, of: runs.count, waited: false, in: &session, summary: &summary, shouldStop: shouldStop) {
                pending.append((n, run))
            }
            if summary.interrupted { return }
        }
        while wait && !pending.isEmpty {
            if shouldStop() { summary.interrupted = true; return }
            usleep(250_000)
            var left: [(n: Int, run: PlannedRun)] = []
            for (n, run) in pending {
                if try !train(run, n: n, of: runs.count, waited: true, in: &session, summary: &summary, shouldStop: shouldStop) {
                    left.append((n, run))
                }
                if summary.interrupted { return }
            }
            pending = left
        }
    }

    /// Trains run `n` of `count` unless it is stored; false when another
    /// process holds its claim. A stored run found after `waited` for it
    /// counts as trained by another process, else as reused.
    func train(_ run: PlannedRun, n: Int, of count: Int, waited: Bool, in session: inout DatasetSession,
               summary: inout Summary, replacing: Bool = false, shouldStop: @escaping () -> Bool) throws -> Bool {
        func reuse(_ record: RunRecord) {
            if waited { summary.byOthers += 1 } else { summary.skipped += 1 }
            summary.records.append(record)
        }
        if !replacing, let record = storedRecord(run) {
            reuse(record)
            return true
        }
        if shouldStop() { summary.interrupted = true; return true }
        guard let claim = try RunClaim.acquire(key: run.key, in: runsFolder) else { return false }
        defer { claim.release() }
        // Stored by another process between the look above and the claim.
        if !replacing, let record = storedRecord(run) {
            reuse(record)
            return true
        }
        let data = try session.load()
        let type = try registry.model(named: run.spec.model)
        let label = "[\(run.dataset) \(run.stage.rawValue) \(n + 1)/\(count) \(run.label) \(run.point.summary) seed \(run.spec.seed)]"
        let progress = ProgressReporter(label: label + (clock?.note ?? ""), mode: progressMode)
        let result: TrainingResult
        var settingsRun: [String: HyperparameterValue] = [:]
        var trained: Recommender?
        do {
            let hyper = try Hyperparameters(run.point.parameters, specs: type.hyperparameters, model: run.label)
            let model = try type.init(dataset: data.dataset, hyperparameters: hyper, seed: run.spec.seed)
            trained = model
            settingsRun = model.settingsRun
            // An entry may mask validation items at test differently from the protocol.
            func masking(_ evaluator: Evaluator) -> Evaluator {
                guard evaluator.evaluationProtocol.maskValidInTest != run.spec.maskValidInTest else { return evaluator }
                var p = evaluator.evaluationProtocol
                p.maskValidInTest = run.spec.maskValidInTest
                return Evaluator(dataset: data.dataset, protocol: p)
            }
            result = Trainer(dataset: data.dataset, options: run.spec.training, evaluator: masking(data.evaluator),
                             sampledTest: data.sampled.map(masking), embeddingUsers: data.embeddingUsers)
                .train(model, seed: run.spec.seed, progress: progress, shouldStop: shouldStop)
        } catch {
            result = .failed("\(error)")
        }
        if result.stopReason == "interrupted" { summary.interrupted = true; return true }
        let record = RunRecord(key: run.key, spec: run.spec, label: run.label, gridPoint: run.point.summary,
                               result: result, finished: ISO8601DateFormatter().string(from: Date()),
                               host: ProcessInfo.processInfo.hostName, cpu: MachineReport.current.cpuModel,
                               blasKernel: MachineReport.current.blasKernel,
                               datasetWarnings: data.dataset.warnings.isEmpty ? nil : data.dataset.warnings,
                               settingsRun: settingsRun.isEmpty ? nil : settingsRun)
        // The checkpoint first: a stored record means the run is done, checkpoint included.
        if config.checkpoints, let trained, result.status == .finished {
            try saveCheckpoint(of: trained, run: run, record: record, evaluator: data.evaluator)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(record), to: runsFolder.appendingPathComponent("\(run.key).json").path)
        summary.trained += 1
        clock?.finished(seconds: result.totalSeconds)
        if result.status == .failed { summary.failed += 1 }
        summary.records.append(record)
        return true
    }
}
