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

/// The chosen grid point of one table row.
public struct RowOutcome: Sendable {
    public var label: String
    public var model: String
    public var points: [PointOutcome]
    /// The point with the best mean validation metric, if any point finished.
    public var selected: PointOutcome?

    /// Test values of `key` per seed, ordered by seed, at the selected point.
    public func testValues(_ key: MetricKey) -> [(seed: UInt64, value: Double)] {
        (selected?.records ?? []).compactMap { r in r.result.test.map { (r.spec.seed, $0[key]) } }
            .sorted { $0.seed < $1.seed }
    }
}

/// Picks each row's grid point on validation only: the point with the best
/// mean `validMetric` over all seeds. Test metrics play no part; a point with
/// a failed or missing seed cannot be chosen.
public func selectOnValidation(config: ExperimentConfig, records: [RunRecord]) -> [RowOutcome] {
    let key = config.training.validMetric
    return config.models.map { entry in
        var points: [PointOutcome] = []
        for point in entry.gridPoints() {
            let summary = point.summary
            let mine = records.filter { $0.label == entry.label && $0.gridPoint == summary }
                .sorted { $0.spec.seed < $1.spec.seed }
            let failed = mine.first { $0.result.status == .failed }
            var outcome = PointOutcome(label: entry.label, gridPoint: summary, records: mine, validMean: nil,
                                       failure: failed.map { $0.result.failure ?? "failed" },
                                       missingSeeds: config.seeds.count - mine.count)
            if failed == nil && outcome.missingSeeds == 0 {
                let values = mine.compactMap { $0.result.valid?[key] }
                if values.count == mine.count { outcome.validMean = values.reduce(0, +) / Double(values.count) }
            }
            points.append(outcome)
        }
        // Strictly better only: ties keep the earlier grid point.
        var best: PointOutcome?
        for p in points {
            if let v = p.validMean, v > (best?.validMean ?? -.infinity) { best = p }
        }
        return RowOutcome(label: entry.label, model: entry.model, points: points, selected: best)
    }
}
