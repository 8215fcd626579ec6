import Foundation
import GraphKit
@testable import GraphSAGE
import RecommenderCore
import Testing
import TestSupport

@Suite struct GraphSAGETests {
    // MARK: Whole-loss gradient checks

    /// A tiny-graph model for the gradient checks: d = 4, λ = 0.1, E⁰ scaled by 5
    /// and every layer weight (W^l, W_pool) by `weightScale`, so the BPR term is far
    /// from flat and the pre-activations spread far from the ReLU kinks and the
    /// max ties compared with the check's step. `kinksAreClear` holds at scale 4
    /// for 36 of seeds 1–60 with the mean and 6 with the pool (none for the pool
    /// at scale 1); the tests use seed 3 (mean) and 7 (pool) and assert it. Among
    /// the pool's clear seeds, 7 also has the largest gradient (smaller ones leave
    /// the Float32 rounding of the loss, ~2e-5 absolute, near the relative bound).
    func tinyModel(_ data: Dataset, aggregator: Aggregator, features: Bool = false, seed: UInt64,
                   weightScale: Float = 4) throws -> GraphSAGEModel {
        let model = try makeModel(GraphSAGEModel.self, data,
                                  ["embedding_size": .int(4), "reg_weight": .double(0.1),
                                   "aggregator": .string(aggregator.rawValue), "features": .bool(features)],
                                  seed: seed)
        model.userEmbedding.value = model.userEmbedding.value.scaled(by: 5)
        model.itemEmbedding.value = model.itemEmbedding.value.scaled(by: 5)
        for layer in model.layers {
            for p in [layer.weight.weight] + (layer.pool.map { [$0.linear.weight] } ?? []) {
                p.value = p.value.scaled(by: weightScale)
            }
        }
        return model
    }

    /// Where the model sits relative to its kinks: the sign of every pre-activation
    /// that goes through a ReLU (hidden layers' W[h ‖ AGG], the pool's W_pool h + b)
    /// and, for the pool, the winning neighbour of every (target, column) whose max
    /// is positive (found with plain loops over the canonical edges; -1 for a tie
    /// within 1e-6 or a zero max).
    func kinkPattern(_ model: GraphSAGEModel, _ graph: BipartiteGraph) -> [Int] {
        var pattern: [Int] = []
        let tape = Tape.noGrad()
        _ = model.forward(users: tape.watch(model.userEmbedding), items: tape.watch(model.itemEmbedding)) { layer, name, value in
            let hidden = layer < model.layers.count - 1
            if name.hasPrefix("pool.") || (name.hasPrefix("combine.") && hidden) {
                pattern += value.scalars.map { $0 > 0 ? 1 : 0 }
            }
            guard name.hasPrefix("pool.") else { return }
            // The max over N(v) of ReLU(z_n), v on the other side.
            let toUsers = name == "pool.items"
            let targets = toUsers ? graph.userCount : graph.itemCount
            for t in 0..<targets {
                for c in 0..<value.cols {
                    var (best, second, winner): (Float, Float, Int) = (0, 0, -1)
                    for e in 0..<graph.edgeCount {
                        let (target, source) = toUsers ? (graph.edgeUsers[e], graph.edgeItems[e])
                                                       : (graph.edgeItems[e], graph.edgeUsers[e])
                        guard Int(target) == t else { continue }
                        let m = max(value[Int(source), c], 0)
                        if m > best { (second, best, winner) = (best, m, Int(source)) } else if m > second { second = m }
                    }
                    pattern.append(best > 0 && best - second > 1e-6 ? winner : -1)
                }
            }
        }
        return pattern
    }

    /// True when no single-entry step of ±h (the gradient check's step) in any
    /// parameter moves a ReLU pre-activation across 0 or changes a max's winner.
    func kinksAreClear(_ model: GraphSAGEModel, _ graph: BipartiteGraph, step h: Float = 1e-2) -> Bool {
        let base = kinkPattern(model, graph)
        for p in model.parameters {
            for k in 0..<p.value.count {
                let original = p.value.scalars[k]
                defer { p.value.scalars[k] = original }
                for delta in [h, -h] {
                    p.value.scalars[k] = original + delta
                    if kinkPattern(model, graph) != base { return false }
                }
            }
        }
        return true
    }

    func checkWholeLossGradient(aggregator: Aggregator, features: Bool = false, seed: UInt64,
                                weightScale: Float = 4) throws {
        let data = try tinyDataset()
        let model = try tinyModel(data, aggregator: aggregator, features: features, seed: seed, weightScale: weightScale)
        let clear = kinksAreClear(model, data.graph)
        #expect(clear, "seed \(seed): a ±h step crosses a ReLU kink or a max tie")
        let batch = TrainingBatch(users: [0, 3, 7, 12, 20], positives: [0, 1, 2, 3, 5], negatives: [4, 6, 7, 1, 0])
        let check = gradientCheck(parameters: model.parameters) { tape in
            var rng = RandomGenerator(seed: 1)
            return model.loss(batch, on: tape, rng: &rng)
        }
        #expect(check.relativeError < gradientTolerance, "relative error \(check.relativeError)")
    }

