import Foundation

/// Drawing of plot frames, tick marks, grid lines and axis titles.
enum ChartAxes {
    /// The panel heading, centred over `plot` near the top of `cell`.
    static func drawPanelTitle(_ title: String, cell: ChartFrame, plot: ChartFrame, in doc: inout SVGDocument) {
        doc.text(title, x: plot.midX, y: cell.minY + 18, size: ChartStyle.panelTitleFont, anchor: "middle", bold: true,
                 attributes: [("class", "panel-title")])
    }

    /// The plot's outline.
    static func drawFrame(_ plot: ChartFrame, color: String = ChartStyle.axisLine, in doc: inout SVGDocument) {
        doc.element("rect", [("class", "plot-frame"), ("x", SVGDocument.px(plot.minX)), ("y", SVGDocument.px(plot.minY)),
                             ("width", SVGDocument.px(plot.width)), ("height", SVGDocument.px(plot.height)),
                             ("fill", "none"), ("stroke", color), ("stroke-width", "1.00")])
    }

    /// "no data" in the middle of the plot.
    static func drawNoData(_ plot: ChartFrame, in doc: inout SVGDocument) {
        doc.text("no data", x: plot.midX, y: plot.midY, size: ChartStyle.noteFont, anchor: "middle",
                 color: ChartStyle.mutedText, attributes: [("class", "no-data")])
    }

    /// Horizontal grid lines and labels at the y ticks, left of `plot`.
    static func drawYTicks(_ axis: ChartAxis, plot: ChartFrame, in doc: inout SVGDocument) {
        doc.open("g", [("class", "y-ticks")])
        for value in axis.ticks.values {
            let y = axis.scale(value)
            doc.line(x1: plot.minX, y1: y, x2: plot.maxX, y2: y, color: ChartStyle.gridLine)
            doc.line(x1: plot.minX - 4, y1: y, x2: plot.minX, y2: y, color: ChartStyle.axisLine)
            doc.text(axis.ticks.label(value), x: plot.minX - 6, y: y + 4, size: ChartStyle.tickFont, anchor: "end")
        }
        doc.close()
    }

    /// Tick marks and labels at the x ticks, under `plot`.
    static func drawXTicks(_ axis: ChartAxis, plot: ChartFrame, in doc: inout SVGDocument) {
        doc.open("g", [("class", "x-ticks")])
        for value in axis.ticks.values {
            let x = axis.scale(value)
            doc.line(x1: x, y1: plot.maxY, x2: x, y2: plot.maxY + 4, color: ChartStyle.axisLine)
            doc.text(axis.ticks.label(value), x: x, y: plot.maxY + 16, size: ChartStyle.tickFont, anchor: "middle")
        }
        doc.close()
    }

    /// The y-axis title, rotated, just left of tick labels `labelWidth` wide beside `plot`.
    static func drawYTitle(_ title: String, plot: ChartFrame, labelWidth: Double, in doc: inout SVGDocument) {
        doc.text(title, x: plot.minX - labelWidth - 20, y: plot.midY, size: ChartStyle.axisTitleFont, anchor: "middle",
                 rotation: -90, attributes: [("class", "axis-title y")])
    }

    /// The x-axis title, centred under the x tick labels.
    static func drawXTitle(_ title: String, plot: ChartFrame, in doc: inout SVGDocument) {
        doc.text(title, x: plot.midX, y: plot.maxY + 36, size: ChartStyle.axisTitleFont, anchor: "middle",
                 attributes: [("class", "axis-title x")])
    }

    /// The left margin that fits the rotated y title and tick labels `labelWidth` wide.
    static func leftMargin(labelWidth: Double) -> Double {
        labelWidth + 36
    }
}
