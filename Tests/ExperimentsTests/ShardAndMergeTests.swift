import Foundation
import GraphKit
import ModelRegistry
import RecommenderCore
import Testing
import TestSupport
@testable import Experiments

/// Sharding a config's runs across jobs, and merging the stores they write.
@Suite struct ShardAndMergeTests {
    let registry = ModelRegistry(models: ModelRegistry.standard.models + [ItemBiasModel.self])

    /// Seeds 1 and 2, seed 1 for tuning. Tuning: 5 ItemBias points, 1
    /// LightGCN point, and "Again", whose first point repeats a spec of the
    /// first entry (8 runs, 7 keys). Final: seed 2 of each chosen point, and
    /// both seeds of "Tied", tuned as ItemBias at 1 epoch (5 runs). ItemBias
    /// and Again both choose reg_weight 0 on validation, so their seed-2 runs
    /// share a key too (4 final keys).
    func gridConfig() throws -> ExperimentConfig {
        try parse(toyConfig(models: """
            [{"model": "ItemBias", "parameters": {"reg_weight": [0, 0.01, 0.02, 0.03, 0.04]}},
             {"model": "LightGCN"},
             {"model": "ItemBias", "label": "Again", "parameters": {"reg_weight": [0, 0.5]}},
             {"model": "ItemBias", "label": "Tied", "tuned_as": "ItemBias", "training": {"epochs": 1}}]
            """, extra: #", "tuning_seeds": 1"#), registry: registry)
    }

    func runner(_ config: ExperimentConfig, _ folder: URL) throws -> ExperimentRunner {
        try ExperimentRunner(config: config, registry: registry, resultsRoot: folder.path, progress: .quiet)
    }

    @Test func forOneToSevenShardsEveryRunIsInExactlyOneShard() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try gridConfig()
        // Run everything once, so that the final runs are known too.
        #expect(try runner(config, folder).run().trained == 11)
        let plan = try runner(config, folder).plan()
        let stages = [plan.filter { $0.stage == .tuning }, plan.filter { $0.stage == .final }]
        #expect(stages.map(\.count) == [8, 5] && stages.map { Set($0.map(\.key)).count } == [7, 4])
        #expect(stages[1].map(\.label) == ["ItemBias", "LightGCN", "Again", "Tied", "Tied"])
        #expect(stages[1][0].key == stages[1][2].key && stages[1][0].point.summary == "reg_weight=0")
        for list in stages {
            for n in 1...7 {
                let shards = try (0..<n).map { try Shard(index: $0, count: n).runs(of: list) }
                // Each run (by position) appears in one shard, in list order.
                var seen: [Int] = []
                for shard in shards {
                    var last = -1
                    for run in shard {
                        let position = list.firstIndex { $0.key == run.key && $0.label == run.label && $0.point.summary == run.point.summary }!
                        #expect(position > last, "N = \(n): shard out of order")
                        last = position
                        seen.append(position)
                    }
                }
                #expect(seen.sorted() == Array(list.indices), "N = \(n)")
                // Two shards never share a key, so never write one file.
                for i in 0..<n {
                    for j in (i + 1)..<n {
                        #expect(Set(shards[i].map(\.key)).isDisjoint(with: shards[j].map(\.key)), "N = \(n): shards \(i), \(j)")
                    }
                }
                // Balanced over the distinct keys: sizes differ by at most one key.
                let sizes = shards.map { Set($0.map(\.key)).count }
                #expect(sizes.max()! - sizes.min()! <= 1, "N = \(n): \(sizes)")
                #expect(Shard.assign(list, count: n) == list.map { run in shards.firstIndex { $0.contains { $0.key == run.key } }! })
            }
        }
    }

    @Test func shardsAreParsedAndCheckedWithClearErrors() throws {
        #expect(try Shard(parsing: "2/8") == Shard(index: 2, count: 8))
        for bad in ["8/8", "-1/4", "1/0", "a/b", "3", "1/2/3", ""] {
            let error = try #require(throws: ConfigError.self) { try Shard(parsing: bad) }
            #expect(error.key == "shard", "\(bad)")
        }
        let env = ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4"]
        #expect(try Shard(slurm: env) == Shard(index: 3, count: 4))
        #expect(throws: ConfigError.self) { try Shard(slurm: ["SLURM_ARRAY_TASK_ID": "3"]) }
        #expect(throws: ConfigError.self) { try Shard(slurm: ["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "4"]) }
    }

    /// As on a cluster without a shared disk: the two tuning shards run into
    /// two stores, merged; then the two final shards run on the merged store.
    /// It holds the same runs with the same metrics as one process running
    /// everything, and renders the same table.
    @Test func shardedStagesMergedEqualOneProcess() throws {
        let config = try gridConfig()
        let (one, a, b, merged) = (try temporaryFolder(), try temporaryFolder(), try temporaryFolder(), try temporaryFolder())
        defer { for f in [one, a, b, merged] { try? FileManager.default.removeItem(at: f) } }
        let whole = try runner(config, one).run()
        #expect(whole.trained == 11 && whole.undecided == 0)
        let first = try runner(config, a).run(shard: try Shard(index: 0, count: 2), stage: .tuning)
        let second = try runner(config, b).run(shard: try Shard(index: 1, count: 2), stage: .tuning)
        // 7 distinct tuning keys: 4 and 3; "Again" reuses a key, which its shard reads back.
        #expect(first.trained == 4 && second.trained == 3)
        let target = ResultStore(merged.appendingPathComponent(config.name).path)
        let report = try target.merge([a, b].map { ResultStore($0.appendingPathComponent(config.name).path) })
        #expect(report.copied == 7 && report.identical == 0 && report.conflicts.isEmpty)
        let finals = try (0..<2).map { try runner(config, merged).run(shard: try Shard(index: $0, count: 2), stage: .final) }
        // 4 final keys: shard 0 has ItemBias's seed 2 (which Again reads back) and
        // Tied's seed 1; shard 1 LightGCN's seed 2 and Tied's seed 2.
        #expect(finals.map(\.trained) == [2, 2] && finals.map(\.skipped) == [1, 0] && finals.allSatisfy { $0.undecided == 0 })
        let reference = try ResultStore(one.appendingPathComponent(config.name).path).runFiles()
        let mergedFiles = try target.runFiles()
        #expect(mergedFiles.map(\.key) == reference.map(\.key))
        for (x, y) in zip(mergedFiles, reference) {
            #expect(ResultStore.sameRun(try ResultStore.record(at: x.path), try ResultStore.record(at: y.path)), "\(x.key)")
        }
        // The merged store renders the same table as the single process.
        let records = try runner(config, merged).storedRecords()
        #expect(records.count == 13)
        let render = { (r: [RunRecord]) in
            ResultTables(config: config, records: r, datasets: [("mmgcn-toy", "toy")]).markdown()
        }
        #expect(render(records) == render(whole.records))
    }

    /// A shard run without a stage, while the other shard has not run: it
    /// trains its tuning runs, and holds back the final runs, which it runs
    /// only once every tuning run is stored.
    @Test func aShardHoldsBackFinalRunsUntilEveryTuningRunIsStored() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try gridConfig()
        let r = try runner(config, folder)
        let mine = try Shard(index: 1, count: 2).runs(of: try r.tuningRuns(dataset: 0))
        // Shard 1 of 2 holds keys 1, 3, 5 of 7: ItemBias 0.01 and 0.03, and LightGCN's only point.
        #expect(mine.map(\.label) == ["ItemBias", "ItemBias", "LightGCN"])
        let early = try r.run(shard: try Shard(index: 1, count: 2))
        // LightGCN's seed 2 is decided but held back; ItemBias seed 2, Again seed 2
        // and Tied seeds 1 and 2 wait on shard 0's tuning runs.
        #expect(early.trained == 3 && early.undecided == 5)
        #expect(Set(try ResultStore(r.storeFolder.path).runFiles().map(\.key)) == Set(mine.map(\.key)))
        #expect(try r.knownRunsByDataset().map(\.undecided) == [4])
        #expect(try r.plan().filter { $0.stage == .final }.map(\.label) == ["LightGCN"])
        // Shard 0 finds every tuning run stored after its own, and runs its
        // share of the final runs; shard 1, run again, runs the rest.
        let zero = try r.run(shard: try Shard(index: 0, count: 2))
        #expect(zero.trained == 4 + 2 && zero.undecided == 0)
        let again = try r.run(shard: try Shard(index: 1, count: 2))
        #expect(again.trained == 2 && again.skipped == 3 && again.undecided == 0)
        #expect(try r.knownRuns().allSatisfy { $0.record != nil })
    }

