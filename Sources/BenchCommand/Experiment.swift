import ArgumentParser
import Dispatch
import Experiments
import Foundation
import GraphKit
import ModelRegistry
import RecommenderCore
import Synchronization

/// Set by SIGINT or SIGTERM; training stops at the next epoch boundary.
let stopRequested = Atomic<Bool>(false)

/// Turns SIGINT and SIGTERM into a clean stop request.
func installStopHandlers() -> [DispatchSourceSignal] {
    [SIGINT, SIGTERM].map { number in
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            stopRequested.store(true, ordering: .relaxed)
            FileHandle.standardError.write(Data("\nbench: stopping after the current epoch; finished runs are kept\n".utf8))
        }
        source.resume()
        return source
    }
}

/// Options shared by the subcommands that read a config.
struct ConfigOptions: ParsableArguments {
    @Argument(help: "The experiment config (JSON).") var config: String
    @Option(name: .customLong("results"), help: ArgumentHelp(
        "Folder that holds each config's results folder. Default: the repository's Results for a config inside the repository, else Results beside the config.",
        valueName: "results"))
    var resultsOption: String?
    @Option(name: .customLong("configs"), help: ArgumentHelp(
        "Folder with datasets/NAME.json descriptors, for dataset names. Default: the repository's Configs.",
        valueName: "configs"))
    var configsOption: String?

    /// The results root: as given, else the repository's `Results` for a
    /// config inside the repository, else `Results` beside the config; never
    /// the working directory's unless the config is there.
    var results: String {
        if let resultsOption { return resultsOption }
        if Repository.contains(config), let root = Repository.root {
            return root.appendingPathComponent("Results").path
        }
        return URL(fileURLWithPath: config).standardizedFileURL.deletingLastPathComponent()
            .appendingPathComponent("Results").path
    }

    /// The folder dataset names resolve under.
    var configs: String { configsOption ?? Repository.configs.path }

    /// The config, made a variant by `settings` (`--set key=value`) when given.
    func load(settings: [String] = []) throws -> ExperimentConfig {
        do {
            let overrides = try settings.map { try ConfigOverride(parsing: $0) }
            let loaded = try ExperimentConfig.load(config, registry: registry, configsRoot: configs, overrides: overrides)
            for line in loaded.warnings { FileHandle.standardError.write(Data("bench: warning: \(line)\n".utf8)) }
            return loaded
        } catch let error as DataError {
            throw badInput("\(error)")
        } catch let error as ConfigError {
            throw badInput("\(error)")
        }
    }
}

/// `--set key=value` of `bench run`, `table` and `validate`: a variant of the config.
struct VariantOptions: ParsableArguments {
    @Option(name: .customLong("set"), parsing: .upToNextOption, help: ArgumentHelp(
        "A quick variant: a training option (epochs, learning_rate, ...) or hyper-parameter as key=value, for every model entry that has it. The variant's tables go to RESULTS/NAME-KEY_VALUE; its runs, keyed by their own settings, to the config's store. `table` and `validate` take the same settings to address it.",
        valueName: "key=value"))
    var settings: [String] = []
}

/// Says on stderr what `bench` found in each dataset given as an MMRec folder.
func reportDatasets(_ runner: ExperimentRunner) {
    for line in runner.datasetReports {
        FileHandle.standardError.write(Data("bench: \(line)\n".utf8))
    }
}

/// Writes the recoveries the loader made from each dataset (`Dataset.warnings`)
/// to stderr, one line each.
func reportWarnings(_ datasets: [Dataset]) {
    for data in datasets {
        for line in data.warnings { FileHandle.standardError.write(Data("bench: warning: \(data.name): \(line)\n".utf8)) }
    }
}

