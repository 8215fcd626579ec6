import Foundation
import Testing
@testable import Experiments

struct ChartBarsTests {
    static let panels = [BarPanel(title: "Recall@20", bars: [
        ChartBar(label: "A", value: 0.05, error: 0.01),
        ChartBar(label: "B", value: 0.10, error: 0.02),
        ChartBar(label: "C", value: nil, error: nil),
    ])]

    /// The overview has nine models: each gets its own colour.
    @Test func nineBarsGetNineColours() {
        let names = ["LightGCN", "VBPR", "MMGCN", "GRCN", "DualGNN", "NGCF", "GAT", "GraphSAGE", "DisenGCN"]
        let panel = BarPanel(title: "p", bars: names.enumerated().map { ChartBar(label: $1, value: Double($0 + 1), error: nil) })
        let doc = parsedSVG(SVGChart.bars(title: "t", yLabel: "y", panels: [panel]))
        let fills = names.compactMap { doc.all("rect", className: "bar", label: $0).first?.attributes["fill"] }
        #expect(fills.count == 9 && Set(fills).count == 9, "\(fills)")
    }

    /// Bars 12 to 14 reuse the first three of the palette's 11 colours, so they
    /// (and their legend boxes) get a dotted dark outline; the first eleven none.
    @Test func barsBeyondThePaletteAreOutlined() {
        let labels = (1...14).map { "m\($0)" }
        let panel = BarPanel(title: "p", bars: labels.map { ChartBar(label: $0, value: 1, error: nil) })
        let doc = parsedSVG(SVGChart.bars(title: "t", yLabel: "y", panels: [panel]))
        let bars = labels.map { doc.all("rect", className: "bar", label: $0).first?.attributes }
        #expect(bars[11]?["fill"] == bars[0]?["fill"] && bars[13]?["fill"] == "#009E73")
        #expect(bars[0..<11].allSatisfy { $0?["stroke"] == nil && $0?["stroke-dasharray"] == nil })
        #expect(bars[11...].allSatisfy { $0?["stroke"] == "#222222" && $0?["stroke-dasharray"] == "2 3" })
        let boxes = labels.map { doc.legendMark("rect", label: $0).map { $0.attributes["stroke-dasharray"] ?? "solid" } }
        #expect(boxes == Array(repeating: "solid", count: 11) + Array(repeating: "2 3", count: 3))
    }

