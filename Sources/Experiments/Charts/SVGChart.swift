import Foundation

/// Renders charts as self-contained SVG text: a title, panels (small multiples)
/// in rows of at most three, axis titles and a legend, in the Okabe–Ito
/// colour-blind-safe palette. The same input always gives the same bytes.
///
/// Non-finite values are skipped, empty input draws "no data", and labels may
/// hold any text (it is escaped).
public enum SVGChart {}