    /// Store A in folder `a` with the grid's runs, and an empty store B in
    /// folder `b` to fill by hand; the caller removes both folders.
    func storeWithRunsAndAnEmptyOne(_ config: ExperimentConfig) throws
        -> (a: URL, b: URL, storeA: ResultStore, files: [(key: String, path: String)], storeB: ResultStore) {
        let (a, b) = (try temporaryFolder(), try temporaryFolder())
        _ = try runner(config, a).run()
        let storeA = ResultStore(a.appendingPathComponent(config.name).path)
        let storeB = ResultStore(b.appendingPathComponent(config.name).path)
        try FileManager.default.createDirectory(at: storeB.runsFolder, withIntermediateDirectories: true)
        return (a, b, storeA, try storeA.runFiles(), storeB)
    }

    @Test func mergeKeepsIdenticalRunsOnceAndReportsConflicts() throws {
        let config = try gridConfig()
        let (a, b, storeA, files, storeB) = try storeWithRunsAndAnEmptyOne(config)
        defer { for f in [a, b] { try? FileManager.default.removeItem(at: f) } }
        // Store B: one run as A has it but made on another host, one with other metrics.
        var same = try ResultStore.record(at: files[0].path)
        same.host = "elsewhere"
        same.finished = "2030-01-01T00:00:00Z"
        var other = try ResultStore.record(at: files[1].path)
        other.result.test = other.result.test.map { result in
            var changed = result
            changed.values = changed.values.mapValues { $0 + 0.01 }
            return changed
        }
        let encoder = JSONEncoder()
        for record in [same, other] {
            try encoder.encode(record).write(to: storeB.runsFolder.appendingPathComponent("\(record.key).json"))
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: files[1].path))
        let report = try storeA.merge([storeB])
        #expect(report.copied == 0 && report.identical == 1)
        #expect(report.conflicts.count == 1)
        let conflict = try #require(report.conflicts.first)
        #expect(conflict.key == other.key && conflict.kept == files[1].path)
        #expect(conflict.incoming.hasSuffix("\(other.key).json") && conflict.incoming.contains(b.lastPathComponent))
        #expect(conflict.description.contains(conflict.kept) && conflict.description.contains(conflict.incoming))
        // Nothing was overwritten.
        #expect(try Data(contentsOf: URL(fileURLWithPath: files[1].path)) == before)
        // Both records name the CPU and kernel this process ran with, so
        // nothing recorded explains the difference.
        #expect(conflict.cause == nil && conflict.description.contains("in its spec or metrics"))
    }

    /// Two runs of one key whose records name different BLAS kernels are a
    /// conflict that says so; the same difference on one kernel is not
    /// explained, and neither is one where a record predates the fields.
    @Test func aConflictBetweenKernelsSaysTheKernelsDiffer() throws {
        let (a, b, storeA, files, storeB) = try storeWithRunsAndAnEmptyOne(try gridConfig())
        defer { for f in [a, b] { try? FileManager.default.removeItem(at: f) } }
        func drifted(_ path: String) throws -> RunRecord {
            var record = try ResultStore.record(at: path)
            record.result.epochs[0].loss += 1e-6
            return record
        }
        var otherKernel = try drifted(files[0].path)
        (otherKernel.host, otherKernel.blasKernel) = ("node-7", "OpenBLAS 0.0 Elsewhere")
        var unrecorded = try drifted(files[1].path)
        (unrecorded.cpu, unrecorded.blasKernel) = (nil, nil)
        let encoder = JSONEncoder()
        for record in [otherKernel, unrecorded] {
            try encoder.encode(record).write(to: storeB.runsFolder.appendingPathComponent("\(record.key).json"))
        }
        let report = try storeA.merge([storeB])
        #expect(report.conflicts.count == 2)
        let byKernel = try #require(report.conflicts.first { $0.key == otherKernel.key })
        let cause = try #require(byKernel.cause)
        #expect(cause.contains("different BLAS kernels") && cause.contains("OpenBLAS 0.0 Elsewhere on node-7")
                && cause.contains(MachineReport.current.blasKernel))
        #expect(byKernel.description.contains(cause))
        #expect(report.conflicts.first { $0.key == unrecorded.key }?.cause == nil)
    }

    @Test func aRunFileWhoseNameIsNotItsKeyIsAnError() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try gridConfig()
        _ = try runner(config, folder).run(shard: try Shard(index: 0, count: 7))
        let store = ResultStore(folder.appendingPathComponent(config.name).path)
        let file = try #require(try store.runFiles().first)
        let renamed = store.runsFolder.appendingPathComponent("0000000000000000.json")
        try FileManager.default.moveItem(atPath: file.path, toPath: renamed.path)
        let error = try #require(throws: DataError.self) { try ResultStore.record(at: renamed.path) }
        #expect(error.file == renamed.path)
        try "{not json".write(to: renamed, atomically: true, encoding: .utf8)
        #expect(throws: DataError.self) { try ResultStore.record(at: renamed.path) }
    }

    /// `bench plan`'s lines: stage, shard and state of every run, per shard
    /// as `run(shard:)` assigns them, and the counts.
    @Test func planListsEveryRunWithItsStageShardAndState() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try gridConfig()
        let r = try runner(config, folder)
        let before = try PlanReport(r, shardCount: 2)
        #expect(before.listed == 8 && before.finished == 0 && before.undecided == 5)
        #expect(before.lines.last == "5 final runs are decided once the tuning runs they wait on are stored")
        let tuning = try r.tuningRuns(dataset: 0)
        let shards = Shard.assign(tuning, count: 2)
        for (i, run) in tuning.enumerated() {
            #expect(before.lines[i] == "\(run.key)  tuning  mmgcn-toy  ItemBias".replacingOccurrences(of: "ItemBias", with: run.spec.model)
                    + "  \(run.label)  \(run.point.summary)  seed 1  shard \(shards[i])  to run")
        }
        // Shard 1 trains its three keys; its plan lists its four runs ("Again" repeats none of them).
        _ = try r.run(shard: try Shard(index: 1, count: 2), stage: .tuning)
        let one = try PlanReport(r, shard: try Shard(index: 1, count: 2))
        #expect(one.listed == 3 && one.finished == 3)
        #expect(one.lines.dropLast(2).allSatisfy { $0.hasSuffix("  shard 1  finished") })
        #expect(one.lines[one.lines.count - 2] == "3 runs in shard 1/2: 3 finished, 0 failed, 0 to run, in \(r.runsFolder.path)")
        // All of it, then only what is unfinished: nothing.
        _ = try r.run()
        let after = try PlanReport(r, unfinished: true)
        #expect(after.listed == 13 && after.finished == 13 && after.undecided == 0)
        #expect(after.lines == ["13 runs: 13 finished, 0 failed, 0 to run, in \(r.runsFolder.path)"])
    }

    /// A record read without its history is the whole record less the
    /// per-epoch records and the embedding projection.
    @Test func aRecordReadWithoutHistoryKeepsEverythingElse() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try runner(try gridConfig(), folder)
        _ = try r.run(stage: .tuning)
        let file = try #require(try ResultStore(r.storeFolder.path).runFiles().first)
        let whole = try ResultStore.record(at: file.path)
        let light = try ResultStore.record(at: file.path, history: false)
        #expect(!whole.result.epochs.isEmpty && light.result.epochs.isEmpty && light.result.embedding == nil)
        var expected = whole
        expected.result.epochs = []
        expected.result.embedding = nil
        #expect(light.spec == expected.spec && light.result == expected.result)
        #expect((light.key, light.label, light.gridPoint, light.finished, light.host)
                == (expected.key, expected.label, expected.gridPoint, expected.finished, expected.host))
    }

    /// A bad incoming file stops the merge before anything is written; two
    /// sources with one key and different results are a conflict that names
    /// the copy made from the first.
    @Test func aBadFileStopsTheMergeAndAConflictBetweenSourcesNamesTheCopy() throws {
        let config = try gridConfig()
        let (a, b, c, target) = (try temporaryFolder(), try temporaryFolder(), try temporaryFolder(), try temporaryFolder())
        defer { for f in [a, b, c, target] { try? FileManager.default.removeItem(at: f) } }
        _ = try runner(config, a).run(stage: .tuning)
        let storeA = ResultStore(a.appendingPathComponent(config.name).path)
        let files = try storeA.runFiles()
        // B: one run with other test metrics.
        let storeB = ResultStore(b.appendingPathComponent(config.name).path)
        try FileManager.default.createDirectory(at: storeB.runsFolder, withIntermediateDirectories: true)
        var other = try ResultStore.record(at: files[0].path)
        let shifted = other.result.test!.values.mapValues { $0 + 0.01 }
        other.result.test?.values = shifted
        try JSONEncoder().encode(other).write(to: storeB.runsFolder.appendingPathComponent("\(other.key).json"))
        // C: a truncated file.
        let storeC = ResultStore(c.appendingPathComponent(config.name).path)
        try FileManager.default.createDirectory(at: storeC.runsFolder, withIntermediateDirectories: true)
        let truncated = storeC.runsFolder.appendingPathComponent("\(files[1].key).json")
        try Data(try Data(contentsOf: URL(fileURLWithPath: files[1].path)).prefix(100)).write(to: truncated)
        let into = ResultStore(target.appendingPathComponent(config.name).path)
        // A folder that is not a store (a runs/ folder given by mistake, say) is named.
        let notAStore = try #require(throws: DataError.self) { try into.merge([ResultStore(storeA.runsFolder.path)]) }
        #expect(notAStore.file == storeA.runsFolder.path && "\(notAStore)".contains("no runs/ folder"))
        let error = try #require(throws: DataError.self) { try into.merge([storeA, storeC]) }
        #expect(error.file == truncated.path)
        #expect(try into.runFiles().isEmpty)
        let report = try into.merge([storeA, storeB])
        #expect(report.copied == files.count && report.identical == 0)
        #expect(report.conflicts == [ResultStore.Conflict(key: other.key, kept: into.runsFolder.appendingPathComponent("\(other.key).json").path,
                                                          incoming: storeB.runsFolder.appendingPathComponent("\(other.key).json").path)])
        #expect(try Data(contentsOf: into.runsFolder.appendingPathComponent("\(other.key).json"))
                == Data(contentsOf: URL(fileURLWithPath: files[0].path)))
    }

    /// Run files written as bench writes them (one key to a line) that differ
    /// only in timings, host, CPU, kernel, finishing time or label have the same lines
    /// less those; a file with one other loss does not.
    @Test func volatileLinesAreTimingsHostMachineAndLabelOnly() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let r = try runner(try gridConfig(), folder)
        _ = try r.run(stage: .tuning)
        let file = try #require(try ResultStore(r.storeFolder.path).runFiles().first)
        let record = try ResultStore.record(at: file.path)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var elsewhere = record
        (elsewhere.host, elsewhere.finished, elsewhere.label) = ("node-7", "2030-01-01T00:00:00Z", "Relabelled")
        (elsewhere.cpu, elsewhere.blasKernel) = ("Another CPU", "OpenBLAS 0.3.21 Haswell")
        elsewhere.result.totalSeconds += 1
        elsewhere.result.secondsPerEpoch += 1
        elsewhere.result.test?.seconds += 1
        elsewhere.result.epochs[0].trainSeconds += 1
        var otherLoss = record
        otherLoss.result.epochs[0].loss += 1e-9
        let lines = { (r: RunRecord) in ResultStore.withoutVolatileLines(try encoder.encode(r)) }
        #expect(try encoder.encode(record) != encoder.encode(elsewhere))
        #expect(try lines(record) == lines(elsewhere))
        #expect(try lines(record) != lines(otherLoss))
        #expect(ResultStore.sameRun(record, elsewhere) && !ResultStore.sameRun(record, otherLoss))
        // The lines left are the file's, in order: only whole lines go.
        let text = String(decoding: try lines(record), as: UTF8.self)
        #expect(!text.contains("\"host\"") && !text.contains("Seconds\"") && !text.contains("\"blasKernel\"")
                && text.contains("\"loss\" : "))
    }
}