/// Re-renders and writes the tables of a config from its stored runs.
func writeTables(_ runner: ExperimentRunner, records: [RunRecord]) throws -> URL {
    // The datasets bench run loaded before training, or, for bench table, loaded now.
    let lines = try runner.loadDatasets().map { data in
        let line = "\(data.name): \(data.userCount) users, \(data.itemCount) items, \(data.graph.edgeCount) training pairs"
            + (data.modalities.isEmpty ? ", no features" : ", features: " + data.modalities.map(\.rawValue).joined(separator: ", "))
        return (name: data.name, line: line)
    }
    let tables = ResultTables(config: runner.config, records: records, datasets: lines)
    try tables.write(to: runner.folder)
    return runner.folder.appendingPathComponent("\(runner.config.output.table).md")
}

/// Bad input (a file, a config key, a value): the message on stderr, as the
/// argument parser writes its errors, and exit status 64, but without the
/// usage text, which is about the command line and not the files.
func badInput(_ message: String) -> ExitCode {
    FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
    return ExitCode(64)
}

/// The exit status of a `bench run` or `bench train` that completed but left a
/// run failed (a diverged loss, a model that cannot run on a dataset); 0 means
/// every run finished, 64 bad input, 130 an interruption.
let runsFailedStatus: Int32 = 2

/// Writes one line per failed run to stderr (its row, dataset, grid point,
/// seed, key and the whole reason); true when there was one.
@discardableResult
func reportFailures(_ records: [RunRecord]) -> Bool {
    let failed = records.filter { $0.result.status == .failed }.sorted { $0.key < $1.key }
    for r in failed {
        let why = (r.result.failure ?? "no reason stored").split(whereSeparator: \.isNewline).joined(separator: " ")
        FileHandle.standardError.write(Data(
            "bench: failed: \(r.label) on \(r.spec.dataset), \(r.gridPoint), seed \(r.spec.seed) (run \(r.key)): \(why)\n".utf8))
    }
    return !failed.isEmpty
}

