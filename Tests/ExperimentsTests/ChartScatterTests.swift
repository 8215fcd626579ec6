import Foundation
import Testing
@testable import Experiments

struct ChartScatterTests {
    static let panels = [ScatterPanel(title: "LightGCN", subtitle: "PC1 41% · PC2 22% of variance", points: [
        ScatterPoint(x: 0, y: 0, group: 5, linkTo: 2),
        ScatterPoint(x: 1, y: 0, group: 5, linkTo: 2),
        ScatterPoint(x: 0, y: 1, group: 5, isAnchor: true),
        ScatterPoint(x: 2, y: 2, group: 9, linkTo: 3),
        ScatterPoint(x: .nan, y: 1, group: 9, linkTo: 2),
        ScatterPoint(x: 1, y: 1, group: 9, linkTo: 42),
    ])]

    static func item(_ doc: SVGTestDocument, _ index: Int) -> SVGTestElement? {
        doc.all("circle", className: "item").first { $0.attributes["data-index"] == String(index) }
    }

    @Test func linksJoinThePixelPositionsOfTheirPoints() throws {
        let doc = parsedSVG(SVGChart.scatter(title: "t", panels: Self.panels))
        let links = doc.all("line", className: "link")
        // Self links, links from non-finite points and links out of range are dropped.
        #expect(links.map { "\($0.attributes["data-from"] ?? "")→\($0.attributes["data-to"] ?? "")" } == ["0→2", "1→2"])
        let anchor = try #require(doc.all("polygon", className: "anchor").first)
        let star = try #require(svgTranslation(anchor.attributes["transform"]))
        for link in links {
            let from = try #require(Self.item(doc, Int(link.attributes["data-from"] ?? "") ?? -1))
            #expect(link.number("x1") == from.number("cx") && link.number("y1") == from.number("cy"))
            #expect(link.number("x2") == star.x && link.number("y2") == star.y)
            #expect(link.attributes["stroke"] == "#0072B2")
        }
        // Links come first in the document, so points are drawn over them.
        let firstLink = try #require(doc.elements.firstIndex { $0.classes.contains("link") })
        let firstPoint = try #require(doc.elements.firstIndex { $0.classes.contains("item") || $0.classes.contains("anchor") })
        #expect(firstLink < firstPoint)
    }

    @Test func unitStepsInXAndYHaveTheSameLength() throws {
        let doc = parsedSVG(SVGChart.scatter(title: "t", panels: Self.panels))
        let origin = try #require(Self.item(doc, 0))
        let right = try #require(Self.item(doc, 1))
        let anchor = try #require(doc.all("polygon", className: "anchor").first)
        let up = try #require(svgTranslation(anchor.attributes["transform"]))
        let xStep = right.number("cx") - origin.number("cx")
        let yStep = origin.number("cy") - up.y
        #expect(xStep > 0 && yStep > 0)
        #expect(abs(xStep - yStep) < 0.011)
        #expect(right.number("cy") == origin.number("cy") && up.x == origin.number("cx"))
        let layout = SVGChart.scatterLayout(title: "t", panels: Self.panels).panels[0]
        #expect(abs(abs(layout.x(1) - layout.x(0)) - abs(layout.y(1) - layout.y(0))) < 1e-9)
        // Every point lies inside the frame.
        let frame = try #require(doc.all("rect", className: "plot-frame").first)
        for circle in doc.all("circle", className: "item") {
            #expect(circle.number("cx") > frame.number("x") && circle.number("cx") < frame.number("x") + frame.number("width"))
            #expect(circle.number("cy") > frame.number("y") && circle.number("cy") < frame.number("y") + frame.number("height"))
        }
    }

    @Test func groupsAreColouredAndNamedByRank() {
        let doc = parsedSVG(SVGChart.scatter(title: "t", panels: Self.panels))
        #expect(doc.all("polygon", className: "anchor").first?.attributes["fill"] == "#0072B2")
        #expect(Self.item(doc, 3)?.attributes["fill"] == "#E69F00")
        let legend = doc.all("g", className: "legend-entry").map { $0.attributes["data-label"] ?? "" }
        #expect(legend == ["user", "item", "user 1", "user 2"])
        #expect(doc.all("text", className: "panel-subtitle").map(\.text) == ["PC1 41% · PC2 22% of variance"])
    }

    @Test func aSinglePointSitsInTheMiddle() throws {
        let panels = [ScatterPanel(title: "one", subtitle: "", points: [ScatterPoint(x: 7, y: -3, group: 0)])]
        let doc = parsedSVG(SVGChart.scatter(title: "t", panels: panels))
        let frame = try #require(doc.all("rect", className: "plot-frame").first)
        let point = try #require(Self.item(doc, 0))
        #expect(abs(point.number("cx") - (frame.number("x") + frame.number("width") / 2)) < 0.011)
        #expect(abs(point.number("cy") - (frame.number("y") + frame.number("height") / 2)) < 0.011)
    }
}
