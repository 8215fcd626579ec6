import Foundation

/// The geometry of one bar, in pixels.
struct ChartBarGeometry: Sendable {
    var label: String
    /// The finite mean, or nil when the bar shows "n/a".
    var value: Double?
    /// The finite, non-negative error, or nil when there is no whisker.
    var error: Double?
    var centerX: Double
    /// The bar between the zero line and the value, or nil for "n/a".
    var rect: ChartFrame?
    /// The pixel y of `value + error` (top) and `value − error` (bottom).
    var whisker: (top: Double, bottom: Double)?
}

/// The geometry of one bar-chart panel.
struct ChartBarPanelLayout: Sendable {
    var cell: ChartFrame
    var plot: ChartFrame
    var y: ChartAxis
    var bars: [ChartBarGeometry]
}

/// The geometry of a whole bar chart.
struct ChartBarLayout: Sendable {
    var figure: ChartFigure
    var colors: ChartColorKey
    /// Whether bar labels are rotated (some label is longer than `rotationThreshold`).
    var rotatesLabels: Bool
    var panels: [ChartBarPanelLayout]
}

extension SVGChart {
    static let barPlotHeight = 220.0
    static let barLabelLimit = 24
    static let rotationThreshold = 8
    static let labelAngle = -35.0
    static let valueDecimals = 4

    /// Vertical bar chart with error bars (mean ± error, whiskers with caps), one panel
    /// per entry, bar labels under each bar (rotated −35° if any label is longer than
    /// 8 characters; cut to 24), y from 0, the value printed above each bar to 4 decimals,
    /// one colour per bar label consistent across panels (also shown in the legend).
    /// A nil or non-finite value draws "n/a"; a non-finite error draws no whisker.
    /// With `sharedY` every panel has the same y axis, so that bar heights
    /// compare across panels (datasets).
    public static func bars(title: String, yLabel: String, panels: [BarPanel], sharedY: Bool = true) -> String {
        let layout = barLayout(title: title, panels: panels, sharedY: sharedY)
        return layout.figure.render { index, doc in
            drawBarPanel(panels[index], layout.panels[index], yLabel: yLabel, layout: layout, in: &doc)
        }
    }

    /// The figure, colours, and each panel's plot frame, y axis and bars.
    static func barLayout(title: String, panels: [BarPanel], sharedY: Bool = true) -> ChartBarLayout {
        let colors = ChartColorKey(panels.flatMap { $0.bars.map(\.label) })
        let labels = panels.flatMap { $0.bars.map { ChartText.truncated($0.label, to: barLabelLimit) } }
        let rotates = panels.contains { $0.bars.contains { $0.label.count > rotationThreshold } }
        let longest = Double(labels.map(\.count).max() ?? 0)
        let charWidth = ChartText.width("0", fontSize: ChartStyle.tickFont)
        let angle = abs(labelAngle) * Double.pi / 180

        var extents = panels.map { panel in
            var extent = ChartExtent(low: 0, high: 0)
            for bar in panel.bars {
                guard let value = finiteValue(bar) else { continue }
                let error = finiteError(bar) ?? 0
                for end in [value - error, value + error, value] where end.isFinite {
                    extent = extent.including(end)
                }
            }
            return extent.low == extent.high ? ChartExtent(low: 0, high: 1) : extent
        }
        if sharedY, let first = extents.first {
            let all = extents.dropFirst().reduce(first) { $0.including($1.low).including($1.high) }
            extents = extents.map { _ in all }
        }
        let valueWidth = panels.flatMap { $0.bars.compactMap(finiteValue) }
            .map { ChartText.width(valueLabel($0), fontSize: ChartStyle.tickFont) }.max() ?? 0
        let slot = max(56, valueWidth + 10, rotates ? 0 : longest * charWidth + 8)
        let plotWidth = max(180, slot * Double(panels.map(\.bars.count).max() ?? 0))
        let tickWidth = extents.map { ChartAxis(covering: $0, pixelStart: 0, pixelEnd: 1).widestLabel }.max() ?? 0
        let left = max(ChartAxes.leftMargin(labelWidth: tickWidth),
                       rotates ? longest * charWidth * cos(angle) - slot / 2 + 12 : 0)
        let bottom = rotates ? 24 + longest * charWidth * sin(angle) + ChartStyle.tickFont : 30
        let (top, right) = (40.0, 20.0)
        let figure = ChartFigure(title: title, panelCount: panels.count, cellWidth: left + plotWidth + right,
                                 cellHeight: top + barPlotHeight + bottom,
                                 legend: colors.labels.map {
                                     ChartLegendEntry(label: $0, color: colors.color(for: $0), mark: .box,
                                                      cycle: colors.cycle(for: $0))
                                 })

        let layouts = zip(panels, extents).enumerated().map { index, pair in
            let (panel, extent) = pair
            let cell = figure.cell(index)
            let plot = cell.inset(left: left, top: top, right: right, bottom: bottom)
            let y = ChartAxis(covering: extent, pixelStart: plot.maxY, pixelEnd: plot.minY)
            let start = plot.minX + (plot.width - slot * Double(panel.bars.count)) / 2
            let bars = panel.bars.enumerated().map { i, bar in
                let center = start + slot * (Double(i) + 0.5)
                var geometry = ChartBarGeometry(label: bar.label, value: finiteValue(bar), error: nil, centerX: center)
                guard let value = geometry.value else { return geometry }
                let zero = y.scale(0)
                let top = y.scale(value)
                let width = slot * 0.6
                geometry.rect = ChartFrame(x: center - width / 2, y: min(zero, top), width: width, height: abs(zero - top))
                if let error = finiteError(bar), error > 0 {
                    geometry.error = error
                    geometry.whisker = (y.scale(value + error), y.scale(value - error))
                }
                return geometry
            }
            return ChartBarPanelLayout(cell: cell, plot: plot, y: y, bars: bars)
        }
        return ChartBarLayout(figure: figure, colors: colors, rotatesLabels: rotates, panels: layouts)
    }

