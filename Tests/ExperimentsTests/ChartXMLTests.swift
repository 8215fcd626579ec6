import Foundation
import Testing
@testable import Experiments

/// Every chart, for ordinary and awkward input, is well-formed, self-contained,
/// readable and deterministic SVG.
struct ChartXMLTests {
    static let special = #"a & b < c > "d""#

    static let lineCases: [(String, [LinePanel])] = [
        ("normal", [
            LinePanel(title: "LightGCN", series: [
                ChartSeries(label: "train", points: (0..<20).map { ChartPoint(x: Double($0), y: 1 / Double($0 + 1)) }),
                ChartSeries(label: "valid", points: (0..<20).map { ChartPoint(x: Double($0), y: 0.02 * Double($0)) }),
            ]),
            LinePanel(title: "VBPR", series: [ChartSeries(label: "valid", points: [ChartPoint(x: 0, y: -3), ChartPoint(x: 5, y: -1)])]),
            LinePanel(title: "MMGCN", series: []),
            LinePanel(title: "GRCN", series: [ChartSeries(label: "train", points: [ChartPoint(x: 1, y: 1)])]),
        ]),
        ("no panels", []),
        ("empty panel", [LinePanel(title: "", series: [ChartSeries(label: "", points: [])])]),
        ("NaN", [LinePanel(title: "not a number", series: [ChartSeries(label: "x", points: [ChartPoint(x: .nan, y: .nan),
                                                                                       ChartPoint(x: 1, y: .infinity)])])]),
        ("single point", [LinePanel(title: "one", series: [ChartSeries(label: "x", points: [ChartPoint(x: 3, y: 0.5)])])]),
        ("all equal", [LinePanel(title: "flat", series: [ChartSeries(label: "x", points: [ChartPoint(x: 2, y: 0), ChartPoint(x: 2, y: 0)])])]),
        ("special labels", [LinePanel(title: special, series: [ChartSeries(label: special, points: [ChartPoint(x: 0, y: 1), ChartPoint(x: 1, y: 2)])])]),
    ]

    static let barCases: [(String, [BarPanel])] = [
        ("normal", [
            BarPanel(title: "Recall@20", bars: [ChartBar(label: "LightGCN", value: 0.0812, error: 0.002),
                                                ChartBar(label: "VBPR", value: 0.0731, error: nil),
                                                ChartBar(label: "MMGCN", value: nil, error: nil)]),
            BarPanel(title: "NDCG@20", bars: [ChartBar(label: "VBPR", value: -0.01, error: 0.02)]),
        ]),
        ("no panels", []),
        ("empty panel", [BarPanel(title: "", bars: [])]),
        ("NaN", [BarPanel(title: "not a number", bars: [ChartBar(label: "x", value: .nan, error: .nan),
                                               ChartBar(label: "y", value: 1, error: .infinity)])]),
        ("single bar", [BarPanel(title: "one", bars: [ChartBar(label: "x", value: 0, error: 0)])]),
        ("all missing", [BarPanel(title: "none", bars: [ChartBar(label: "x", value: nil, error: 1)])]),
        ("special labels", [BarPanel(title: special, bars: [ChartBar(label: special, value: 2, error: 1),
                                                            ChartBar(label: "a much longer model name \u{01}", value: 1, error: nil)])]),
    ]

    static let scatterCases: [(String, [ScatterPanel])] = [
        ("normal", [
            ScatterPanel(title: "LightGCN", subtitle: "PC1 41% · PC2 22% of variance", points: [
                ScatterPoint(x: 0, y: 0, group: 0, isAnchor: true),
                ScatterPoint(x: 1, y: 2, group: 0, linkTo: 0),
                ScatterPoint(x: -1, y: 3, group: 1, isAnchor: true),
                ScatterPoint(x: -2, y: 1, group: 1, linkTo: 2),
            ]),
            ScatterPanel(title: "VBPR", subtitle: "", points: [ScatterPoint(x: 5, y: 5, group: 12, linkTo: 99)]),
        ]),
        ("no panels", []),
        ("empty panel", [ScatterPanel(title: "", subtitle: "", points: [])]),
        ("NaN", [ScatterPanel(title: "not a number", subtitle: "", points: [ScatterPoint(x: .nan, y: 1, group: 0),
                                                                   ScatterPoint(x: 1, y: 1, group: 0, linkTo: 0)])]),
        ("single point", [ScatterPanel(title: "one", subtitle: "s", points: [ScatterPoint(x: 1, y: -1, group: -3, isAnchor: true)])]),
        ("special labels", [ScatterPanel(title: special, subtitle: special, points: [ScatterPoint(x: 0, y: 0, group: 0)])]),
    ]

    static func renderings() -> [(String, String)] {
        lineCases.map { ("lines \($0.0)", SVGChart.lines(title: special, xLabel: "epoch", yLabel: special, panels: $0.1)) }
            + barCases.map { ("bars \($0.0)", SVGChart.bars(title: "Bars", yLabel: "Recall@20", panels: $0.1)) }
            + scatterCases.map { ("scatter \($0.0)", SVGChart.scatter(title: "Users", panels: $0.1)) }
    }

    @Test func everyChartIsWellFormedAndSelfContained() {
        for (name, svg) in Self.renderings() {
            let doc = parsedSVG(svg)
            #expect(doc.error == nil, "\(name): \(doc.error ?? "")")
            #expect(doc.elements.count > 3, "\(name)")
            let root = doc.elements.first
            #expect(root?.name == "svg", "\(name)")
            let width = root?.attributes["width"] ?? ""
            let height = root?.attributes["height"] ?? ""
            #expect(Double(width) ?? 0 > 0 && Double(height) ?? 0 > 0, "\(name)")
            #expect(root?.attributes["viewBox"] == "0 0 \(width) \(height)", "\(name)")
            #expect(root?.attributes["font-family"] == "sans-serif", "\(name)")
            #expect(doc.all("text", className: "chart-title").count == 1, "\(name)")
            let lower = svg.lowercased()
            for banned in ["nan", "inf", "href", "<script", "<style", "<image", "url(", "@import"] {
                #expect(!lower.contains(banned), "\(name) contains \(banned)")
            }
            for element in doc.elements {
                if let size = element.attributes["font-size"] { #expect(Double(size) ?? 0 >= 11, "\(name)") }
            }
        }
    }

    @Test func emptyInputSaysNoData() {
        #expect(!parsedSVG(SVGChart.lines(title: "t", xLabel: "x", yLabel: "y", panels: [])).all("text", className: "no-data").isEmpty)
        #expect(!parsedSVG(SVGChart.bars(title: "t", yLabel: "y", panels: [BarPanel(title: "p", bars: [])])).all("text", className: "no-data").isEmpty)
        #expect(!parsedSVG(SVGChart.scatter(title: "t", panels: [ScatterPanel(title: "p", subtitle: "", points: [])])).all("text", className: "no-data").isEmpty)
    }

    @Test func specialCharactersSurviveEscaping() {
        for (name, svg) in Self.renderings() where name.hasSuffix("special labels") {
            let texts = parsedSVG(svg).all("text").map(\.text)
            #expect(texts.contains(Self.special), "\(name)")
        }
        let bars = parsedSVG(SVGChart.bars(title: "t", yLabel: "y", panels: Self.barCases.last?.1 ?? []))
        #expect(bars.all("rect", className: "bar", label: Self.special).count == 1)
    }

    @Test func renderingIsDeterministic() {
        #expect(Self.renderings().map(\.1) == Self.renderings().map(\.1))
    }
}
