import Foundation

/// The geometry of one line-chart panel.
struct ChartLinePanelLayout: Sendable {
    var cell: ChartFrame
    var plot: ChartFrame
    var x: ChartAxis
    var y: ChartAxis
    /// Whether any series has a finite point.
    var hasData: Bool
}

/// The geometry of a whole line chart.
struct ChartLineLayout: Sendable {
    var figure: ChartFigure
    var colors: ChartColorKey
    var panels: [ChartLinePanelLayout]
}

extension SVGChart {
    static let linePlotWidth = 250.0
    static let linePlotHeight = 200.0
    /// Series with more finite points than this get a marker at every k-th
    /// point only, at most this many.
    static let lineMarkerLimit = 25

    /// Line chart: one panel per entry side by side (wrap to rows of at most 3 panels),
    /// shared legend of series labels (the union over panels, in first-appearance order,
    /// same colour for the same label in every panel), x axis title, y axis title.
    /// Y range from the data (from 0 if all values are ≥ 0 and the smallest is at most
    /// half the largest, else padded 5%), extended to nice ticks, and with `sharedY` the
    /// same for every panel, so that panels compare by height. Non-finite points are
    /// skipped. Each series has its own marker shape (`ChartMarker`), drawn at each point
    /// (at every k-th when there are more than 25), and its `chosen` point enlarged and
    /// outlined. A series whose points equal an earlier one's in every panel says so in
    /// the legend, since one line hides the other.
    public static func lines(title: String, xLabel: String, yLabel: String, panels: [LinePanel],
                             sharedY: Bool = true) -> String {
        let layout = lineLayout(title: title, panels: panels, sharedY: sharedY)
        return layout.figure.render { index, doc in
            drawLinePanel(panels[index], layout.panels[index], xLabel: xLabel, yLabel: yLabel,
                          colors: layout.colors, in: &doc)
        }
    }

    /// The figure, colours, and each panel's plot frame and axes.
    static func lineLayout(title: String, panels: [LinePanel], sharedY: Bool = true) -> ChartLineLayout {
        let colors = ChartColorKey(panels.flatMap { $0.series.map(\.label) })
        let references = Set(panels.flatMap { $0.series.filter(\.isReference).map(\.label) })
        var extents = panels.map { panel -> (x: ChartExtent?, y: ChartExtent?) in
            let points = panel.series.flatMap(\.points).filter(isFinite)
            return (ChartExtent(points.map(\.x)), ChartExtent(points.map(\.y))?.lineValueRange())
        }
        if sharedY {
            let all = ChartExtent(panels.flatMap { $0.series.flatMap(\.points).filter(isFinite).map(\.y) })?.lineValueRange()
            extents = extents.map { ($0.x, $0.x == nil ? nil : all) }
        }
        let twins = identicalSeries(panels, order: colors.labels)
        let labelWidth = extents.map { ChartAxis(covering: $0.y, pixelStart: 0, pixelEnd: 1).widestLabel }.max() ?? 0
        let left = ChartAxes.leftMargin(labelWidth: labelWidth)
        let (top, right, bottom) = (30.0, 20.0, 52.0)
        let figure = ChartFigure(title: title, panelCount: panels.count, cellWidth: left + linePlotWidth + right,
                                 cellHeight: top + linePlotHeight + bottom,
                                 legend: colors.labels.enumerated().map { index, label in
                                     let isReference = references.contains(label)
                                     return ChartLegendEntry(label: label, color: colors.color(for: label),
                                                             mark: isReference ? .dashedLine : .line,
                                                             cycle: colors.cycle(for: label),
                                                             marker: isReference ? nil : ChartMarker.of(index),
                                                             note: twins[label].map { "(same curve as \($0))" })
                                 } + (panels.contains { $0.series.contains { $0.chosen != nil } }
                                     ? [ChartLegendEntry(label: "epoch chosen on validation", color: ChartStyle.outline, mark: .chosen)]
                                     : []))
        let layouts = extents.enumerated().map { index, extent in
            let cell = figure.cell(index)
            let plot = cell.inset(left: left, top: top, right: right, bottom: bottom)
            return ChartLinePanelLayout(cell: cell, plot: plot,
                                        x: ChartAxis(covering: extent.x, pixelStart: plot.minX, pixelEnd: plot.maxX),
                                        y: ChartAxis(covering: extent.y, pixelStart: plot.maxY, pixelEnd: plot.minY),
                                        hasData: extent.x != nil)
        }
        return ChartLineLayout(figure: figure, colors: colors, panels: layouts)
    }

