import Foundation
import GraphKit
import TestSupport
import Testing

/// Every dense op's pullback against central finite differences.
@Suite struct DenseGradientTests {
    func expectGradient(_ inputs: [Tensor], _ comment: Comment,
                        _ f: (Tape, [Variable]) -> Variable) {
        let result = gradientCheck(inputs, f)
        #expect(result.relativeError < gradientTolerance, "\(comment): relative error \(result.relativeError)")
    }

    @Test func matmulInAllTransposeCombinations() {
        let a = randomTensor(3, 4, seed: 1), b = randomTensor(4, 5, seed: 2)
        expectGradient([a, b], "A B") { _, v in matmul(v[0], v[1]) }
        expectGradient([a.transposed, b], "Aᵀ B") { _, v in matmul(v[0], transposeA: true, v[1]) }
        expectGradient([a, b.transposed], "A Bᵀ") { _, v in matmul(v[0], v[1], transposeB: true) }
        expectGradient([a.transposed, b.transposed], "Aᵀ Bᵀ") { _, v in
            matmul(v[0], transposeA: true, v[1], transposeB: true)
        }
    }

    @Test func addSubMulDivWithEveryBroadcast() {
        let full = randomTensor(4, 3, seed: 3)
        let others: [(String, Tensor)] = [
            ("same shape", positiveTensor(4, 3, seed: 4)),
            ("row", positiveTensor(1, 3, seed: 5)),
            ("column", positiveTensor(4, 1, seed: 6)),
            ("scalar", positiveTensor(1, 1, seed: 7)),
        ]
        for (name, other) in others {
            expectGradient([full, other], "add, \(name)") { _, v in v[0] + v[1] }
            expectGradient([full, other], "sub, \(name)") { _, v in v[0] - v[1] }
            expectGradient([full, other], "mul, \(name)") { _, v in v[0] * v[1] }
            expectGradient([full, other], "div, \(name)") { _, v in v[0] / v[1] }
            // The broadcast operand on the left.
            expectGradient([other, full], "add, \(name) on the left") { _, v in v[0] + v[1] }
            expectGradient([other, full], "sub, \(name) on the left") { _, v in v[0] - v[1] }
            expectGradient([other, full], "mul, \(name) on the left") { _, v in v[0] * v[1] }
            expectGradient([other, positiveTensor(4, 3, seed: 8)], "div, \(name) on the left") { _, v in v[0] / v[1] }
        }
        expectGradient([full], "scale") { _, v in scale(v[0], by: -2.5) }
    }

    /// alpha · (x₀ + x₁ + x₂): its pullback, and the same bits as the ops it
    /// replaces, (x₀ + x₁) + x₂ scaled, forward and backward, on a table
    /// large enough to run on all cores.
    @Test func scaledSumMatchesItsCompositionBitForBit() {
        let parts = (0..<3).map { randomTensor(3, 4, seed: 40 + UInt64($0)) }
        expectGradient(parts, "scaledSum") { _, v in scaledSum(v, by: 1 / 3) }
        expectGradient([parts[0]], "scaledSum of one") { _, v in scaledSum(v, by: 0.5) }
        let big = (0..<3).map { randomTensor(700, 64, seed: 50 + UInt64($0)) }
        let seed = randomTensor(700, 64, seed: 60)
        func run(_ fused: Bool) -> (Tensor, [Tensor]) {
            let params = big.enumerated().map { Parameter($1, name: "x\($0)") }
            let tape = Tape()
            let v = params.map { tape.watch($0) }
            let out = fused ? scaledSum(v, by: 1 / 3) : scale((v[0] + v[1]) + v[2], by: 1 / 3)
            tape.backward(from: out, seed: seed)
            return (out.value, params.map(\.grad))
        }
        let (fused, composed) = (run(true), run(false))
        #expect(fused.0.scalars == composed.0.scalars)
        #expect(zip(fused.1, composed.1).allSatisfy { $0.scalars == $1.scalars })
    }

    @Test func activations() {
        let x = randomTensor(5, 4, seed: 9, high: 2)
        expectGradient([x], "relu") { _, v in relu(v[0]) }
        expectGradient([x], "leakyReLU") { _, v in leakyReLU(v[0], negativeSlope: 0.2) }
        expectGradient([x], "elu") { _, v in elu(v[0]) }
        expectGradient([x], "sigmoid") { _, v in sigmoid(v[0]) }
        expectGradient([x], "tanh") { _, v in tanh(v[0]) }
        expectGradient([x], "exp") { _, v in exp(v[0]) }
        expectGradient([positiveTensor(5, 4, seed: 10)], "log") { _, v in log(v[0]) }
        expectGradient([positiveTensor(5, 4, seed: 10)], "sqrt") { _, v in sqrt(v[0]) }
        expectGradient([positiveTensor(5, 4, seed: 10)], "inverseSquareRoot") { _, v in inverseSquareRoot(v[0]) }
        expectGradient([x], "softplus") { _, v in softplus(v[0]) }
        expectGradient([x], "logSigmoid") { _, v in logSigmoid(v[0]) }
        expectGradient([x], "softmaxRows") { _, v in softmaxRows(v[0]) }
    }