    @Test func gradientOfTheWholeLossMatchesFiniteDifferencesWithTheMeanAggregator() throws {
        try checkWholeLossGradient(aggregator: .mean, seed: 3)
    }

    @Test func gradientOfTheWholeLossMatchesFiniteDifferencesWithThePoolAggregator() throws {
        try checkWholeLossGradient(aggregator: .pool, seed: 7)
    }

    @Test func gradientOfTheWholeLossMatchesFiniteDifferencesWithFeatures() throws {
        try checkWholeLossGradient(aggregator: .mean, features: true, seed: 1, weightScale: 1)
    }

    // MARK: One layer recomputed with plain loops

    /// h_v^{l+1} of one node recomputed with plain loops over the canonical edges:
    /// AGG (mean, or max_n ReLU(W_pool h_n + b)), z = W^l [h_v ‖ AGG], σ, then
    /// L2 normalisation.
    func loopLayer(_ layer: SAGELayer, users hU: Tensor, items hI: Tensor, graph: BipartiteGraph,
                   node v: Int, isUser: Bool) -> [Float] {
        let d = hU.cols
        let (own, other) = isUser ? (hU, hI) : (hI, hU)
        var neighbours: [Int] = []
        for e in 0..<graph.edgeCount where Int(isUser ? graph.edgeUsers[e] : graph.edgeItems[e]) == v {
            neighbours.append(Int(isUser ? graph.edgeItems[e] : graph.edgeUsers[e]))
        }
        var agg = [Float](repeating: 0, count: d)
        if let pool = layer.pool {
            let (w, b) = (pool.linear.weight.value, pool.linear.bias!.value)
            for c in 0..<d {
                var best = -Float.infinity
                for n in neighbours {
                    var z = b[0, c]
                    for k in 0..<d { z += w[c, k] * other[n, k] }
                    best = max(best, max(z, 0))
                }
                agg[c] = neighbours.isEmpty ? 0 : best
            }
        } else {
            for n in neighbours { for k in 0..<d { agg[k] += other[n, k] / Float(neighbours.count) } }
        }
        let w = layer.weight.weight.value
        var out = [Float](repeating: 0, count: d)
        for c in 0..<d {
            var z: Float = 0
            for k in 0..<d { z += w[c, k] * own[v, k] + w[c, d + k] * agg[k] }
            out[c] = layer.activation == .identity ? z : max(z, 0)
        }
        let norm = max(out.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-12)
        return out.map { $0 / norm }
    }

