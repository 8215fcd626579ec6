import Foundation

/// Accumulates SVG markup, one element per line; escapes every attribute value
/// and text it is given, and closes what is left open when rendered.
struct SVGDocument {
    private var lines: [String] = []
    private var openElements: [String] = []

    /// A document `width` × `height` pixels (with a matching viewBox), a white
    /// background and `title` as its accessible title.
    init(width: Double, height: Double, title: String) {
        let w = SVGFormat.number(width.isFinite ? ceil(max(width, 1)) : 1, decimals: 0)
        let h = SVGFormat.number(height.isFinite ? ceil(max(height, 1)) : 1, decimals: 0)
        lines.append(#"<?xml version="1.0" encoding="UTF-8"?>"#)
        open("svg", [("xmlns", "http://www.w3.org/2000/svg"), ("width", w), ("height", h),
                     ("viewBox", "0 0 \(w) \(h)"), ("font-family", "sans-serif"),
                     ("font-size", SVGFormat.number(ChartStyle.axisTitleFont, decimals: 0))])
        element("title", [], text: title)
        element("rect", [("x", "0"), ("y", "0"), ("width", w), ("height", h), ("fill", "#FFFFFF")])
    }

    /// Opens element `name`; the matching `close()` ends it.
    mutating func open(_ name: String, _ attributes: [(String, String)] = []) {
        lines.append(indentation + "<\(name)\(Self.attributeText(attributes))>")
        openElements.append(name)
    }

    /// Closes the innermost open element.
    mutating func close() {
        guard let name = openElements.popLast() else { return }
        lines.append(indentation + "</\(name)>")
    }

    /// A complete element, empty or holding `text`.
    mutating func element(_ name: String, _ attributes: [(String, String)], text: String? = nil) {
        let start = indentation + "<\(name)\(Self.attributeText(attributes))"
        if let text {
            lines.append(start + ">\(SVGFormat.escape(text))</\(name)>")
        } else {
            lines.append(start + "/>")
        }
    }

    /// A text element at (`x`, `y`), optionally rotated by `rotation` degrees about that point.
    mutating func text(_ content: String, x: Double, y: Double, size: Double, anchor: String = "start",
                       bold: Bool = false, color: String = ChartStyle.text, rotation: Double? = nil,
                       attributes extra: [(String, String)] = []) {
        var attributes = extra + [("x", Self.px(x)), ("y", Self.px(y)),
                                  ("font-size", SVGFormat.number(size, decimals: 0)), ("fill", color)]
        if anchor != "start" { attributes.append(("text-anchor", anchor)) }
        if bold { attributes.append(("font-weight", "bold")) }
        if let rotation {
            attributes.append(("transform", "rotate(\(SVGFormat.number(rotation, decimals: 0)) \(Self.px(x)) \(Self.px(y)))"))
        }
        element("text", attributes, text: content)
    }

    /// A straight line from (`x1`, `y1`) to (`x2`, `y2`).
    mutating func line(x1: Double, y1: Double, x2: Double, y2: Double, color: String, width: Double = 1,
                       attributes extra: [(String, String)] = []) {
        element("line", extra + [("x1", Self.px(x1)), ("y1", Self.px(y1)), ("x2", Self.px(x2)), ("y2", Self.px(y2)),
                                 ("stroke", color), ("stroke-width", Self.px(width))])
    }

    /// The finished markup, ending in a newline.
    func rendered() -> String {
        var copy = self
        while !copy.openElements.isEmpty { copy.close() }
        return copy.lines.joined(separator: "\n") + "\n"
    }

    /// A pixel coordinate with two decimals.
    static func px(_ v: Double) -> String {
        SVGFormat.number(v, decimals: 2)
    }

    /// A list of points as the `points` attribute of a polyline or polygon.
    static func points(_ points: [(x: Double, y: Double)]) -> String {
        points.map { "\(px($0.x)),\(px($0.y))" }.joined(separator: " ")
    }

    private var indentation: String {
        String(repeating: "  ", count: openElements.count)
    }

    private static func attributeText(_ attributes: [(String, String)]) -> String {
        attributes.map { " \($0.0)=\"\(SVGFormat.escape($0.1))\"" }.joined()
    }
}
