import Foundation

/// Font sizes, colours and the colour-blind-safe palette shared by every chart.
enum ChartStyle {
    /// Colour-blind-safe colours ordered so that neighbours differ most: the
    /// Okabe–Ito palette without its pale yellow, with Tol's wine, olive and
    /// indigo between its blues and its oranges, then grey; cycled when there
    /// are more labels, each later pass told apart by `cycleDashes`. Line
    /// charts add a marker shape per series (`ChartMarker`) as a second channel.
    static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#000000", "#882255", "#56B4E9", "#999933",
                          "#D55E00", "#332288", "#999999"]

    static let titleFont = 16.0
    static let panelTitleFont = 13.0
    static let axisTitleFont = 12.0
    static let legendFont = 12.0
    static let tickFont = 11.0
    static let noteFont = 11.0

    static let text = "#222222"
    static let mutedText = "#555555"
    static let axisLine = "#444444"
    static let gridLine = "#E3E3E3"
    static let frameLine = "#999999"
    static let outline = "#222222"
    /// The dash pattern of a reference level (most popular) in line charts.
    static let referenceDashes = "7 4"

    /// The dash pattern of each pass through the palette after the first
    /// (dotted, then dash-dot, alternating), so that two labels sharing a colour
    /// differ in a line chart's strokes and a bar chart's outlines. The first
    /// pass is solid, and no pattern equals `referenceDashes`.
    static let cycleDashes = ["2 3", "9 3 2 3"]

    /// The palette colour at `index`, cycling (negative indices included).
    static func color(_ index: Int) -> String {
        let n = palette.count
        return palette[((index % n) + n) % n]
    }

    /// Which pass through the palette `index` falls in: 0 for the first
    /// `palette.count` labels, 1 for the next, and so on.
    static func cycle(_ index: Int) -> Int {
        max(index, 0) / palette.count
    }

    /// The dash pattern of palette pass `cycle`: nil (solid) for the first.
    static func dashes(cycle: Int) -> String? {
        cycle <= 0 ? nil : cycleDashes[(cycle - 1) % cycleDashes.count]
    }

    /// The `stroke-dasharray` of a line from palette pass `cycle`: none (solid)
    /// for the first pass.
    static func lineDashes(cycle: Int) -> [(String, String)] {
        dashes(cycle: cycle).map { [("stroke-dasharray", $0)] } ?? []
    }

    /// The outline of a bar (or legend box) from palette pass `cycle`: none for
    /// the first pass, else a dark stroke in that pass's dash pattern.
    static func barOutline(cycle: Int) -> [(String, String)] {
        guard let dashes = dashes(cycle: cycle) else { return [] }
        return [("stroke", outline), ("stroke-width", "1.50"), ("stroke-dasharray", dashes)]
    }
}

/// Assigns palette colours to labels in order of first appearance.
struct ChartColorKey: Equatable, Sendable {
    /// The distinct labels, in order of first appearance.
    private(set) var labels: [String] = []
    private var indices: [String: Int] = [:]

    init(_ labels: some Sequence<String>) {
        for label in labels where indices[label] == nil {
            indices[label] = self.labels.count
            self.labels.append(label)
        }
    }

    /// The colour of `label` (the first palette colour for an unknown label).
    func color(for label: String) -> String {
        ChartStyle.color(indices[label] ?? 0)
    }

    /// The pass through the palette that `label`'s colour comes from (0 for an
    /// unknown label); labels beyond the palette's length share a colour with
    /// an earlier one and are told apart by `ChartStyle.dashes(cycle:)`.
    func cycle(for label: String) -> Int {
        ChartStyle.cycle(indices[label] ?? 0)
    }
}

/// Rough text metrics for layout, since the renderer's font is unknown.
enum ChartText {
    /// The approximate width of `text` at `fontSize` in a sans-serif font.
    static func width(_ text: String, fontSize: Double) -> Double {
        Double(text.count) * fontSize * 0.6
    }

    /// `text` cut to at most `limit` characters, ending in "…" when cut.
    static func truncated(_ text: String, to limit: Int) -> String {
        guard text.count > limit, limit > 1 else { return text }
        return String(text.prefix(limit - 1)) + "…"
    }
}
