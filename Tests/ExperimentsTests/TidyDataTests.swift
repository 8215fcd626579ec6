import Foundation
import ModelRegistry
import RecommenderCore
import Testing
import TestSupport
@testable import Experiments

/// Rows of a CSV file, quoted fields with commas and doubled quotes read back.
func readCSV(_ text: String) -> [[String: String]] {
    var rows: [[String]] = []
    var field = "", row: [String] = [], quoted = false
    var chars = Array(text).makeIterator()
    while let c = chars.next() {
        if quoted {
            if c == "\"" {
                if let n = chars.next() {
                    if n == "\"" { field.append("\"") } else {
                        quoted = false
                        if n == "," { row.append(field); field = "" } else if n == "\n" { row.append(field); rows.append(row); row = []; field = "" } else { field.append(n) }
                    }
                } else { quoted = false }
            } else { field.append(c) }
        } else if c == "\"" { quoted = true }
        else if c == "," { row.append(field); field = "" }
        else if c == "\n" { row.append(field); rows.append(row); row = []; field = "" }
        else { field.append(c) }
    }
    guard let header = rows.first else { return [] }
    return rows.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
}

/// Every paper table's long-format CSVs, as committed, against the run records
/// in the committed store: each run row holds its record's settings and
/// metrics exactly, and each cell row the mean of its selected runs.
@Suite struct TidyDataTests {
    @Test(arguments: ["overview", "dualgnn-table", "grcn-table2", "grcn-table3", "mmgcn-table2", "mmgcn-table3",
                      "mmgcn-table4", "mmrec-bugs", "modern"])
    func committedCSVsMatchTheRunRecords(table: String) throws {
        let config = try ExperimentConfig.load(repositoryPath("Configs/tables/\(table).json"), registry: .standard,
                                               configsRoot: repositoryPath("Configs"))
        let runner = try ExperimentRunner(config: config, registry: .standard, resultsRoot: repositoryPath("Results"),
                                          progress: .quiet)
        let records = try runner.knownRuns(history: false).compactMap(\.record)
        let byKey = Dictionary(records.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        let folder = runner.folder.appendingPathComponent(config.output.table)
        let runs = readCSV(try String(contentsOfFile: folder.path + "-runs.csv", encoding: .utf8))
        let cells = readCSV(try String(contentsOfFile: folder.path + "-cells.csv", encoding: .utf8))

        // One row per run of each row: every stored run of the config appears.
        #expect(Set(runs.map { $0["key"]! }) == Set(records.map(\.key)), "\(table)")
        for row in runs {
            let record = try #require(byKey[row["key"]!], "\(table): \(row["key"]!)")
            #expect(row["dataset"] == record.spec.dataset && row["model"] == record.spec.model)
            #expect(row["seed"] == String(record.spec.seed) && row["status"] == record.result.status.rawValue)
            #expect(row["best_epoch"] == (record.result.bestEpoch.map(String.init) ?? ""))
            #expect(["true", "false"].contains(row["selected"]!) && ["tuning", "final"].contains(row["stage"]!))
            #expect(Double(row["learning_rate"]!) == record.spec.training.learningRate)
            for (name, value) in record.spec.hyperparameters {
                let text = try #require(row[name] ?? row["model.\(name)"], "\(table): no column \(name)")
                switch value {
                case let .int(i): #expect(Double(text) == Double(i), "\(name)")
                case let .double(d): #expect(Double(text) == d, "\(name)")
                case let .bool(b): #expect(text == String(b), "\(name)")
                case let .string(s): #expect(text == s, "\(name)")
                case let .list(l): #expect(text == l.joined(separator: "+"), "\(name)")
                }
            }
            for (key, value) in record.result.test?.values ?? [:] {
                #expect(Double(row["test_\(key)"]!) == value, "\(table) \(record.key) test \(key)")
            }
            for (key, value) in record.result.valid?.values ?? [:] {
                #expect(Double(row["valid_\(key)"]!) == value, "\(table) \(record.key) valid \(key)")
            }
        }

        // One row per table cell: the mean of the selected runs of its row, as the runs file has them.
        let columns = config.output.columns
        #expect(cells.count <= config.models.count * config.datasets.count * columns.count && !cells.isEmpty)
        for cell in cells {
            let prefix = cell["protocol"] == "sampled" ? "sampled_test_" : "test_"
            let selected = runs.filter {
                $0["dataset"] == cell["dataset"] && $0["label"] == cell["label"] && $0["selected"] == "true" && $0["status"] == "finished"
            }.compactMap { Double($0[prefix + cell["metric"]!]!) }
            #expect(cell["n"] == String(selected.count), "\(table) \(cell["label"]!) \(cell["dataset"]!)")
            if selected.isEmpty { #expect(cell["mean"] == ""); continue }
            let mean = selected.reduce(0, +) / Double(selected.count)
            #expect(abs(Double(cell["mean"]!)! - mean) <= 1e-15 * max(1, abs(mean)), "\(table) \(cell["label"]!)")
            #expect((cell["std"] == "") == (selected.count == 1))
            if let p = Double(cell["p"]!), let holm = Double(cell["p_holm"]!) {
                #expect(holm >= p && cell["significant"] == String(holm < 0.05) && cell["test"] == "paired t over users")
            }
        }
    }
}
