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
