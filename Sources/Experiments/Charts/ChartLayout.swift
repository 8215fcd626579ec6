import Foundation

/// An axis-aligned rectangle in pixels (y grows downwards).
struct ChartFrame: Equatable, Sendable {
    var x: Double
    var y: Double
    var width: Double
    var height: Double

    var minX: Double { x }
    var maxX: Double { x + width }
    var minY: Double { y }
    var maxY: Double { y + height }
    var midX: Double { x + width / 2 }
    var midY: Double { y + height / 2 }

    /// The rectangle shrunk by the given margins.
    func inset(left: Double, top: Double, right: Double, bottom: Double) -> ChartFrame {
        ChartFrame(x: x + left, y: y + top, width: max(width - left - right, 0), height: max(height - top - bottom, 0))
    }
}

/// The page of a chart: a title band, a grid of equal panel cells (rows of at
/// most three), and a legend to the right of the grid.
struct ChartFigure: Sendable {
    static let margin = 16.0
    static let titleBand = 44.0
    static let maxColumns = 3
    static let legendGap = 20.0

    var title: String
    var panelCount: Int
    var cellWidth: Double
    var cellHeight: Double
    var legend: [ChartLegendEntry]

    /// Grid columns (one cell is kept for a figure without panels).
    var columns: Int { min(max(panelCount, 1), Self.maxColumns) }
    var rows: Int { max(1, (panelCount + Self.maxColumns - 1) / Self.maxColumns) }

    var width: Double {
        let legendWidth = legend.isEmpty ? 0 : Self.legendGap + ChartLegend.size(legend).width
        let content = Double(columns) * cellWidth + legendWidth
        let title = ChartText.width(self.title, fontSize: ChartStyle.titleFont)
        return 2 * Self.margin + max(content, title)
    }

    var height: Double {
        let legendHeight = legend.isEmpty ? 0 : ChartLegend.size(legend).height
        return Self.titleBand + max(Double(rows) * cellHeight, legendHeight) + Self.margin
    }

    /// The cell of panel `index`, left to right, then top to bottom.
    func cell(_ index: Int) -> ChartFrame {
        let column = index % Self.maxColumns
        let row = index / Self.maxColumns
        return ChartFrame(x: Self.margin + Double(column) * cellWidth, y: Self.titleBand + Double(row) * cellHeight,
                          width: cellWidth, height: cellHeight)
    }

    /// The whole SVG: title, each panel drawn by `drawPanel` inside a group, and the legend.
    /// Without panels, the one cell says "no data".
    func render(_ drawPanel: (Int, inout SVGDocument) -> Void) -> String {
        var doc = SVGDocument(width: width, height: height, title: title)
        doc.text(title, x: width / 2, y: 28, size: ChartStyle.titleFont, anchor: "middle", bold: true,
                 attributes: [("class", "chart-title")])
        if panelCount == 0 {
            let cell = cell(0)
            doc.text("no data", x: cell.midX, y: cell.midY, size: ChartStyle.noteFont, anchor: "middle",
                     color: ChartStyle.mutedText, attributes: [("class", "no-data")])
        }
        for index in 0..<max(panelCount, 0) {
            doc.open("g", [("class", "panel"), ("data-panel", String(index))])
            drawPanel(index, &doc)
            doc.close()
        }
        if !legend.isEmpty {
            let x = Self.margin + Double(columns) * cellWidth + Self.legendGap
            ChartLegend.draw(legend, x: x, y: Self.titleBand + 8, in: &doc)
        }
        return doc.rendered()
    }
}