    @Test func reductions() {
        let x = randomTensor(4, 5, seed: 11)
        expectGradient([x], "sum") { _, v in sum(v[0]) }
        expectGradient([x], "mean") { _, v in mean(v[0]) }
        expectGradient([x], "sum along rows") { _, v in sum(v[0], along: .rows) }
        expectGradient([x], "sum along columns") { _, v in sum(v[0], along: .columns) }
        expectGradient([x], "mean along rows") { _, v in mean(v[0], along: .rows) }
        expectGradient([x], "mean along columns") { _, v in mean(v[0], along: .columns) }
        expectGradient([x], "squaredNorm") { _, v in squaredNorm(v[0]) }
        expectGradient([randomTensor(4, 5, seed: 31, high: 6)], "logSumExpRows") { _, v in logSumExpRows(v[0]) }
    }

    /// Values worked out by hand: log(e⁰ + e^{ln 3}) = ln 4, a row of large
    /// equal entries a gives a + ln n without overflow; 4^{−1/2} = 0.5, and a
    /// degree ≤ 0 gives 0 with a zero gradient.
    @Test func logSumExpAndInverseSquareRootByHand() {
        let tape = Tape()
        let rows = logSumExpRows(tape.constant(Tensor([[0, Float(log(3.0))], [100, 100]]))).value
        #expect(abs(Double(rows[0, 0]) - log(4.0)) < 1e-6)
        #expect(abs(Double(rows[1, 0]) - (100 + log(2.0))) < 1e-4)
        let degrees = Parameter(Tensor([[4, 0, -1]]), name: "degrees")
        let y = inverseSquareRoot(tape.watch(degrees))
        #expect(y.value.scalars == [0.5, 0, 0])
        tape.backward(from: sum(y))
        // d x^{−1/2} / dx = −x^{−3/2} / 2 = −1/16 at 4.
        #expect(degrees.grad.scalars == [-0.0625, 0, 0])
    }

    @Test func concatenationsAndSlices() {
        let a = randomTensor(3, 2, seed: 12), b = randomTensor(3, 4, seed: 13), c = randomTensor(5, 2, seed: 14)
        expectGradient([a, b], "concatColumns") { _, v in concatColumns([v[0], v[1]]) }
        expectGradient([a, c], "concatRows") { _, v in concatRows([v[0], v[1]]) }
        expectGradient([b], "sliceColumns") { _, v in sliceColumns(v[0], 1..<3) }
        expectGradient([c], "sliceRows") { _, v in sliceRows(v[0], 2..<5) }
    }

    @Test func gatherRowsScatterAddsRepeatedIndices() {
        let table = randomTensor(6, 3, seed: 15)
        expectGradient([table], "gatherRows") { _, v in gatherRows(v[0], [4, 0, 4, 2, 4]) }
    }

    @Test func rowDotAndL2Normalisation() {
        let a = randomTensor(5, 4, seed: 16), b = randomTensor(5, 4, seed: 17)
        expectGradient([a, b], "rowDot") { _, v in rowDot(v[0], v[1]) }
        expectGradient([a], "l2NormalizeRows") { _, v in l2NormalizeRows(v[0]) }
    }

    @Test func dropoutWithAFixedSeed() {
        let x = randomTensor(6, 5, seed: 18)
        expectGradient([x], "dropout") { _, v in
            var rng = RandomGenerator(seed: 5)
            return dropout(v[0], rate: 0.3, rng: &rng)
        }
    }

