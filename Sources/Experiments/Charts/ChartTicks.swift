import Foundation

/// Nice tick values covering [low, high]: about `count` ticks at steps of 1, 2 or 5 × 10^k.
///
/// The step is the raw step `(high − low) / (count − 1)` rounded to the nearest
/// of 1, 2, 5 or 10 × 10^k; the ticks run from the largest multiple of the step
/// at or below `low` to the smallest at or above `high`. The bounds may come in
/// either order; equal bounds `v` are widened to `v ± |v|/2` (`±1` for zero);
/// non-finite bounds give no ticks.
public func niceTicks(low: Double, high: Double, count: Int = 5) -> [Double] {
    ChartTicks(low: low, high: high, count: count).values
}

/// Tick values of an axis together with how many decimals their labels need.
struct ChartTicks: Equatable, Sendable {
    /// The tick values in increasing order (empty only for non-finite bounds).
    var values: [Double]
    /// Decimals that show the step exactly, or nil to label in `%g` style.
    var decimals: Int?

    init(low: Double, high: Double, count: Int = 5) {
        values = []
        decimals = nil
        guard low.isFinite, high.isFinite else { return }
        var a = min(low, high)
        var b = max(low, high)
        if a == b {
            let widening = a == 0 ? 1 : abs(a) / 2
            a -= widening
            b += widening
        }
        let intervals = Double(min(max(count, 2), 100) - 1)
        let raw = b / intervals - a / intervals
        guard a.isFinite, b.isFinite, raw.isFinite, raw > 0 else {
            values = low == high ? [low] : [min(low, high), max(low, high)]
            return
        }
        let magnitude = Int(floor(log10(raw)))
        guard abs(magnitude) < 300 else {
            values = [a, b]
            return
        }
        let residual = magnitude >= 0 ? raw / Self.powerOfTen(magnitude) : raw * Self.powerOfTen(-magnitude)
        var multiple = residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10
        var exponent = magnitude
        if multiple == 10 {
            multiple = 1
            exponent += 1
        }
        let step = Self.value(multiple, exponent)
        let first = floor(a / step + 1e-9)
        let last = ceil(b / step - 1e-9)
        guard first.isFinite, last.isFinite, abs(first) < 1e15, abs(last) < 1e15, last - first <= 1000 else {
            values = [a, b]
            return
        }
        values = (Int(first)...Int(last)).map { Self.value($0 * multiple, exponent) }
        let largest = values.map(abs).max() ?? 0
        decimals = exponent >= -10 && largest < 1e9 ? max(0, -exponent) : nil
    }

    /// The lowest and highest tick, or nil when there are none.
    var bounds: (low: Double, high: Double)? {
        guard let low = values.first, let high = values.last else { return nil }
        return (low, high)
    }

    /// The label of tick value `v`, with the decimals the step needs.
    func label(_ v: Double) -> String {
        if let decimals { return SVGFormat.number(v, decimals: decimals) }
        return SVGFormat.general(v)
    }

    /// `m × 10^e`, computed so that small decimals are the nearest doubles to their literals.
    private static func value(_ m: Int, _ e: Int) -> Double {
        e >= 0 ? Double(m) * powerOfTen(e) : Double(m) / powerOfTen(-e)
    }

    /// 10^k for k ≥ 0, exact up to 10^22.
    private static func powerOfTen(_ k: Int) -> Double {
        guard k <= 22 else { return pow(10, Double(k)) }
        var p = 1.0
        for _ in 0..<max(k, 0) { p *= 10 }
        return p
    }
}
