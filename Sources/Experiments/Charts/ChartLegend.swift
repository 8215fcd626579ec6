import Foundation

/// The mark drawn beside a legend label.
enum ChartLegendMark: Sendable, Equatable {
    case line, dashedLine, box, circle, star
    /// The enlarged, outlined mark of a line chart's chosen epoch.
    case chosen
}

/// One legend row: a coloured mark and its label.
struct ChartLegendEntry: Sendable, Equatable {
    var label: String
    var color: String
    var mark: ChartLegendMark
    /// The pass through the palette the colour comes from: a `.line` beyond the
    /// first is dashed, a `.box` outlined, as the plot draws that label.
    var cycle: Int = 0
    /// The marker shape drawn on a `.line`, as the plot draws that series.
    var marker: ChartMarker? = nil
    /// Said after the label, such as "(same curve as GRCN)".
    var note: String? = nil
}

/// A vertical legend: one row per entry.
enum ChartLegend {
    static let rowHeight = 20.0
    static let markWidth = 22.0
    static let maxLabelLength = 40

    /// The width and height the legend needs.
    static func size(_ entries: [ChartLegendEntry]) -> (width: Double, height: Double) {
        let widest = entries.map { ChartText.width(label($0), fontSize: ChartStyle.legendFont) }.max() ?? 0
        return (markWidth + 6 + widest, Double(entries.count) * rowHeight)
    }

    /// Draws the legend with its top-left corner at (`x`, `y`).
    static func draw(_ entries: [ChartLegendEntry], x: Double, y: Double, in doc: inout SVGDocument) {
        doc.open("g", [("class", "legend")])
        for (row, entry) in entries.enumerated() {
            let midY = y + Double(row) * rowHeight + rowHeight / 2
            let midX = x + markWidth / 2
            doc.open("g", [("class", "legend-entry"), ("data-label", entry.label)])
            switch entry.mark {
            case .line:
                doc.line(x1: x, y1: midY, x2: x + markWidth, y2: midY, color: entry.color, width: 2.5,
                         attributes: ChartStyle.lineDashes(cycle: entry.cycle))
                entry.marker?.draw(x: midX, y: midY, size: 4, color: entry.color, in: &doc)
            case .chosen:
                ChartMarker.circle.draw(x: midX, y: midY, size: 5.5, color: "#FFFFFF", outline: true, in: &doc)
            case .dashedLine:
                doc.line(x1: x, y1: midY, x2: x + markWidth, y2: midY, color: entry.color, width: 2.5,
                         attributes: [("stroke-dasharray", ChartStyle.referenceDashes)])
            case .box:
                doc.element("rect", [("x", SVGDocument.px(midX - 6)), ("y", SVGDocument.px(midY - 6)),
                                     ("width", "12.00"), ("height", "12.00"), ("fill", entry.color)]
                                    + ChartStyle.barOutline(cycle: entry.cycle))
            case .circle:
                doc.element("circle", [("cx", SVGDocument.px(midX)), ("cy", SVGDocument.px(midY)),
                                       ("r", "4.50"), ("fill", entry.color)])
            case .star:
                doc.element("polygon", [("points", SVGDocument.points(ChartStar.vertices(x: midX, y: midY, radius: 7))),
                                        ("fill", entry.color), ("stroke", ChartStyle.outline), ("stroke-width", "1.00")])
            }
            doc.text(label(entry), x: x + markWidth + 6, y: midY + 4, size: ChartStyle.legendFont)
            doc.close()
        }
        doc.close()
    }

    private static func label(_ entry: ChartLegendEntry) -> String {
        ChartText.truncated(entry.label, to: maxLabelLength) + (entry.note.map { " " + $0 } ?? "")
    }
}

/// The outline of a five-pointed star.
enum ChartStar {
    /// Inner radius as a fraction of the outer one (a regular star).
    static let innerRatio = 0.382

    /// The ten vertices of a star centred at (`x`, `y`) with one point straight up.
    static func vertices(x: Double, y: Double, radius: Double) -> [(x: Double, y: Double)] {
        (0..<10).map { k in
            let r = k % 2 == 0 ? radius : radius * innerRatio
            let angle = -Double.pi / 2 + Double(k) * Double.pi / 5
            return (x + r * cos(angle), y + r * sin(angle))
        }
    }
}