/// `bench run CONFIG`.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train every run of a config that has no stored result, then write its tables.",
        discussion: "Runs are stored one JSON file each under RESULTS/STORE/runs/ (STORE is the config's \"store\", by default its name), keyed by a hash of their resolved settings; a run whose file exists is skipped. Per dataset, every grid point runs with the tuning seeds first; the point chosen on validation then runs with the other seeds. SIGINT or SIGTERM stops after the current epoch and keeps the finished runs.\n\nExit status: 0 when every run of the config finished; 2 when the command completed and wrote its tables but a run failed (one line per failed run on stderr; a shard or a stage exits 0 then, so that the next Slurm stage starts); 64 for bad input, before anything is written; 130 when interrupted.")

    @OptionGroup var options: ConfigOptions
    @Flag(help: "No progress output.") var quiet = false
    @Flag(help: "One progress line per finished run, with the job's time left, instead of one per epoch.") var brief = false
    @OptionGroup var variant: VariantOptions
    @Option(help: ArgumentHelp(
        "Run only shard I of N (0-based), or \"slurm\": the Slurm array task this is (SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT, with SLURM_CPUS_PER_TASK worker threads). A shard writes no tables.",
        valueName: "I/N|slurm"))
    var shard: String?
    @Option(help: ArgumentHelp("Run only the tuning runs, or only the final runs that the stored tuning runs decide (as the Slurm scripts do).",
                               valueName: "tuning|final"))
    var stage: String?
    @Option(help: ArgumentHelp(
        "Train with N processes of bench side by side, each with one worker thread, sharing each stage's runs: on a machine with N cores, more runs an hour than one process with N threads, and the same results. Each epoch (or with --brief, each run) is a log line, and the job's runs and time left a line of their own.",
        valueName: "N"))
    var jobs = 1
    @Option(help: ArgumentHelp("Worker threads of this process (default: the machine's cores). Results do not depend on it.",
                               valueName: "N"))
    var workers: Int?
    @Flag(name: .customLong("fill-per-user"),
          help: "Train again the stored runs at each row's chosen point that lack per-user test values (stored before the suite kept them), replacing their records, then write the tables. On the CPU and BLAS kernel that stored a run, it comes back the same bit for bit.")
    var fillPerUser = false
    /// Set on the processes `--jobs` starts: the parent has said what the job is,
    /// and each epoch is a log line, since the processes share one terminal.
    @Flag(help: .hidden) var jobProcess = false

    func run() throws {
        let config = try options.load(settings: variant.settings)
        if let workers {
            guard workers >= 1 else { throw ValidationError("--workers \(workers): expected a positive integer") }
            Parallelism.setWorkers(workers)
        }
        guard jobs >= 1 else { throw ValidationError("--jobs \(jobs): expected a positive integer") }
        if fillPerUser {
            guard shard == nil && stage == nil && jobs == 1 else {
                throw ValidationError("--fill-per-user trains in this one process; drop --shard, --stage and --jobs")
            }
            return try fillPerUserValues(config)
        }
        if jobs > 1 {
            guard shard == nil && stage == nil else { throw ValidationError("--jobs runs every shard and stage itself; drop --shard and --stage") }
            return try runJobs(config)
        }
        let part = try shard.map { try resolveShard($0) }
        let only: PlannedRun.Stage?
        switch stage {
        case nil: only = nil
        case let text?:
            guard let s = PlannedRun.Stage(rawValue: text) else { throw ValidationError("--stage \(text): expected tuning or final") }
            only = s
        }
        let runner: ExperimentRunner
        let summary: ExperimentRunner.Summary
        do {
            runner = try ExperimentRunner(config: config, registry: registry, resultsRoot: options.results,
                                          progress: quiet ? .quiet : brief ? .brief : jobProcess ? .lines : .automatic)
            if !quiet && !jobProcess { reportDatasets(runner) }
            // The input is checked as bench validate checks it before anything
            // is written; the processes of --jobs leave that, and the warnings,
            // to the one that started them.
            let loaded = try jobProcess ? runner.loadDatasets() : runner.checkInputs()
            if !jobProcess { reportWarnings(loaded) }
            let handlers = installStopHandlers()
            defer { handlers.forEach { $0.cancel() } }
            let scope = (part.map { ", shard \($0)" } ?? "") + (only.map { ", \($0.rawValue) runs only" } ?? "")
            if !jobProcess {
                FileHandle.standardError.write(Data("bench: \(config.name): \(config.plannedRunCount) runs planned\(scope)\n".utf8))
            }
            summary = try runner.run(shard: part, stage: only) { stopRequested.load(ordering: .relaxed) }
        } catch let error as DataError {
            throw badInput("\(error)")
        } catch let error as ConfigError {
            throw badInput("\(options.config), key '\(error.key)': \(error.reason)")
        }
        let elsewhere = summary.byOthers > 0 ? ", \(summary.byOthers) trained meanwhile by another process" : ""
        if part != nil || only != nil {
            // A shard or a stage leaves the tables to `bench table`, once every shard and stage has finished.
            let scope = part.map { " shard \($0)" } ?? " \(only!.rawValue) runs"
            print("\(config.name)\(scope): trained \(summary.trained), reused \(summary.skipped), failed \(summary.failed)\(elsewhere)"
                  + (summary.undecided > 0 ? ", \(summary.undecided) final runs wait on other shards' tuning runs" : ""))
            if summary.interrupted {
                print("interrupted: rerun the same command to finish the missing runs")
                throw ExitCode(130)
            }
            // The failures of this part; its exit stays 0 so that a Slurm
            // dependency on it (afterok) still starts the next stage.
            if !jobProcess { reportFailures(summary.records) }
            return
        }
        let table = try writeTables(runner, records: summary.records)
        print("\(config.name): trained \(summary.trained), reused \(summary.skipped), failed \(summary.failed)\(elsewhere)")
        print("table: \(table.path)")
        print("grid:  \(runner.folder.appendingPathComponent("\(config.output.table).csv").path)")
        reportCheckpoints(runner)
        if summary.interrupted {
            print("interrupted: rerun the same command to finish the missing runs")
            throw ExitCode(130)
        }
        print("")
        print(try String(contentsOf: table, encoding: .utf8))
        if reportFailures(summary.records) { throw ExitCode(runsFailedStatus) }
    }

    /// `--fill-per-user`: the chosen points' runs that lack per-user values, trained again.
    func fillPerUserValues(_ config: ExperimentConfig) throws {
        let runner: ExperimentRunner
        let backfill: ExperimentRunner.Backfill
        do {
            runner = try ExperimentRunner(config: config, registry: registry, resultsRoot: options.results,
                                          progress: quiet ? .quiet : brief ? .brief : .automatic)
            reportWarnings(try runner.checkInputs())
            let runs = try runner.runsWithoutPerUserValues()
            let stored = runs.compactMap { runner.storedRecord($0, history: false) }
            let minutes = stored.reduce(0) { $0 + $1.result.totalSeconds } / 60
            FileHandle.standardError.write(Data(String(format: "bench: \(config.name): %d runs at the chosen points lack per-user values; they took %.1f min when stored\n", runs.count, minutes).utf8))
            let handlers = installStopHandlers()
            defer { handlers.forEach { $0.cancel() } }
            backfill = try runner.fillPerUserValues { stopRequested.load(ordering: .relaxed) }
        } catch let error as DataError {
            throw badInput("\(error)")
        } catch let error as ConfigError {
            throw badInput("\(options.config), key '\(error.key)': \(error.reason)")
        }
        let table = try writeTables(runner, records: try runner.storedRecords())
        print("\(config.name): trained again \(backfill.trained) runs for their per-user values; \(backfill.changed.count) came out otherwise than stored")
        for line in backfill.changed { print("  changed: \(line)") }
        print("table: \(table.path)")
        if backfill.interrupted {
            print("interrupted: rerun the same command to finish the missing runs")
            throw ExitCode(130)
        }
    }

    /// Where a config with `"checkpoints": true` keeps them, and how many of
    /// its stored runs were trained without one.
    func reportCheckpoints(_ runner: ExperimentRunner) {
        guard runner.config.checkpoints else { return }
        print("checkpoints: \(runner.checkpointsFolder.path)/KEY (bench evaluate, bench export)")
        if let missing = try? runner.finishedRunsWithoutCheckpoint(), missing > 0 {
            print("  \(missing) stored runs were trained without a checkpoint; delete their records from \(runner.runsFolder.path) to train them again with one")
        }
    }

    /// `--jobs N`: each stage in N processes that share its runs, then the tables from the store.
    func runJobs(_ config: ExperimentConfig) throws {
        let runner: ExperimentRunner
        do {
            runner = try ExperimentRunner(config: config, registry: registry, resultsRoot: options.results)
            if !quiet { reportDatasets(runner) }
            // The input is checked as bench validate checks it before anything is written.
            reportWarnings(try runner.checkInputs())
            try runner.prepareOutput()
        } catch let error as DataError {
            throw badInput("\(error)")
        } catch let error as ConfigError {
            throw badInput("\(options.config), key '\(error.key)': \(error.reason)")
        }
        let storedBefore = Set(try runner.storedRecords().map(\.key))
        FileHandle.standardError.write(Data("bench: \(config.name): \(config.plannedRunCount) runs planned, \(jobs) processes\n".utf8))
        let progress = quiet ? nil : JobsProgress(name: config.name, total: max(0, config.plannedRunCount - storedBefore.count),
                                                  runsFolder: runner.runsFolder)
        let program = URL(fileURLWithPath: CommandLine.arguments[0])
        let common = [options.config, "--results", options.results, "--configs", options.configs] + (quiet ? ["--quiet"] : brief ? ["--brief"] : [])
            + (variant.settings.isEmpty ? [] : ["--set"] + variant.settings)
        let local = LocalJobs(jobs: jobs, program: program, common: common)
        let handlers = installStopHandlers()
        defer { handlers.forEach { $0.cancel() } }
        var status: Int32 = 0
        for stage in [PlannedRun.Stage.tuning, .final] where status == 0 {
            status = try local.run(stage: stage, progress: progress)
        }
        let records = try runner.storedRecords()
        let trained = records.filter { !storedBefore.contains($0.key) }
        let table = try writeTables(runner, records: records)
        print("\(config.name): trained \(trained.count), reused \(records.count - trained.count), "
              + "failed \(trained.filter { $0.result.status == .failed }.count) (\(jobs) processes)")
        print("table: \(table.path)")
        print("grid:  \(runner.folder.appendingPathComponent("\(config.output.table).csv").path)")
        reportCheckpoints(runner)
        if status == 130 {
            print("interrupted: rerun the same command to finish the missing runs")
            throw ExitCode(130)
        }
        if status != 0 { throw ExitCode(status) }
        print("")
        print(try String(contentsOf: table, encoding: .utf8))
        if reportFailures(records) { throw ExitCode(runsFailedStatus) }
    }
}

