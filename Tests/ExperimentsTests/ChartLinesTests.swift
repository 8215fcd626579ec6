import Foundation
import Testing
@testable import Experiments

struct ChartLinesTests {
    static let panels = [
        LinePanel(title: "one", series: [
            ChartSeries(label: "A", points: [ChartPoint(x: 0, y: 1), ChartPoint(x: 1, y: .nan), ChartPoint(x: 2, y: 3),
                                             ChartPoint(x: .infinity, y: 4), ChartPoint(x: 3, y: 2)]),
            ChartSeries(label: "B", points: [ChartPoint(x: 0, y: 2), ChartPoint(x: 1, y: 2.5)]),
        ]),
        LinePanel(title: "two", series: [
            ChartSeries(label: "C", points: [ChartPoint(x: 0, y: 1)]),
            ChartSeries(label: "A", points: [ChartPoint(x: 0, y: 5), ChartPoint(x: 10, y: 7)]),
        ]),
    ]

    static func polyline(_ doc: SVGTestDocument, panel: Int, label: String) -> SVGTestElement? {
        doc.indices("polyline", className: "series", panel: panel).map { doc.elements[$0] }
            .first { $0.attributes["data-label"] == label }
    }

    @Test func polylinesHaveOnePointPerFiniteInput() {
        let doc = parsedSVG(SVGChart.lines(title: "t", xLabel: "epoch", yLabel: "loss", panels: Self.panels))
        #expect(svgPoints(Self.polyline(doc, panel: 0, label: "A")?.attributes["points"]).count == 3)
        #expect(svgPoints(Self.polyline(doc, panel: 0, label: "B")?.attributes["points"]).count == 2)
        #expect(svgPoints(Self.polyline(doc, panel: 1, label: "C")?.attributes["points"]).count == 1)
        #expect(svgPoints(Self.polyline(doc, panel: 1, label: "A")?.attributes["points"]).count == 2)
    }

    @Test func sameLabelSameColourInEveryPanel() {
        let doc = parsedSVG(SVGChart.lines(title: "t", xLabel: "epoch", yLabel: "loss", panels: Self.panels))
        let a0 = Self.polyline(doc, panel: 0, label: "A")?.attributes["stroke"]
        let a1 = Self.polyline(doc, panel: 1, label: "A")?.attributes["stroke"]
        #expect(a0 == "#0072B2")
        #expect(a1 == a0)
        #expect(Self.polyline(doc, panel: 0, label: "B")?.attributes["stroke"] == "#E69F00")
        #expect(Self.polyline(doc, panel: 1, label: "C")?.attributes["stroke"] == "#009E73")
        let legend = doc.all("g", className: "legend-entry").map { $0.attributes["data-label"] ?? "" }
        #expect(legend == ["A", "B", "C"])
    }

    @Test func aReferenceLevelIsDashedWithoutMarkersInPlotAndLegend() {
        let panels = [LinePanel(title: "one", series: [
            ChartSeries(label: "A", points: [ChartPoint(x: 1, y: 1), ChartPoint(x: 2, y: 3)]),
            ChartSeries(label: "Popular", points: [ChartPoint(x: 1, y: 2), ChartPoint(x: 2, y: 2)], isReference: true),
        ])]
        let doc = parsedSVG(SVGChart.lines(title: "t", xLabel: "epoch", yLabel: "recall", panels: panels))
        #expect(Self.polyline(doc, panel: 0, label: "Popular")?.attributes["stroke-dasharray"] == "7 4")
        #expect(Self.polyline(doc, panel: 0, label: "A")?.attributes["stroke-dasharray"] == nil)
        #expect(doc.all("g", className: "markers", label: "Popular").isEmpty)
        #expect(doc.all("g", className: "markers", label: "A").count == 1)
        let legendLines = doc.all("line").filter { $0.attributes["stroke-dasharray"] == "7 4" }
        #expect(legendLines.count == 1)
    }

    /// The palette has 11 colours: labels 12 to 14 reuse the first three colours,
    /// so their lines are dotted in the plot and in the legend, and labels 1 to
    /// 11 stay solid; every (colour, dashes) pair is then distinct.
    @Test func labelsBeyondThePaletteAreDottedWhereTheyShareAColour() {
        let labels = (1...14).map { "m\($0)" }
        let panel = LinePanel(title: "p", series: labels.map {
            ChartSeries(label: $0, points: [ChartPoint(x: 1, y: 1), ChartPoint(x: 2, y: 2)])
        })
        let doc = parsedSVG(SVGChart.lines(title: "t", xLabel: "epoch", yLabel: "recall", panels: [panel]))
        let strokes = labels.map { label in
            let line = Self.polyline(doc, panel: 0, label: label)?.attributes
            return "\(line?["stroke"] ?? "none") \(line?["stroke-dasharray"] ?? "solid")"
        }
        #expect(strokes[11] == "#0072B2 2 3" && strokes[12] == "#E69F00 2 3" && strokes[13] == "#009E73 2 3")
        #expect(strokes[0] == "#0072B2 solid" && strokes[10] == "#999999 solid")
        #expect(Set(strokes).count == 14, "\(strokes)")
        let legend = labels.map { label in
            doc.legendMark("line", label: label).map { "\($0.attributes["stroke"] ?? "none") \($0.attributes["stroke-dasharray"] ?? "solid")" }
        }
        #expect(legend == strokes)
        #expect(doc.all("line").filter { $0.attributes["stroke-dasharray"] == "2 3" }.count == 3)
    }

