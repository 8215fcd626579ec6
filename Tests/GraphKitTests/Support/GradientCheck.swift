import GraphKit

/// The outcome of comparing tape gradients with central finite differences.
struct GradientCheckResult {
    /// ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖, 1e-3), worst over inputs.
    var relativeError: Double
    /// Largest |analytic − numeric| over all entries.
    var maxAbsoluteError: Double
}

/// Checks the gradient of L = Σ R ⊙ f(inputs), R a fixed random tensor, from
/// `Tape.backward` against central differences (L(x + h) − L(x − h)) / 2h taken
/// entry by entry. L is accumulated in Double, so the only Float32 error is
/// the rounding of f's outputs, about 6e-8 relative, divided by 2h.
///
/// With h = 1e-2 and inputs of order 1, truncation (h² f‴ / 6) and rounding
/// both stay below about 1e-4 relative; the bound 5e-3 leaves a margin of an
/// order of magnitude and still catches a wrong pullback, whose error is of
/// order 1 (see `GradientCheckTests.checkerCatchesAWrongPullback`).
func gradientCheck(_ inputs: [Tensor], step h: Float = 1e-2, seed: UInt64 = 99,
                   _ f: (Tape, [Variable]) -> Variable) -> GradientCheckResult {
    let parameters = inputs.enumerated().map { Parameter($1, name: "input\($0)") }
    let tape = Tape()
    let variables = parameters.map { tape.watch($0) }
    let output = f(tape, variables)
    var rng = RandomGenerator(seed: seed)
    let weights = Initializer.uniform(rows: output.rows, cols: output.cols, low: -1, high: 1, rng: &rng)
    let loss = sum(output * tape.constant(weights))
    tape.backward(from: loss)

    func lossInDouble() -> Double {
        let t = Tape.noGrad()
        let y = f(t, parameters.map { t.watch($0) }).value
        var total = 0.0
        for k in 0..<y.count { total += Double(y.scalars[k]) * Double(weights.scalars[k]) }
        return total
    }

    var worstRelative = 0.0
    var worstAbsolute = 0.0
    for p in parameters {
        var numeric = [Double](repeating: 0, count: p.value.count)
        for k in 0..<p.value.count {
            let original = p.value.scalars[k]
            p.value.scalars[k] = original + h
            let plus = lossInDouble()
            p.value.scalars[k] = original - h
            let minus = lossInDouble()
            p.value.scalars[k] = original
            // The step actually taken in Float32 may differ slightly from h.
            let taken = Double(original + h) - Double(original - h)
            numeric[k] = (plus - minus) / taken
        }
        var diff = 0.0, normA = 0.0, normN = 0.0
        for k in 0..<numeric.count {
            let a = Double(p.grad.scalars[k])
            diff += (a - numeric[k]) * (a - numeric[k])
            normA += a * a
            normN += numeric[k] * numeric[k]
            worstAbsolute = max(worstAbsolute, abs(a - numeric[k]))
        }
        let relative = diff.squareRoot() / max(normA.squareRoot(), normN.squareRoot(), 1e-3)
        worstRelative = max(worstRelative, relative)
    }
    return GradientCheckResult(relativeError: worstRelative, maxAbsoluteError: worstAbsolute)
}

/// The relative-error bound every op's gradient must meet (see `gradientCheck`).
let gradientTolerance = 5e-3

/// A rows × cols tensor with entries uniform in ±[low, high]: away from 0, so
/// kinks (ReLU, leaky ReLU) are at least `low` > h from every input.
func randomTensor(_ rows: Int, _ cols: Int, seed: UInt64, low: Float = 0.1, high: Float = 1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    var t = Tensor(rows: rows, cols: cols)
    for k in 0..<t.count {
        let magnitude = low + (high - low) * rng.nextUniform()
        t.scalars[k] = rng.nextUniform() < 0.5 ? -magnitude : magnitude
    }
    return t
}

/// A rows × cols tensor with entries uniform in [low, high].
func positiveTensor(_ rows: Int, _ cols: Int, seed: UInt64, low: Float = 0.5, high: Float = 1.5) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Initializer.uniform(rows: rows, cols: cols, low: low, high: high, rng: &rng)
}
