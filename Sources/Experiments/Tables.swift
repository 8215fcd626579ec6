import Foundation
import RecommenderCore

/// Renders a config's results: a CSV of the whole grid, a paper-style
/// Markdown table of the selected points (datasets side by side), and the
/// SVG figures the config asks for.
public struct ResultTables {
    public let config: ExperimentConfig
    public let rows: [RowOutcome]
    /// Each dataset's descriptor name and its caption line, such as
    /// "tiktok (9,308 users, 6,710 items)", in config order.
    public let datasets: [(name: String, line: String)]
    /// The first and the last day a run of the table finished (from the
    /// records, so that rendering the same runs again gives the same text).
    public let finishedDays: (first: String, last: String)?
    /// The code versions the runs were trained with.
    public let codeVersions: [String]
    /// The CPUs and BLAS kernels the runs were computed with, each with its
    /// number of runs, most runs first ("not recorded" for older runs).
    public let computedOn: [(machine: String, runs: Int)]
    /// The comparisons the table makes, with their per-user tests (`makeComparisons`).
    public private(set) var comparisons: [CellComparison] = []

    public init(config: ExperimentConfig, records: [RunRecord], datasets: [(name: String, line: String)]) {
        precondition(datasets.count == config.datasets.count,
                     "ResultTables: \(datasets.count) dataset lines for \(config.datasets.count) datasets")
        self.config = config
        self.datasets = datasets
        self.rows = selectOnValidation(config: config, datasets: datasets.map(\.name), records: records)
        var machines: [String: Int] = [:]
        for record in records { machines[record.computedOn ?? "not recorded", default: 0] += 1 }
        self.computedOn = machines.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { (machine: $0.key, runs: $0.value) }
        let days = records.map { String($0.finished.prefix(10)) }.sorted()
        finishedDays = days.first.map { ($0, days.last!) }
        codeVersions = Set(records.map(\.spec.codeVersion)).sorted()
        comparisons = makeComparisons()
    }

    /// The row of entry `label` on dataset `name`, if the entry runs there.
    public func row(_ label: String, dataset name: String) -> RowOutcome? {
        rows.first { $0.label == label && $0.dataset == name }
    }

