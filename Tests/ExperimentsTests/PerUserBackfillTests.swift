import Foundation
import ModelRegistry
import RecommenderCore
import Testing
import TestSupport
@testable import Experiments

/// Runs stored before the suite kept per-user values get them by training
/// again only the chosen points' runs, which come back the same bit for bit.
@Suite struct PerUserBackfillTests {
    @Test func onlyTheChosenPointsRunsAreTrainedAgainAndComeBackTheSame() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = try parse(toyConfig(models: #"[{"model": "LightGCN", "parameters": {"n_layers": [1, 2]}}, {"model": "MostPopular"}]"#))
        let runner = try ExperimentRunner(config: config, registry: .standard, resultsRoot: folder.path, progress: .quiet)
        let first = try runner.run()
        #expect(first.trained == 6)
        #expect(first.records.allSatisfy { $0.result.testHits != nil })
        #expect(try runner.runsWithoutPerUserValues().isEmpty)
        // Strip the values from every record, as runs stored before them lack them.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        for var record in first.records {
            record.result.testHits = nil
            try encoder.encode(record).write(to: runner.runsFolder.appendingPathComponent("\(record.key).json"))
        }
        // The chosen LightGCN point's two seeds and most popular's two: not the other point's.
        let rows = selectOnValidation(config: config, datasets: ["mmgcn-toy"], records: first.records)
        let chosen = Set(rows.flatMap { $0.selected!.records.map(\.key) })
        let lacking = try runner.runsWithoutPerUserValues()
        #expect(lacking.count == 4 && Set(lacking.map(\.key)) == chosen)
        let backfill = try runner.fillPerUserValues()
        #expect(backfill.trained == 4 && backfill.changed.isEmpty && !backfill.interrupted)
        #expect(try runner.runsWithoutPerUserValues().isEmpty)
        for record in first.records {
            let now = try ResultStore.record(at: runner.runsFolder.appendingPathComponent("\(record.key).json").path)
            #expect((now.result.testHits != nil) == chosen.contains(record.key))
            if chosen.contains(record.key) { #expect(now.result.testHits == record.result.testHits) }
            #expect(now.result.test?.values == record.result.test?.values)
            // A run without per-user values is the same run as its retraining with them.
            var bare = now
            bare.result.testHits = nil
            #expect(ResultStore.sameRun(bare, now) && ResultStore.sameRun(now, bare))
            var other = now
            other.result.testHits = RankedHits(depth: 20, users: 1, entries: [])
            #expect(chosen.contains(record.key) ? !ResultStore.sameRun(other, now) : ResultStore.sameRun(other, now))
        }
    }
}
