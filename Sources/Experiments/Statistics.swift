import Foundation

/// Mean and sample standard deviation (n − 1); std is 0 for a single value.
public func meanAndStd(_ values: [Double]) -> (mean: Double, std: Double) {
    guard !values.isEmpty else { return (.nan, .nan) }
    let mean = values.reduce(0, +) / Double(values.count)
    guard values.count > 1 else { return (mean, 0) }
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
    return (mean, variance.squareRoot())
}

/// The paired t-test of a against b (same length, paired by position):
/// t = mean(d) / (sd(d) / √n) with d = a − b, and the two-sided p-value from
/// Student's t with n − 1 degrees of freedom. Nil with fewer than two pairs or
/// no spread in d.
public func pairedTTest(_ a: [Double], _ b: [Double]) -> (t: Double, p: Double)? {
    precondition(a.count == b.count, "pairedTTest: \(a.count) and \(b.count) values")
    let d = zip(a, b).map { $0 - $1 }
    guard d.count >= 2 else { return nil }
    let (mean, sd) = meanAndStd(d)
    guard sd > 0 else { return nil }
    let t = mean / (sd / Double(d.count).squareRoot())
    return (t, studentTwoSidedP(t, degreesOfFreedom: Double(d.count - 1)))
}

/// P(|T| ≥ |t|) for Student's t with ν degrees of freedom: I_{ν/(ν+t²)}(ν/2, 1/2).
public func studentTwoSidedP(_ t: Double, degreesOfFreedom nu: Double) -> Double {
    regularizedIncompleteBeta(nu / (nu + t * t), a: nu / 2, b: 0.5)
}

/// I_x(a, b), by the continued fraction of Numerical Recipes (modified Lentz),
/// using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where it converges faster.
func regularizedIncompleteBeta(_ x: Double, a: Double, b: Double) -> Double {
    if x <= 0 { return 0 }
    if x >= 1 { return 1 }
    let logBeta: Double = lgamma(a) + lgamma(b) - lgamma(a + b)
    let logPowers: Double = a * log(x) + b * log(1 - x)
    let logFront = logPowers - logBeta
    if x < (a + 1) / (a + b + 2) {
        return exp(logFront) * betaContinuedFraction(x, a, b) / a
    }
    return 1 - exp(logFront) * betaContinuedFraction(1 - x, b, a) / b
}

private func betaContinuedFraction(_ x: Double, _ a: Double, _ b: Double) -> Double {
    let tiny = 1e-300
    var c = 1.0
    var d = 1 - (a + b) * x / (a + 1)
    if abs(d) < tiny { d = tiny }
    d = 1 / d
    var h = d
    for m in 1...300 {
        let m = Double(m)
        var aa = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m))
        d = 1 + aa * d; if abs(d) < tiny { d = tiny }
        c = 1 + aa / c; if abs(c) < tiny { c = tiny }
        d = 1 / d
        h *= d * c
        aa = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        d = 1 + aa * d; if abs(d) < tiny { d = tiny }
        c = 1 + aa / c; if abs(c) < tiny { c = tiny }
        d = 1 / d
        let delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-15 { break }
    }
    return h
}

/// The Wilcoxon signed-rank test of a against b (paired by position), two-sided,
/// by the normal approximation, as SciPy's `wilcoxon(a, b, zero_method="wilcox",
/// correction=False, method="approx")`: pairs with d = a − b = 0 are dropped,
/// |d| ranked with ties at their mean rank, W the smaller of the positive and
/// negative rank sums, z = (W − n(n+1)/4) / σ with
/// σ² = n(n+1)(2n+1)/24 − Σ(t³ − t)/48 over tie groups of size t, and
/// p = 2Φ(−|z|). With thousands of test users, the approximation is exact
/// to many digits. Nil with no nonzero difference.
public func wilcoxonSignedRank(_ a: [Double], _ b: [Double]) -> (w: Double, z: Double, p: Double)? {
    precondition(a.count == b.count, "wilcoxonSignedRank: \(a.count) and \(b.count) values")
    let d = zip(a, b).map { $0 - $1 }.filter { $0 != 0 }
    guard !d.isEmpty else { return nil }
    let order = d.indices.sorted { abs(d[$0]) < abs(d[$1]) }
    var ranks = [Double](repeating: 0, count: d.count)
    var tieTerm = 0.0
    var start = 0
    while start < order.count {
        var end = start + 1
        while end < order.count && abs(d[order[end]]) == abs(d[order[start]]) { end += 1 }
        // Ranks start + 1 … end share their mean.
        let mean = Double(start + 1 + end) / 2
        for k in start..<end { ranks[order[k]] = mean }
        let t = Double(end - start)
        tieTerm += t * t * t - t
        start = end
    }
    let positive = d.indices.filter { d[$0] > 0 }.reduce(0) { $0 + ranks[$1] }
    let n = Double(d.count)
    let negative = n * (n + 1) / 2 - positive
    let w = min(positive, negative)
    let sigma = (n * (n + 1) * (2 * n + 1) / 24 - tieTerm / 48).squareRoot()
    guard sigma > 0 else { return nil }
    let z = (w - n * (n + 1) / 4) / sigma
    return (w, z, erfc(abs(z) / 2.0.squareRoot()))
}

/// Holm's step-down correction of `p` for the m tests of one family: with the
/// p-values ascending, p₍ᵢ₎ becomes max over j ≤ i of min(1, (m − j + 1) p₍ⱼ₎).
/// Returned in the order given.
public func holmCorrected(_ p: [Double]) -> [Double] {
    let m = p.count
    let order = p.indices.sorted { p[$0] < p[$1] }
    var adjusted = [Double](repeating: 0, count: m)
    var running = 0.0
    for (j, i) in order.enumerated() {
        running = max(running, min(1, Double(m - j) * p[i]))
        adjusted[i] = running
    }
    return adjusted
}
