import RecommenderCore

/// The outcome of one grid point over its seeds.
public struct PointOutcome: Sendable {
    public var label: String
    public var gridPoint: String
    public var records: [RunRecord]
    /// Mean validation metric over the finished seeds; nil if any seed failed or is missing.
    public var validMean: Double?
    /// Why a seed failed, if one did.
    public var failure: String?
    /// Seeds with no stored run yet.
    public var missingSeeds: Int
}

/// One table row on one dataset: its tuning points and the chosen one.
public struct RowOutcome: Sendable {
    public var label: String
    public var model: String
    /// The dataset's descriptor name.
    public var dataset: String
    /// Each grid point over the tuning seeds (a tuned_as row: its one point over all seeds).
    public var points: [PointOutcome]
    /// The point with the best mean validation metric over the tuning seeds,
    /// with the runs of every seed; nil until every point has run.
    public var selected: PointOutcome?

    /// Test values of `column` per seed, ordered by seed, at the selected point.
    public func testValues(_ column: TableColumn) -> [(seed: UInt64, value: Double)] {
        (selected?.records ?? []).compactMap { r in column.value(in: r.result).map { (r.spec.seed, $0) } }
            .sorted { $0.seed < $1.seed }
    }

    /// Test values of `metric` under the main protocol, per seed.
    public func testValues(_ metric: MetricKey) -> [(seed: UInt64, value: Double)] {
        testValues(TableColumn(metric: metric, sampled: false))
    }
}

extension ExperimentConfig {
    /// The grid point a tuned_as entry runs: the chosen point of the entry it
    /// names, with the entry's own (single) values on top.
    public func point(of entry: ModelEntry, tunedAt chosen: GridPoint) -> GridPoint {
        var point = chosen
        for (k, values) in entry.parameters { point.parameters[k] = values[0] }
        for (k, values) in entry.training { point.training[k] = values[0] }
        return point
    }
}

/// Picks each row's grid point on each dataset on validation only: the point
/// with the best mean `validMetric` over the tuning seeds. Test metrics play
/// no part; a point with a failed seed cannot be chosen, and nothing is
/// chosen while a point has a seed still to run. `datasets` are the
/// descriptor names of `config.datasets`, in order.
public func selectOnValidation(config: ExperimentConfig, datasets: [String], records: [RunRecord]) -> [RowOutcome] {
    let key = config.training.validMetric
    let tuningSeeds = Set(config.seeds.prefix(config.tuningSeeds))

    // The records of each (label, dataset, grid point), found in one pass, so
    // that a grid of 10,000 points is not 10,000 scans of 10,000 records.
    let byPoint = Dictionary(grouping: records) { "\($0.label)\u{0}\($0.spec.dataset)\u{0}\($0.gridPoint)" }

    func outcome(_ label: String, _ dataset: String, _ point: GridPoint, seeds: Set<UInt64>) -> PointOutcome {
        let summary = point.summary
        let mine = (byPoint["\(label)\u{0}\(dataset)\u{0}\(summary)"] ?? []).filter { seeds.contains($0.spec.seed) }
            .sorted { $0.spec.seed < $1.spec.seed }
        let failed = mine.first { $0.result.status == .failed }
        var result = PointOutcome(label: label, gridPoint: summary, records: mine, validMean: nil,
                                  failure: failed.map { $0.result.failure ?? "failed" },
                                  missingSeeds: seeds.count - mine.count)
        if failed == nil && result.missingSeeds == 0 {
            let values = mine.compactMap { $0.result.valid?[key] }
            if values.count == mine.count { result.validMean = values.reduce(0, +) / Double(values.count) }
        }
        return result
    }

    var rows: [String: RowOutcome] = [:]  // "label\u{0}dataset"
    var chosen: [String: GridPoint] = [:]
    var order: [String] = []
    // Entries with their own grid first, so that tuned_as rows find their point wherever they stand.
    for pass in 0..<2 {
        for entry in config.models where (entry.tunedAs == nil) == (pass == 0) {
            for (index, d) in config.datasets.enumerated() where entry.runs(on: d.name) {
                let dataset = datasets[index]
                let id = "\(entry.label)\u{0}\(dataset)"
                var row = RowOutcome(label: entry.label, model: entry.model, dataset: dataset, points: [], selected: nil)
                if let reference = entry.tunedAs {
                    if let base = chosen["\(reference)\u{0}\(dataset)"] {
                        let all = outcome(entry.label, dataset, config.point(of: entry, tunedAt: base), seeds: Set(config.seeds))
                        row.points = [all]
                        if !all.records.isEmpty { row.selected = all }
                    }
                } else {
                    let grid = entry.gridPoints()
                    row.points = grid.map { outcome(entry.label, dataset, $0, seeds: tuningSeeds) }
                    // Strictly better only: ties keep the earlier grid point.
                    var best: Int?
                    for (k, p) in row.points.enumerated() {
                        if let v = p.validMean, v > (best.flatMap { row.points[$0].validMean } ?? -.infinity) { best = k }
                    }
                    if let best, row.points.allSatisfy({ $0.missingSeeds == 0 }) {
                        chosen[id] = grid[best]
                        var all = outcome(entry.label, dataset, grid[best], seeds: Set(config.seeds))
                        all.validMean = row.points[best].validMean
                        row.selected = all
                    }
                }
                rows[id] = row
            }
        }
    }
    for entry in config.models {
        for (index, d) in config.datasets.enumerated() where entry.runs(on: d.name) {
            order.append("\(entry.label)\u{0}\(datasets[index])")
        }
    }
    return order.map { rows[$0]! }
}
