import Foundation
import RecommenderCore

/// One of N disjoint parts of a config's runs, for running a grid as N jobs
/// (a Slurm job array, say).
///
/// The parts are cut over a list of runs (one dataset's tuning runs, say) by
/// its distinct run keys in order: key j goes to shard j mod N. Every run is
/// in exactly one shard, and two entries with the same spec (the same key,
/// the same result file) land in the same shard, so two shards never write
/// the same file.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// 0-based: 0 ..< count.
    public let index: Int
    public let count: Int

    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw ConfigError(key: "shard", "\(index)/\(count): the shard count must be at least 1") }
        guard (0..<count).contains(index) else {
            throw ConfigError(key: "shard", "\(index)/\(count): the index must be in 0...\(count - 1) (shards are numbered from 0, as Slurm array tasks are)")
        }
        self.index = index
        self.count = count
    }

    /// Parses "I/N", as in `--shard 2/8`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw ConfigError(key: "shard", "\"\(text)\": expected I/N, such as 0/4, or \"slurm\"")
        }
        try self.init(index: i, count: n)
    }

    /// The shard of a Slurm array task: `SLURM_ARRAY_TASK_ID` of
    /// `SLURM_ARRAY_TASK_COUNT`, from `environment`.
    public init(slurm environment: [String: String]) throws {
        guard let id = environment["SLURM_ARRAY_TASK_ID"].flatMap(Int.init),
              let count = environment["SLURM_ARRAY_TASK_COUNT"].flatMap(Int.init) else {
            throw ConfigError(key: "shard", "slurm: SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT must both be set to integers (run inside an array job, or give I/N)")
        }
        try self.init(index: id, count: count)
    }

    public var description: String { "\(index)/\(count)" }

    /// The runs of `runs` that belong to this shard, in order.
    public func runs(of runs: [PlannedRun]) -> [PlannedRun] {
        let shards = Self.assign(runs, count: count)
        return runs.indices.filter { shards[$0] == index }.map { runs[$0] }
    }

    /// The shard (0 ..< count) of each of `runs`: its key's place among the
    /// distinct keys, mod `count`.
    public static func assign(_ runs: [PlannedRun], count: Int) -> [Int] {
        var position: [String: Int] = [:]
        return runs.map { run in
            if let p = position[run.key] { return p % count }
            let p = position.count
            position[run.key] = p
            return p % count
        }
    }
}