    /// The printed value of a bar.
    static func valueLabel(_ value: Double) -> String {
        SVGFormat.number(value, decimals: valueDecimals)
    }

    private static func finiteValue(_ bar: ChartBar) -> Double? {
        bar.value.flatMap { $0.isFinite ? $0 : nil }
    }

    private static func finiteError(_ bar: ChartBar) -> Double? {
        bar.error.flatMap { $0.isFinite ? abs($0) : nil }
    }

    private static func drawBarPanel(_ panel: BarPanel, _ layout: ChartBarPanelLayout, yLabel: String,
                                     layout figure: ChartBarLayout, in doc: inout SVGDocument) {
        let plot = layout.plot
        ChartAxes.drawPanelTitle(panel.title, cell: layout.cell, plot: plot, in: &doc)
        ChartAxes.drawYTicks(layout.y, plot: plot, in: &doc)
        ChartAxes.drawFrame(plot, in: &doc)
        let zero = layout.y.scale(0)
        doc.line(x1: plot.minX, y1: zero, x2: plot.maxX, y2: zero, color: ChartStyle.axisLine,
                 attributes: [("class", "baseline")])
        ChartAxes.drawYTitle(yLabel, plot: plot, labelWidth: layout.y.widestLabel, in: &doc)
        if panel.bars.isEmpty { ChartAxes.drawNoData(plot, in: &doc) }

        for bar in layout.bars {
            let color = figure.colors.color(for: bar.label)
            let tag = ("data-label", bar.label)
            if let rect = bar.rect, let value = bar.value {
                doc.element("rect", [("class", "bar"), tag, ("x", SVGDocument.px(rect.minX)), ("y", SVGDocument.px(rect.minY)),
                                     ("width", SVGDocument.px(rect.width)), ("height", SVGDocument.px(rect.height)),
                                     ("fill", color)] + ChartStyle.barOutline(cycle: figure.colors.cycle(for: bar.label)))
                if let whisker = bar.whisker {
                    doc.open("g", [("class", "error-bar"), tag])
                    doc.line(x1: bar.centerX, y1: whisker.top, x2: bar.centerX, y2: whisker.bottom,
                             color: ChartStyle.outline, width: 1.5, attributes: [("class", "whisker")])
                    for y in [whisker.top, whisker.bottom] {
                        doc.line(x1: bar.centerX - 6, y1: y, x2: bar.centerX + 6, y2: y,
                                 color: ChartStyle.outline, width: 1.5, attributes: [("class", "cap")])
                    }
                    doc.close()
                }
                let labelY = value >= 0 ? (bar.whisker?.top ?? rect.minY) - 5 : (bar.whisker?.bottom ?? rect.maxY) + 14
                doc.text(valueLabel(value), x: bar.centerX, y: labelY, size: ChartStyle.tickFont, anchor: "middle",
                         attributes: [("class", "value"), tag])
            } else {
                doc.text("n/a", x: bar.centerX, y: zero - 5, size: ChartStyle.noteFont, anchor: "middle",
                         color: ChartStyle.mutedText, attributes: [("class", "missing"), tag])
            }
            let name = ChartText.truncated(bar.label, to: barLabelLimit)
            if figure.rotatesLabels {
                doc.text(name, x: bar.centerX + 4, y: plot.maxY + 14, size: ChartStyle.tickFont, anchor: "end",
                         rotation: labelAngle, attributes: [("class", "bar-label"), tag])
            } else {
                doc.text(name, x: bar.centerX, y: plot.maxY + 16, size: ChartStyle.tickFont, anchor: "middle",
                         attributes: [("class", "bar-label"), tag])
            }
        }
    }
}
