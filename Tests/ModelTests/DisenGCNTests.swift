import Foundation
@testable import DisenGCN
import GraphKit
import RecommenderCore
import Testing
import TestSupport

@Suite struct DisenGCNTests {
    // MARK: Gradients

    /// True when every pre-activation W_k x_v + b_k of every layer is at least
    /// `margin` away from the leaky-ReLU's kink. A step of 1e-2 on one entry of
    /// E⁰, W or b moves a pre-activation by at most 1e-2 times an input entry
    /// or weight (all below 1 here), so it does not cross the kink.
    /// Also false when a factor's activated block σ(W_k x_v + b_k) is shorter
    /// than `minimumNorm` (a block of negatives, scaled by 0.01): its
    /// normalisation then bends at the scale of the step, and finite differences fail.
    func isClearOfKinks(_ model: DisenGCNModel, margin: Float = 0.01, minimumNorm: Float = 0.3) -> Bool {
        let tape = Tape.noGrad()
        var x = model.nodeInput(users: tape.watch(model.userEmbedding), items: tape.watch(model.itemEmbedding))
        for layer in model.layers {
            let pre = layer.projection(x).value
            if pre.scalars.contains(where: { abs($0) < margin }) { return false }
            let size = pre.cols / layer.factors
            for v in 0..<pre.rows {
                for k in 0..<layer.factors {
                    let norm2 = (0..<size).reduce(Float(0)) { s, j in
                        let a = pre[v, k * size + j]
                        return s + (a > 0 ? a * a : 1e-4 * a * a)
                    }
                    if norm2 < minimumNorm * minimumNorm { return false }
                }
            }
            x = layer(x, over: model.nodeGraph).output
        }
        return true
    }

