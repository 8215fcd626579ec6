import ArgumentParser
import Experiments
import Foundation
import RecommenderCore

/// `bench slurm CONFIG`: Slurm job arrays that run a config's shards, and the
/// jobs that render its tables and report failed shards.
struct Slurm: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write (and with --submit, submit) the sbatch scripts that run a config as Slurm job arrays.",
        discussion: """
            tuning.sbatch is an array with one task per shard, each `bench run CONFIG --shard slurm --stage tuning`. \
            When the config has final runs (the chosen point's other seeds, tuned_as rows), final.sbatch is a second \
            array, after the first with afterok, that runs them the same way. tables.sbatch renders the tables after \
            the last array with afterok, and names any run that failed, with its shard. check.sbatch runs after the \
            last array whatever its outcome (afterany), and fails naming each shard whose runs are not all stored. \
            The scripts and the tasks' logs go to RESULTS/NAME/slurm/. Resubmitting after a time-out or a preemption \
            runs only the missing runs: finished ones are skipped.
            """)

    @OptionGroup var options: ConfigOptions
    @Option(help: "Slurm partition (default: the cluster's).") var partition: String?
    @Option(help: "Time limit per array task, as Slurm reads it (such as 2:00:00).") var time = "4:00:00"
    @Option(name: .customLong("cpus-per-task"), help: "CPUs per task; bench sizes its worker threads to it.") var cpusPerTask = 2
    @Option(help: "Memory per task, as Slurm reads it (such as 8G).") var mem = "8G"
    @Option(name: .customLong("max-parallel"), help: "At most this many array tasks at once (the %MAX of --array).") var maxParallel = 8
    @Option(help: "Number of shards (default: the most runs one dataset has in one stage, so one run per task).") var shards: Int?
    @Flag(help: "Submit with sbatch and print the job ids; without it, only write the scripts.") var submit = false

    func run() throws {
        let config = try options.load()
        let runner: ExperimentRunner
        do {
            runner = try ExperimentRunner(config: config, registry: registry, resultsRoot: options.results)
        } catch let error as DataError {
            throw badInput("\(error)")
        }
        let width = try stageWidth(runner)
        let count = shards ?? max(1, width.tuning, width.final)
        guard count >= 1 else { throw ValidationError("--shards must be at least 1") }
        guard maxParallel >= 1 else { throw ValidationError("--max-parallel must be at least 1") }
        guard cpusPerTask >= 1 else { throw ValidationError("--cpus-per-task must be at least 1") }
        let scripts = SlurmScripts(
            name: config.name, bench: try benchExecutable(), workingDirectory: FileManager.default.currentDirectoryPath,
            config: absolute(options.config), results: absolute(options.results), configs: absolute(options.configs),
            shards: count, maxParallel: maxParallel, cpusPerTask: cpusPerTask, time: time, mem: mem, partition: partition)
        let folder = runner.folder.appendingPathComponent("slurm")
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("\(folder.path): cannot create the folder for the scripts (\(error.localizedDescription))")
        }
        func write(_ name: String, _ text: String) throws -> String {
            let path = folder.appendingPathComponent(name).path
            try AtomicFile.write(Data(text.utf8), to: path)
            return path
        }
        let tuning = try write("tuning.sbatch", scripts.arrayScript(stage: .tuning))
        let final = width.final > 0 ? try write("final.sbatch", scripts.arrayScript(stage: .final)) : nil
        let tables = try write("tables.sbatch", scripts.tablesScript)
        let check = try write("check.sbatch", scripts.checkScript)
        print("tuning array (\(count) shards, at most \(maxParallel) at once): \(tuning)")
        if let final { print("final array (after the tuning array, afterok): \(final)") }
        print("tables job (after the last array, afterok): \(tables)")
        print("check job (after the last array, afterany): \(check)")
        guard submit else {
            print("not submitted; read them, then run this command again with --submit")
            return
        }
        let tuningJob = try sbatch([tuning])
        var last = tuningJob
        var ids = ["tuning array \(tuningJob)"]
        if let final {
            last = try sbatch(["--dependency=afterok:\(tuningJob)", "--kill-on-invalid-dep=yes", final])
            ids.append("final array \(last)")
        }
        let tablesJob = try sbatch(["--dependency=afterok:\(last)", "--kill-on-invalid-dep=yes", tables])
        let checkJob = try sbatch(["--dependency=afterany:\(last)", check])
        ids += ["tables job \(tablesJob)", "check job \(checkJob)"]
        print("submitted: " + ids.joined(separator: ", "))
    }

    /// The most distinct runs one dataset has in each stage: the array width
    /// at which every task runs one run.
    func stageWidth(_ runner: ExperimentRunner) throws -> (tuning: Int, final: Int) {
        let config = runner.config
        var width = (tuning: 0, final: 0)
        do {
            for d in runner.descriptors.indices {
                width.tuning = max(width.tuning, Set(try runner.tuningRuns(dataset: d).map(\.key)).count)
                let finals = config.models.filter { $0.runs(on: config.datasets[d].name) }
                    .reduce(0) { $0 + config.finalRunCount(of: $1) }
                width.final = max(width.final, finals)
            }
        } catch let error as DataError {
            throw badInput("\(error)")
        }
        return width
    }

    func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath + "/"))
            .standardizedFileURL.path
    }

    /// This bench executable's absolute path, for the scripts to call.
    func benchExecutable() throws -> String {
        guard let path = Bundle.main.executablePath else { throw ValidationError("cannot tell where the bench executable is") }
        return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    /// Runs `sbatch --parsable ARGS` and returns the job id it prints.
    func sbatch(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["sbatch", "--parsable"] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { throw ValidationError("sbatch could not be started: \(error.localizedDescription)") }
        let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0,
              let id = out.split(separator: "\n").last?.split(separator: ";").first, !id.isEmpty else {
            throw ValidationError("sbatch \(arguments.joined(separator: " ")) failed (exit \(process.terminationStatus)): \(err)\(out)")
        }
        return String(id)
    }
}

