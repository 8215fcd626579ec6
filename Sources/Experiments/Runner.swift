import Foundation
import GraphKit
import ModelRegistry
import RecommenderCore

/// One run of the plan: a model entry, a grid point and a seed.
public struct PlannedRun: Sendable {
    public var entry: Int
    public var label: String
    public var point: GridPoint
    public var spec: RunSpec
    public var key: String { spec.key }
}

/// Trains every run of a config that has no stored result, and stores each
/// as it finishes. Safe to interrupt: finished runs are kept, and the next
/// call trains only what is missing.
public final class ExperimentRunner {
    public let config: ExperimentConfig
    public let registry: ModelRegistry
    /// Results/NAME.
    public let folder: URL
    public let descriptor: DatasetDescriptor
    let progressMode: ProgressReporter.Mode

    public init(config: ExperimentConfig, registry: ModelRegistry, resultsRoot: String = "Results",
                progress: ProgressReporter.Mode = .automatic) throws {
        self.config = config
        self.registry = registry
        folder = URL(fileURLWithPath: resultsRoot).appendingPathComponent(config.name)
        descriptor = try DatasetDescriptor.load(config.dataset)
        progressMode = progress
    }

    /// Folder of the per-run JSON files.
    public var runsFolder: URL { folder.appendingPathComponent("runs") }

    /// Creates the results folders and checks that they can be written.
    public func prepareOutput() throws {
        do {
            try FileManager.default.createDirectory(at: runsFolder, withIntermediateDirectories: true)
            let probe = runsFolder.appendingPathComponent(".write-test-\(ProcessInfo.processInfo.processIdentifier)")
            try Data().write(to: probe)
            try FileManager.default.removeItem(at: probe)
        } catch {
            throw DataError(file: folder.path, "the results folder is not writable (\(error.localizedDescription))")
        }
    }

    /// Every run of the config, in table order: entries, grid points, seeds.
    public func plan() throws -> [PlannedRun] {
        var files: [String: String] = [:]
        for path in [descriptor.interactions] + descriptor.features.values.sorted() {
            files[URL(fileURLWithPath: path).lastPathComponent] = try sha256(ofFile: path)
        }
        var runs: [PlannedRun] = []
        for (index, entry) in config.models.enumerated() {
            let type = try registry.model(named: entry.model, key: "models[\(index)].model")
            for point in entry.gridPoints() {
                let hyper = try Hyperparameters(point.parameters, specs: type.hyperparameters, model: "models[\(index)].parameters")
                var training = config.training
                for (k, v) in point.training {
                    try ExperimentConfig.apply(k, v, to: &training, key: "models[\(index)].training.\(k)")
                }
                for seed in config.seeds {
                    var candidates: Int?
                    var ranking = "full"
                    if case let .sampled(n) = config.evaluationProtocol.ranking { ranking = "sampled"; candidates = n }
                    let spec = RunSpec(codeVersion: codeVersion, dataset: descriptor.name, datasetFiles: files,
                                       model: type.name, hyperparameters: hyper.values, training: training, seed: seed,
                                       ranking: ranking, candidates: candidates,
                                       metrics: config.evaluationProtocol.metrics,
                                       maskValidInTest: config.evaluationProtocol.maskValidInTest)
                    runs.append(PlannedRun(entry: index, label: entry.label, point: point, spec: spec))
                }
            }
        }
        return runs
    }

    /// The stored record of `run`, if any.
    ///
    /// The key is the run's spec alone, so a stored run also serves an entry
    /// that was relabelled since, or a second entry with the same spec: the
    /// record comes back under the planned run's label and grid point.
    public func storedRecord(_ run: PlannedRun) -> RunRecord? {
        let url = runsFolder.appendingPathComponent("\(run.key).json")
        guard let data = try? Data(contentsOf: url),
              var record = try? JSONDecoder().decode(RunRecord.self, from: data) else { return nil }
        record.label = run.label
        record.gridPoint = run.point.summary
        return record
    }

    /// What a call to `run` did.
    public struct Summary: Sendable {
        public var trained = 0
        public var skipped = 0
        public var failed = 0
        public var interrupted = false
        public var records: [RunRecord] = []
    }

    /// Trains the missing runs. `shouldStop` is polled between epochs; when it
    /// says stop, the run in progress is dropped and the finished ones are kept.
    public func run(shouldStop: @escaping () -> Bool = { false }) throws -> Summary {
        try prepareOutput()
        let runs = try plan()
        var summary = Summary()
        var dataset: Dataset?
        var evaluator: Evaluator?
        for (n, run) in runs.enumerated() {
            if let record = storedRecord(run) {
                summary.skipped += 1
                summary.records.append(record)
                continue
            }
            if shouldStop() { summary.interrupted = true; break }
            if dataset == nil {
                dataset = try Dataset(descriptor: descriptor)
                evaluator = Evaluator(dataset: dataset!, protocol: config.evaluationProtocol)
            }
            let type = try registry.model(named: run.spec.model)
            let label = "[\(n + 1)/\(runs.count) \(run.label) \(run.point.summary) seed \(run.spec.seed)]"
            let progress = ProgressReporter(label: label, mode: progressMode)
            let result: TrainingResult
            do {
                let hyper = try Hyperparameters(run.point.parameters, specs: type.hyperparameters, model: run.label)
                let model = try type.init(dataset: dataset!, hyperparameters: hyper, seed: run.spec.seed)
                result = Trainer(dataset: dataset!, options: run.spec.training, evaluator: evaluator!)
                    .train(model, seed: run.spec.seed, progress: progress, shouldStop: shouldStop)
            } catch {
                result = .failed("\(error)")
            }
            if result.stopReason == "interrupted" { summary.interrupted = true; break }
            let record = RunRecord(key: run.key, spec: run.spec, label: run.label, gridPoint: run.point.summary,
                                   result: result, finished: ISO8601DateFormatter().string(from: Date()),
                                   host: ProcessInfo.processInfo.hostName)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(record), to: runsFolder.appendingPathComponent("\(run.key).json").path)
            summary.trained += 1
            if result.status == .failed { summary.failed += 1 }
            summary.records.append(record)
        }
        return summary
    }
}
