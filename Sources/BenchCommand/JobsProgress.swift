import Foundation
import RecommenderCore

/// The whole job's progress under `bench run --jobs N`. Each child reports its
/// own runs; the parent counts the run files the children add to the store
/// and, at each new one, prints how many of the job's runs are done and the
/// time left at the pace of every process together so far (elapsed time per
/// finished run, times the runs still to train).
final class JobsProgress {
    let name: String
    /// Runs the job has to train: the config's planned runs less those stored when it started.
    let total: Int
    let runsFolder: URL
    private var before = 0
    private let start = Date()
    private var reported = 0

    init(name: String, total: Int, runsFolder: URL) {
        self.name = name
        self.total = total
        self.runsFolder = runsFolder
        before = storedCount()
    }

    /// Finished run files in the store (a run is written to a hidden
    /// temporary name, then renamed to KEY.json).
    private func storedCount() -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runsFolder.path)) ?? []
        return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.count
    }

    /// Prints a line on stderr when a run has finished since the last call.
    func poll() {
        let trained = storedCount() - before
        guard trained > reported else { return }
        reported = trained
        let elapsed = Date().timeIntervalSince(start)
        let left = Double(max(total - trained, 0)) * elapsed / Double(trained)
        let line = "bench: \(name): \(trained) of \(max(total, trained)) runs trained in \(ProgressReporter.duration(elapsed))"
            + (trained < total ? ", about \(ProgressReporter.duration(left)) left at this pace" : "")
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