    private static func isFinite(_ p: ChartPoint) -> Bool {
        p.x.isFinite && p.y.isFinite
    }

    /// For each label whose series equals an earlier label's in every panel
    /// (both present in the same panels, with the same points), that label.
    static func identicalSeries(_ panels: [LinePanel], order: [String]) -> [String: String] {
        func curves(_ label: String) -> [[ChartPoint]?] {
            panels.map { panel in panel.series.first { $0.label == label }?.points }
        }
        var twins: [String: String] = [:]
        for (i, label) in order.enumerated() {
            let mine = curves(label)
            guard mine.contains(where: { $0 != nil }) else { continue }
            if let earlier = order[..<i].first(where: { twins[$0] == nil && curves($0) == mine }) { twins[label] = earlier }
        }
        return twins
    }

    private static func drawLinePanel(_ panel: LinePanel, _ layout: ChartLinePanelLayout, xLabel: String, yLabel: String,
                                      colors: ChartColorKey, in doc: inout SVGDocument) {
        let plot = layout.plot
        ChartAxes.drawPanelTitle(panel.title, cell: layout.cell, plot: plot, in: &doc)
        if layout.hasData {
            ChartAxes.drawYTicks(layout.y, plot: plot, in: &doc)
            ChartAxes.drawXTicks(layout.x, plot: plot, in: &doc)
        } else {
            ChartAxes.drawNoData(plot, in: &doc)
        }
        ChartAxes.drawFrame(plot, in: &doc)
        ChartAxes.drawYTitle(yLabel, plot: plot, labelWidth: layout.y.widestLabel, in: &doc)
        ChartAxes.drawXTitle(xLabel, plot: plot, in: &doc)
        for series in panel.series {
            let points = series.points.filter(isFinite).map { (x: layout.x.scale($0.x), y: layout.y.scale($0.y)) }
            guard !points.isEmpty else { continue }
            let color = colors.color(for: series.label)
            doc.element("polyline", [("class", "series"), ("data-label", series.label),
                                     ("points", SVGDocument.points(points)), ("fill", "none"), ("stroke", color),
                                     ("stroke-width", "2.00"), ("stroke-linejoin", "round"), ("stroke-linecap", "round")]
                                    + (series.isReference ? [("stroke-dasharray", ChartStyle.referenceDashes)]
                                        : ChartStyle.lineDashes(cycle: colors.cycle(for: series.label))))
            guard !series.isReference else { continue }
            let marker = ChartMarker.of(colors.labels.firstIndex(of: series.label) ?? 0)
            // Every k-th point, at most `lineMarkerLimit` of them.
            let step = (points.count + lineMarkerLimit - 1) / lineMarkerLimit
            doc.open("g", [("class", "markers"), ("data-label", series.label), ("data-marker", "\(marker)")])
            for point in points.enumerated().filter({ $0.offset % step == 0 }).map(\.element) {
                marker.draw(x: point.x, y: point.y, size: 3, color: color, in: &doc)
            }
            doc.close()
            if let chosen = series.chosen, isFinite(chosen) {
                doc.open("g", [("class", "chosen"), ("data-label", series.label)])
                marker.draw(x: layout.x.scale(chosen.x), y: layout.y.scale(chosen.y), size: 6, color: color, outline: true,
                            in: &doc)
                doc.close()
            }
        }
    }
}
