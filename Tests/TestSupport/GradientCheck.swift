import GraphKit

// Helpers shared by the test targets (a small test-support target, as
// swift-argument-parser keeps one).

/// The outcome of comparing tape gradients with central finite differences.
public struct GradientCheckResult {
    /// ‖analytic − numeric‖ / max(‖analytic‖, ‖numeric‖, 1e-3), worst over inputs.
    public var relativeError: Double
    /// Largest |analytic − numeric| over all entries.
    public var maxAbsoluteError: Double
    /// Entries left out because a kink lies within ±h of them (only with
    /// `skippingKinks`), and the number of entries in all.
    public var kinkEntries = 0
    public var entries = 0
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
///
/// With `skippingKinks`, the loss is also taken at x ± h/2, and the gap
/// between right and left slopes compared across the two steps: where the
/// loss is smooth near x the gap is h·f″ and halves with the step; where a
/// leaky-ReLU kink or a change of argmax lies within the step (a pre-activation
/// exactly 0 puts one at x itself, where every step averages the two slopes),
/// it holds the slope's jump and does not; and where the kink lies off x, the
/// central differences at h and h/2 part by more than rounding. Such entries
/// are left out and counted in `kinkEntries` (a test bounds their share). This lets a whole-model check
/// take a step large enough that rounding stays well below the bound, on any
/// BLAS kernel, instead of a small step where rounding reaches it. A wrong
/// pullback is still caught: it makes the analytic gradient disagree with
/// both differences, not the differences with each other.
public func gradientCheck(parameters: [Parameter], step h: Float = 1e-2, skippingKinks: Bool = false,
                          _ loss: (Tape) -> Variable) -> GradientCheckResult {
    for p in parameters { p.zeroGrad() }
    let tape = Tape()
    tape.backward(from: loss(tape))
    let analytic = parameters.map(\.grad)

    func lossInDouble() -> Double {
        Double(loss(Tape.noGrad()).value.scalar)
    }

    /// L(x + step) and L(x − step) for entry k of p, restoring it after.
    func losses(_ p: Parameter, _ k: Int, _ step: Float) -> (plus: Double, minus: Double, taken: Double) {
        let original = p.value.scalars[k]
        p.value.scalars[k] = original + step
        let plus = lossInDouble()
        p.value.scalars[k] = original - step
        let minus = lossInDouble()
        p.value.scalars[k] = original
        // The step actually taken in Float32 may differ slightly from the one asked.
        return (plus, minus, Double(original + step) - Double(original - step))
    }
    let base = lossInDouble()
    // The Float32 rounding of one loss value: about two ulps of it (the
    // scatter of central differences of smooth whole-model losses).
    let rounding = 2 * Double(Float.ulpOfOne) * max(abs(base), 1e-3)

    var worstRelative = 0.0
    var worstAbsolute = 0.0
    var result = GradientCheckResult(relativeError: 0, maxAbsoluteError: 0)
    for (p, grad) in zip(parameters, analytic) {
        var numeric = [Double](repeating: 0, count: p.value.count)
        var smooth = [Bool](repeating: true, count: p.value.count)
        for k in 0..<p.value.count {
            let whole = losses(p, k, h)
            numeric[k] = (whole.plus - whole.minus) / whole.taken
            if skippingKinks {
                // The gap between the right and left slopes, (L₊ + L₋ − 2L) / step:
                // h·f″ where L is smooth, so it halves with the step; the jump
                // J of the slope where a kink lies within ±step/2, so it does not.
                // A kink at distance δ from x shifts the central difference by
                // J·(step − δ)/(2·step), which differs between the two steps
                // unless δ ≈ 0, which the gaps catch.
                let half = losses(p, k, h / 2)
                let halfNumeric = (half.plus - half.minus) / half.taken
                let gap = (whole.plus + whole.minus - 2 * base) / (whole.taken / 2)
                let halfGap = (half.plus + half.minus - 2 * base) / (half.taken / 2)
                let relativeSlack = 0.005 * max(abs(numeric[k]), abs(halfNumeric))
                // Rounding moves a gap by up to 4·rounding/step and a central
                // difference by up to rounding/step; the bounds add those up.
                smooth[k] = abs(gap - 2 * halfGap) <= 20 * rounding / Double(h) + relativeSlack
                    && abs(numeric[k] - halfNumeric) <= 3 * rounding / Double(h) + relativeSlack
            }
        }
        result.entries += numeric.count
        result.kinkEntries += smooth.filter { !$0 }.count
        var diff = 0.0, normA = 0.0, normN = 0.0
        for k in 0..<numeric.count where smooth[k] {
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
    (result.relativeError, result.maxAbsoluteError) = (worstRelative, worstAbsolute)
    return result
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
