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
    /// Series with more finite points than this are drawn without point markers.
    static let lineMarkerLimit = 25

    /// Line chart: one panel per entry side by side (wrap to rows of at most 3 panels),
    /// shared legend of series labels (the union over panels, in first-appearance order,
    /// same colour for the same label in every panel), x axis title, y axis title.
    /// Y range from the data (from 0 if all values are ≥ 0 and the smallest is at most
    /// half the largest, else padded 5%), extended to nice ticks. Non-finite points are
    /// skipped; series of at most 25 points also get a marker at each point.
    public static func lines(title: String, xLabel: String, yLabel: String, panels: [LinePanel]) -> String {
        let layout = lineLayout(title: title, panels: panels)
        return layout.figure.render { index, doc in
            drawLinePanel(panels[index], layout.panels[index], xLabel: xLabel, yLabel: yLabel,
                          colors: layout.colors, in: &doc)
        }
    }

    /// The figure, colours, and each panel's plot frame and axes.
    static func lineLayout(title: String, panels: [LinePanel]) -> ChartLineLayout {
        let colors = ChartColorKey(panels.flatMap { $0.series.map(\.label) })
        let references = Set(panels.flatMap { $0.series.filter(\.isReference).map(\.label) })
        let extents = panels.map { panel -> (x: ChartExtent?, y: ChartExtent?) in
            let points = panel.series.flatMap(\.points).filter(isFinite)
            return (ChartExtent(points.map(\.x)), ChartExtent(points.map(\.y))?.lineValueRange())
        }
        let labelWidth = extents.map { ChartAxis(covering: $0.y, pixelStart: 0, pixelEnd: 1).widestLabel }.max() ?? 0
        let left = ChartAxes.leftMargin(labelWidth: labelWidth)
        let (top, right, bottom) = (30.0, 20.0, 52.0)
        let figure = ChartFigure(title: title, panelCount: panels.count, cellWidth: left + linePlotWidth + right,
                                 cellHeight: top + linePlotHeight + bottom,
                                 legend: colors.labels.map { label in
                                     ChartLegendEntry(label: label, color: colors.color(for: label),
                                                      mark: references.contains(label) ? .dashedLine : .line,
                                                      cycle: colors.cycle(for: label))
                                 })
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
            guard points.count <= lineMarkerLimit, !series.isReference else { continue }
            doc.open("g", [("class", "markers"), ("data-label", series.label), ("fill", color)])
            for point in points {
                doc.element("circle", [("cx", SVGDocument.px(point.x)), ("cy", SVGDocument.px(point.y)), ("r", "2.50")])
            }
            doc.close()
        }
    }
}