/// `bench table CONFIG`.
struct Table: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-render a config's tables from its stored runs, without training.",
        discussion: "Exit status: 0, or 2 when a stored run of the config failed (one line per failed run on stderr, after the tables are written).")

    @OptionGroup var options: ConfigOptions
    @OptionGroup var variant: VariantOptions

    func run() throws {
        let config = try options.load(settings: variant.settings)
        do {
            let runner = try ExperimentRunner(config: config, registry: registry, resultsRoot: options.results)
            let records = try runner.storedRecords()
            try runner.prepareOutput()
            let table = try writeTables(runner, records: records)
            print("\(records.count) of \(config.plannedRunCount) runs stored; table: \(table.path)")
            print(try String(contentsOf: table, encoding: .utf8))
            if reportFailures(records) { throw ExitCode(runsFailedStatus) }
        } catch let error as DataError {
            throw badInput("\(error)")
        }
    }
}

/// `bench validate CONFIG`.
struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a config and every file it names, without training.")

    @OptionGroup var options: ConfigOptions
    @OptionGroup var variant: VariantOptions

    func run() throws {
        let config = try options.load(settings: variant.settings)
        do {
            let runner = try ExperimentRunner(config: config, registry: registry, resultsRoot: options.results)
            reportDatasets(runner)
            // The same check as bench run's (`checkInputs`): "valid" is printed
            // only when all of it passed.
            let datasets = try runner.checkInputs()
            reportWarnings(datasets)
            print("\(config.name): valid")
            for data in datasets { print(data.summary) }
            let known = try runner.knownRuns(history: false)
            let stored = known.filter { $0.record != nil }.count
            for entry in config.models {
                let how = entry.tunedAs.map { "tuned as \($0)" } ?? "\(entry.gridPoints().count) grid point(s)"
                print("  \(entry.label) (\(entry.model)): \(how), on \(config.datasets(of: entry).map(\.name).joined(separator: ", "))")
            }
            print("  \(config.plannedRunCount) runs once every point is chosen (\(config.seeds.count) seeds, \(config.tuningSeeds) for tuning); \(known.count) known now, \(stored) already stored in \(runner.runsFolder.path)")
        } catch let error as DataError {
            throw badInput("\(error)")
        } catch let error as ConfigError {
            throw badInput("\(options.config), key '\(error.key)': \(error.reason)")
        }
    }
}

/// `bench models`.
struct Models: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the registered models with their hyper-parameters, defaults and allowed values.")

    func run() {
        for type in registry.models {
            print(type.name)
            for spec in type.hyperparameters {
                print("  \(spec.name) (default \(spec.defaultValue); \(spec.allowed)): \(spec.help)")
            }
        }
    }
}
