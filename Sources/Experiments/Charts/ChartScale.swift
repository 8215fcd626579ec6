import Foundation

/// A linear map from a data interval (the domain) to a pixel interval.
///
/// The pixel interval may run backwards, as a y axis does (bottom pixel for the
/// low value). A degenerate or non-finite domain, or a non-finite value, maps to
/// the middle of the pixel interval, so nothing downstream sees NaN.
struct ChartScale: Equatable, Sendable {
    /// The data value drawn at `pixelStart`.
    var domainLow: Double
    /// The data value drawn at `pixelEnd`.
    var domainHigh: Double
    /// The pixel coordinate of `domainLow`.
    var pixelStart: Double
    /// The pixel coordinate of `domainHigh`.
    var pixelEnd: Double

    init(domainLow: Double, domainHigh: Double, pixelStart: Double, pixelEnd: Double) {
        self.domainLow = domainLow
        self.domainHigh = domainHigh
        self.pixelStart = pixelStart
        self.pixelEnd = pixelEnd
    }

    /// The pixel coordinate of data value `v`.
    func callAsFunction(_ v: Double) -> Double {
        let span = domainHigh - domainLow
        guard v.isFinite, span.isFinite, span != 0 else { return (pixelStart + pixelEnd) / 2 }
        return pixelStart + (v - domainLow) / span * (pixelEnd - pixelStart)
    }
}

/// The smallest and largest finite value of some data.
struct ChartExtent: Equatable, Sendable {
    var low: Double
    var high: Double

    init(low: Double, high: Double) {
        self.low = low
        self.high = high
    }

    /// The extent of the finite values, or nil when there are none.
    init?(_ values: some Sequence<Double>) {
        var low = Double.infinity
        var high = -Double.infinity
        for v in values where v.isFinite {
            low = min(low, v)
            high = max(high, v)
        }
        guard low <= high else { return nil }
        self.init(low: low, high: high)
    }

    /// The extent widened to contain `v`.
    func including(_ v: Double) -> ChartExtent {
        ChartExtent(low: min(low, v), high: max(high, v))
    }

    /// The value range of a line chart: from 0 when every value is ≥ 0 and the
    /// smallest is at most half the largest, else the extent padded 5% each side.
    func lineValueRange() -> ChartExtent {
        if low >= 0, high > 0, low <= high / 2 { return ChartExtent(low: 0, high: high) }
        let pad = (high / 2 - low / 2) * 0.1
        guard pad.isFinite, pad > 0 else { return self }
        return ChartExtent(low: low - pad, high: high + pad)
    }
}

/// One axis: its nice ticks, and the scale whose domain runs from the first to the last tick.
struct ChartAxis: Equatable, Sendable {
    var ticks: ChartTicks
    var scale: ChartScale

    /// An axis covering `extent` (or [0, 1] when nil) drawn from `pixelStart` to `pixelEnd`.
    init(covering extent: ChartExtent?, pixelStart: Double, pixelEnd: Double, tickCount: Int = 5) {
        let range = extent ?? ChartExtent(low: 0, high: 1)
        ticks = ChartTicks(low: range.low, high: range.high, count: tickCount)
        let bounds = ticks.bounds ?? (range.low, range.high)
        scale = ChartScale(domainLow: min(bounds.low, range.low), domainHigh: max(bounds.high, range.high),
                           pixelStart: pixelStart, pixelEnd: pixelEnd)
    }

    /// The widest tick label, in pixels at the tick font size.
    var widestLabel: Double {
        ticks.values.map { ChartText.width(ticks.label($0), fontSize: ChartStyle.tickFont) }.max() ?? 0
    }
}
