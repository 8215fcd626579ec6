import GraphKit

// Helpers shared by the test targets (a small test-support target, as
// swift-argument-parser keeps one).

/// The outcome of comparing tape gradients with central finite differences.
public struct GradientCheckResult {
    /// ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖, 1e-3), worst over inputs.
    public var relativeError: Double
    /// Largest |analytic − numeric| over all entries.
    public var maxAbsoluteError: Double
}

/// Checks the gradient of L = Σ R ⊙ f(inputs), R a fixed random tensor, from
/// `Tape.backward` against central differences (L(x + h) − L(x − h)) / 2h taken
/// entry by entry. The rounding of L in Float32 (about 6e-8 relative) is divided by 2h.
///
/// With h = 1e-2 and inputs of order 1, truncation (h² f‴ / 6) and rounding
/// both stay below about 1e-4 relative; the bound 5e-3 leaves a margin of an
/// order of magnitude and still catches a wrong pullback, whose error is of
/// order 1 (see `GradientCheckTests.checkerCatchesAWrongPullback`).
public func gradientCheck(_ inputs: [Tensor], step h: Float = 1e-2, seed: UInt64 = 99,
                          _ f: (Tape, [Variable]) -> Variable) -> GradientCheckResult {
    let parameters = inputs.enumerated().map { Parameter($1, name: "input\($0)") }
    var weights: Tensor?
    return gradientCheck(parameters: parameters, step: h) { tape in
        let output = f(tape, parameters.map { tape.watch($0) })
        if weights == nil {
            var rng = RandomGenerator(seed: seed)
            weights = Initializer.uniform(rows: output.rows, cols: output.cols, low: -1, high: 1, rng: &rng)
        }
        return sum(output * tape.constant(weights!))
    }
}

/// Checks d loss / d p for each of `parameters`, from `Tape.backward`, against
/// central differences taken by perturbing each entry of each parameter in
/// place. `loss` must build a 1 × 1 loss on the tape it is given, reading the
/// parameters through `tape.watch`. The parameters' values are restored.
public func gradientCheck(parameters: [Parameter], step h: Float = 1e-2,
                          _ loss: (Tape) -> Variable) -> GradientCheckResult {
    for p in parameters { p.zeroGrad() }
    let tape = Tape()
    tape.backward(from: loss(tape))
    let analytic = parameters.map(\.grad)

    func lossInDouble() -> Double {
        Double(loss(Tape.noGrad()).value.scalar)
    }

    var worstRelative = 0.0
    var worstAbsolute = 0.0
    for (p, grad) in zip(parameters, analytic) {
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
            let a = Double(grad.scalars[k])
            diff += (a - numeric[k]) * (a - numeric[k])
            normA += a * a
            normN += numeric[k] * numeric[k]
            worstAbsolute = max(worstAbsolute, abs(a - numeric[k]))
        }
        let relative = diff.squareRoot() / max(normA.squareRoot(), normN.squareRoot(), 1e-3)
        worstRelative = max(worstRelative, relative)
    }
    for p in parameters { p.zeroGrad() }
    return GradientCheckResult(relativeError: worstRelative, maxAbsoluteError: worstAbsolute)
}

/// The relative-error bound every op's gradient must meet (see `gradientCheck`).
public let gradientTolerance = 5e-3

/// A rows × cols tensor with entries uniform in ±[low, high]: away from 0, so
/// kinks (ReLU, leaky ReLU) are at least `low` > h from every input.
public func randomTensor(_ rows: Int, _ cols: Int, seed: UInt64, low: Float = 0.1, high: Float = 1) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    var t = Tensor(rows: rows, cols: cols)
    for k in 0..<t.count {
        let magnitude = low + (high - low) * rng.nextUniform()
        t.scalars[k] = rng.nextUniform() < 0.5 ? -magnitude : magnitude
    }
    return t
}

/// A rows × cols tensor with entries uniform in [low, high].
public func positiveTensor(_ rows: Int, _ cols: Int, seed: UInt64, low: Float = 0.5, high: Float = 1.5) -> Tensor {
    var rng = RandomGenerator(seed: seed)
    return Initializer.uniform(rows: rows, cols: cols, low: low, high: high, rng: &rng)
}
