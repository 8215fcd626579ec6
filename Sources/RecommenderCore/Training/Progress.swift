import Foundation

/// Reports training progress on stderr: a live bar when stderr is a terminal,
/// plain log lines otherwise, nothing when quiet.
public final class ProgressReporter: @unchecked Sendable {
    /// How much to print.
    public enum Mode: Sendable {
        /// Every epoch: a live bar on a terminal, a log line otherwise.
        case automatic
        /// Every epoch as a log line, never a live bar: for processes that
        /// share one terminal (those of `bench run --jobs`).
        case lines
        /// Only each run's outcome, one line per run.
        case brief
        /// Nothing.
        case quiet
    }

    let isTerminal: Bool
    let quiet: Bool
    let brief: Bool
    let label: String
    private var lastWidth = 0

    /// A reporter whose lines start with `label` (the run's name).
    public init(label: String, mode: Mode = .automatic) {
        self.label = label
        quiet = mode == .quiet
        brief = mode == .brief
        isTerminal = mode != .lines && isatty(STDERR_FILENO) != 0
    }

    /// Reports the end of an epoch. `stopsBy` is the epoch at which the
    /// patience rule ends the run if validation does not improve again (each
    /// gain moves it later); the ETA is the time to it at the mean time per
    /// epoch so far, validation included.
    public func epoch(_ epoch: Int, of total: Int, stopsBy: Int, loss: Double, metric: String, value: Double?,
                      best: Double?, bestEpoch: Int?, secondsPerEpoch: Double, secondsPerEpochWithValidation: Double) {
        guard !quiet && !brief else { return }
        var line = "\(label) epoch \(epoch)/\(total) loss \(String(format: "%.5f", loss))"
        if let value { line += " \(metric) \(String(format: "%.4f", value))" }
        if let best, let bestEpoch { line += " (best \(String(format: "%.4f", best)) @ \(bestEpoch))" }
        line += " \(String(format: "%.2f", secondsPerEpoch)) s/epoch"
        if stopsBy > epoch {
            let remaining = Double(stopsBy - epoch) * secondsPerEpochWithValidation
            line += ", ends at epoch \(stopsBy) in \(Self.duration(remaining)) unless \(metric) improves"
        }
        if isTerminal {
            let done = Int(20 * Double(epoch) / Double(max(stopsBy, epoch, 1)))
            let bar = "[" + String(repeating: "#", count: done) + String(repeating: ".", count: 20 - done) + "] "
            let text = bar + line
            let pad = max(0, lastWidth - text.count)
            lastWidth = text.count
            FileHandle.standardError.write(Data(("\r" + text + String(repeating: " ", count: pad)).utf8))
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    /// Reports a message on its own line.
    public func note(_ message: String) {
        guard !quiet else { return }
        if isTerminal && lastWidth > 0 {
            FileHandle.standardError.write(Data("\n".utf8))
            lastWidth = 0
        }
        FileHandle.standardError.write(Data("\(label) \(message)\n".utf8))
    }

    /// A duration as "42s", "3m5s" or "1h12m".
    public static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
