import Foundation
import RecommenderCore

/// The table's data in long format, for pandas: NAME-runs.csv, one row per
/// run, and NAME-cells.csv, one row per table cell. Numbers are written in
/// full (the shortest text that reads back to the same Double), booleans as
/// true/false, and a value that does not exist as an empty field.
extension ResultTables {
    /// Every run of every row on every dataset: its settings, one column per
    /// hyper-parameter and training option, its stage, whether it is at the
    /// chosen point, and all its metrics.
    public func runsCSV() -> String {
        var entries: [(row: RowOutcome, tunedAs: Bool, record: RunRecord)] = []
        for row in rows {
            var seen: Set<String> = []
            let tunedAs = config.models.first { $0.label == row.label }?.tunedAs != nil
            for record in row.points.flatMap(\.records) + (row.selected?.records ?? []) where seen.insert(record.key).inserted {
                entries.append((row, tunedAs, record))
            }
        }
        let hyper = Set(entries.flatMap { $0.record.spec.hyperparameters.keys }).sorted()
        let training = ["epochs", "batch_size", "learning_rate", "weight_decay", "patience", "eval_every", "valid_metric",
                        "negative_items", "valid_decimals", "mask_valid_in_test"]
        // A model setting named as a training option keeps its own column.
        let hyperColumns = hyper.map { training.contains($0) ? "model.\($0)" : $0 }
        func metricKeys(_ pick: (TrainingResult) -> EvaluationResult?) -> [MetricKey] {
            Set(entries.flatMap { pick($0.record.result)?.values.keys.map { $0 } ?? [] }).sorted()
        }
        let valid = metricKeys(\.valid), test = metricKeys(\.test), sampled = metricKeys(\.testSampled)
        var header = ["dataset", "label", "model", "key", "seed", "stage", "selected", "status", "failure", "best_epoch",
                      "epochs_run", "seconds"] + hyperColumns + training
        header += valid.map { "valid_\($0)" } + test.map { "test_\($0)" } + sampled.map { "sampled_test_\($0)" }
        header += ["cpu", "blas_kernel"]
        let tuningSeeds = Set(config.seeds.prefix(config.tuningSeeds))
        var lines = [header.joined(separator: ",")]
        for (row, tunedAs, record) in entries {
            let r = record.result, t = record.spec.training
            var fields = [row.dataset, csvField(row.label), row.model, record.key, String(record.spec.seed),
                          !tunedAs && tuningSeeds.contains(record.spec.seed) ? "tuning" : "final",
                          String(record.gridPoint == row.selected?.gridPoint), r.status.rawValue,
                          csvField(r.failure.map { $0.split(whereSeparator: \.isNewline).joined(separator: " ") } ?? ""),
                          r.bestEpoch.map(String.init) ?? "", String(r.epochs.count), full(r.totalSeconds)]
            fields += hyper.map { record.spec.hyperparameters[$0].map(csvValue) ?? "" }
            fields += [String(t.epochs), String(t.batchSize), full(t.learningRate), full(t.weightDecay), String(t.patience),
                       String(t.evalEvery), t.validMetric.description, (t.negativeItems ?? .all).rawValue,
                       t.validDecimals.map(String.init) ?? "", String(record.spec.maskValidInTest)]
            fields += valid.map { r.valid?.values[$0].map(full) ?? "" }
            fields += test.map { r.test?.values[$0].map(full) ?? "" }
            fields += sampled.map { r.testSampled?.values[$0].map(full) ?? "" }
            fields += [csvField(record.cpu ?? ""), csvField(record.blasKernel ?? "")]
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Every cell of the Markdown table: the row's mean and spread over its
    /// seeds at the chosen point, and its comparison (`comparisons`).
    public func cellsCSV() -> String {
        let header = ["dataset", "label", "model", "metric", "protocol", "mean", "std", "n", "seeds_planned", "reference",
                      "test", "users", "p", "p_holm", "significant", "p_wilcoxon", "p_seeds"]
        var lines = [header.joined(separator: ",")]
        let labels = config.models.map(\.label)
        for (j, cell) in cells.enumerated() {
            for (i, entry) in config.models.enumerated() {
                guard let row = row(entry.label, dataset: cell.dataset) else { continue }
                let values = row.testValues(cell.column).map(\.value)
                let (mean, std) = meanAndStd(values)
                let c = comparison(row: i, cell: j)
                var fields: [String] = [cell.dataset, csvField(entry.label), entry.model, cell.column.metric.description,
                                        cell.column.sampled ? "sampled" : "full"]
                fields.append(values.isEmpty ? "" : full(mean))
                fields.append(values.count > 1 ? full(std) : "")
                fields += [String(values.count), String(config.seeds.count)]
                fields.append(c.map { csvField(labels[$0.reference]) } ?? "")
                fields.append(c?.pT == nil ? "" : "paired t over users")
                fields.append(c?.users.map(String.init) ?? "")
                fields.append(c?.pT.map(full) ?? "")
                fields.append(c?.pHolm.map(full) ?? "")
                fields.append(c?.pHolm == nil ? "" : String(c!.significant))
                fields.append(c?.pWilcoxon.map(full) ?? "")
                fields.append(c?.pSeeds.map(full) ?? "")
                lines.append(fields.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A number in full: the shortest text that reads back as the same Double.
func full(_ x: Double) -> String { "\(x)" }

/// A hyper-parameter value as a CSV field: numbers and booleans as they are,
/// strings bare, a list joined with "+".
func csvValue(_ v: HyperparameterValue) -> String {
    switch v {
    case let .int(i): return String(i)
    case let .double(d): return full(d)
    case let .bool(b): return String(b)
    case let .string(s): return csvField(s)
    case let .list(l): return csvField(l.joined(separator: "+"))
    }
}