    @Test func elementwiseMaximum() {
        // Entries of a and b at least 0.1 apart (±[0.1, 1] against 0), so no step crosses a tie.
        let a = randomTensor(4, 3, seed: 33)
        let b = Tensor(rows: 4, cols: 3)
        expectGradient([a, b], "maximum") { _, v in maximum(v[0], v[1]) }
        let tape = Tape.noGrad()
        let out = maximum(tape.constant(a), tape.constant(b)).value
        for k in 0..<a.count { #expect(out.scalars[k] == max(a.scalars[k], 0)) }
    }

    @Test func linearLayer() {
        var rng = RandomGenerator(seed: 19)
        let layer = Linear(inputSize: 4, outputSize: 3, rng: &rng)
        let x = randomTensor(5, 4, seed: 20)
        expectGradient([x, layer.weight.value, positiveTensor(1, 3, seed: 21)], "linear") { _, v in
            matmul(v[0], v[1], transposeB: true) + v[2]
        }
    }

    @Test(arguments: [Activation.identity, .relu, .leakyReLU(negativeSlope: 0.2)])
    func fusedAffineWithAndWithoutBias(activation: Activation) {
        // Positive inputs, one weight row positive and one negative, and a small bias:
        // z ≥ 0.45 in column 0 and z ≤ −0.45 in column 1, so both branches of the
        // activation are exercised and no difference (step 1e-2) crosses the kink.
        let x = positiveTensor(6, 3, seed: 22)
        let w = concatRowsByHand(positiveTensor(1, 3, seed: 23), positiveTensor(1, 3, seed: 24).scaled(by: -1))
        let b = randomTensor(1, 2, seed: 25, low: 0.1, high: 0.3)
        let plain = BLAS.matmul(x, w, transposeB: true)
        for r in 0..<6 {
            #expect(plain[r, 0] + b[0, 0] > 0.45 && plain[r, 0] > 0.45)
            #expect(plain[r, 1] + b[0, 1] < -0.45 && plain[r, 1] < -0.45)
        }
        expectGradient([x, w, b], "affine \(activation)") { _, v in affine(v[0], v[1], bias: v[2], activation: activation) }
        expectGradient([x, w], "affine without bias \(activation)") { _, v in affine(v[0], v[1], bias: nil, activation: activation) }
        // The fused op equals the composition it replaces, entry for entry.
        let tape = Tape.noGrad()
        let (xv, wv, bv) = (tape.constant(x), tape.constant(w), tape.constant(b))
        let z = matmul(xv, wv, transposeB: true) + bv
        let slope: Float = if case let .leakyReLU(s) = activation { s } else { 1 }
        let composed = activation == .identity ? z : leakyReLU(z, negativeSlope: slope)
        #expect(affine(xv, wv, bias: bv, activation: activation).value == composed.value)
    }
}

/// The checker itself: it must fail a wrong pullback.
@Suite struct GradientCheckTests {
    @Test func checkerCatchesAWrongPullback() {
        // y = 2x recorded with the pullback of y = 3x.
        let result = gradientCheck([randomTensor(3, 3, seed: 22)]) { tape, v in
            let id = v[0].id
            return tape.record(v[0].value.scaled(by: 2), inputs: [v[0]]) { g, grads in
                grads.accumulate(g.scaled(by: 3), into: id)
            }
        }
        #expect(result.relativeError > 0.3)
    }

    /// A ReLU input exactly at 0 is a kink every central difference straddles
    /// (it gives the mean of the two slopes, 1/2, against the pullback's 0);
    /// one 0.004 away is straddled by both steps, 0.01 and 0.005, by different
    /// shares, so their central differences part (0.7 and 0.9). Skipping
    /// kinks leaves those two entries out, counts them, and still catches a
    /// wrong pullback on the rest.
    @Test func kinksAreSkippedAndCountedButWrongPullbacksStillCaught() {
        let x = Parameter(Tensor(rows: 1, cols: 4, scalars: [0, 0.004, 0.5, -0.7]), name: "x")
        let weights = Tensor(rows: 1, cols: 4, scalars: [1, 1, 1, 1])
        func check(skippingKinks: Bool, wrong: Bool) -> GradientCheckResult {
            gradientCheck(parameters: [x], step: 1e-2, skippingKinks: skippingKinks) { tape in
                let v = tape.watch(x)
                let y = relu(v)
                let out = wrong ? tape.record(y.value.scaled(by: 2), inputs: [y]) { g, grads in grads.accumulate(g, into: y.id) } : y
                return sum(out * tape.constant(weights))
            }
        }
        let plain = check(skippingKinks: false, wrong: false)
        #expect(plain.relativeError > 0.3 && plain.kinkEntries == 0)
        let skipped = check(skippingKinks: true, wrong: false)
        #expect(skipped.kinkEntries == 2 && skipped.entries == 4)
        #expect(skipped.relativeError < 1e-4, "\(skipped.relativeError)")
        #expect(check(skippingKinks: true, wrong: true).relativeError > 0.3)
    }

    @Test func checkerCatchesADroppedBroadcastReduction() {
        // A row-broadcast add whose pullback forgets to sum over rows: it keeps row 0 only.
        let result = gradientCheck([randomTensor(4, 3, seed: 23), randomTensor(1, 3, seed: 24)]) { tape, v in
            let (ai, bi) = (v[0].id, v[1].id)
            let out = (v[0] + v[1]).value
            return tape.record(out, inputs: [v[0], v[1]]) { g, grads in
                grads.accumulate(g, into: ai)
                grads.accumulate(g.rows(0..<1), into: bi)
            }
        }
        #expect(result.relativeError > 0.3)
    }
}

/// Two one-row tensors stacked, entry by entry.
func concatRowsByHand(_ a: Tensor, _ b: Tensor) -> Tensor {
    Tensor(rows: 2, cols: a.cols, scalars: a.scalars + b.scalars)
}