    @Test func gradientOfTheWholeLossMatchesFiniteDifferences() throws {
        let data = try tinyDataset()
        // The default path (K 2 over d 8, T 3, two layers), a sharper softmax with
        // a single iteration, one layer with four factors, and the feature input.
        let variants: [[String: HyperparameterValue]] = [
            [:],
            ["tau": .double(0.5), "n_iterations": .int(1)],
            ["embedding_size": .int(16), "n_factors": .int(4), "n_layers": .int(1)],
            ["n_iterations": .int(0)],
            ["features": .bool(true)],
        ]
        let batch = TrainingBatch(users: [0, 3, 5, 9], positives: [0, 1, 2, 6], negatives: [4, 5, 7, 3])
        for variant in variants {
            var given: [String: HyperparameterValue] = ["embedding_size": .int(8), "n_factors": .int(2),
                                                        "reg_weight": .double(0.1)]
            given.merge(variant) { $1 }
            // E⁰ and the layer weights scaled up by 4 and the layer biases set to
            // 3, so every factor's activated block has a norm of order 1: the
            // normalisations are then smooth at the scale of the step 1e-2.
            // The first seed whose pre-activations all sit clear of the leaky-ReLU's kink.
            var found: DisenGCNModel?
            for seed in 1...2000 where found == nil {
                let model = try makeModel(DisenGCNModel.self, data, given, seed: UInt64(seed))
                for p in [model.userEmbedding, model.itemEmbedding] + model.layers.map(\.projection.weight) {
                    p.value = p.value.scaled(by: 4)
                }
                // With features, W_f scaled by 1/8: the toy's visual rows have
                // norm about 33, so Xavier's W_f gives W_f f_i a norm near 8,
                // and the L2 term over those rows (which it reads since
                // revision 1) would make the loss large enough that Float32's
                // rounding in the differences swamps the layer weights' gradient.
                if let input = model.itemFeatures {
                    input.projection.weight.value = input.projection.weight.value.scaled(by: 0.125)
                }
                for layer in model.layers {
                    let b = layer.projection.bias!
                    b.value = Tensor(rows: b.value.rows, cols: b.value.cols,
                                     scalars: [Float](repeating: 3, count: b.value.count))
                }
                if isClearOfKinks(model, margin: 0.03, minimumNorm: 0.1) { found = model }
            }
            guard let model = found else {
                Issue.record("\(variant): no seed in 1...2000 is clear of kinks")
                continue
            }
            // E⁰ in full, the first layer's W and, with features, W_f and b_f.
            // E⁰'s gradient runs back through every op of both layers and all
            // T routings. The layer biases and the second layer's W are left
            // out: their gradients reach the loss as weakly as Float32's
            // finite-difference noise (0.0055 to 0.0084 relative at step 1e-2,
            // and worse, not better, at 3e-3, so it is rounding, not truncation).
            let checked = [model.userEmbedding, model.itemEmbedding, model.layers[0].projection.weight]
                + (model.itemFeatures?.parameters ?? [])
            for parameter in checked {
                let check = gradientCheck(parameters: [parameter]) { tape in
                    var rng = RandomGenerator(seed: 1)
                    return model.loss(batch, on: tape, rng: &rng)
                }
                #expect(check.relativeError < gradientTolerance,
                        "\(variant) \(parameter.name): relative error \(check.relativeError)")
            }
            // The check is not vacuous: the layers' weights do move the loss.
            let tape = Tape()
            var rng = RandomGenerator(seed: 1)
            tape.backward(from: model.loss(batch, on: tape, rng: &rng))
            let layerGrad = model.layers[0].projection.weight.grad.scalars.map { abs($0) }.max()!
            #expect(layerGrad > 1e-3, "\(variant): layer gradient \(layerGrad)")
            for p in model.parameters { p.zeroGrad() }
        }
    }

    /// The routing alone, T = 1, 2, 3 unrolled, on fixed z = normalize(x_k)
    /// blocks: gradients w.r.t. x through every iteration.
    @Test func routingGradientMatchesFiniteDifferences() throws {
        let data = try tinyDataset()
        let graph = data.graph.nodeAdjacency(selfLoops: false)
        var rng = RandomGenerator(seed: 7)
        let x = Initializer.uniform(rows: graph.targetCount, cols: 8, low: 0.5, high: 2, rng: &rng)
        for iterations in 1...3 {
            let layer = DisentangledLayer(inputSize: 8, factors: 2, channelSize: 4, iterations: iterations,
                                          temperature: 0.5, rng: &rng, name: "routing")
            let check = gradientCheck([x]) { _, v in
                let z = l2NormalizeRows(v[0], blocks: 2)
                var c = z
                for _ in 0..<iterations { c = layer.routingStep(z: z, c: c, over: graph).c }
                return c
            }
            #expect(check.relativeError < gradientTolerance, "T = \(iterations): relative error \(check.relativeError)")
        }
    }

    // MARK: Routing

    @Test func routingGivesEachEdgeADistributionOverTheFactors() throws {
        let data = try tinyDataset()
        let model = try makeModel(DisenGCNModel.self, data, ["embedding_size": .int(16), "n_factors": .int(4)])
        let tape = Tape.noGrad()
        let outputs = model.layerOutputs(users: tape.watch(model.userEmbedding), items: tape.watch(model.itemEmbedding))
        #expect(outputs.count == 2)
        for out in outputs {
            let p = try #require(out.routing).value
            // One row per directed edge (both directions of the 40 training edges), one column per factor.
            #expect(p.rows == 2 * data.graph.edgeCount && p.cols == 4)
            var farFromUniform = false
            for e in 0..<p.rows {
                let row = p.row(e)
                #expect(row.allSatisfy { $0 >= 0 }, "edge \(e): \(row)")
                #expect(abs(row.reduce(0, +) - 1) < 1e-5, "edge \(e): \(row)")
                if row.max()! > 0.3 { farFromUniform = true }
            }
            // The factors are told apart: some edge prefers one clearly.
            #expect(farFromUniform)
        }
    }

    /// One routing iteration for one node, with plain loops over the node's
    /// in-edges: p_{n,k} = softmax_k(z_{n,k} · z_{v,k} / τ) and
    /// c_{v,k} = normalize(z_{v,k} + Σ_n p_{n,k} z_{n,k}). Also z itself:
    /// normalize(leakyReLU(W_k x_v + b_k)).
    @Test func oneRoutingIterationMatchesPlainLoops() throws {
        let data = try tinyDataset()
        let (d, K, tau): (Int, Int, Float) = (8, 2, 0.5)
        let model = try makeModel(DisenGCNModel.self, data, ["embedding_size": .int(d), "n_factors": .int(K),
                                                              "tau": .double(Double(tau)), "n_iterations": .int(1)])
        let layer = model.layers[0]
        let tape = Tape.noGrad()
        let x = model.nodeInput(users: tape.watch(model.userEmbedding), items: tape.watch(model.itemEmbedding))
        let out = layer(x, over: model.nodeGraph)
        let size = d / K
        let z = (0..<K).map { k in out.z.value.columns(k * size ..< (k + 1) * size) }
        let c = out.output.value
        let p = try #require(out.routing).value
        let graph = model.nodeGraph
        let (w, b) = (layer.projection.weight.value, layer.projection.bias!.value)
        // A user with two or more items and the most popular item (node U + 0).
        let user = (0..<data.userCount).first { data.graph.userDegrees[$0] >= 2 }!
        for v in [user, data.userCount] {
            // z_v by hand.
            for k in 0..<K {
                var h = (0..<size).map { j -> Float in
                    let r = k * size + j
                    let a = (0..<d).reduce(b[0, r]) { $0 + w[r, $1] * x.value[v, $1] }
                    return a > 0 ? a : 0.01 * a
                }
                let norm = h.reduce(0) { $0 + $1 * $1 }.squareRoot()
                h = h.map { $0 / norm }
                for j in 0..<size { #expect(abs(h[j] - z[k][v, j]) < 1e-5) }
            }
            // The in-edges of v and their routing.
            var sums = [[Float]](repeating: [Float](repeating: 0, count: size), count: K)
            let edges = Int(graph.rowPtr[v])..<Int(graph.rowPtr[v + 1])
            #expect(edges.count >= 2)
            for entry in edges {
                let n = Int(graph.source[entry])
                let e = Int(graph.edge[entry])
                let logits = (0..<K).map { k in (0..<size).reduce(Float(0)) { $0 + z[k][n, $1] * z[k][v, $1] } / tau }
                let top = logits.max()!
                let expd = logits.map { Foundation.exp($0 - top) }
                let pe = expd.map { $0 / expd.reduce(0, +) }
                for k in 0..<K {
                    #expect(abs(pe[k] - p[e, k]) < 1e-5, "node \(v), edge \(e), factor \(k)")
                    for j in 0..<size { sums[k][j] += pe[k] * z[k][n, j] }
                }
            }
            for k in 0..<K {
                let raw = (0..<size).map { z[k][v, $0] + sums[k][$0] }
                let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
                for j in 0..<size {
                    #expect(abs(raw[j] / norm - c[v, k * size + j]) < 1e-5, "node \(v), factor \(k), column \(j)")
                }
            }
            // Routing moved the node: c_v differs from z_v.
            #expect((0..<size).contains { abs(c[v, $0] - z[0][v, $0]) > 1e-3 })
        }
    }

    // MARK: Training

    @Test func lossFallsOnTheMMGCNToySample() throws {
        let data = try loadDataset("mmgcn-toy")
        let model = try makeModel(DisenGCNModel.self, data)
        let result = quickTrain(model, on: data, options: quickOptions(epochs: 10, learningRate: 0.01))
        expectLossFellEveryEpoch(result)
    }

    /// With the item features and λ = 1 (lr 0.001, five epochs), chosen on
    /// validation only (`bench train --seed 1`, best valid recall@20): the
    /// defaults peak at 0.0483; features with λ 0.01 at 0.0594 (0.95 × most
    /// popular; 0.0693 on another kernel, so that setting sat on a razor edge);
    /// λ 0.1: 0.0591-0.0607; λ 1: 0.0686 (1.09 ×); one layer, lr 0.0003 or
    /// lr 0.003: lower. DisenGCN fits the training pairs fast and then overfits.
    /// None clears 1.1 × by a margin, so the test asks for 90%, cleared by 22%.
    @Test func comesWithinTenPercentOfMostPopularOnTikTokValidation() throws {
        let data = try loadDataset("tiktok")
        let model = try makeModel(DisenGCNModel.self, data, ["features": .bool(true), "reg_weight": .double(1.0)])
        let result = quickTrain(model, on: data, options: quickOptions(epochs: 5))
        try expectValidRecall(result, above: 0.9, ofMostPopularOn: data, "DisenGCN")
    }

    // MARK: Switches

    @Test func eachSwitchChangesTheLoss() throws {
        let data = try tinyDataset()
        let batch = TrainingBatch(users: [0, 3, 5, 9], positives: [0, 1, 2, 6], negatives: [4, 5, 7, 3])
        func loss(_ given: [String: HyperparameterValue]) throws -> Float {
            var all: [String: HyperparameterValue] = ["embedding_size": .int(8)]
            all.merge(given) { $1 }
            let model = try makeModel(DisenGCNModel.self, data, all, seed: 4)
            var rng = RandomGenerator(seed: 1)
            return model.loss(batch, on: Tape.noGrad(), rng: &rng).value.scalar
        }
        // Same seed, so the same E⁰ and layer weights (every layer is d → d whatever K is),
        // except with `features`, whose W_f and b_f are drawn before the layers; the
        // feature path itself is checked by featuresFeedTheItemInput.
        let base = try loss([:])
        for variant: [String: HyperparameterValue] in [
            ["n_factors": .int(2)], ["n_iterations": .int(1)], ["n_iterations": .int(0)],
            ["tau": .double(0.2)], ["n_layers": .int(1)], ["features": .bool(true)],
        ] {
            let other = try loss(variant)
            #expect(abs(other - base) > 1e-5, "\(variant): \(other) vs \(base)")
        }
    }

    /// With `features`, the item rows of the node input are e⁰_i + W_f f_i + b_f
    /// (recomputed by hand for one item), and the user rows stay e⁰_u.
    @Test func featuresFeedTheItemInput() throws {
        let data = try tinyDataset()
        let model = try makeModel(DisenGCNModel.self, data, ["embedding_size": .int(4), "features": .bool(true)])
        let input = try #require(model.itemFeatures)
        let tape = Tape.noGrad()
        let x = model.nodeInput(users: tape.watch(model.userEmbedding), items: tape.watch(model.itemEmbedding)).value
        let f = data.features.flatMap { $0.matrix.row(2) }
        let (w, b) = (input.projection.weight.value, input.projection.bias!.value)
        for j in 0..<4 {
            let expected = model.itemEmbedding.value[2, j] + b[0, j] + f.indices.reduce(Float(0)) { $0 + w[j, $1] * f[$1] }
            #expect(abs(x[data.userCount + 2, j] - expected) < 1e-4)
            #expect(x[1, j] == model.userEmbedding.value[1, j])
        }
        #expect(try makeModel(DisenGCNModel.self, data).itemFeatures == nil)
    }

    // MARK: Configuration errors

    @Test func embeddingSizeMustBeAMultipleOfTheFactors() throws {
        let data = try tinyDataset()
        let error = try #require(throws: ConfigError.self) {
            try makeModel(DisenGCNModel.self, data, ["embedding_size": .int(6), "n_factors": .int(4)])
        }
        #expect(error.key == "DisenGCN.n_factors")
    }

    @Test func featuresWithoutModalitiesIsAConfigError() throws {
        let baby = try loadDataset("baby")
        #expect(throws: ConfigError.self) { try makeModel(DisenGCNModel.self, baby, ["features": .bool(true)]) }
        _ = try makeModel(DisenGCNModel.self, baby)
    }
}