    @Test func pointsLandWhereTheAxesSay() throws {
        let doc = parsedSVG(SVGChart.lines(title: "t", xLabel: "epoch", yLabel: "loss", panels: Self.panels))
        // Panel two: y values 1, 5, 7 are ≥ 0 and 1 ≤ 7 / 2, so y runs from 0; raw step
        // 7 / 4 = 1.75 → 2, ticks 0…8. x 0…10: raw step 2.5 → 2, ticks 0…10.
        let yLabels = doc.elements.indices
            .filter { doc.elements[$0].name == "text" && doc.isInside($0, className: "y-ticks") && doc.isInside($0, className: "panel", panel: 1) }
            .map { doc.elements[$0].text }
        #expect(yLabels == ["0", "2", "4", "6", "8"])
        let frame = doc.elements[try #require(doc.indices("rect", className: "plot-frame", panel: 1).first)]
        let points = svgPoints(Self.polyline(doc, panel: 1, label: "A")?.attributes["points"])
        let last = try #require(points.last)
        #expect(abs(last.x - (frame.number("x") + frame.number("width"))) < 0.011)
        #expect(abs(last.y - (frame.number("y") + frame.number("height") * (1 - 7.0 / 8))) < 0.011)
        let first = try #require(points.first)
        #expect(abs(first.x - frame.number("x")) < 0.011)
        #expect(abs(first.y - (frame.number("y") + frame.number("height") * (1 - 5.0 / 8))) < 0.011)
    }

    @Test func panelsWrapInRowsOfThree() {
        let panels = (0..<4).map { LinePanel(title: "\($0)", series: []) }
        let figure = SVGChart.lineLayout(title: "t", panels: panels).figure
        #expect(figure.columns == 3 && figure.rows == 2)
        #expect(figure.cell(3).minX == figure.cell(0).minX)
        #expect(figure.cell(3).minY == figure.cell(0).minY + figure.cellHeight)
        #expect(figure.cell(2).minX == figure.cell(0).minX + 2 * figure.cellWidth)
    }
}

/// What issue 20 asked of the figures: one y-scale for all panels, a marker
/// shape per series, the chosen epoch marked, identical curves named.
@Suite struct ChartReadabilityTests {
    @Test func panelsShareTheirYScaleByDefault() {
        let panels = [LinePanel(title: "big", series: [ChartSeries(label: "A", points: [ChartPoint(x: 1, y: 0.02), ChartPoint(x: 2, y: 0.09)])]),
                      LinePanel(title: "small", series: [ChartSeries(label: "A", points: [ChartPoint(x: 1, y: 0.01), ChartPoint(x: 2, y: 0.03)])])]
        let shared = SVGChart.lineLayout(title: "t", panels: panels)
        #expect(shared.panels[0].y == shared.panels[1].y)
        #expect(shared.panels[1].y.ticks.values.last! >= 0.09)
        let own = SVGChart.lineLayout(title: "t", panels: panels, sharedY: false)
        #expect(own.panels[1].y.ticks.values.last! < 0.05)
        let bars = [BarPanel(title: "big", bars: [ChartBar(label: "A", value: 0.09, error: nil)]),
                    BarPanel(title: "small", bars: [ChartBar(label: "A", value: 0.03, error: nil)])]
        let layout = SVGChart.barLayout(title: "t", panels: bars)
        #expect(layout.panels[0].y.ticks == layout.panels[1].y.ticks)
        // The 0.03 bar is a third as tall as the 0.09 one.
        let heights = layout.panels.map { $0.bars[0].rect!.height }
        #expect(abs(heights[1] / heights[0] - 1.0 / 3) < 1e-9)
    }

    @Test func eachSeriesHasItsMarkerAndItsChosenEpoch() {
        let labels = ["A", "B", "C"]
        let panel = LinePanel(title: "p", series: labels.enumerated().map { i, label in
            ChartSeries(label: label, points: (1...40).map { ChartPoint(x: Double($0), y: Double($0 + i)) },
                        chosen: ChartPoint(x: 30, y: Double(30 + i)))
        })
        let doc = parsedSVG(SVGChart.lines(title: "t", xLabel: "epoch", yLabel: "recall", panels: [panel]))
        let shapes = labels.map { doc.all("g", className: "markers", label: $0).first?.attributes["data-marker"] }
        #expect(shapes == ["circle", "square", "triangle"])
        // 40 points get every second marked: 20 markers each.
        let a = doc.indices("g", className: "markers", panel: 0).first!
        #expect(doc.elements.filter { $0.parent == a }.count == 20)
        #expect(labels.allSatisfy { doc.all("g", className: "chosen", label: $0).count == 1 })
        #expect(doc.all("g", className: "legend-entry").last?.attributes["data-label"] == "epoch chosen on validation")
    }

    @Test func identicalCurvesAreNamedInTheLegend() {
        let same = [ChartPoint(x: 1, y: 0.5), ChartPoint(x: 2, y: 0.6)]
        let panel = LinePanel(title: "p", series: [ChartSeries(label: "GRCN", points: same),
                                                   ChartSeries(label: "DualGNN", points: [ChartPoint(x: 1, y: 0.4)]),
                                                   ChartSeries(label: "GRCN, compat", points: same)])
        let svg = SVGChart.lines(title: "t", xLabel: "epoch", yLabel: "recall", panels: [panel])
        #expect(svg.contains("GRCN, compat (same curve as GRCN)"))
        #expect(!svg.contains("DualGNN (same"))
    }
}
