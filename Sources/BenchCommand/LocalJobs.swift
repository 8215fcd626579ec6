import Experiments
import Foundation

/// `bench run --jobs N` on one machine: each stage's runs (tuning, then the
/// final runs they decide) trained by N processes of this program side by
/// side, each with one worker thread. Every process walks the stage's runs
/// in order and trains each one it can claim (`RunClaim`), so a process that
/// finishes its run takes the next free one and none waits while runs are
/// left. A run's bits do not depend on the worker count or on which process
/// trains it, so the store and the tables are those of one process. One
/// process with two threads leaves a core idle much of the time; on the
/// 2-core machine of docs/tables.md ("Budget") two single-threaded processes
/// trained 1.71 times the runs an hour.
struct LocalJobs {
    let jobs: Int
    /// The program and the arguments every child shares: the config, the
    /// results and configs folders, the progress flag.
    let program: URL
    let common: [String]

    /// Trains `stage` in `jobs` child processes and waits for them, polling
    /// `progress` as they go; SIGINT or SIGTERM of this process is passed on.
    /// Returns the worst exit status (0 when every child finished; 130 when
    /// one was interrupted).
    func run(stage: PlannedRun.Stage, progress: JobsProgress?) throws -> Int32 {
        var children: [Process] = []
        for _ in 0..<jobs {
            let child = Process()
            child.executableURL = program
            child.arguments = ["run"] + common + ["--stage", stage.rawValue, "--workers", "1", "--job-process"]
            // The parent prints the summary and the table; a child's progress goes to stderr as usual.
            child.standardOutput = FileHandle.nullDevice
            try child.run()
            children.append(child)
        }
        var forwarded = false
        while children.contains(where: \.isRunning) {
            if !forwarded && stopRequested.load(ordering: .relaxed) {
                for child in children where child.isRunning { child.interrupt() }
                forwarded = true
            }
            progress?.poll()
            usleep(100_000)
        }
        progress?.poll()
        let statuses = children.map(\.terminationStatus)
        if statuses.contains(130) { return 130 }
        return statuses.first { $0 != 0 } ?? 0
    }
}