    func checkLayersAgainstLoops(aggregator: Aggregator) throws {
        let data = try tinyDataset()
        let model = try makeModel(GraphSAGEModel.self, data,
                                  ["embedding_size": .int(8), "aggregator": .string(aggregator.rawValue)], seed: 4)
        #expect(model.layers.count == 2)
        let tape = Tape.noGrad()
        var h = (users: tape.watch(model.userEmbedding), items: tape.watch(model.itemEmbedding))
        for (l, layer) in model.layers.enumerated() {
            let next = layer(users: h.users, items: h.items, graph: data.graph)
            for (v, isUser) in [(3, true), (11, true), (2, false), (5, false)] {
                let expected = loopLayer(layer, users: h.users.value, items: h.items.value, graph: data.graph,
                                         node: v, isUser: isUser)
                let got = (isUser ? next.users : next.items).value.row(v)
                let error = zip(got, expected).map { abs($0 - $1) }.max()!
                #expect(error < 1e-5, "layer \(l), \(isUser ? "user" : "item") \(v): \(got) vs \(expected)")
            }
            // σ = ReLU on the hidden layer, the identity on the last (negative entries survive).
            let all = next.users.value.scalars + next.items.value.scalars
            if l == 0 { #expect(all.allSatisfy { $0 >= 0 }) } else { #expect(all.contains { $0 < 0 }) }
            h = next
        }
    }

    @Test func meanLayerMatchesPlainLoops() throws { try checkLayersAgainstLoops(aggregator: .mean) }

    @Test func poolLayerMatchesPlainLoops() throws { try checkLayersAgainstLoops(aggregator: .pool) }

    // MARK: Switches

    @Test func aggregatorSwitchChangesTheLoss() throws {
        let data = try tinyDataset()
        let batch = TrainingBatch(users: [0, 3, 7], positives: [0, 1, 2], negatives: [4, 6, 7])
        let losses = try Aggregator.allCases.map { a in
            let model = try makeModel(GraphSAGEModel.self, data, ["aggregator": .string(a.rawValue)], seed: 2)
            var rng = RandomGenerator(seed: 1)
            return model.loss(batch, on: Tape(), rng: &rng).value.scalar
        }
        #expect(abs(losses[0] - losses[1]) > 1e-4, "\(losses)")
        // The pool adds W_pool and b per layer; the mean adds nothing.
        let mean = try makeModel(GraphSAGEModel.self, data, ["embedding_size": .int(8)])
        let pool = try makeModel(GraphSAGEModel.self, data, ["embedding_size": .int(8), "aggregator": .string("pool")])
        #expect(pool.parameters.count == mean.parameters.count + 4)
    }

    @Test func featuresSwitchFeedsTheItemFeatures() throws {
        let data = try tinyDataset()
        let plain = try makeModel(GraphSAGEModel.self, data, ["embedding_size": .int(8)], seed: 5)
        let model = try makeModel(GraphSAGEModel.self, data, ["embedding_size": .int(8), "features": .bool(true)], seed: 5)
        #expect(plain.itemFeatures == nil)
        let input = try #require(model.itemFeatures)
        // h⁰_i = e⁰_i + W_f f_i + b_f with f_i = visual ‖ acoustic, by plain loops.
        let f = data.features.map(\.matrix)
        let (w, b) = (input.projection.weight.value, input.projection.bias!.value)
        let tape = Tape.noGrad()
        let h0 = input(tape.watch(model.itemEmbedding)).value
        for i in 0..<data.itemCount {
            let fi = f.flatMap { $0.row(i) }
            #expect(fi.count == w.cols)
            for c in 0..<8 {
                var x = model.itemEmbedding.value[i, c] + b[0, c]
                for k in 0..<fi.count { x += w[c, k] * fi[k] }
                #expect(abs(h0[i, c] - x) < 1e-4 * max(1, abs(x)), "item \(i) column \(c)")
            }
        }
        // Same seed, same E⁰ and W^l: only the item input differs, and so does the loss.
        #expect(plain.userEmbedding.value == model.userEmbedding.value)
        let batch = TrainingBatch(users: [0, 3, 7], positives: [0, 1, 2], negatives: [4, 6, 7])
        var rng = RandomGenerator(seed: 1)
        let a = plain.loss(batch, on: Tape(), rng: &rng).value.scalar
        let c = model.loss(batch, on: Tape(), rng: &rng).value.scalar
        #expect(abs(a - c) > 1e-4, "\(a) vs \(c)")
    }

    @Test func featuresWithoutItemFeaturesIsAConfigError() throws {
        let baby = try loadDataset("baby")
        #expect(throws: ConfigError.self) { try makeModel(GraphSAGEModel.self, baby, ["features": .bool(true)]) }
        _ = try makeModel(GraphSAGEModel.self, baby)
    }

    // MARK: Training

    @Test func lossFallsOnTheMMGCNToySample() throws {
        let data = try loadDataset("mmgcn-toy")
        let model = try makeModel(GraphSAGEModel.self, data)
        // 2,311 pairs make two batches an epoch, so a larger step shows the fall in ten epochs.
        let result = quickTrain(model, on: data, options: quickOptions(epochs: 10, learningRate: 0.01))
        expectLossFellEveryEpoch(result)
    }

    /// With the pool aggregator and the item features, no L2 term and learning
    /// rate 0.002, five epochs beat most popular by 27% (valid recall@20
    /// 0.0794 at epoch 4, seed 1, Haswell kernel; 0.0831 on Prescott, 0.0883
    /// on SkylakeX). Chosen on validation only (`bench train`, seed 1, valid
    /// recall@20 by epoch). Since the L2 term reads the featured item rows
    /// (revision 1, docs/models/gnn-features.md), the default λ 1e-4 reaches
    /// 0.0630 in five epochs and λ 0 at the default learning rate 0.0712, too
    /// close to the bound; λ 1e-5 at 0.002 gives 0.0752. Pool alone stays at
    /// 0.053-0.062 over 8 epochs. The default mean aggregator does not in a
    /// short run: its L2-normalised last layer makes y_ui a cosine, which cannot
    /// carry item popularity, and its loss stalls near 0.37.
    @Test func beatsMostPopularByTenPercentOnTikTokValidation() throws {
        let data = try loadDataset("tiktok")
        let model = try makeModel(GraphSAGEModel.self, data, ["aggregator": .string("pool"), "features": .bool(true),
                                                              "reg_weight": .double(0)])
        let result = quickTrain(model, on: data, options: quickOptions(epochs: 5, learningRate: 0.002))
        try expectValidRecall(result, above: 1.1, ofMostPopularOn: data, "GraphSAGE (pool, features)")
    }
}
