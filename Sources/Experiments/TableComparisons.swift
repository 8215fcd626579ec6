import Foundation
import RecommenderCore

/// One comparison a table makes: a row against its reference row in one
/// cell (a dataset and a column), by per-user paired tests on the test set.
public struct CellComparison: Sendable {
    /// Index of the row's entry in `config.models`.
    public var row: Int
    /// Index of the entry it is compared against.
    public var reference: Int
    /// Index into `ResultTables.cells`.
    public var cell: Int
    /// Test users paired; nil when a run of either row has no per-user values
    /// (stored before the suite kept them).
    public var users: Int?
    /// Paired t-test over the users' values (each the mean over the row's
    /// seeds at its chosen point), two-sided.
    public var pT: Double?
    /// Wilcoxon signed-rank test over the same pairs, two-sided.
    public var pWilcoxon: Double?
    /// Paired t-test over the seeds both rows have, with three or more; never
    /// marks a cell.
    public var pSeeds: Double?
    /// `pT`, Holm-corrected across every comparison of the table that has one.
    public var pHolm: Double?

    /// The level the Markdown marks: Holm-corrected per-user p below 0.05.
    public static let level = 0.05

    /// Whether the Markdown marks it.
    public var significant: Bool { (pHolm ?? 1) < CellComparison.level }
}

extension ResultTables {
    /// Each row's mean over seeds in each cell, nil where it has no value.
    func cellMeans() -> [[Double?]] {
        config.models.map { entry in
            cells.map { c in
                guard let v = row(entry.label, dataset: c.dataset)?.testValues(c.column), !v.isEmpty else { return nil }
                return meanAndStd(v.map(\.value)).mean
            }
        }
    }

    /// The comparisons the table makes, in each cell: a `tuned_as` row against
    /// the row it is tuned as; the focus row (`improvement_of`, by default the
    /// first) against the strongest other row; every other row against the
    /// focus row. Holm's correction runs over all of them with a per-user p.
    func makeComparisons() -> [CellComparison] {
        let labels = config.models.map(\.label)
        let focus = labels.firstIndex(of: config.output.improvementOf ?? labels[0]) ?? 0
        let means = cellMeans()
        var out: [CellComparison] = []
        for (j, cell) in cells.enumerated() {
            for (i, entry) in config.models.enumerated() where means[i][j] != nil {
                var reference: Int?
                if let tunedAs = entry.tunedAs {
                    reference = labels.firstIndex(of: tunedAs)
                } else if i == focus {
                    reference = labels.indices.filter { $0 != i && means[$0][j] != nil }.max { means[$0][j]! < means[$1][j]! }
                } else {
                    reference = focus
                }
                guard let r = reference, means[r][j] != nil else { continue }
                var comparison = CellComparison(row: i, reference: r, cell: j)
                if let mine = perUserValues(labels[i], cell), let theirs = perUserValues(labels[r], cell),
                   mine.count == theirs.count {
                    comparison.users = mine.count
                    comparison.pT = pairedTTest(mine, theirs)?.p
                    comparison.pWilcoxon = wilcoxonSignedRank(mine, theirs)?.p
                }
                comparison.pSeeds = seedTest(labels[i], labels[r], cell)
                out.append(comparison)
            }
        }
        let tested = out.indices.filter { out[$0].pT != nil }
        for (k, p) in zip(tested, holmCorrected(tested.map { out[$0].pT! })) { out[k].pHolm = p }
        return out
    }

    /// Each test user's value of the cell's metric for row `label`, averaged
    /// over the seeds of its chosen point; nil when a seed lacks per-user values.
    func perUserValues(_ label: String, _ cell: Cell) -> [Double]? {
        guard let records = row(label, dataset: cell.dataset)?.selected?.records.filter({ $0.result.status == .finished }),
              !records.isEmpty else { return nil }
        var sum: [Double]?
        for record in records {
            guard let hits = cell.column.sampled ? record.result.testSampledHits : record.result.testHits,
                  cell.column.metric.k <= hits.depth else { return nil }
            let values = hits.values(of: cell.column.metric)
            if sum == nil { sum = values } else if sum!.count == values.count {
                for u in values.indices { sum![u] += values[u] }
            } else { return nil }
        }
        return sum!.map { $0 / Double(records.count) }
    }

    /// The paired t-test over the seeds both rows ran, with three or more.
    func seedTest(_ label: String, _ other: String, _ cell: Cell) -> Double? {
        let mine = Dictionary(uniqueKeysWithValues: (row(label, dataset: cell.dataset)?.testValues(cell.column) ?? []).map { ($0.seed, $0.value) })
        let theirs = Dictionary(uniqueKeysWithValues: (row(other, dataset: cell.dataset)?.testValues(cell.column) ?? []).map { ($0.seed, $0.value) })
        let seeds = mine.keys.filter { theirs[$0] != nil }.sorted()
        guard seeds.count >= 3 else { return nil }
        return pairedTTest(seeds.map { mine[$0]! }, seeds.map { theirs[$0]! })?.p
    }

    /// The comparison of entry `row` in cell `cell`, if the table makes one.
    func comparison(row: Int, cell: Int) -> CellComparison? {
        comparisons.first { $0.row == row && $0.cell == cell }
    }

    /// The caption line that says how the marks were decided.
    func significanceCaption() -> String {
        let tested = comparisons.filter { $0.pT != nil }
        let users = Set(tested.compactMap(\.users)).sorted()
        let missing = comparisons.count - tested.count
        var text = "\\* : the focus row above the strongest other row with p < \(CellComparison.level) (a † row: different from its reference) in a paired t-test over the test users' values of the cell's metric "
            + "(each user's value the mean over the row's seeds; \(users.map(String.init).joined(separator: ", ")) users), "
            + "Holm-corrected across the table's \(tested.count) comparisons (each row against the focus row, the focus row "
            + "against the strongest other, a † row against the row it is tuned as). The Wilcoxon signed-rank p and the "
            + "over-seeds p are in \(config.output.table)-cells.csv."
        if tested.isEmpty {
            text = "No significance marks: the runs were stored without per-user test values (`bench run --fill-per-user` adds them)."
        } else if missing > 0 {
            text += " \(missing) comparisons have no per-user values (runs stored before the suite kept them) and no mark."
        }
        return text
    }
}
