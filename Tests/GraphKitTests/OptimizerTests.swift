import Foundation
import GraphKit
import TestSupport
import Testing

/// Optimisers against steps worked out by hand.
@Suite struct OptimizerTests {
    @Test func adamTwoStepsByHand() {
        // θ = (1, −2), lr 0.1, β = (0.9, 0.999), ε = 1e-8.
        // Step 1, g = (0.5, −1): m̂ = g, v̂ = g², so θ moves by lr·sign(g): θ = (0.9, −1.9).
        // Step 2, g = (−0.25, 2):
        //   m = 0.09 g₁ + 0.1 g₂ = (0.02, 0.11);  v = 0.000999 g₁² + 0.001 g₂² = (0.00031225, 0.004999)
        //   m̂ = m / 0.19 = (0.1052632, 0.5789474);  v̂ = v / 0.001999 = (0.1562031, 2.5007504)
        //   θ −= 0.1 m̂ / √v̂ = (0.0266334, 0.0366104) → θ = (0.8733666, −1.9366104)
        let p = Parameter(Tensor(rows: 1, cols: 2, scalars: [1, -2]))
        let adam = Adam(parameters: [p], learningRate: 0.1)
        p.grad = Tensor(rows: 1, cols: 2, scalars: [0.5, -1])
        adam.step()
        #expect(abs(p.value[0, 0] - 0.9) < 1e-6 && abs(p.value[0, 1] + 1.9) < 1e-6)
        adam.zeroGrad()
        #expect(p.grad.scalars == [0, 0])
        p.grad = Tensor(rows: 1, cols: 2, scalars: [-0.25, 2])
        adam.step()
        #expect(abs(p.value[0, 0] - 0.8733666) < 2e-6)
        #expect(abs(p.value[0, 1] + 1.9366104) < 2e-6)
    }

    /// A skipped parameter keeps its value and moments, and its first real step
    /// is a first step: θ moves by lr·sign(g), as in the worked example above,
    /// while the parameter stepped twice has the second step's bias correction.
    @Test func adamSkipsIdleParametersAsPyTorchSkipsGradientsOfNone() {
        let a = Parameter(Tensor(rows: 1, cols: 2, scalars: [1, -2]))
        let b = Parameter(Tensor(rows: 1, cols: 2, scalars: [1, -2]))
        let adam = Adam(parameters: [a, b], learningRate: 0.1)
        a.grad = Tensor(rows: 1, cols: 2, scalars: [0.5, -1])
        b.grad = Tensor(rows: 1, cols: 2, scalars: [7, 7])
        adam.step(skipping: [b])
        #expect(b.value.scalars == [1, -2], "skipped")
        #expect(adam.parameterSteps == [1, 0] && adam.stepCount == 1)
        adam.zeroGrad()
        a.grad = Tensor(rows: 1, cols: 2, scalars: [-0.25, 2])
        b.grad = Tensor(rows: 1, cols: 2, scalars: [0.5, -1])
        adam.step(skipping: [])
        #expect(abs(a.value[0, 0] - 0.8733666) < 2e-6 && abs(a.value[0, 1] + 1.9366104) < 2e-6)
        #expect(abs(b.value[0, 0] - 0.9) < 1e-6 && abs(b.value[0, 1] + 1.9) < 1e-6)
        #expect(adam.parameterSteps == [2, 1])
    }

    @Test func adamVectorAndTailLanesFollowTheSameRule() {
        // 19 entries: two groups of eight and a tail of three. Three steps with
        // weight decay, against the rule of Kingma & Ba evaluated in Double.
        var rng = RandomGenerator(seed: 12)
        let start = Initializer.normal(rows: 1, cols: 19, std: 1, rng: &rng)
        let grads = (0..<3).map { _ in Initializer.normal(rows: 1, cols: 19, std: 1, rng: &rng) }
        let p = Parameter(start)
        let adam = Adam(parameters: [p], learningRate: 0.05, weightDecay: 0.01)
        var theta = start.scalars.map(Double.init)
        var m = [Double](repeating: 0, count: 19), v = m
        for (t, g) in grads.enumerated() {
            p.grad = g
            adam.step()
            adam.zeroGrad()
            for k in 0..<19 {
                let gk = Double(g.scalars[k]) + 0.01 * theta[k]
                m[k] = 0.9 * m[k] + 0.1 * gk
                v[k] = 0.999 * v[k] + 0.001 * gk * gk
                let mHat = m[k] / (1 - pow(0.9, Double(t + 1)))
                let vHat = v[k] / (1 - pow(0.999, Double(t + 1)))
                theta[k] -= 0.05 * mHat / (vHat.squareRoot() + 1e-8)
            }
        }
        for k in 0..<19 { #expect(abs(Double(p.value.scalars[k]) - theta[k]) < 1e-5, "entry \(k)") }
    }

    @Test func adamWeightDecayIsAddedToTheGradient() {
        // g = −0.05 alone would move θ up; with λ = 0.1 the step uses g + λθ = +0.05,
        // and Adam's first step moves by lr·sign: θ = 1 − 0.01 = 0.99.
        let p = Parameter(Tensor(scalar: 1))
        let adam = Adam(parameters: [p], learningRate: 0.01, weightDecay: 0.1)
        p.grad = Tensor(scalar: -0.05)
        adam.step()
        #expect(abs(p.value.scalar - 0.99) < 1e-6)
    }

    @Test func sgdWithWeightDecay() {
        // θ − lr (g + λθ) = 1 − 0.1 (0.5 + 0.01) = 0.949
        let p = Parameter(Tensor(scalar: 1))
        let sgd = SGD(parameters: [p], learningRate: 0.1, weightDecay: 0.01)
        p.grad = Tensor(scalar: 0.5)
        sgd.step()
        #expect(abs(p.value.scalar - 0.949) < 1e-6)
    }

    @Test func gradientsAccumulateAcrossBackwardCalls() {
        // d(Σ 3x)/dx = 3 per call; two calls without zeroGrad give 6.
        let p = Parameter(Tensor(rows: 2, cols: 2, repeating: 1))
        for _ in 0..<2 {
            let tape = Tape()
            tape.backward(from: sum(scale(tape.watch(p), by: 3)))
        }
        #expect(p.grad.scalars == [6, 6, 6, 6])
    }

    @Test func backwardFromSeveralOutputsSumsTheirProducts() {
        // y1 = 2x, y2 = 3x with seeds a and b: d/dx = 2a + 3b, entry by entry.
        let p = Parameter(Tensor([[1, 2]]))
        let tape = Tape()
        let x = tape.watch(p)
        tape.backward(seeds: [(scale(x, by: 2), Tensor([[1, 10]])), (scale(x, by: 3), Tensor([[100, 1000]]))])
        #expect(p.grad.scalars == [302, 3020])
    }

    @Test func noGradTapeRecordsNoPullbacks() {
        let p = Parameter(Tensor(rows: 2, cols: 2, repeating: 1))
        let tape = Tape.noGrad()
        let y = sum(relu(tape.watch(p)))
        #expect(y.value.scalar == 4)
        #expect(!y.requiresGrad)
        #expect(!tape.isRecording)
    }
}
