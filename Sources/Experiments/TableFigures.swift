import RecommenderCore

extension ResultTables {
    /// The SVG figures the config asks for (`output.figures`), by kind.
    public func figures() -> [(ExperimentConfig.Figure, String)] {
        config.output.figures.map { figure in
            switch figure {
            case .validation: return (figure, validationFigure())
            case .test: return (figure, testFigure())
            case .embeddings: return (figure, embeddingFigure())
            }
        }
    }

    /// The run drawn for a row: the first seed's run at the chosen point.
    func shownRun(_ row: RowOutcome) -> RunRecord? {
        row.selected?.records.first { $0.result.status == .finished }
    }

    /// The validation metric against the epoch, one line per row, one panel per dataset.
    func validationFigure() -> String {
        let key = config.training.validMetric
        let panels = datasets.map { d in
            let runs = config.models.compactMap { entry in
                row(entry.label, dataset: d.name).flatMap(shownRun).map { (entry.label, $0) }
            }
            // A reference with no epochs (most popular) is a level line across the trained rows' epochs.
            let lastEpoch = runs.map { $0.1.result.epochs.count }.max() ?? 0
            return LinePanel(title: d.name, series: runs.compactMap { label, run in
                if run.result.epochs.isEmpty {
                    guard let level = run.result.valid?[key], lastEpoch > 1 else { return nil }
                    return ChartSeries(label: label, points: [ChartPoint(x: 1, y: level),
                                                              ChartPoint(x: Double(lastEpoch), y: level)],
                                       isReference: true)
                }
                let points = run.result.epochs.compactMap { e in e.valid?[key].map { ChartPoint(x: Double(e.epoch), y: $0) } }
                let chosen = run.result.bestEpoch.flatMap { best in points.first { $0.x == Double(best) } }
                return ChartSeries(label: label, points: points, chosen: chosen)
            })
        }
        let seed = config.seeds[0]
        return SVGChart.lines(title: "\(config.output.table): validation \(key) per epoch (seed \(seed), chosen point)",
                              xLabel: "epoch", yLabel: "validation \(key)", panels: panels)
    }

    /// The chart metric per row as bars with ± std over the seeds, one panel per dataset.
    /// While some bar has fewer seeds than the config lists (a run still to come), the
    /// title says "up to" that many and points to the table, which gives each count.
    func testFigure() -> String {
        let column = config.output.chartMetric
        var partial = false
        let panels = datasets.map { d in
            BarPanel(title: d.name, bars: config.models.compactMap { entry in
                guard let row = row(entry.label, dataset: d.name) else { return nil }
                let values = row.testValues(column).map(\.value)
                guard !values.isEmpty else { return ChartBar(label: entry.label, value: nil, error: nil) }
                if values.count < config.seeds.count { partial = true }
                let (mean, std) = meanAndStd(values)
                return ChartBar(label: entry.label, value: mean, error: values.count > 1 ? std : nil)
            })
        }
        let n = config.seeds.count
        let spread = n == 1 ? ""
            : partial ? " (mean ± std over up to \(n) seeds; some bars have fewer, the table gives each count)"
            : " (mean ± std over \(n) seeds)"
        return SVGChart.bars(title: "\(config.output.table): test \(column)\(spread)", yLabel: "test \(column)", panels: panels)
    }

    /// The embedding study on the first dataset: per row, a few users (stars)
    /// and their training items (circles), PCA of the final representations.
    func embeddingFigure() -> String {
        let d = datasets[0]
        let panels: [ScatterPanel] = config.models.compactMap { entry in
            guard let row = row(entry.label, dataset: d.name), let run = shownRun(row),
                  let projection = run.result.embedding else { return nil }
            let userIndex = Dictionary(uniqueKeysWithValues: projection.points.enumerated()
                .filter { $0.element.kind == "user" }.map { ($0.element.group, $0.offset) })
            let points = projection.points.map { p in
                ScatterPoint(x: p.x, y: p.y, group: p.group, isAnchor: p.kind == "user",
                             linkTo: p.kind == "user" ? nil : userIndex[p.group])
            }
            let shares = projection.explainedVariance.map { String(format: "%.0f%%", 100 * $0) }
            let subtitle = shares.count == 2 ? "PC1 \(shares[0]) · PC2 \(shares[1]) of variance" : ""
            return ScatterPanel(title: entry.label, subtitle: subtitle, points: points)
        }
        return SVGChart.scatter(
            title: "\(config.output.table): \(d.name), \(panels.first.map { _ in "users (stars) and their training items, PCA of the final representations (seed \(config.seeds[0]))" } ?? "no run with an embedding projection yet")",
            panels: panels)
    }
}
