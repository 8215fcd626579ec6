import Foundation
import RecommenderCore

/// Renders a config's results as a CSV of the whole grid and a paper-style
/// Markdown table of the selected points.
public struct ResultTables {
    public let config: ExperimentConfig
    public let rows: [RowOutcome]
    /// Dataset sizes for the caption, such as "tiktok (9,308 users, 6,710 items)".
    public let datasetLine: String
    public let commit: String
    public let date: String

    public init(config: ExperimentConfig, records: [RunRecord], datasetLine: String,
                commit: String = currentCommit(), date: Date = Date()) {
        self.config = config
        self.rows = selectOnValidation(config: config, records: records)
        self.datasetLine = datasetLine
        self.commit = commit
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        self.date = formatter.string(from: date)
    }

    /// Every grid point of every row, with its validation mean (which chose),
    /// its test means and standard deviations, and whether it was selected.
    public func csv() -> String {
        let valid = config.training.validMetric
        var header = ["label", "model", "grid_point", "selected", "status", "seeds", "valid_\(valid)_mean"]
        for c in config.output.columns { header += ["test_\(c)_mean", "test_\(c)_std"] }
        var lines = [header.joined(separator: ",")]
        for row in rows {
            for p in row.points {
                let finished = p.records.filter { $0.result.status == .finished }
                var fields = [csvField(row.label), row.model, csvField(p.gridPoint),
                              p.gridPoint == row.selected?.gridPoint ? "yes" : "no",
                              p.failure.map { csvField("failed: \($0)") }
                                  ?? (p.missingSeeds > 0 ? "incomplete: \(p.missingSeeds) seeds not run" : "finished"),
                              String(p.records.count), p.validMean.map { format($0, 6) } ?? ""]
                for c in config.output.columns {
                    let values = finished.compactMap { $0.result.test?[c] }
                    let (m, s) = meanAndStd(values)
                    fields += values.isEmpty ? ["", ""] : [format(m, 6), format(s, 6)]
                }
                lines.append(fields.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The table: one row per model entry (mean ± std over seeds of the test
    /// metrics at the point chosen on validation), the best in each column in
    /// bold, a %Improv. row (the first row against the strongest other row),
    /// and an asterisk where a paired t-test over seeds gives p < 0.05.
    public func markdown() -> String {
        let columns = config.output.columns
        var out: [String] = []
        out.append("# \(config.output.table)")
        out.append("")
        if !config.output.caption.isEmpty { out.append(config.output.caption); out.append("") }
        let protocolText: String
        switch config.evaluationProtocol.ranking {
        case .full:
            protocolText = "full ranking over all items, training items masked" +
                (config.evaluationProtocol.maskValidInTest ? ", validation items masked at test" : "")
        case let .sampled(n):
            protocolText = "sampled ranking: held-out items among \(n) non-interacted items per user"
        }
        out.append("- Dataset: \(datasetLine)")
        out.append("- Protocol: \(protocolText)")
        out.append("- Selection: for each row, the grid point with the best mean validation \(config.training.validMetric) over the seeds; test decides nothing")
        out.append(config.seeds.count == 1
            ? "- Seed: \(config.seeds[0]); values are the test metrics of that one run (no spread to show)"
            : "- Seeds: \(config.seeds.map(String.init).joined(separator: ", ")); values are test mean ± std over them")
        out.append("- Produced by `bench run` at commit \(commit) on \(date)")
        out.append("")
        out.append("| Model | " + columns.map(\.description).joined(separator: " | ") + " |")
        out.append("|---|" + columns.map { _ in "---:" }.joined(separator: "|") + "|")
        let means: [[Double?]] = rows.map { row in
            columns.map { c in
                let v = row.testValues(c).map(\.value)
                return v.isEmpty ? nil : meanAndStd(v).mean
            }
        }
        let best: [Double?] = columns.indices.map { j in means.compactMap { $0[j] }.max() }
        // The strongest other row per column, and the first row's significance against it.
        var strongest: [Int?] = columns.indices.map { _ in nil }
        var significant: [Bool] = columns.map { _ in false }
        for (j, c) in columns.enumerated() where rows.count > 1 {
            let others = (1..<rows.count).filter { means[$0][j] != nil }
            guard let k = others.max(by: { means[$0][j]! < means[$1][j]! }) else { continue }
            strongest[j] = k
            let first = Dictionary(uniqueKeysWithValues: rows[0].testValues(c).map { ($0.seed, $0.value) })
            let other = Dictionary(uniqueKeysWithValues: rows[k].testValues(c).map { ($0.seed, $0.value) })
            let seeds = first.keys.filter { other[$0] != nil }.sorted()
            if let test = pairedTTest(seeds.map { first[$0]! }, seeds.map { other[$0]! }), test.p < 0.05 {
                significant[j] = true
            }
        }
        for (i, row) in rows.enumerated() {
            var cells: [String] = []
            for (j, c) in columns.enumerated() {
                let values = row.testValues(c).map(\.value)
                guard !values.isEmpty else {
                    if let why = row.points.compactMap(\.failure).first {
                        cells.append("failed (\(why.prefix(60)))")
                    } else {
                        cells.append("not run yet")
                    }
                    continue
                }
                let (m, s) = meanAndStd(values)
                // One run has no spread: print its value alone, not "± 0.0000".
                var text = values.count == 1 ? format(m, 4) : "\(format(m, 4)) ± \(format(s, 4))"
                if let b = best[j], m == b { text = "**\(text)**" }
                if i == 0 && significant[j] { text += "\\*" }
                cells.append(text)
            }
            out.append("| \(row.label) | " + cells.joined(separator: " | ") + " |")
        }
        if rows.count > 1 {
            let improvements: [String] = columns.indices.map { j in
                guard let first = means[0][j], let k = strongest[j], let other = means[k][j], other != 0 else { return "–" }
                let gain = 100 * (first - other) / other
                return String(format: "%+.2f%%", gain) + (significant[j] ? "\\*" : "")
            }
            out.append("| %Improv. | " + improvements.joined(separator: " | ") + " |")
        }
        out.append("")
        if rows.count > 1 {
            out.append("%Improv.: \(rows[0].label) against the strongest other row in each column. " +
                       "\\* : paired t-test over the seeds, p < 0.05.")
            out.append("")
        }
        out.append("Selected grid points:")
        out.append("")
        for row in rows {
            out.append("- \(row.label): \(row.selected?.gridPoint ?? "none finished")")
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// Writes NAME.csv and NAME.md into `folder`, atomically.
    public func write(to folder: URL) throws {
        try AtomicFile.write(Data(csv().utf8), to: folder.appendingPathComponent("\(config.output.table).csv").path)
        try AtomicFile.write(Data(markdown().utf8), to: folder.appendingPathComponent("\(config.output.table).md").path)
    }
}

private func format(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

private func csvField(_ s: String) -> String {
    s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}

/// The short git commit of the working directory, or "unknown".
public func currentCommit() -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["git", "rev-parse", "--short", "HEAD"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    do {
        try process.run()
        process.waitUntilExit()
    } catch {
        return "unknown"
    }
    guard process.terminationStatus == 0 else { return "unknown" }
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
}
