import Foundation
import RecommenderCore

extension ExperimentRunner {
    /// The stored runs at each row's chosen point that lack the per-user
    /// values the tables' significance tests need (`TrainingResult.testHits`):
    /// runs stored before the suite kept them. Only these need training
    /// again; the tuning runs of the points not chosen never enter a test.
    public func runsWithoutPerUserValues() throws -> [PlannedRun] {
        let known = try knownRuns(history: false)
        let rows = selectOnValidation(config: config, datasets: descriptors.map(\.name),
                                      records: known.compactMap(\.record))
        let sampled = config.sampledTest != nil
        func lacksValues(_ record: RunRecord) -> Bool {
            guard record.result.status == .finished else { return false }
            return record.result.testHits == nil || (sampled && record.result.testSampledHits == nil)
        }
        let chosen: [RunRecord] = rows.flatMap { $0.selected?.records ?? [] }
        let needed = Set(chosen.filter(lacksValues).map(\.key))
        var seen: Set<String> = []
        return known.map(\.run).filter { needed.contains($0.key) && seen.insert($0.key).inserted }
    }

    /// What `fillPerUserValues` did.
    public struct Backfill: Sendable {
        public var trained = 0
        /// Runs whose test metrics came out otherwise than stored (another CPU
        /// or BLAS kernel than the one that stored them): their records now
        /// hold the new values.
        public var changed: [String] = []
        public var interrupted = false
    }

    /// Trains again each run of `runsWithoutPerUserValues`, and replaces its
    /// record with one that has the per-user values. On the CPU and BLAS
    /// kernel that stored a run, the retrained run is the same bit for bit;
    /// elsewhere its metrics move in the last digits, and it is listed in
    /// `changed`.
    public func fillPerUserValues(shouldStop: @escaping () -> Bool = { false }) throws -> Backfill {
        try prepareOutput()
        RunClaim.sweep(runsFolder)
        let runs = try runsWithoutPerUserValues()
        var backfill = Backfill()
        clock = JobClock(total: runs.count)
        for d in descriptors.indices {
            var session = sessions[d]
            defer { sessions[d] = session }
            let mine = runs.filter { $0.dataset == descriptors[d].name }
            for (n, run) in mine.enumerated() {
                let before = storedRecord(run, history: false)
                // Filled meanwhile by another process on the store.
                if let before, before.result.testHits != nil,
                   config.sampledTest == nil || before.result.testSampledHits != nil { continue }
                var summary = Summary()
                _ = try train(run, n: n, of: mine.count, waited: false, in: &session, summary: &summary,
                              replacing: true, shouldStop: shouldStop)
                if summary.interrupted { backfill.interrupted = true; return backfill }
                guard let after = summary.records.last else { continue }
                backfill.trained += 1
                if after.result.test?.values != before?.result.test?.values
                    || after.result.testSampled?.values != before?.result.testSampled?.values {
                    backfill.changed.append("\(run.label) on \(run.dataset), \(run.point.summary), seed \(run.spec.seed) (run \(run.key))")
                }
            }
        }
        return backfill
    }
}