/// The text of the sbatch scripts.
struct SlurmScripts {
    let name, bench, workingDirectory, config, results, configs: String
    let shards, maxParallel, cpusPerTask: Int
    let time, mem: String
    let partition: String?

    private var logs: String { "\(results)/\(name)/slurm" }
    private var common: String { "--results \(quoted(results)) --configs \(quoted(configs))" }

    /// A script: the #SBATCH lines, `extra` ones, then `set` with `options`,
    /// a `cd` to the folder `bench slurm` ran in, and `body`.
    private func script(job: String, output: String, cpus: Int, extra: [String] = [], options: String = "-euo pipefail",
                        _ body: [String]) -> String {
        (["#!/bin/bash",
          "#SBATCH --job-name=\(job)",
          "#SBATCH --cpus-per-task=\(cpus)",
          "#SBATCH --time=\(time)",
          "#SBATCH --mem=\(mem)",
          "#SBATCH --output=\(output)"]
            + (partition.map { ["#SBATCH --partition=\($0)"] } ?? [])
            + extra
            + ["set \(options)", "cd \(quoted(workingDirectory))"]
            + body + [""]).joined(separator: "\n")
    }

    /// One array task per shard: `bench run --shard slurm --stage STAGE`.
    func arrayScript(stage: PlannedRun.Stage) -> String {
        script(job: "bench-\(name)-\(stage.rawValue)", output: "\(logs)/\(stage.rawValue)-%a.out", cpus: cpusPerTask,
               extra: ["#SBATCH --array=0-\(shards - 1)%\(maxParallel)",
                       "# Shard SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT, with SLURM_CPUS_PER_TASK worker threads.",
                       "# Finished runs are skipped, so resubmitting runs only what is missing."],
               ["exec \(quoted(bench)) run \(quoted(config)) \(common) --shard slurm --stage \(stage.rawValue) --quiet"])
    }

    /// After the last array succeeded: name the runs that failed, by shard,
    /// then render the tables (failed runs show there as failed).
    var tablesScript: String {
        script(job: "bench-\(name)-tables", output: "\(logs)/tables.out", cpus: 1,
               ["\(quoted(bench)) plan \(quoted(config)) \(common) --shard-count \(shards) --unfinished",
                "exec \(quoted(bench)) table \(quoted(config)) \(common)"])
    }

    /// After the last array, however it ended: fail, naming each shard whose
    /// runs are not all stored and the tail of its log, when any is.
    var checkScript: String {
        script(job: "bench-\(name)-check", output: "\(logs)/check.out", cpus: 1, options: "-uo pipefail",
               [
                "plan=$(\(quoted(bench)) plan \(quoted(config)) \(common) --shard-count \(shards) --unfinished) || { echo \"bench plan failed\"; exit 1; }",
                "echo \"$plan\"",
                "unfinished=$(echo \"$plan\" | grep ' to run$' || true)",
                "undecided=$(echo \"$plan\" | grep 'are decided once' || true)",
                "if [ -z \"$unfinished\" ] && [ -z \"$undecided\" ]; then echo \"every run is stored\"; exit 0; fi",
                "echo \"runs are missing: a shard failed, timed out or was preempted; resubmit to run only the missing runs\"",
                "shards=$(echo \"$unfinished\" | sed -n 's/.*  shard \\([0-9]*\\)  to run$/\\1/p' | sort -un | tr '\\n' ' ' | sed 's/ $//')",
                "echo \"shards with runs missing: ${shards:-none (the final runs wait on tuning runs)}\"",
                "for shard in $shards; do",
                "  for log in \(quoted(logs))/tuning-$shard.out \(quoted(logs))/final-$shard.out; do",
                "    if [ -f \"$log\" ]; then echo \"last lines of $log:\"; tail -n 20 \"$log\"; fi",
                "  done",
                "done",
                "exit 1"])
    }

    private func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }
}