    /// Every grid point of every row on every dataset, with its validation
    /// mean over the tuning seeds (which chose), its test means and standard
    /// deviations, and whether it was selected.
    public func csv() -> String {
        let valid = config.training.validMetric
        var header = ["dataset", "label", "model", "grid_point", "selected", "status", "seeds", "valid_\(valid)_mean"]
        for c in config.output.columns {
            let name = c.description.replacingOccurrences(of: " ", with: "_")
            header += ["test_\(name)_mean", "test_\(name)_std"]
        }
        var lines = [header.joined(separator: ",")]
        for row in rows {
            for p in row.points {
                let isSelected = p.gridPoint == row.selected?.gridPoint
                // The selected point is reported over all seeds; the others over the tuning seeds.
                let shown = isSelected ? row.selected! : p
                let finished = shown.records.filter { $0.result.status == .finished }
                var fields = [row.dataset, csvField(row.label), row.model, csvField(p.gridPoint),
                              String(isSelected),
                              shown.failure.map { csvField("failed: \($0)") }
                                  ?? (shown.missingSeeds > 0 ? "incomplete: \(shown.missingSeeds) seeds not run" : "finished"),
                              String(shown.records.count), p.validMean.map { format($0, 6) } ?? ""]
                for c in config.output.columns {
                    let values = finished.compactMap { c.value(in: $0.result) }
                    let (m, s) = meanAndStd(values)
                    // A single seed has no spread: the std is left empty, not 0.
                    fields += values.isEmpty ? ["", ""] : [format(m, 6), values.count > 1 ? format(s, 6) : ""]
                }
                lines.append(fields.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One cell group of the table: a dataset and a column.
    struct Cell {
        var dataset: String
        var column: TableColumn
    }

    var cells: [Cell] {
        datasets.flatMap { d in config.output.columns.map { Cell(dataset: d.name, column: $0) } }
    }

    /// The table: one row per model entry (mean ± std over seeds of the test
    /// metrics at the point chosen on validation), datasets side by side, the
    /// best in each column in bold, a %Improv. row (the `improvement_of` row,
    /// by default the first, against the strongest other row), and an
    /// asterisk where a paired t-test over seeds gives p < 0.05.
    public func markdown() -> String {
        let cells = self.cells
        let labels = config.models.map(\.label)
        let focus = config.output.improvementOf ?? labels[0]
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
        for d in datasets { out.append("- Dataset: \(d.line)") }
        out.append("- Protocol: \(protocolText)" + (config.sampledTest.map {
            "; \"sampled\" columns rank the same test items among \($0) sampled non-interacted items per user (the MMGCN paper's protocol), from the same trained parameters"
        } ?? ""))
        let t = config.training
        out.append("- Training: BPR, Adam, batch \(t.batchSize), at most \(t.epochs) epochs, early stop after \(t.patience) validations without gain in \(t.validMetric)\(t.validDecimals.map { " (rounded to \($0) decimals, as MMRec compares it)" } ?? ""); test at the best validation epoch")
        let tuning = config.seeds.prefix(config.tuningSeeds).map(String.init).joined(separator: ", ")
        out.append("- Selection: for each row and dataset, the grid point with the best mean validation \(t.validMetric) over seed(s) \(tuning); test decides nothing"
                   + (config.models.contains { $0.tunedAs != nil } ? ". A row marked † takes the point chosen for the row it names (see below)" : ""))
        out.append(config.seeds.count == 1
            ? "- Seed: \(config.seeds[0]); values are the test metrics of that one run (no spread to show)"
            : "- Seeds: \(config.seeds.map(String.init).joined(separator: ", ")); values are test mean ± std over them at the chosen point")
        if let days = finishedDays {
            let when = days.first == days.last ? "on \(days.first)" : "from \(days.first) to \(days.last)"
            out.append("- Runs finished \(when), code version \(codeVersions.joined(separator: " and ")) (`bench run`)")
        }
        if !computedOn.isEmpty {
            out.append("- Computed on: " + computedOn.map { "\($0.machine) (\($0.runs) run\($0.runs == 1 ? "" : "s"))" }
                .joined(separator: "; ") + (computedOn.count > 1 ? "; results are bit-identical only on one CPU and kernel" : ""))
        }
        out.append("")
        let many = datasets.count > 1
        out.append("| Model | " + cells.map { many ? "\($0.dataset) \($0.column)" : $0.column.description }.joined(separator: " | ") + " |")
        out.append("|---|" + cells.map { _ in "---:" }.joined(separator: "|") + "|")
        // Per label and cell: the seeds' values.
        func values(_ label: String, _ cell: Cell) -> [(seed: UInt64, value: Double)]? {
            row(label, dataset: cell.dataset)?.testValues(cell.column)
        }
        let means = cellMeans()
        let best: [Double?] = cells.indices.map { j in means.compactMap { $0[j] }.max() }
        // The most-popular row, the reference every model must beat: a trained
        // row whose mean is not above it in a column is marked ↓ there.
        let reference = config.models.firstIndex { $0.model == MostPopularModel.name }
        var belowReference = false
        let focusIndex = labels.firstIndex(of: focus)!
        // The focus row against the strongest other, by per-user tests (`comparisons`).
        let focusComparisons = cells.indices.map { comparison(row: focusIndex, cell: $0) }
        let strongest: [Int?] = focusComparisons.map { labels.count > 1 && config.output.improvement ? $0?.reference : nil }
        // A mark says the focus row is significantly above the strongest other, never below it.
        let significant: [Bool] = focusComparisons.enumerated().map { j, c in
            guard let c, c.significant, let mine = means[focusIndex][j], let theirs = means[c.reference][j] else { return false }
            return mine > theirs
        }
        // Why a cell failed, in full below the table: one note per row and
        // dataset, numbered in table order (a reason never cut in a cell).
        var failures: [String] = []
        var notes: [String: Int] = [:]
        func failureNote(_ label: String, _ dataset: String, _ why: String) -> Int {
            let key = "\(label)\u{0}\(dataset)"
            if let n = notes[key] { return n }
            failures.append("\(label)\(many ? " on \(dataset)" : ""): " + why.split(whereSeparator: \.isNewline).joined(separator: " "))
            notes[key] = failures.count
            return failures.count
        }
        for (i, entry) in config.models.enumerated() {
            // The row this row's parentheses compare with: the one it is tuned as
            // (`differences`), or else the focus row (`focus_differences`).
            let shownAgainst: String? = if let tunedAs = entry.tunedAs {
                config.output.differences ? tunedAs : nil
            } else {
                config.output.focusDifferences && i != focusIndex ? focus : nil
            }
            var texts: [String] = []
            for (j, c) in cells.enumerated() {
                guard let row = row(entry.label, dataset: c.dataset) else { texts.append("–"); continue }
                let v = row.testValues(c.column).map(\.value)
                guard !v.isEmpty else {
                    if let why = (row.points + [row.selected].compactMap { $0 }).compactMap(\.failure).first {
                        texts.append("failed (note \(failureNote(entry.label, c.dataset, why)))")
                    } else {
                        texts.append("not run yet")
                    }
                    continue
                }
                let (m, s) = meanAndStd(v)
                // One run has no spread: print its value alone, not "± 0.0000".
                var text = v.count == 1 ? format(m, 4) : "\(format(m, 4)) ± \(format(s, 4))"
                if let b = best[j], m == b { text = "**\(text)**" }
                if let r = reference, r != i, let level = means[r][j], m <= level {
                    text += " ↓"
                    belowReference = true
                }
                if i == focusIndex && significant[j] { text += "\\*" }
                if let reference = shownAgainst, let difference = difference(
                    (values(entry.label, c) ?? []), against: values(reference, c) ?? [],
                    test: comparison(row: i, cell: j)) {
                    text += " (\(difference))"
                }
                if let selected = row.selected, let why = selected.failure {
                    // Some seeds of the chosen point failed: the mean is over the others.
                    text += " (\(v.count) of \(config.seeds.count) seeds; failed: note \(failureNote(entry.label, c.dataset, why)))"
                } else if let missing = row.selected?.missingSeeds, missing > 0 {
                    text += " (\(v.count) of \(config.seeds.count) seeds)"
                }
                texts.append(text)
            }
            out.append("| \(entry.label)\(entry.tunedAs == nil ? "" : " †") | " + texts.joined(separator: " | ") + " |")
        }
        if labels.count > 1 && config.output.improvement {
            let improvements: [String] = cells.indices.map { j in
                guard let mine = means[focusIndex][j], let k = strongest[j], let other = means[k][j], other != 0 else { return "–" }
                let gain = 100 * (mine - other) / other
                return String(format: "%+.2f%%", gain) + (significant[j] ? "\\*" : "")
            }
            out.append("| %Improv. | " + improvements.joined(separator: " | ") + " |")
            out.append("")
            out.append("%Improv.: \(focus) against the strongest other row in each column.")
        }
        if config.output.differences || config.output.focusDifferences {
            let against = [config.output.differences ? "the row it is tuned as (†)" : nil,
                           config.output.focusDifferences ? "\(focus)" : nil].compactMap { $0 }
            out.append("")
            out.append("In parentheses: the row's mean against \(against.joined(separator: ", or else ")), in percent of that row's mean, and the Holm-corrected p of the per-user paired t-test below.")
        }
        if labels.count > 1 {
            out.append("")
            out.append(significanceCaption())
        }
        if let r = reference {
            out.append("")
            out.append(belowReference
                ? "↓ : not above \(labels[r])'s mean in that column (items ranked by their training popularity, the same for every user)."
                : "Every row is above \(labels[r]) (items ranked by their training popularity, the same for every user) in every column.")
        }
        if !failures.isEmpty {
            out.append("")
            out.append("Failed:")
            out.append("")
            for (n, text) in failures.enumerated() { out.append("\(n + 1). \(text)") }
        }
        out.append("")
        out.append("Selected grid points:")
        out.append("")
        for entry in config.models {
            for d in datasets {
                guard let r = row(entry.label, dataset: d.name) else { continue }
                let how = entry.tunedAs.map { " († the point chosen for \($0), with its own settings)" } ?? ""
                out.append("- \(entry.label)\(many ? " on \(d.name)" : ""): \(r.selected?.gridPoint ?? "none chosen yet")\(how)")
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// A row's difference to a reference row in one cell: "−4.71%, p 0.031",
    /// the means over the seeds both have (a plain difference when the
    /// reference's mean is 0), and the Holm-corrected p of `test`, the
    /// per-user paired t-test, when there is one.
    func difference(_ mine: [(seed: UInt64, value: Double)], against other: [(seed: UInt64, value: Double)],
                    test: CellComparison?) -> String? {
        let theirs = Dictionary(uniqueKeysWithValues: other.map { ($0.seed, $0.value) })
        let pairs = mine.compactMap { m in theirs[m.seed].map { (m.value, $0) } }
        guard !pairs.isEmpty else { return nil }
        let (a, b) = (meanAndStd(pairs.map(\.0)).mean, meanAndStd(pairs.map(\.1)).mean)
        if pairs.allSatisfy({ $0.0 == $0.1 }) { return "identical in every seed" }
        // In percent of the reference's mean; as a plain difference when that mean is 0.
        var text = (b != 0 ? String(format: "%+.2f%%", 100 * (a - b) / b) : String(format: "%+.4f", a - b))
            .replacingOccurrences(of: "-", with: "−")
        if let test, let p = test.pHolm {
            text += ", p " + String(format: p < 0.001 ? "%.1e" : "%.3f", p) + (test.significant ? "\\*" : "")
        }
        return text
    }

    /// Writes NAME.csv, NAME.md, NAME-runs.csv, NAME-cells.csv and the
    /// figures into `folder`, each atomically.
    public func write(to folder: URL) throws {
        let name = config.output.table
        try AtomicFile.write(Data(csv().utf8), to: folder.appendingPathComponent("\(name).csv").path)
        try AtomicFile.write(Data(markdown().utf8), to: folder.appendingPathComponent("\(name).md").path)
        try AtomicFile.write(Data(runsCSV().utf8), to: folder.appendingPathComponent("\(name)-runs.csv").path)
        try AtomicFile.write(Data(cellsCSV().utf8), to: folder.appendingPathComponent("\(name)-cells.csv").path)
        for (figure, svg) in figures() {
            try AtomicFile.write(Data(svg.utf8), to: folder.appendingPathComponent("\(name)-\(figure.rawValue).svg").path)
        }
    }
}

func format(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

func csvField(_ s: String) -> String {
    s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}
