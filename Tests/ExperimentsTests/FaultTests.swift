import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `bench run` stopped by SIGINT, SIGTERM and SIGKILL in the middle of a grid:
/// no finished run is lost, the last rerun trains exactly the missing runs,
/// nothing is left behind in the store, and the tables equal those of a run
/// that was never stopped.
@Suite struct FaultTests {
    /// Eight grid points of LightGCN on the toy data, 30 epochs each (a few
    /// tenths of a second a run), so that a signal sent when a run is stored
    /// lands inside the next one.
    static let config = """
        {"name": "faults", "dataset": "\(repositoryPath("Configs/datasets/mmgcn-toy.json"))",
         "protocol": {"ks": [10], "metrics": ["recall", "ndcg"], "valid_metric": "recall@10"},
         "training": {"epochs": 30, "patience": 100}, "seeds": [1],
         "models": [{"model": "LightGCN", "parameters": {"reg_weight": [0, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 0.3, 1]}}]}
        """
    static let total = 8

    func stored(_ folder: URL) -> [String] {
        let runs = folder.appendingPathComponent("Results/faults/runs")
        return ((try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? []).sorted()
    }

    func runFiles(_ folder: URL) -> Int { stored(folder).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.count }

    /// Starts `bench run`, waits until one more run than now is stored, sends
    /// `signal`, and returns the exit status and the stored count before the signal.
    func interrupt(_ folder: URL, with signal: Int32) throws -> (status: Int32, reason: Process.TerminationReason, before: Int) {
        let start = runFiles(folder)
        let process = Process()
        process.executableURL = try benchExecutable()
        process.arguments = ["run", "--quiet", "--workers", "1", "faults.json"]
        process.currentDirectoryURL = folder
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while runFiles(folder) <= start && process.isRunning && Date() < deadline { usleep(2_000) }
        let before = runFiles(folder)
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason, before)
    }

    @Test func signalsMidRunLoseNothingAndTheRerunTrainsOnlyWhatIsMissing() throws {
        let folder = try temporaryFolder(), clean = try temporaryFolder()
        defer {
            try? FileManager.default.removeItem(at: folder)
            try? FileManager.default.removeItem(at: clean)
        }
        for f in [folder, clean] { try Data(Self.config.utf8).write(to: f.appendingPathComponent("faults.json")) }

        // SIGINT and SIGTERM stop after the current epoch: status 130, every
        // finished run kept, the one in progress not stored.
        for signal in [SIGINT, SIGTERM] {
            let stop = try interrupt(folder, with: signal)
            #expect(stop.reason == .exit && stop.status == 130, "signal \(signal): \(stop)")
            #expect(runFiles(folder) == stop.before && stop.before < Self.total, "signal \(signal): \(stored(folder))")
        }
        // SIGKILL: no chance to clean up; the run in progress leaves its claim.
        let killed = try interrupt(folder, with: SIGKILL)
        #expect(killed.reason == .uncaughtSignal && killed.status == SIGKILL, "\(killed)")
        let beforeRerun = runFiles(folder)
        #expect(beforeRerun >= 3 && beforeRerun < Self.total, "\(stored(folder))")

        let rerun = try runBench(["run", "--brief", "--workers", "1", "faults.json"], in: folder)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(rerun.stdout.contains("faults: trained \(Self.total - beforeRerun), reused \(beforeRerun), failed 0"),
                "\(rerun.stdout)")
        #expect(stored(folder).count == Self.total, "left behind: \(stored(folder))")

        let whole = try runBench(["run", "--brief", "--workers", "1", "faults.json"], in: clean)
        #expect(whole.status == 0, "\(whole.stderr)")
        let csv = { (f: URL) in try String(contentsOf: f.appendingPathComponent("Results/faults/faults.csv"), encoding: .utf8) }
        #expect(try csv(folder) == csv(clean))
        // The stored runs themselves: the same keys, and each the same result.
        #expect(stored(folder) == stored(clean))
    }
}
