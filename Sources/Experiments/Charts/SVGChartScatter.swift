import Foundation

/// The geometry of one scatter panel: a square plot with equal x and y units.
struct ChartScatterPanelLayout: Sendable {
    var cell: ChartFrame
    var plot: ChartFrame
    /// Whether any point has finite coordinates.
    var hasData: Bool
    var x: ChartScale
    var y: ChartScale
}

/// The geometry of a whole scatter chart.
struct ChartScatterLayout: Sendable {
    var figure: ChartFigure
    /// The distinct groups over all panels, ascending; group `groups[i]` is "user i+1".
    var groups: [Int]
    var panels: [ChartScatterPanelLayout]

    /// The colour of `group`, by its rank among all groups.
    func color(ofGroup group: Int) -> String {
        ChartStyle.color(groups.firstIndex { $0 >= group } ?? groups.count)
    }
}

extension SVGChart {
    static let scatterPlotSize = 260.0
    static let itemRadius = 3.5
    static let anchorRadius = 7.0
    /// The data span covers this fraction of the plot side, leaving a margin.
    static let scatterFill = 1 / 1.1

    /// Scatter of 2-D projections: one panel per entry, each panel scaled to its own
    /// data range with equal aspect ratio, no numeric axes (a frame, and the panel
    /// subtitle, e.g. "PC1 41% · PC2 22% of variance"), links drawn first (under
    /// points), anchors as 5-point stars with a dark outline, legend "user 1 … user n"
    /// for the distinct groups in ascending order (plus a shape key for users and items).
    public static func scatter(title: String, panels: [ScatterPanel]) -> String {
        let layout = scatterLayout(title: title, panels: panels)
        return layout.figure.render { index, doc in
            drawScatterPanel(panels[index], layout.panels[index], layout: layout, in: &doc)
        }
    }

    /// The figure, groups, and each panel's square plot and scales.
    static func scatterLayout(title: String, panels: [ScatterPanel]) -> ChartScatterLayout {
        let all = panels.flatMap(\.points)
        let groups = Set(all.map(\.group)).sorted()
        var legend: [ChartLegendEntry] = []
        if all.contains(where: \.isAnchor) {
            legend.append(ChartLegendEntry(label: "user", color: "#FFFFFF", mark: .star))
        }
        if all.contains(where: { !$0.isAnchor }) {
            legend.append(ChartLegendEntry(label: "item", color: ChartStyle.mutedText, mark: .circle))
        }
        legend += groups.indices.map { ChartLegendEntry(label: "user \($0 + 1)", color: ChartStyle.color($0), mark: .box) }
        let (side, top, bottom) = (20.0, 44.0, 20.0)
        let figure = ChartFigure(title: title, panelCount: panels.count, cellWidth: side + scatterPlotSize + side,
                                 cellHeight: top + scatterPlotSize + bottom, legend: legend)
        let layouts = panels.enumerated().map { index, panel in
            let cell = figure.cell(index)
            let plot = cell.inset(left: side, top: top, right: side, bottom: bottom)
            let finite = panel.points.filter(isFinite)
            guard let xs = ChartExtent(finite.map(\.x)), let ys = ChartExtent(finite.map(\.y)) else {
                return ChartScatterPanelLayout(
                    cell: cell, plot: plot, hasData: false,
                    x: ChartScale(domainLow: 0, domainHigh: 1, pixelStart: plot.minX, pixelEnd: plot.maxX),
                    y: ChartScale(domainLow: 0, domainHigh: 1, pixelStart: plot.maxY, pixelEnd: plot.minY))
            }
            var span = max(xs.high - xs.low, ys.high - ys.low)
            if !(span.isFinite && span > 0) { span = 1 }
            let half = span / 2 / scatterFill
            let midX = xs.low / 2 + xs.high / 2
            let midY = ys.low / 2 + ys.high / 2
            return ChartScatterPanelLayout(
                cell: cell, plot: plot, hasData: true,
                x: ChartScale(domainLow: midX - half, domainHigh: midX + half, pixelStart: plot.minX, pixelEnd: plot.maxX),
                y: ChartScale(domainLow: midY - half, domainHigh: midY + half, pixelStart: plot.maxY, pixelEnd: plot.minY))
        }
        return ChartScatterLayout(figure: figure, groups: groups, panels: layouts)
    }

    private static func isFinite(_ p: ScatterPoint) -> Bool {
        p.x.isFinite && p.y.isFinite
    }

    private static func drawScatterPanel(_ panel: ScatterPanel, _ layout: ChartScatterPanelLayout,
                                         layout figure: ChartScatterLayout, in doc: inout SVGDocument) {
        let plot = layout.plot
        ChartAxes.drawPanelTitle(panel.title, cell: layout.cell, plot: plot, in: &doc)
        doc.text(panel.subtitle, x: plot.midX, y: layout.cell.minY + 34, size: ChartStyle.noteFont, anchor: "middle",
                 color: ChartStyle.mutedText, attributes: [("class", "panel-subtitle")])
        ChartAxes.drawFrame(plot, color: ChartStyle.frameLine, in: &doc)
        guard layout.hasData else {
            ChartAxes.drawNoData(plot, in: &doc)
            return
        }
        let points = panel.points
        func position(_ p: ScatterPoint) -> (x: Double, y: Double) { (layout.x(p.x), layout.y(p.y)) }

        doc.open("g", [("class", "links"), ("stroke-width", "0.80"), ("stroke-opacity", "0.55")])
        for (i, p) in points.enumerated() where isFinite(p) {
            guard let j = p.linkTo, j != i, points.indices.contains(j), isFinite(points[j]) else { continue }
            let (from, to) = (position(p), position(points[j]))
            doc.element("line", [("class", "link"), ("data-from", String(i)), ("data-to", String(j)),
                                 ("x1", SVGDocument.px(from.x)), ("y1", SVGDocument.px(from.y)),
                                 ("x2", SVGDocument.px(to.x)), ("y2", SVGDocument.px(to.y)),
                                 ("stroke", figure.color(ofGroup: p.group))])
        }
        doc.close()

        doc.open("g", [("class", "items"), ("fill-opacity", "0.85"), ("stroke", "#FFFFFF"), ("stroke-width", "0.50")])
        for (i, p) in points.enumerated() where isFinite(p) && !p.isAnchor {
            let at = position(p)
            doc.element("circle", [("class", "item"), ("data-index", String(i)), ("cx", SVGDocument.px(at.x)),
                                   ("cy", SVGDocument.px(at.y)), ("r", SVGDocument.px(itemRadius)),
                                   ("fill", figure.color(ofGroup: p.group))])
        }
        doc.close()

        let star = SVGDocument.points(ChartStar.vertices(x: 0, y: 0, radius: anchorRadius))
        doc.open("g", [("class", "anchors"), ("stroke", ChartStyle.outline), ("stroke-width", "1.20")])
        for (i, p) in points.enumerated() where isFinite(p) && p.isAnchor {
            let at = position(p)
            doc.element("polygon", [("class", "anchor"), ("data-index", String(i)),
                                    ("transform", "translate(\(SVGDocument.px(at.x)),\(SVGDocument.px(at.y)))"),
                                    ("points", star), ("fill", figure.color(ofGroup: p.group))])
        }
        doc.close()
    }
}