    @Test func barHeightsAreProportionalToValues() throws {
        let doc = parsedSVG(SVGChart.bars(title: "t", yLabel: "recall", panels: Self.panels))
        let a = try #require(doc.all("rect", className: "bar", label: "A").first)
        let b = try #require(doc.all("rect", className: "bar", label: "B").first)
        // Pixels are printed to 2 decimals, so the printed ratio is 2 up to rounding.
        #expect(abs(b.number("height") / a.number("height") - 2) < 1e-3)
        // Both bars stand on the same zero line.
        #expect(abs((a.number("y") + a.number("height")) - (b.number("y") + b.number("height"))) < 0.011)

        // Independently of the code: from the plot frame and the printed y tick labels,
        // a value v is v / (top tick − bottom tick) of the frame height tall.
        let frame = try #require(doc.all("rect", className: "plot-frame").first)
        let ticks = doc.elements.indices
            .filter { doc.elements[$0].name == "text" && doc.isInside($0, className: "y-ticks") }
            .compactMap { Double(doc.elements[$0].text) }
        let (low, high) = (try #require(ticks.min()), try #require(ticks.max()))
        #expect(low == 0)
        #expect(abs(a.number("height") - 0.05 / (high - low) * frame.number("height")) < 0.011)
        #expect(abs(b.number("height") - 0.10 / (high - low) * frame.number("height")) < 0.011)

        // Unrounded geometry: height = |scale(value) − scale(0)|, ratio 2 within 1e-6.
        let layout = SVGChart.barLayout(title: "t", panels: Self.panels).panels[0]
        let scale = layout.y.scale
        let hA = abs(scale(0.05) - scale(0))
        let hB = abs(scale(0.10) - scale(0))
        #expect(abs(hB / hA - 2) < 1e-6)
        #expect(abs((layout.bars[0].rect?.height ?? 0) - hA) < 1e-9)
        #expect(abs((layout.bars[1].rect?.height ?? 0) - hB) < 1e-9)
        #expect(abs(a.number("height") - hA) <= 0.0051)
        #expect(layout.bars[2].rect == nil)
    }

    @Test func whiskersSpanValuePlusMinusError() throws {
        let doc = parsedSVG(SVGChart.bars(title: "t", yLabel: "recall", panels: Self.panels))
        let b = try #require(doc.all("rect", className: "bar", label: "B").first)
        let whisker = try #require(doc.all("line", className: "whisker").last)
        let span = abs(whisker.number("y2") - whisker.number("y1"))
        // The whisker is 2 × error tall where the bar is value tall: 0.04 / 0.10.
        #expect(abs(span / b.number("height") - 0.4) < 1e-3)
        // It is centred on the bar's top (the value).
        #expect(abs((whisker.number("y1") + whisker.number("y2")) / 2 - b.number("y")) < 0.011)
        let scale = SVGChart.barLayout(title: "t", panels: Self.panels).panels[0].y.scale
        #expect(abs(whisker.number("y1") - scale(0.12)) <= 0.0051)
        #expect(abs(whisker.number("y2") - scale(0.08)) <= 0.0051)
        #expect(doc.all("line", className: "cap").count == 4)
    }

    @Test func valuesLabelsAndMissingBars() {
        let doc = parsedSVG(SVGChart.bars(title: "t", yLabel: "recall", panels: Self.panels))
        #expect(doc.all("text", className: "value", label: "A").map(\.text) == ["0.0500"])
        #expect(doc.all("text", className: "value", label: "B").map(\.text) == ["0.1000"])
        #expect(doc.all("rect", className: "bar", label: "C").isEmpty)
        #expect(doc.all("text", className: "missing", label: "C").map(\.text) == ["n/a"])
        #expect(doc.all("text", className: "bar-label").map(\.text) == ["A", "B", "C"])
        // Short labels stay horizontal; a label over 8 characters rotates all of them.
        #expect(doc.all("text", className: "bar-label").allSatisfy { $0.attributes["transform"] == nil })
        let long = [BarPanel(title: "p", bars: [ChartBar(label: "LightGCN-long", value: 1, error: nil)])]
        let rotated = parsedSVG(SVGChart.bars(title: "t", yLabel: "y", panels: long)).all("text", className: "bar-label")
        #expect(rotated.first?.attributes["transform"]?.hasPrefix("rotate(-35 ") == true)
    }

    @Test func sameLabelSameColourAcrossPanels() {
        let panels = [BarPanel(title: "1", bars: [ChartBar(label: "A", value: 1, error: nil), ChartBar(label: "B", value: 2, error: nil)]),
                      BarPanel(title: "2", bars: [ChartBar(label: "B", value: 3, error: nil), ChartBar(label: "A", value: 4, error: nil)])]
        let doc = parsedSVG(SVGChart.bars(title: "t", yLabel: "y", panels: panels))
        #expect(Set(doc.all("rect", className: "bar", label: "A").map { $0.attributes["fill"] ?? "" }) == ["#0072B2"])
        #expect(Set(doc.all("rect", className: "bar", label: "B").map { $0.attributes["fill"] ?? "" }) == ["#E69F00"])
    }

    @Test func negativeBarsHangBelowZero() throws {
        let panels = [BarPanel(title: "p", bars: [ChartBar(label: "neg", value: -2, error: nil), ChartBar(label: "pos", value: 1, error: nil)])]
        let layout = SVGChart.barLayout(title: "t", panels: panels).panels[0]
        let zero = layout.y.scale(0)
        let negative = try #require(layout.bars[0].rect)
        let positive = try #require(layout.bars[1].rect)
        #expect(abs(negative.minY - zero) < 1e-9)
        #expect(abs(positive.maxY - zero) < 1e-9)
        #expect(abs(negative.height / positive.height - 2) < 1e-9)
    }
}
