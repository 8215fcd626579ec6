import Benchmark
import Experiments
import Foundation
import ModelRegistry
import RecommenderCore

// `bench plan` and `bench merge` on a store of 10,000 run files. The files are
// generated: the 10,000 grid points of a LightGCN grid on mmgcn-toy, each
// stored with the result of a real run of the paper tables (a 30 KB record
// with per-epoch validation metrics and an embedding projection), so the
// files are as large as real ones. They are made once, under
// .build/benchmark-fixtures/, and reused. Run with `make benchmarks`.

/// The package root, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Where the generated stores are kept between runs.
let fixtures = packageRoot.appendingPathComponent(".build/benchmark-fixtures/store-10k-code\(codeVersion)")

/// A config with 100 × 100 grid points, one tuning seed, and a second seed
/// for the chosen point: 10,000 tuning runs and one final run.
func gridConfig(results: URL) throws -> ExperimentConfig {
    let values = (1...100).map { "\(Double($0) * 1e-4)" }.joined(separator: ", ")
    let text = """
        {"name": "store-10k", "dataset": "\(packageRoot.path)/Configs/datasets/mmgcn-toy.json",
         "protocol": {"ks": [10, 20], "metrics": ["precision", "recall", "ndcg"], "valid_metric": "recall@20"},
         "seeds": [1, 2], "tuning_seeds": 1, "max_runs": 10001,
         "models": [{"model": "LightGCN", "parameters": {"reg_weight": [\(values)]},
                     "training": {"learning_rate": [\(values)]}}]}
        """
    let path = results.appendingPathComponent("store-10k.json").path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return try ExperimentConfig.load(path, registry: .standard, configsRoot: packageRoot.appendingPathComponent("Configs").path)
}

/// A stored run of the paper tables whose file is the median size, as the template result.
func templateRecord() throws -> RunRecord {
    let store = ResultStore(packageRoot.appendingPathComponent("Results/paper-tables").path)
    let files = try store.runFiles().map { ($0.path, try FileManager.default.attributesOfItem(atPath: $0.path)[.size] as! Int) }
    let median = files.sorted { $0.1 < $1.1 }[files.count / 2].0
    return try ResultStore.record(at: median)
}

/// Writes one run file per tuning run of `runner`'s config, as `bench run` writes them.
func generateStore(_ runner: ExperimentRunner, template: RunRecord) throws -> Int {
    try runner.prepareOutput()
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    let runs = try runner.tuningRuns(dataset: 0)
    for (n, run) in runs.enumerated() {
        var record = template
        (record.key, record.spec, record.label, record.gridPoint) = (run.key, run.spec, run.label, run.point.summary)
        // Distinct validation values, so that one point is chosen.
        record.result.valid?.values[MetricKey(.recall, at: 20)] = Double(n) * 1e-6
        try encoder.encode(record).write(to: runner.runsFolder.appendingPathComponent("\(run.key).json"))
    }
    return runs.count
}

/// The 10,000-run store, and a copy of it as another host would have made
/// it (the same runs, another host name), generated on first use.
struct Fixture {
    let runner: ExperimentRunner
    let store: ResultStore
    let otherHost: ResultStore

    init() throws {
        let done = fixtures.appendingPathComponent("complete")
        try FileManager.default.createDirectory(at: fixtures, withIntermediateDirectories: true)
        runner = try ExperimentRunner(config: try gridConfig(results: fixtures), registry: .standard,
                                      resultsRoot: fixtures.path, progress: .quiet)
        store = ResultStore(runner.storeFolder.path)
        otherHost = ResultStore(fixtures.appendingPathComponent("other-host").path)
        guard !FileManager.default.fileExists(atPath: done.path) else { return }
        let count = try generateStore(runner, template: try templateRecord())
        precondition(count == 10_000, "expected 10,000 runs, planned \(count)")
        try FileManager.default.createDirectory(at: otherHost.runsFolder, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        for file in try store.runFiles() {
            var record = try ResultStore.record(at: file.path)
            record.host = "node-7"
            try encoder.encode(record).write(to: otherHost.runsFolder.appendingPathComponent("\(file.key).json"))
        }
        try Data().write(to: done)
    }
}

let benchmarks: @Sendable () -> Void = {
    let configuration = Benchmark.Configuration(metrics: [.wallClock], warmupIterations: 0,
                                                maxDuration: .seconds(60), maxIterations: 3)
    nonisolated(unsafe) var made: Fixture?
    func fixture() throws -> Fixture {
        if let made { return made }
        made = try Fixture()
        return made!
    }
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("merge-10k-\(UUID())")

    Benchmark("bench plan: 10,000 stored runs (one decides a final run)", configuration: configuration) { benchmark in
        let runner = try fixture().runner
        benchmark.startMeasurement()
        let report = try PlanReport(runner, shardCount: 8)
        benchmark.stopMeasurement()
        precondition(report.listed == 10_001 && report.finished == 10_000, "plan: \(report.lines.last!)")
    }

    Benchmark("bench merge: 10,000 run files into an empty store", configuration: configuration) { benchmark in
        let source = try fixture().store
        let target = ResultStore(scratch.appendingPathComponent(UUID().uuidString).path)
        benchmark.startMeasurement()
        let report = try target.merge([source])
        benchmark.stopMeasurement()
        precondition(report.copied == 10_000 && report.conflicts.isEmpty)
        try FileManager.default.removeItem(at: target.folder)
    }

    Benchmark("bench merge: 10,000 run files into a store holding the same files", configuration: configuration) { benchmark in
        let source = try fixture().store
        let target = ResultStore(scratch.appendingPathComponent(UUID().uuidString).path)
        _ = try target.merge([source])
        benchmark.startMeasurement()
        let report = try target.merge([source])
        benchmark.stopMeasurement()
        precondition(report.identical == 10_000 && report.copied == 0 && report.conflicts.isEmpty)
        try FileManager.default.removeItem(at: target.folder)
    }

    Benchmark("bench merge: the same 10,000 runs made on another host (each pair compared)",
              configuration: .init(metrics: [.wallClock], warmupIterations: 0, maxDuration: .seconds(60), maxIterations: 1)) { benchmark in
        let (source, other) = (try fixture().store, try fixture().otherHost)
        let target = ResultStore(scratch.appendingPathComponent(UUID().uuidString).path)
        _ = try target.merge([source])
        benchmark.startMeasurement()
        let report = try target.merge([other])
        benchmark.stopMeasurement()
        precondition(report.identical == 10_000 && report.copied == 0 && report.conflicts.isEmpty)
        try FileManager.default.removeItem(at: target.folder)
    }

    Benchmark.teardown = { try? FileManager.default.removeItem(at: scratch) }
}
