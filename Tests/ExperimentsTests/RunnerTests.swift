import Foundation
import GraphKit
import ModelRegistry
import Testing
import TestSupport
@testable import Experiments
@testable import RecommenderCore

/// A tiny test-only model: item popularity learned as one bias per item.
/// It shows that a new model needs only a type and one registry line.
final class ItemBiasModel: Recommender {
    static let name = "ItemBias"
    static let hyperparameters: [HyperparameterSpec] = [
        .real("reg_weight", default: 0, in: 0...1, "L2 on the batch's biases")
    ]
    let bias: Parameter
    let users: Int
    let regWeight: Float

    init(dataset: Dataset, hyperparameters: Hyperparameters, seed: UInt64) throws {
        bias = Parameter(Tensor(rows: dataset.itemCount, cols: 1), name: "item_bias")
        users = dataset.userCount
        regWeight = hyperparameters.float("reg_weight")
    }

    var parameters: [Parameter] { [bias] }

    func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        let b = tape.watch(bias)
        let pos = gatherRows(b, batch.positives), neg = gatherRows(b, batch.negatives)
        return bprLoss(positive: pos, negative: neg) + l2Regularization([pos, neg], weight: regWeight, batchSize: batch.count)
    }

    func makeScorer() throws -> Scorer {
        DotProductScorer(users: Tensor(rows: users, cols: 1, repeating: 1), items: bias.value)
    }
}

func temporaryFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

@Suite struct RunnerTests {
    let registry = ModelRegistry(models: ModelRegistry.standard.models + [ItemBiasModel.self])

