import Foundation
import Testing
@testable import Experiments

/// The per-user tests and the correction, against numbers worked by hand
/// (and SciPy 1.17.1's `wilcoxon(..., method="approx", correction=False)`).
@Suite struct SignificanceTests {
    /// d = a − b = [.25, 0, .5, 0, −.5, .25, .1, .2 − ε, −.2, .1]: two zeros
    /// dropped, n = 8. |d| ascending: .1 .1 (ranks 1.5), .2 − ε (3), .2 (4),
    /// .25 .25 (5.5), .5 .5 (7.5); negative ranks 4 + 7.5 → W = 11.5. Mean
    /// n(n+1)/4 = 18, σ² = 8·9·17/24 − 3·(2³ − 2)/48 = 50.625, so
    /// z = −6.5/√50.625 = −0.913547 and p = 2Φ(z) = 0.360955.
    @Test func wilcoxonWorkedByHand() throws {
        let a = [0.5, 0, 1, 0.25, 0, 0.75, 0.1, 0.3, 0, 0.2]
        let b = [0.25, 0, 0.5, 0.25, 0.5, 0.5, 0.0, 0.1, 0.2, 0.1]
        let r = try #require(wilcoxonSignedRank(a, b))
        #expect(r.w == 11.5)
        #expect(abs(r.z - -0.9135468796041984) < 1e-12)
        #expect(abs(r.p - 0.36095498970716366) < 1e-12)
        // Symmetric in a and b; no difference at all gives no test.
        #expect(abs(try #require(wilcoxonSignedRank(b, a)).p - r.p) < 1e-15)
        #expect(wilcoxonSignedRank(a, a) == nil)
    }

    /// 30 users, the second system one hit better for ten of them: W = 0,
    /// n = 10 tied at rank 5.5, σ² = 10·11·21/24 − (10³ − 10)/48 = 75.625,
    /// z = −27.5/√75.625 = −3.162278, p = 0.001565.
    @Test func wilcoxonWithAllDifferencesTied() throws {
        let a = [Double](repeating: 0, count: 30)
        let b = (0..<30).map { $0 < 10 ? 0.05 : 0 }
        let r = try #require(wilcoxonSignedRank(a, b))
        #expect(r.w == 0)
        #expect(abs(r.z - -27.5 / 75.625.squareRoot()) < 1e-12)
        #expect(abs(r.p - 0.0015654022580025) < 1e-12)
    }

    /// p = [.01, .04, .03, .005]: ascending .005·4 = .02, .01·3 = .03,
    /// .03·2 = .06, .04·1 = .04 → .06 (kept monotone).
    @Test func holmWorkedByHand() {
        let adjusted = holmCorrected([0.01, 0.04, 0.03, 0.005])
        let expected = [0.03, 0.06, 0.06, 0.02]
        for (x, e) in zip(adjusted, expected) { #expect(abs(x - e) < 1e-15, "\(adjusted)") }
        #expect(holmCorrected([0.5, 0.9]) == [1, 1])
        #expect(holmCorrected([]) == [])
    }
}
