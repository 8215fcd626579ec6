import Foundation

/// The shape of a line series' point markers: the second channel beside
/// colour, so that two series never look alike in grey or to a reader who
/// cannot tell two hues apart. Series take the shapes in order.
enum ChartMarker: Int, CaseIterable, Sendable {
    case circle, square, triangle, diamond, triangleDown, cross, plus, star, hexagon

    /// The marker of the series at `index` in the colour key's order.
    static func of(_ index: Int) -> ChartMarker {
        allCases[((index % allCases.count) + allCases.count) % allCases.count]
    }

    /// Draws the marker centred at (`x`, `y`), `size` its half-width, filled
    /// with `color`; `outline` adds a dark rim (the chosen epoch's mark).
    func draw(x: Double, y: Double, size: Double, color: String, outline: Bool = false, in doc: inout SVGDocument) {
        let rim: [(String, String)] = outline ? [("stroke", ChartStyle.outline), ("stroke-width", "1.50")] : []
        func polygon(_ corners: [(Double, Double)]) {
            doc.element("polygon", [("points", SVGDocument.points(corners.map { (x: x + $0.0 * size, y: y + $0.1 * size) })),
                                    ("fill", color)] + rim)
        }
        switch self {
        case .circle:
            doc.element("circle", [("cx", SVGDocument.px(x)), ("cy", SVGDocument.px(y)),
                                   ("r", SVGDocument.px(size)), ("fill", color)] + rim)
        case .square: polygon([(-0.85, -0.85), (0.85, -0.85), (0.85, 0.85), (-0.85, 0.85)])
        case .triangle: polygon([(0, -1.1), (1, 0.75), (-1, 0.75)])
        case .diamond: polygon([(0, -1.15), (1, 0), (0, 1.15), (-1, 0)])
        case .triangleDown: polygon([(0, 1.1), (1, -0.75), (-1, -0.75)])
        case .cross, .plus:
            // A thick X or +: twelve corners of two crossed bars.
            let w = 0.35
            var corners: [(Double, Double)] = [(-w, -1), (w, -1), (w, -w), (1, -w), (1, w), (w, w), (w, 1), (-w, 1),
                                               (-w, w), (-1, w), (-1, -w), (-w, -w)]
            if self == .cross {
                let c = cos(Double.pi / 4), s = sin(Double.pi / 4)
                corners = corners.map { ($0.0 * c - $0.1 * s, $0.0 * s + $0.1 * c) }
            }
            polygon(corners)
        case .star:
            polygon(ChartStar.vertices(x: 0, y: 0, radius: 1.25).map { ($0.x, $0.y) })
        case .hexagon:
            polygon((0..<6).map { k in (cos(Double(k) * Double.pi / 3), sin(Double(k) * Double.pi / 3)) })
        }
    }
}
