import ArgumentParser
import Experiments
import Foundation
import GraphKit
import RecommenderCore

/// `bench plan CONFIG`.
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a config's resolved runs, one per line, in run order, and how many are finished.",
        discussion: """
            Each line: the run key (its result file's name), stage, dataset, model, label, grid point, seed, \
            the shard with --shard-count, and the state in the result store: finished, failed or to run. The order \
            is the order `bench run` and its shards follow. Final runs (the chosen point's other seeds, tuned_as rows) \
            are listed once the tuning runs they wait on are stored; until then they are counted as undecided.
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "Print only the runs of shard I/N.") var shard: String?
    @Option(name: .customLong("shard-count"), help: "Add each run's shard (0-based) among N shards to its line.")
    var shardCount: Int?
    @Flag(help: "Print only the runs not finished (to run, or failed).") var unfinished = false

    func run() throws {
        let config = try options.load()
        if let shardCount, shardCount < 1 { throw ValidationError("--shard-count must be at least 1") }
        do {
            let runner = try ExperimentRunner(config: config, registry: registry, resultsRoot: options.results)
            let report = try PlanReport(runner, shard: try shard.map { try Shard(parsing: $0) }, shardCount: shardCount,
                                        unfinished: unfinished)
            print(report.lines.joined(separator: "\n"))
        } catch let error as DataError {
            throw badInput("\(error)")
        } catch let error as ConfigError {
            throw badInput("\(error)")
        }
    }
}

/// `bench merge STORE... --into STORE`.
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge result stores (Results/NAME folders) made on different machines or by different shards.",
        discussion: "STORE is a folder that holds runs/ (Results/paper-tables, say). A run both stores hold with the same spec and results (losses and metrics, epoch by epoch; timings, host and label may differ) is kept once. A run whose key two stores hold with different results is a conflict: both files are named, neither is overwritten, and the exit code is 1. Every incoming file is checked before anything is written; each copy goes to a temporary file in runs/ and is renamed into place.")

    @Argument(help: "The stores to merge from.") var stores: [String]
    @Option(help: "The store to merge into (created if missing).") var into: String

    func run() throws {
        let target = ResultStore(into)
        let report: ResultStore.MergeReport
        do {
            report = try target.merge(stores.map(ResultStore.init))
        } catch let error as DataError {
            throw badInput("\(error)")
        }
        print("merged into \(target.runsFolder.path): copied \(report.copied), identical \(report.identical), conflicts \(report.conflicts.count)")
        for conflict in report.conflicts {
            FileHandle.standardError.write(Data("bench merge: conflict: \(conflict)\n".utf8))
        }
        if !report.conflicts.isEmpty { throw ExitCode(1) }
    }
}

/// The shard a `--shard` option names: "I/N", or "slurm" for the Slurm array
/// task this process is, whose worker threads then follow `SLURM_CPUS_PER_TASK`.
func resolveShard(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Shard {
    guard text == "slurm" else { return try Shard(parsing: text) }
    let shard = try Shard(slurm: environment)
    if let cpus = environment["SLURM_CPUS_PER_TASK"].flatMap(Int.init), cpus >= 1 {
        Parallelism.setWorkers(cpus)
    }
    return shard
}

/// `bench compare STORE --reference STORE`.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare the runs of a result store with those of a reference store, key by key, in one line.",
        discussion: "Runs with the same key were trained with the same settings on the same data. The line says whether they hold the same bits (losses and metrics, epoch by epoch) or, where they differ, the largest test-metric difference and the CPU and BLAS kernel each side was computed on. `make` ends with it, against Results/reference/tiktok-default.")

    @Argument(help: "The store to check (a folder that holds runs/).") var store: String
    @Option(help: "The reference store.") var reference: String

    func run() throws {
        do {
            let comparison = try StoreComparison(ResultStore(store), reference: ResultStore(reference))
            print("\(store): \(comparison.summary)")
        } catch let error as DataError {
            throw badInput("\(error)")
        }
    }
}
