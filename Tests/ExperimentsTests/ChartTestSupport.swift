import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// One element of a parsed SVG: its name, attributes, direct text and parent.
struct SVGTestElement {
    var name: String
    var attributes: [String: String]
    var text: String
    var parent: Int?

    /// The `class` attribute split into words.
    var classes: [String] { (attributes["class"] ?? "").split(separator: " ").map(String.init) }

    /// Attribute `name` as a number, or NaN when missing or not a number.
    func number(_ name: String) -> Double { attributes[name].flatMap(Double.init) ?? .nan }
}

/// An SVG parsed with XMLParser: every element in document order, and the error if any.
struct SVGTestDocument {
    var elements: [SVGTestElement] = []
    var error: String?

    /// Elements named `name`, optionally only those of `className` and `data-label`.
    func all(_ name: String, className: String? = nil, label: String? = nil) -> [SVGTestElement] {
        elements.filter { e in
            e.name == name && (className.map { e.classes.contains($0) } ?? true)
                && (label.map { e.attributes["data-label"] == $0 } ?? true)
        }
    }

    /// Whether element `index` lies inside a `g` with class `className` (and `data-panel`, if given).
    func isInside(_ index: Int, className: String, panel: Int? = nil) -> Bool {
        var current = elements[index].parent
        while let i = current {
            let e = elements[i]
            if e.classes.contains(className), panel.map({ e.attributes["data-panel"] == String($0) }) ?? true { return true }
            current = e.parent
        }
        return false
    }

    /// The mark (`line`, `rect`, ...) of the legend row for `label`.
    func legendMark(_ name: String, label: String) -> SVGTestElement? {
        guard let row = elements.indices.first(where: {
            elements[$0].classes.contains("legend-entry") && elements[$0].attributes["data-label"] == label
        }) else { return nil }
        return elements.first { $0.parent == row && $0.name == name }
    }

    /// Indices of elements named `name` with class `className` inside panel `panel`.
    func indices(_ name: String, className: String, panel: Int) -> [Int] {
        elements.indices.filter {
            elements[$0].name == name && elements[$0].classes.contains(className) && isInside($0, className: "panel", panel: panel)
        }
    }
}

/// Collects elements for `SVGTestDocument`.
final class SVGTestCollector: NSObject, XMLParserDelegate {
    var document = SVGTestDocument()
    private var stack: [Int] = []

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        document.elements.append(SVGTestElement(name: elementName, attributes: attributeDict, text: "", parent: stack.last))
        stack.append(document.elements.count - 1)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        _ = stack.popLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let i = stack.last { document.elements[i].text += string }
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
        document.error = "\(parseError)"
    }
}

/// `svg` parsed with Foundation's XMLParser.
func parsedSVG(_ svg: String) -> SVGTestDocument {
    let collector = SVGTestCollector()
    let parser = XMLParser(data: Data(svg.utf8))
    parser.delegate = collector
    if !parser.parse(), collector.document.error == nil {
        collector.document.error = parser.parserError.map { "\($0)" } ?? "parse failed"
    }
    return collector.document
}

/// The translation of a `translate(x,y)` transform.
func svgTranslation(_ transform: String?) -> (x: Double, y: Double)? {
    guard let transform, transform.hasPrefix("translate("), transform.hasSuffix(")") else { return nil }
    let numbers = transform.dropFirst("translate(".count).dropLast().split(separator: ",").compactMap { Double($0) }
    return numbers.count == 2 ? (numbers[0], numbers[1]) : nil
}

/// The points of a polyline's `points` attribute.
func svgPoints(_ attribute: String?) -> [(x: Double, y: Double)] {
    (attribute ?? "").split(separator: " ").compactMap { pair in
        let xy = pair.split(separator: ",").compactMap { Double($0) }
        return xy.count == 2 ? (xy[0], xy[1]) : nil
    }
}