    @Test func endToEndOnTheToyDataThenNothingToTrain() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try parse(toyConfig(models: """
            [{"model": "ItemBias", "parameters": {"reg_weight": [0, 0.1]}}, {"model": "LightGCN"}]
            """, extra: #", "output": {"columns": ["recall@10", "ndcg@10"]}"#), registry: registry)
        let runner = try ExperimentRunner(config: config, registry: registry, resultsRoot: folder.path, progress: .quiet)
        let first = try runner.run()
        #expect(first.trained == 6 && first.skipped == 0 && first.failed == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: runner.runsFolder.path).filter { $0.hasSuffix(".json") }
        #expect(files.count == 6)
        let tables = ResultTables(config: config, records: first.records, datasets: [("mmgcn-toy", "toy")])
        try tables.write(to: runner.folder)
        let csv = try String(contentsOf: runner.folder.appendingPathComponent("toy.csv"), encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 1 + 3)  // header + 2 ItemBias points + 1 LightGCN point
        #expect(csv.hasPrefix("dataset,label,model,grid_point,selected,status,seeds,valid_recall@10_mean,test_recall@10_mean"))
        let md = try String(contentsOf: runner.folder.appendingPathComponent("toy.md"), encoding: .utf8)
        #expect(md.contains("| ItemBias |") && md.contains("| LightGCN |") && md.contains("| %Improv. |"))
        // A second run finds every result and trains nothing.
        let second = try runner.run()
        #expect(second.trained == 0 && second.skipped == 6)
        #expect(second.records.map(\.key) == first.records.map(\.key))
    }

    /// Relabelling an entry, or adding a second entry with the same spec, trains
    /// nothing: the stored run is found by its key and shown under each label.
    @Test func aRelabelledOrRepeatedEntryReusesItsStoredRuns() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try parse(toyConfig(models: #"[{"model": "ItemBias"}]"#), registry: registry)
        let trained = try ExperimentRunner(config: first, registry: registry, resultsRoot: folder.path, progress: .quiet).run()
        #expect(trained.trained == 2)
        let relabelled = try parse(toyConfig(models: """
            [{"model": "ItemBias", "label": "Popularity"}, {"model": "ItemBias", "label": "Again", "parameters": {"reg_weight": 0}}]
            """), registry: registry)
        let runner = try ExperimentRunner(config: relabelled, registry: registry, resultsRoot: folder.path, progress: .quiet)
        let again = try runner.run()
        #expect(again.trained == 0 && again.skipped == 4)
        #expect(again.records.map(\.label) == ["Popularity", "Popularity", "Again", "Again"])
        let md = ResultTables(config: relabelled, records: again.records, datasets: [("mmgcn-toy", "toy")]).markdown()
        #expect(!md.contains("not run yet"), "\(md)")
        let rows = selectOnValidation(config: relabelled, datasets: ["mmgcn-toy"], records: again.records)
        #expect(rows.map { $0.selected?.records.count } == [2, 2])
        #expect(rows[0].testValues(MetricKey(.recall, at: 10)).map(\.value)
                == rows[1].testValues(MetricKey(.recall, at: 10)).map(\.value))
    }

    /// Grid points run with the tuning seed; the point chosen on validation then runs with the other
    /// seeds, and a tuned_as row with every seed at that point. A second config on the same store
    /// trains nothing, and the runs carry the sampled test and the embedding projection.
    @Test func tuningThenChosenPointThenTunedAsRowsOnASharedStore() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = toyConfig(models: """
            [{"model": "LightGCN", "label": "Short", "tuned_as": "LightGCN", "training": {"epochs": 1}},
             {"model": "LightGCN", "training": {"learning_rate": [0.0001, 0.01]}}]
            """, extra: #", "store": "shared", "tuning_seeds": 1, "output": {"figures": ["validation", "test", "embeddings"]}"#)
            .replacingOccurrences(of: #""seeds": [1, 2]"#, with: #""seeds": [1, 2, 3]"#)
            .replacingOccurrences(of: #""valid_metric": "recall@10"}"#, with: #""valid_metric": "recall@10", "sampled_test": 50}"#)
        let config = try parse(text, registry: registry)
        let runner = try ExperimentRunner(config: config, registry: registry, resultsRoot: folder.path, progress: .quiet)
        // Before any run only the tuning runs are known.
        #expect(try runner.plan().map(\.stage) == [.tuning, .tuning])
        let summary = try runner.run()
        // 2 tuning runs, seeds 2 and 3 at the chosen point, 3 runs of Short.
        #expect(summary.trained == 7 && summary.failed == 0)
        #expect(runner.runsFolder.path == folder.appendingPathComponent("shared/runs").path)
        let tuning = summary.records.prefix(2)
        let key = MetricKey(.recall, at: 10)
        let best = tuning.max { $0.result.valid![key] < $1.result.valid![key] }!
        let finals = summary.records.dropFirst(2)
        #expect(finals.filter { $0.label == "LightGCN" }.map(\.gridPoint) == [best.gridPoint, best.gridPoint])
        #expect(finals.filter { $0.label == "LightGCN" }.map(\.spec.seed) == [2, 3])
        let short = finals.filter { $0.label == "Short" }
        #expect(short.map(\.spec.seed) == [1, 2, 3])
        #expect(short.allSatisfy { $0.spec.training.epochs == 1 && $0.spec.training.learningRate == best.spec.training.learningRate })
        for record in summary.records {
            #expect(record.spec.sampledTest == 50 && record.result.testSampled?.values[key] != nil)
            let projection = try #require(record.result.embedding)
            #expect(projection.users.count == 5 && projection.points.filter { $0.kind == "user" }.count == 5)
        }
        let rows = selectOnValidation(config: config, datasets: runner.datasetNames, records: summary.records)
        #expect(rows.map(\.label) == ["Short", "LightGCN"])
        #expect(rows[1].selected?.gridPoint == best.gridPoint && rows[1].selected?.records.count == 3)
        #expect(rows[0].selected?.records.count == 3)
        // The figures draw the chosen point's seed-1 validation curve, the test mean over the seeds,
        // and the embedding study of each row.
        let tables = ResultTables(config: config, records: summary.records, datasets: [("mmgcn-toy", "toy")])
        let figures = Dictionary(uniqueKeysWithValues: tables.figures().map { ($0.0, $0.1) })
        #expect(Set(figures.keys) == [.validation, .test, .embeddings])
        let lines = parsedSVG(figures[.validation]!)
        let curve = try #require(lines.all("polyline", className: "series", label: "LightGCN").first)
        let seedOne = try #require(rows[1].selected?.records.first { $0.spec.seed == 1 })
        #expect(svgPoints(curve.attributes["points"]).count == seedOne.result.epochs.filter { $0.valid != nil }.count)
        let bars = parsedSVG(figures[.test]!)
        let mean = rows[1].testValues(key).map(\.value).reduce(0, +) / 3
        #expect(bars.all("text", className: "value", label: "LightGCN").first?.text == String(format: "%.4f", mean))
        let scatter = parsedSVG(figures[.embeddings]!)
        #expect(scatter.error == nil && scatter.all("g", className: "panel").count == 2)
        #expect(scatter.all("circle", className: "item").count
                == rows.compactMap { $0.selected?.records.first?.result.embedding }.reduce(0) { $0 + $1.points.count - 5 })
        // Another config on the same store finds every run.
        let other = try parse(text.replacingOccurrences(of: #""name": "toy""#, with: #""name": "other""#), registry: registry)
        let again = try ExperimentRunner(config: other, registry: registry, resultsRoot: folder.path, progress: .quiet).run()
        #expect(again.trained == 0 && again.skipped == 7)
    }

    /// A runner of ItemBias at reg_weight {0, 0.1} over the toy config's seeds
    /// (four runs), on a fresh temporary folder that the caller removes.
    func itemBiasGridRunner() throws -> (ExperimentRunner, URL) {
        let folder = try temporaryFolder()
        let config = try parse(toyConfig(models: #"[{"model": "ItemBias", "parameters": {"reg_weight": [0, 0.1]}}]"#),
                               registry: registry)
        return (try ExperimentRunner(config: config, registry: registry, resultsRoot: folder.path, progress: .quiet), folder)
    }

    @Test func interruptedRunsResumeWhereTheyStopped() throws {
        let (runner, folder) = try itemBiasGridRunner()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Stop requested after the first run has trained its two epochs (polled once per run and once per epoch).
        var polls = 0
        let stopped = try runner.run { polls += 1; return polls > 3 }
        #expect(stopped.interrupted && stopped.trained == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: runner.runsFolder.path).filter { $0.hasSuffix(".json") }.count == 1)
        let resumed = try runner.run()
        #expect(resumed.skipped == 1 && resumed.trained == 3 && !resumed.interrupted)
    }

    /// A stop before the first run still reports the stored runs it never
    /// reached, so that `bench run`'s tables at the stop match `bench table`'s.
    @Test func anInterruptedRunReportsEveryStoredRun() throws {
        let (runner, folder) = try itemBiasGridRunner()
        defer { try? FileManager.default.removeItem(at: folder) }
        let complete = try runner.run()
        #expect(complete.trained == 4 && complete.records.count == 4)
        let first = try #require(runner.plan().first)
        try FileManager.default.removeItem(at: runner.runsFolder.appendingPathComponent("\(first.key).json"))
        let stopped = try runner.run { true }
        // Stopped at the first run it reached, the one removed: it skipped none.
        #expect(stopped.interrupted && stopped.trained == 0 && stopped.skipped == 0)
        #expect(Set(stopped.records.map(\.key)) == Set(complete.records.map(\.key)).subtracting([first.key]))
        #expect(stopped.records.count == 3)
    }

    @Test func theTestFigureSaysWhenSomeBarsHaveFewerSeeds() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Tuned on seed 1; seed 2 runs only at the chosen point.
        let config = try parse(toyConfig(models: #"[{"model": "ItemBias", "parameters": {"reg_weight": [0, 0.1]}}]"#,
                                         extra: #", "tuning_seeds": 1"#), registry: registry)
        let runner = try ExperimentRunner(config: config, registry: registry, resultsRoot: folder.path, progress: .quiet)
        let records = try runner.run().records
        #expect(records.count == 3)
        func title(_ records: [RunRecord]) -> String? {
            let tables = ResultTables(config: config, records: records, datasets: [("mmgcn-toy", "toy")])
            let svg = try? #require(tables.figures().first { $0.0 == .test }?.1)
            return svg.flatMap { parsedSVG($0).all("title").first?.text }
        }
        #expect(title(records) == "toy: test recall@10 (mean ± std over 2 seeds)")
        // Without the seed-2 run the bar is seed 1 alone.
        let partial = records.filter { $0.spec.seed == 1 }
        #expect(partial.count == 2)
        #expect(title(partial) == "toy: test recall@10 (mean ± std over up to 2 seeds; some bars have fewer, the table gives each count)")
    }

    @Test func anUnwritableResultsFolderIsAnError() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // A file where the results folder should be.
        let blocker = folder.appendingPathComponent("results")
        try Data("x".utf8).write(to: blocker)
        let config = try parse(toyConfig(), registry: registry)
        let runner = try ExperimentRunner(config: config, registry: registry, resultsRoot: blocker.path, progress: .quiet)
        let message = errorMessage { _ = try runner.run() }
        #expect(message.contains("\(blocker.path): is a file, where the results need a folder"), "\(message)")
    }

    @Test func aFailedRunIsStoredAndShownAndTheOthersGoOn() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // VBPR refuses a dataset without features: that run fails, LightGCN still trains.
        let text = toyConfig(models: #"[{"model": "LightGCN"}, {"model": "VBPR"}]"#)
            .replacingOccurrences(of: "mmgcn-toy.json", with: "baby.json")
            .replacingOccurrences(of: #""epochs": 2"#, with: #""epochs": 1"#)
        let config = try parse(text, registry: registry)
        let runner = try ExperimentRunner(config: config, registry: registry, resultsRoot: folder.path, progress: .quiet)
        let summary = try runner.run()
        #expect(summary.trained == 4 && summary.failed == 2)
        let md = ResultTables(config: config, records: summary.records, datasets: [("baby", "baby")]).markdown()
        // The cell points to a note that holds the whole reason, as the run stored it.
        #expect(md.contains("| VBPR | failed (note 1) |"), "\(md)")
        let stored = try #require(summary.records.first { $0.spec.model == "VBPR" }?.result.failure)
        #expect(stored.hasPrefix("VBPR: dataset baby has no item features"), "\(stored)")
        #expect(md.contains("Failed:\n\n1. VBPR: \(stored)\n"), "\(md)")
    }
}

/// Selection on validation only, on crafted runs where validation and test disagree.
@Suite struct SelectionTests {
    /// A crafted run; with `hits`, its per-user values: of 40 test users with
    /// one held-out item each, users 0 to hits − 1 have it at rank 1.
    func record(_ label: String, _ point: String, seed: UInt64, valid: Double, test: Double, key: MetricKey,
                dataset: String = "toy", sampled: Double? = nil, hits: Int? = nil) -> RunRecord {
        func result(_ x: Double) -> EvaluationResult {
            EvaluationResult(values: [key: x], evaluatedUsers: 1, usersWithoutTraining: 0, usersWithFewCandidates: 0, seconds: 0)
        }
        let ranked = hits.map { n in
            RankedHits(depth: 10, users: 40, entries: (0..<n).map { RankedHits.Entry(position: $0, heldOut: 1, ranks: [0]) })
        }
        let result = TrainingResult(status: .finished, failure: nil, stopReason: "test", epochs: [], bestEpoch: 1,
                                    valid: result(valid), test: result(test), testSampled: sampled.map(result),
                                    testHits: ranked, secondsPerEpoch: 0, secondsPerEvaluation: 0, totalSeconds: 0)
        let spec = RunSpec(codeVersion: "t", dataset: dataset, datasetFiles: [:], model: "LightGCN", hyperparameters: [:],
                           training: TrainingOptions(), seed: seed, ranking: "full", candidates: nil, metrics: [key],
                           maskValidInTest: true)
        return RunRecord(key: "\(label)\(point)\(seed)", spec: spec, label: label, gridPoint: point, result: result,
                         finished: "", host: "")
    }

    @Test func testNeverDecides() throws {
        let config = try parse(toyConfig(models: #"[{"model": "LightGCN", "parameters": {"n_layers": [1, 2]}}]"#))
        let key = MetricKey(.recall, at: 10)
        // n_layers=1: better on validation (0.30 vs 0.20), worse on test (0.10 vs 0.90).
        let records = [
            record("LightGCN", "n_layers=1", seed: 1, valid: 0.30, test: 0.10, key: key),
            record("LightGCN", "n_layers=1", seed: 2, valid: 0.32, test: 0.12, key: key),
            record("LightGCN", "n_layers=2", seed: 1, valid: 0.20, test: 0.90, key: key),
            record("LightGCN", "n_layers=2", seed: 2, valid: 0.22, test: 0.92, key: key),
        ]
        let rows = selectOnValidation(config: config, datasets: ["toy"], records: records)
        #expect(rows[0].selected?.gridPoint == "n_layers=1")
        #expect(abs(rows[0].selected!.validMean! - 0.31) < 1e-12)
        #expect(rows[0].testValues(key).map(\.value) == [0.10, 0.12])
        let md = ResultTables(config: config, records: records, datasets: [("toy", "toy")]).markdown()
        #expect(md.contains("| LightGCN | **0.1100 ± 0.0141** |"), "\(md)")
    }

    /// Datasets side by side: a row that does not run on a dataset shows "–", sampled columns read
    /// the sampled test, and %Improv. compares the named row with the strongest other one.
    @Test func datasetsSideBySideWithSampledColumnsAndANamedImprovementRow() throws {
        let toy = repositoryPath("Configs/datasets/mmgcn-toy.json"), baby = repositoryPath("Configs/datasets/baby.json")
        let config = try parse("""
            {"name": "t", "datasets": ["\(toy)", "\(baby)"], "seeds": [1],
             "protocol": {"ks": [10], "metrics": ["recall"], "valid_metric": "recall@10", "sampled_test": 100},
             "models": [{"model": "LightGCN", "label": "A"}, {"model": "LightGCN", "label": "B", "datasets": ["\(baby)"]}],
             "output": {"columns": ["sampled:recall@10", "recall@10"], "improvement_of": "B"}}
            """)
        let key = MetricKey(.recall, at: 10)
        let records = [
            record("A", "default", seed: 1, valid: 0.3, test: 0.1000, key: key, dataset: "toy", sampled: 0.5000),
            record("A", "default", seed: 1, valid: 0.3, test: 0.2000, key: key, dataset: "baby", sampled: 0.6000),
            record("B", "default", seed: 1, valid: 0.3, test: 0.2500, key: key, dataset: "baby", sampled: 0.4500),
        ]
        let md = ResultTables(config: config, records: records, datasets: [("toy", "toy"), ("baby", "baby")]).markdown()
        #expect(md.contains("| Model | toy sampled recall@10 | toy recall@10 | baby sampled recall@10 | baby recall@10 |"), "\(md)")
        #expect(md.contains("| A | **0.5000** | **0.1000** | **0.6000** | 0.2000 |"), "\(md)")
        #expect(md.contains("| B | – | – | 0.4500 | **0.2500** |"), "\(md)")
        // B against A: (0.45 − 0.60) / 0.60 = −25%, (0.25 − 0.20) / 0.20 = +25%; nothing to compare on toy.
        #expect(md.contains("| %Improv. | – | – | -25.00% | +25.00% |"), "\(md)")
        let csv = ResultTables(config: config, records: records, datasets: [("toy", "toy"), ("baby", "baby")]).csv()
        #expect(csv.contains("baby,B,LightGCN,default,true,finished,1,0.300000,0.450000,,0.250000,"), "\(csv)")
    }

    /// A chosen point whose final seed failed: the cell is the mean over the
    /// seeds that finished, marked with how many and a note with the reason,
    /// and the CSV's status says failed.
    @Test func aChosenPointWithAFailedSeedIsMarked() throws {
        let config = try parse(toyConfig(models: #"[{"model": "LightGCN"}]"#, extra: #", "tuning_seeds": 1"#)
            .replacingOccurrences(of: #""seeds": [1, 2]"#, with: #""seeds": [1, 2, 3]"#))
        let key = MetricKey(.recall, at: 10)
        var failed = record("LightGCN", "default", seed: 3, valid: 0, test: 0, key: key)
        failed.result = .failed("loss is NaN at epoch 2 (diverged)")
        let records = [record("LightGCN", "default", seed: 1, valid: 0.3, test: 0.10, key: key),
                       record("LightGCN", "default", seed: 2, valid: 0.3, test: 0.20, key: key), failed]
        let tables = ResultTables(config: config, records: records, datasets: [("toy", "toy")])
        let md = tables.markdown()
        // Mean of 0.10 and 0.20, std √0.005 = 0.0707.
        #expect(md.contains("| LightGCN | **0.1500 ± 0.0707** (2 of 3 seeds; failed: note 1) |"), "\(md)")
        #expect(md.contains("Failed:\n\n1. LightGCN: loss is NaN at epoch 2 (diverged)\n"), "\(md)")
        #expect(tables.csv().contains(",true,failed: loss is NaN at epoch 2 (diverged),"), "\(tables.csv())")
    }

    /// With one seed a cell is the run's value alone: a std of one run is not 0.
    @Test func oneSeedShowsTheValueWithoutSpread() throws {
        let config = try parse(toyConfig(models: #"[{"model": "LightGCN"}]"#)
            .replacingOccurrences(of: #""seeds": [1, 2]"#, with: #""seeds": [1]"#))
        let key = MetricKey(.recall, at: 10)
        let records = [record("LightGCN", "default", seed: 1, valid: 0.30, test: 0.1234, key: key)]
        let md = ResultTables(config: config, records: records, datasets: [("toy", "toy")]).markdown()
        #expect(md.contains("| LightGCN | **0.1234** |"), "\(md)")
        #expect(md.contains("- Seed: 1; values are the test metrics of that one run"), "\(md)")
        #expect(!md.contains("±"), "\(md)")
    }

    /// The footer names the CPUs and BLAS kernels the runs were computed
    /// with, most runs first, and counts runs stored before they were recorded.
    @Test func theFooterNamesTheMachinesTheRunsRanOn() throws {
        let config = try parse(toyConfig(models: #"[{"model": "LightGCN"}]"#))
        let key = MetricKey(.recall, at: 10)
        var records = [record("LightGCN", "default", seed: 1, valid: 0.3, test: 0.1, key: key),
                       record("LightGCN", "default", seed: 2, valid: 0.3, test: 0.1, key: key),
                       record("LightGCN", "other", seed: 1, valid: 0.2, test: 0.1, key: key),
                       record("LightGCN", "other", seed: 2, valid: 0.2, test: 0.1, key: key)]
        for k in 0..<3 { (records[k].cpu, records[k].blasKernel) = ("Xeon", "OpenBLAS 0.3.21 SkylakeX") }
        records[2].blasKernel = "OpenBLAS 0.3.21 Haswell"
        let md = ResultTables(config: config, records: records, datasets: [("toy", "toy")]).markdown()
        #expect(md.contains("- Computed on: Xeon, OpenBLAS 0.3.21 SkylakeX (2 runs); Xeon, OpenBLAS 0.3.21 Haswell (1 run); "
                            + "not recorded (1 run); results are bit-identical only on one CPU and kernel\n"), "\(md)")
        let one = ResultTables(config: config, records: Array(records.prefix(2)), datasets: [("toy", "toy")]).markdown()
        #expect(one.contains("- Computed on: Xeon, OpenBLAS 0.3.21 SkylakeX (2 runs)\n"), "\(one)")
    }

    /// Most popular is a reference row: a trained row's cell that is not above
    /// it is marked ↓, and a note says what the mark means.
    @Test func cellsNotAboveMostPopularAreMarked() throws {
        let config = try parse(toyConfig(models: """
            [{"model": "LightGCN", "label": "A"}, {"model": "LightGCN", "label": "B"}, {"model": "MostPopular"}]
            """).replacingOccurrences(of: #""seeds": [1, 2]"#, with: #""seeds": [1]"#))
        let key = MetricKey(.recall, at: 10)
        let records = [record("A", "default", seed: 1, valid: 0.5, test: 0.3000, key: key),
                       record("B", "default", seed: 1, valid: 0.5, test: 0.2000, key: key),
                       record("MostPopular", "default", seed: 1, valid: 0.5, test: 0.2000, key: key)]
        let md = ResultTables(config: config, records: records, datasets: [("toy", "toy")]).markdown()
        #expect(md.contains("| A | **0.3000** |"), "\(md)")
        #expect(md.contains("| B | 0.2000 ↓ |"), "\(md)")
        #expect(md.contains("| MostPopular | 0.2000 |"), "\(md)")
        #expect(md.contains("↓ : not above MostPopular's mean in that column"), "\(md)")
        let above = ResultTables(config: config, records: Array(records.prefix(1)) + [records[2]],
                                 datasets: [("toy", "toy")]).markdown()
        #expect(!above.contains("↓") && above.contains("Every row is above MostPopular"), "\(above)")
    }

    /// Three seeds of rows P, Q (n_layers 1) and optionally R (n_layers 3) on the
    /// toy data, Recall@10 over 40 users with one held-out item each: P hits
    /// users 0–11 and Q users 0–3 in every seed, R as P. Q − P = (0.08623 −
    /// 0.0910) / 0.0910 = −5.24%; per user, scipy.stats.ttest_rel p = 0.003373.
    func differenceRecords(withR: Bool) -> [RunRecord] {
        let key = MetricKey(.recall, at: 10)
        let p = [0.0912, 0.0897, 0.0921], q = [0.0850, 0.0871, 0.0866]
        var records: [RunRecord] = []
        for s in 0..<3 {
            records.append(record("P", "default", seed: UInt64(s + 1), valid: 0.5, test: p[s], key: key, hits: 12))
            records.append(record("Q", "n_layers=1", seed: UInt64(s + 1), valid: 0.5, test: q[s], key: key, hits: 4))
            if withR {
                records.append(record("R", "n_layers=3", seed: UInt64(s + 1), valid: 0.5, test: p[s], key: key, hits: 12))
            }
        }
        return records
    }

    /// With `differences`, a tuned_as row shows its mean against the row it is
    /// tuned as, in percent, with a paired t-test over the seeds.
    @Test func aTunedAsRowShowsItsDifferenceToItsReference() throws {
        let config = try parse(toyConfig(models: """
            [{"model": "LightGCN", "label": "P"}, {"model": "LightGCN", "label": "Q", "tuned_as": "P", "parameters": {"n_layers": 1}},
             {"model": "LightGCN", "label": "R", "tuned_as": "P", "parameters": {"n_layers": 3}}]
            """, extra: #", "output": {"improvement": false, "differences": true}"#)
            .replacingOccurrences(of: #""seeds": [1, 2]"#, with: #""seeds": [1, 2, 3]"#))
        // The table's only tested comparison is Q against P (R equals P), so Holm
        // leaves its p.
        let records = differenceRecords(withR: true)
        let tables = ResultTables(config: config, records: records, datasets: [("toy", "toy")])
        let md = tables.markdown()
        #expect(md.contains("| Q † | 0.0862 ± 0.0011 (−5.24%, p 0.003\\*) |"), "\(md)")
        #expect(md.contains("| R † | **0.0910 ± 0.0012** (identical in every seed) |"), "\(md)")
        #expect(md.contains("| P | **0.0910 ± 0.0012** |"), "\(md)")
        let q0 = try #require(tables.comparison(row: 1, cell: 0))
        #expect(q0.reference == 0 && q0.users == 40 && abs(q0.pT! - 0.003373050580186085) < 1e-12 && q0.pHolm == q0.pT)
        // The over-seeds test of the same pair, kept for the CSV: scipy.stats.ttest_rel p = 0.0495.
        #expect(abs(q0.pSeeds! - 0.0495) < 5e-4)
        // Two seeds without per-user values give a difference and no p.
        let twoSeeds = try parse(toyConfig(models: """
            [{"model": "LightGCN", "label": "P"}, {"model": "LightGCN", "label": "Q", "tuned_as": "P", "parameters": {"n_layers": 1}}]
            """, extra: #", "output": {"improvement": false, "differences": true}"#))
        let bare = records.filter { $0.spec.seed < 3 && $0.label != "R" }.map { r -> RunRecord in
            var r = r
            r.result.testHits = nil
            return r
        }
        let two = ResultTables(config: twoSeeds, records: bare, datasets: [("toy", "toy")]).markdown()
        #expect(two.contains(" (−4.86%) |") && !two.contains(", p "), "\(two)")
        #expect(two.contains("No significance marks: the runs were stored without per-user test values"), "\(two)")
    }

    /// With `focus_differences`, each row not tuned_as another shows its mean
    /// against the focus row; the focus row itself shows none.
    @Test func everyRowShowsItsDifferenceToTheFocusRow() throws {
        let config = try parse(toyConfig(models: """
            [{"model": "LightGCN", "label": "P"}, {"model": "LightGCN", "label": "Q", "parameters": {"n_layers": 1}}]
            """, extra: #", "output": {"improvement": false, "focus_differences": true}"#)
            .replacingOccurrences(of: #""seeds": [1, 2]"#, with: #""seeds": [1, 2, 3]"#))
        #expect(config.output.focusDifferences && !config.output.differences)
        // Here the table makes two comparisons with Q's p (P against the strongest
        // other, Q, and Q against P), so Holm doubles it: 0.006746.
        let records = differenceRecords(withR: false)
        let tables = ResultTables(config: config, records: records, datasets: [("toy", "toy")])
        let md = tables.markdown()
        #expect(md.contains("| Q | 0.0862 ± 0.0011 (−5.24%, p 0.007\\*) |"), "\(md)")
        // P, the focus, shows no parenthesis; its mark is the focus row's own test.
        #expect(md.contains("| P | **0.0910 ± 0.0012**\\* |"), "\(md)")
        #expect(md.contains("In parentheses: the row's mean against P, in percent of that row's mean"), "\(md)")
        let q0 = try #require(tables.comparison(row: 1, cell: 0))
        #expect(q0.reference == 0 && abs(q0.pHolm! - 2 * 0.003373050580186085) < 1e-12)
    }

    @Test func boldBestImprovementAndSignificance() throws {
        let config = try parse(toyConfig(models: #"[{"model": "LightGCN", "label": "A"}, {"model": "LightGCN", "label": "B"}]"#)
            .replacingOccurrences(of: #""seeds": [1, 2]"#, with: #""seeds": [1, 2, 3]"#))
        let key = MetricKey(.recall, at: 10)
        // Per user (40, one held-out item each): A hits users 0–11, B users 0–3, in
        // every seed, so Recall@10 is 0.3 against 0.1 (+200%); the paired t-test
        // over users gives p = 0.003373 (scipy.stats.ttest_rel), Wilcoxon 0.004678.
        // The table compares A with B and B with A: Holm doubles the smaller p.
        var records: [RunRecord] = []
        for s in 0..<3 {
            records.append(record("A", "default", seed: UInt64(s + 1), valid: 0.5, test: 0.3, key: key, hits: 12))
            records.append(record("B", "default", seed: UInt64(s + 1), valid: 0.5, test: 0.1, key: key, hits: 4))
        }
        let tables = ResultTables(config: config, records: records, datasets: [("toy", "toy")])
        let md = tables.markdown()
        #expect(md.contains("| A | **0.3000 ± 0.0000**\\* |"), "\(md)")
        #expect(md.contains("| B | 0.1000 ± 0.0000 |"), "\(md)")
        #expect(md.contains("| %Improv. | +200.00%\\* |"), "\(md)")
        #expect(md.contains("Holm-corrected across the table's 2 comparisons"), "\(md)")
        let a = try #require(tables.comparison(row: 0, cell: 0))
        #expect(abs(a.pT! - 0.003373050580186085) < 1e-12 && abs(a.pWilcoxon! - 0.0046777349810472576) < 1e-12)
        #expect(abs(a.pHolm! - 2 * 0.003373050580186085) < 1e-12)
        // One more hit for A than B (users 0–4 against 0–3): p = 0.3235, no mark.
        let close = records.map { r -> RunRecord in
            r.label == "A" ? record("A", "default", seed: r.spec.seed, valid: 0.5, test: 0.125, key: key, hits: 5) : r
        }
        let closeMD = ResultTables(config: config, records: close, datasets: [("toy", "toy")]).markdown()
        #expect(closeMD.contains("| A | **0.1250 ± 0.0000** |") && closeMD.contains("| %Improv. | +25.00% |"), "\(closeMD)")
    }
}
