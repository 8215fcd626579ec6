import Foundation
import RecommenderCore

/// The progress of a whole `bench run`: how many runs it has to train and,
/// once some are done, the time left at their mean time per run.
struct JobClock: Sendable {
    /// Runs this call trains: the config's planned runs less those stored
    /// when it started (an estimate while chosen points are still unknown).
    let total: Int
    private(set) var trained = 0
    private(set) var seconds = 0.0

    init(total: Int) {
        self.total = total
    }

    /// Counts one more trained run that took `seconds`.
    mutating func finished(seconds: Double) {
        trained += 1
        self.seconds += seconds
    }

    /// " (job: run 4 of 12 to train, about 3m left)", or without a time before the first run is done.
    var note: String {
        let position = "job: run \(min(trained + 1, max(total, 1))) of \(max(total, trained + 1)) to train"
        guard trained > 0 else { return " (\(position))" }
        let left = Double(max(total - trained, 0)) * seconds / Double(trained)
        return " (\(position), about \(ProgressReporter.duration(left)) left at \(ProgressReporter.duration(seconds / Double(trained))) a run)"
    }
}
