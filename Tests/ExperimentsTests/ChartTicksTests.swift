import Testing
@testable import Experiments

/// Nice ticks, worked by hand: raw step = (high − low) / 4 for 5 ticks, rounded to
/// the nearest 1, 2, 5 or 10 × 10^k; ticks from the step multiple at or below low
/// to the one at or above high.
struct ChartTicksTests {
    @Test func smallPositiveRange() {
        // raw 0.083 / 4 = 0.02075 → 2 × 10⁻²; 0.083 / 0.02 = 4.15 → up to 5 × 0.02.
        #expect(niceTicks(low: 0, high: 0.083) == [0, 0.02, 0.04, 0.06, 0.08, 0.1])
        #expect(niceTicks(low: 0.083, high: 0) == [0, 0.02, 0.04, 0.06, 0.08, 0.1])
    }

    @Test func negativeRanges() {
        // raw 0.8 / 4 = 0.2 → step 0.2, from −5 × 0.2 to −1 × 0.2.
        #expect(niceTicks(low: -1, high: -0.2) == [-1, -0.8, -0.6, -0.4, -0.2])
        // raw 10 / 4 = 2.5 → 2; −7 / 2 = −3.5 → down to −4 × 2; 3 / 2 = 1.5 → up to 2 × 2.
        #expect(niceTicks(low: -7, high: 3) == [-8, -6, -4, -2, 0, 2, 4])
        // raw 1.25 / 4 = 0.3125 → residual 3.125 → 5 × 10⁻¹; −0.7 → −1 × 0.5, 1.8 → 2 × 0.5.
        #expect(niceTicks(low: -0.35, high: 0.9) == [-0.5, 0, 0.5, 1])
    }

    @Test func equalBoundsAreWidened() {
        // 3 ± 1.5 = [1.5, 4.5]: raw 0.75 → residual 7.5 → 10 × 10⁻¹ = 1.
        #expect(niceTicks(low: 3, high: 3) == [1, 2, 3, 4, 5])
        // 0 ± 1: raw 0.5 → 5 × 10⁻¹.
        #expect(niceTicks(low: 0, high: 0) == [-1, -0.5, 0, 0.5, 1])
    }

    @Test func otherCountsAndBadInput() {
        // raw 100 / 4 = 25 → 2 × 10¹.
        #expect(niceTicks(low: 0, high: 100) == [0, 20, 40, 60, 80, 100])
        // count 3: raw 10 / 2 = 5 → 5.
        #expect(niceTicks(low: 0, high: 10, count: 3) == [0, 5, 10])
        #expect(niceTicks(low: .nan, high: 1) == [])
        #expect(niceTicks(low: 0, high: .infinity) == [])
        #expect(!niceTicks(low: -1e308, high: 1e308).isEmpty)
        #expect(!niceTicks(low: 0, high: 1, count: -4).isEmpty)
    }

    @Test func labelsShowTheStep() {
        let ticks = ChartTicks(low: 0, high: 0.083)
        #expect(ticks.values.map(ticks.label) == ["0.00", "0.02", "0.04", "0.06", "0.08", "0.10"])
        let whole = ChartTicks(low: -7, high: 3)
        #expect(whole.values.map(whole.label) == ["-8", "-6", "-4", "-2", "0", "2", "4"])
    }

    @Test func linearScale() {
        let scale = ChartScale(domainLow: 0, domainHigh: 10, pixelStart: 200, pixelEnd: 100)
        #expect(scale(0) == 200)
        #expect(scale(2.5) == 175)
        #expect(scale(10) == 100)
        #expect(scale(-10) == 300)
        #expect(scale(.nan) == 150)
        let flat = ChartScale(domainLow: 4, domainHigh: 4, pixelStart: 0, pixelEnd: 50)
        #expect(flat(4) == 25)
    }

    @Test func formattingAndEscaping() {
        #expect(SVGFormat.number(-0.001) == "0.00")
        #expect(SVGFormat.number(1.005, decimals: 1) == "1.0")
        #expect(SVGFormat.number(.nan) == "0.00")
        #expect(SVGFormat.escape(#"a & b < c > "d" 'e'"#) == "a &amp; b &lt; c &gt; &quot;d&quot; &apos;e&apos;")
        #expect(SVGFormat.escape("bell\u{07}") == "bell ")
        // Eleven colours, then the cycle starts again (the last one also for index −1).
        #expect(ChartStyle.color(8) == "#D55E00" && ChartStyle.color(11) == ChartStyle.color(0))
        #expect(ChartStyle.color(-1) == "#999999")
    }
}
