import Foundation
import RecommenderCore

/// What `bench plan` prints: every run known now, one per line, in run order,
/// with its stage, shard and state in the result store, then the counts.
public struct PlanReport {
    /// One line per listed run: key, stage, dataset, model, label, grid
    /// point, seed, the shard (with a shard count) and the state.
    public var lines: [String] = []
    /// Runs listed (all, or one shard's), and how many are stored.
    public var listed = 0, finished = 0, failed = 0
    /// Final runs that wait on tuning runs not stored yet, in all shards.
    public var undecided = 0

    /// The runs of `runner`'s config, all or only `shard`'s. With
    /// `shardCount` (or a shard), each line names its run's shard, assigned
    /// per dataset and stage as `ExperimentRunner.run(shard:)` assigns it.
    /// With `unfinished`, runs already finished are counted but not listed.
    public init(_ runner: ExperimentRunner, shard: Shard? = nil, shardCount: Int? = nil, unfinished: Bool = false) throws {
        let n = shard?.count ?? shardCount
        for group in try runner.knownRunsByDataset(history: false) {
            undecided += group.undecided
            var shards: [Int?] = Array(repeating: nil, count: group.runs.count)
            if let n {
                for stage in [PlannedRun.Stage.tuning, .final] {
                    let indices = group.runs.indices.filter { group.runs[$0].run.stage == stage }
                    for (i, s) in zip(indices, Shard.assign(indices.map { group.runs[$0].run }, count: n)) { shards[i] = s }
                }
            }
            for (i, (run, record)) in group.runs.enumerated() {
                if let shard, shards[i] != shard.index { continue }
                let state = record.map { $0.result.status == .failed ? "failed" : "finished" } ?? "to run"
                listed += 1
                if state == "finished" { finished += 1 } else if state == "failed" { failed += 1 }
                if unfinished && state == "finished" { continue }
                let part = shards[i].map { "  shard \($0)" } ?? ""
                lines.append("\(run.key)  \(run.stage.rawValue)  \(run.dataset)  \(run.spec.model)  \(run.label)  "
                             + "\(run.point.summary)  seed \(run.spec.seed)\(part)  \(state)")
            }
        }
        let scope = shard.map { " in shard \($0)" } ?? ""
        lines.append("\(listed) runs\(scope): \(finished) finished, \(failed) failed, \(listed - finished - failed) to run, in \(runner.runsFolder.path)")
        if undecided > 0 {
            lines.append("\(undecided) final runs\(shard == nil ? "" : " (all shards)") are decided once the tuning runs they wait on are stored")
        }
        let lacking = try runner.runsWithoutPerUserValues()
        if shard == nil && !lacking.isEmpty {
            let seconds = lacking.compactMap { runner.storedRecord($0, history: false)?.result.totalSeconds }.reduce(0, +)
            lines.append("\(lacking.count) runs at the chosen points lack per-user test values (stored before the suite kept them; "
                         + String(format: "%.1f min", seconds / 60) + " of training when stored): bench run --fill-per-user trains them again")
        }
    }
}
