import Foundation

/// Deterministic number formatting and XML escaping for SVG output.
enum SVGFormat {
    /// `v` with exactly `decimals` decimals ("0" style for non-finite values, no "-0").
    static func number(_ v: Double, decimals: Int = 2) -> String {
        guard v.isFinite else { return number(0, decimals: decimals) }
        let text = String(format: "%.\(max(0, min(decimals, 17)))f", v)
        return withoutNegativeZero(text)
    }

    /// `v` in `%g` style with 3 significant digits, for very large or small tick values.
    static func general(_ v: Double) -> String {
        guard v.isFinite else { return "0" }
        return withoutNegativeZero(String(format: "%.3g", v))
    }

    /// `text` made safe for XML character data and attribute values: `& < > " '`
    /// become entities, and characters XML 1.0 forbids become spaces.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                let v = scalar.value
                let allowed = (v >= 0x20 && v <= 0xD7FF) || (v >= 0xE000 && v <= 0xFFFD) || v >= 0x10000
                out.unicodeScalars.append(allowed ? scalar : " ")
            }
        }
        return out
    }

    private static func withoutNegativeZero(_ text: String) -> String {
        guard text.hasPrefix("-"), text.dropFirst().allSatisfy({ $0 == "0" || $0 == "." }) else { return text }
        return String(text.dropFirst())
    }
}
