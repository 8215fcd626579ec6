import DualGNN
import Foundation
import GraphKit
import RecommenderCore
import Testing
import TestSupport

@Suite struct DualGNNTests {
    // MARK: Gradients

    @Test func gradientOfTheWholeLossMatchesFiniteDifferences() throws {
        let data = try tinyDataset()
        let batch = try tinyBatch(data)
        // Every construction with the default user aggregation, the mean aggregation,
        // and compat "mmrec" (log2 loss, β in the regulariser, the reference's padding).
        let variants: [[String: HyperparameterValue]] = [
            [:], ["construction": .string("mean")], ["construction": .string("max")],
            ["construction": .string("cat_mlp")], ["user_aggregation": .string("mean")],
            ["compat": .string("mmrec")],
        ]
        for variant in variants {
            // k = 2: tinyDataset's users share few items, so a small k keeps the top-k graph real.
            let given = variant.merging(["embedding_size": .int(3), "k": .int(2), "reg_weight": .double(0.1)]) { a, _ in a }
            var model = try makeModel(DualGNNModel.self, data, given)
            if variant["construction"] == .string("max") {
                // Central differences need every r_u^visual − r_u^acoustic away from the
                // max's kink: the first seed whose smallest gap is 0.05.
                func gap(_ model: DualGNNModel) -> Float {
                    let r = model.representations(on: Tape.noGrad()).userModal.map(\.value)
                    return zip(r[0].scalars, r[1].scalars).map { abs($0 - $1) }.min()!
                }
                var seed: UInt64 = 1
                while gap(model) < 0.05 && seed < 100 {
                    seed += 1
                    model = try makeModel(DualGNNModel.self, data, given, seed: seed)
                }
                try #require(gap(model) >= 0.05, "max: no seed below 100 separates the modalities")
            }
            // P_m × 10 leaves x = normalise(P_m ‖ …) and so the scores unchanged, and
            // shrinks the step's effect on x tenfold (‖P_u‖ ≈ 0.45 at d = 3).
            for branch in model.branches { branch.preference.value = branch.preference.value.scaled(by: 10) }
            // The small tables in full: P_m, α, β, the second projection of each branch, the cat map.
            let checked = model.branches.flatMap { [$0.preference] + $0.output.parameters }
                + [model.modalityWeights, model.itemModalityWeights].compactMap { $0 }
                + (model.concatenationMap?.parameters ?? [])
            let loss = { (tape: Tape) -> Variable in
                var rng = RandomGenerator(seed: 1)
                return model.loss(batch, on: tape, rng: &rng)
            }
            // The check is not vacuous: every checked parameter moves the loss.
            let tape = Tape()
            tape.backward(from: loss(tape))
            for p in checked {
                #expect(p.grad.scalars.map { $0 * $0 }.reduce(0, +) > 1e-10, "\(variant): \(p.name) has no gradient")
            }
            for p in checked { p.zeroGrad() }
            let check = gradientCheck(parameters: checked, loss)
            #expect(check.relativeError < gradientTolerance, "\(variant): relative error \(check.relativeError)")
        }
    }

    // MARK: Training

    @Test func lossFallsOnTheMMGCNToySample() throws {
        let data = try loadDataset("mmgcn-toy")
        let model = try makeModel(DualGNNModel.self, data)
        // Two batches an epoch; the second epoch's loss can exceed the first (steps on
        // the raw features turn the normalised item vectors), the trend is down.
        let result = quickTrain(model, on: data, options: quickOptions(epochs: 10))
        #expect(result.status == .finished)
        let losses = result.epochs.map(\.loss)
        #expect(losses.last! < 0.8 * losses.first!, "\(losses)")
        #expect(losses.suffix(3).max()! < losses.prefix(3).min()!, "\(losses)")
    }

    /// Defaults (lr 0.001, λ 1e-4, k 40, weighted_sum, softmax): best valid
    /// recall@20 0.0699 at epoch 4 (1.11 × most popular, seed 1), the same best
    /// over 10 epochs, and 0.0607 at lr 0.005: too close to 1.1 × for a bound
    /// that must hold on any kernel, so the test asks for 90%, cleared by 24%.
    @Test func comesWithinTenPercentOfMostPopularOnTikTokValidation() throws {
        let data = try loadDataset("tiktok")
        let result = quickTrain(try makeModel(DualGNNModel.self, data), on: data, options: quickOptions(epochs: 6))
        try expectValidRecall(result, above: 0.9, ofMostPopularOn: data, "DualGNN")
    }

    // MARK: The computation, against plain loops

    @Test func singleModalConvolutionMatchesPlainLoops() throws {
        // r^m = x + Â x + Â² x with x = normalise(P_m ‖ W2 LeakyReLU(W1 f + b1) + b2),
        // Â_ui = 1/√(|N(u)| |N(i)|), recomputed in Double from the edge list.
        let data = try tinyDataset()
        let model = try makeModel(DualGNNModel.self, data, ["embedding_size": .int(3), "k": .int(2)])
        let r = model.representations(on: Tape.noGrad())
        for (m, branch) in model.branches.enumerated() {
            let expected = referenceConvolution(branch, features: data.features[m].matrix, graph: data.graph)
            #expect(maxDifference(r.userModal[m].value, expected.users) < 1e-4, "\(branch.modality) users")
            #expect(maxDifference(r.itemModal[m].value, expected.items) < 1e-4, "\(branch.modality) items")
        }
        // i* = Σ_m r_i^m.
        var items = [[Double]](repeating: [Double](repeating: 0, count: 3), count: data.itemCount)
        for modal in r.itemModal { for i in 0..<data.itemCount { for c in 0..<3 { items[i][c] += Double(modal.value[i, c]) } } }
        #expect(maxDifference(r.items.value, items) < 1e-5)
    }

    @Test func eachConstructionMatchesPlainLoops() throws {
        let data = try tinyDataset()
        var losses: [String: Float] = [:]
        for construction in ["weighted_sum", "mean", "max", "cat_mlp"] {
            let model = try makeModel(DualGNNModel.self, data, ["embedding_size": .int(3), "k": .int(2),
                                                                "construction": .string(construction)])
            let r = model.representations(on: Tape.noGrad())
            let modal = r.userModal.map(\.value)
            var expected: [[Double]] = []
            for u in 0..<data.userCount {
                var row = [Double](repeating: 0, count: 3)
                for c in 0..<3 {
                    let values = modal.map { Double($0[u, c]) }
                    switch construction {
                    case "weighted_sum":
                        // ũ_u = Σ_m α_{u,m} r_u^m.
                        let alpha = model.modalityWeights!.value
                        row[c] = values.indices.map { Double(alpha[u, $0]) * values[$0] }.reduce(0, +)
                    case "mean": row[c] = values.reduce(0, +) / Double(values.count)
                    case "max": row[c] = values.max()!
                    default:
                        // W [r^visual ‖ r^acoustic] + b, W of shape d × M·d.
                        let map = model.concatenationMap!
                        let concatenated = modal.flatMap { t in (0..<3).map { Double(t[u, $0]) } }
                        row[c] = Double(map.bias!.value[0, c])
                            + concatenated.indices.map { Double(map.weight.value[c, $0]) * concatenated[$0] }.reduce(0, +)
                    }
                }
                expected.append(row)
            }
            #expect(maxDifference(r.constructedUsers.value, expected) < 1e-5, "\(construction)")
            var rng = RandomGenerator(seed: 1)
            losses[construction] = model.loss(try tinyBatch(data), on: Tape.noGrad(), rng: &rng).value.scalar
        }
        // Four different computations on the same parameters (same seed, same draws before them).
        #expect(Set(losses.values).count == 4, "\(losses)")
    }

    @Test func weightedSumStartsAtASoftmaxAndIsUnconstrainedAfter() throws {
        let data = try tinyDataset()
        let model = try makeModel(DualGNNModel.self, data, ["embedding_size": .int(3), "k": .int(2)])
        let alpha = try #require(model.modalityWeights).value
        #expect(alpha.rows == data.userCount && alpha.cols == 2)
        for u in 0..<alpha.rows {
            #expect(abs(alpha[u, 0] + alpha[u, 1] - 1) < 1e-5 && alpha[u, 0] > 0 && alpha[u, 1] > 0)
        }
        // No softmax in the forward pass: α_u = (2, −1) is used as given.
        model.modalityWeights!.value[0, 0] = 2
        model.modalityWeights!.value[0, 1] = -1
        let r = model.representations(on: Tape.noGrad())
        for c in 0..<3 {
            let expected = 2 * r.userModal[0].value[0, c] - r.userModal[1].value[0, c]
            #expect(abs(r.constructedUsers.value[0, c] - expected) < 1e-5)
        }
    }

    @Test func userGraphMessageMatchesPlainLoops() throws {
        // u* = ũ_u + Σ_{v ∈ top-k(u)} w_uv ũ_v with c(u, v) = |N(u) ∩ N(v)| counted by brute force.
        let data = try tinyDataset()
        let k = 3
        let neighbours = bruteForceCooccurrence(data.graph)
        var scores: [String: Tensor] = [:]
        for aggregation in ["softmax", "mean"] {
            let model = try makeModel(DualGNNModel.self, data, ["embedding_size": .int(3), "k": .int(k),
                                                                "user_aggregation": .string(aggregation)])
            let graph = try #require(model.userGraph)
            let r = model.representations(on: Tape.noGrad())
            let tilde = r.constructedUsers.value
            var checkedUnpadded = 0
            for u in 0..<data.userCount {
                let all = neighbours[u]
                let picked = graph.neighbours(of: u)
                if all.isEmpty { #expect(picked.isEmpty); continue }
                #expect(picked.count == k)
                let top = Array(all.prefix(k))
                // Padding repeats the user's own neighbours; without padding it is exactly the top k.
                #expect(picked.allSatisfy { p in top.contains { $0.user == p.user } })
                let counts = picked.map { p in Double(top.first { $0.user == p.user }!.count) }
                if all.count >= k {
                    #expect(picked.map(\.user).sorted() == top.map(\.user).sorted())
                    checkedUnpadded += 1
                }
                // The weights: softmax of the picked counts, or 1/k.
                let e = counts.map { Foundation.exp($0 - counts.max()!) }
                for (j, p) in picked.enumerated() {
                    let w = aggregation == "mean" ? 1 / Double(k) : e[j] / e.reduce(0, +)
                    #expect(abs(Double(p.weight) - w) < 1e-6)
                }
                for c in 0..<3 {
                    var expected = Double(tilde[u, c])
                    for (j, p) in picked.enumerated() {
                        let w = aggregation == "mean" ? 1 / Double(k) : e[j] / e.reduce(0, +)
                        expected += w * Double(tilde[Int(p.user), c])
                    }
                    #expect(abs(Double(r.users.value[u, c]) - expected) < 1e-5, "user \(u)")
                }
            }
            #expect(checkedUnpadded > 5)
            scores[aggregation] = try model.makeScorer().scores(users: Array(0..<Int32(data.userCount)))
        }
        // Counts of 2 and 1 among the neighbours make the softmax differ from the mean.
        #expect(maxDifference(scores["softmax"]!, scores["mean"]!.rowsAsDoubles) > 1e-4)
    }

    @Test func resamplingChangesThePaddingEachEpochAndTheSameSeedRepeatsIt() throws {
        // k = 10 exceeds most tinyDataset users' neighbour counts, so most rows are padded.
        let data = try tinyDataset()
        let given: [String: HyperparameterValue] = ["embedding_size": .int(3), "k": .int(10)]
        func epochs(_ model: DualGNNModel) throws -> [UserGraph] {
            var rng = RandomGenerator(seed: 5)
            var graphs = [try #require(model.userGraph)]
            for epoch in 1...2 {
                try model.prepareEpoch(epoch, rng: &rng)
                graphs.append(try #require(model.userGraph))
            }
            return graphs
        }
        let model = try makeModel(DualGNNModel.self, data, given)
        let batch = try tinyBatch(data)
        func loss() -> Float {
            var rng = RandomGenerator(seed: 1)
            return model.loss(batch, on: Tape.noGrad(), rng: &rng).value.scalar
        }
        // A scorer made before any epoch already uses a user graph: the evaluation sample.
        let evaluation = try #require(model.evaluationUserGraph)
        let before = try model.makeScorer().scores(users: [0, 1, 2])
        let lossBefore = loss()
        let a = try epochs(model)
        let b = try epochs(try makeModel(DualGNNModel.self, data, given))
        #expect(a.map(\.adjacency.source) == b.map(\.adjacency.source))
        #expect(a.map(\.weights) == b.map(\.weights))
        #expect(a[0].adjacency.source != a[1].adjacency.source && a[1].adjacency.source != a[2].adjacency.source)
        // The new padding reaches the loss; the scorer keeps the evaluation sample, so
        // that scores depend on the parameters alone (the trainer restores only those).
        #expect(loss() != lossBefore)
        #expect(try model.makeScorer().scores(users: [0, 1, 2]).scalars == before.scalars)
        #expect(model.evaluationUserGraph!.adjacency.source == evaluation.adjacency.source)
        #expect(a[0].adjacency.source == evaluation.adjacency.source)
        // The scorer is u*·i* over the evaluation sample.
        let r = model.representations(on: Tape.noGrad(), userGraph: evaluation)
        for (row, u) in [0, 1, 2].enumerated() {
            for i in [0, 5] {
                let y = (0..<3).map { Double(r.users.value[u, $0]) * Double(r.items.value[i, $0]) }.reduce(0, +)
                #expect(abs(Double(before[row, i]) - y) < 1e-5)
            }
        }
        // resample_neighbours false: sampled once at initialisation, kept.
        let fixed = try epochs(try makeModel(DualGNNModel.self, data, given.merging(["resample_neighbours": .bool(false)]) { a, _ in a }))
        #expect(fixed[0].adjacency.source == fixed[2].adjacency.source && fixed[0].adjacency.source == a[0].adjacency.source)
    }

    @Test func modalitiesSelectTheBranches() throws {
        let data = try tinyDataset()
        let both = try makeModel(DualGNNModel.self, data, ["embedding_size": .int(3), "k": .int(2)])
        let visual = try makeModel(DualGNNModel.self, data, ["embedding_size": .int(3), "k": .int(2),
                                                             "modalities": .list(["visual"])])
        #expect(both.branches.map(\.modality) == [.visual, .acoustic])
        #expect(visual.branches.map(\.modality) == [.visual])
        #expect(visual.modalityWeights!.value.cols == 1)
        let (s1, s2) = (try both.makeScorer().scores(users: [0]), try visual.makeScorer().scores(users: [0]))
        #expect(s1.scalars != s2.scalars)
    }

    // MARK: compat "mmrec"

    @Test func lossIsBPRPlusThePapersRegulariserOrMMRecsInLog2() throws {
        // Recomputed in Double from the representations and the parameters:
        // paper  BPR + λ (Σ_m mean_b ‖P_m[u_b]‖²/d + mean α²),
        // mmrec  BPR / ln 2 + λ (Σ_m mean(P_m[batch]²) + mean α² + mean β²).
        let data = try tinyDataset()
        let batch = try tinyBatch(data)
        let lambda = 0.5
        for compat in ["paper", "mmrec"] {
            let model = try makeModel(DualGNNModel.self, data, ["embedding_size": .int(3), "k": .int(2),
                                                                "reg_weight": .double(lambda), "compat": .string(compat)])
            let r = model.representations(on: Tape.noGrad())
            var bpr = 0.0
            for b in 0..<batch.count {
                var diff = 0.0
                for c in 0..<3 {
                    let u = Double(r.users.value[Int(batch.users[b]), c])
                    diff += u * Double(r.items.value[Int(batch.negatives[b]), c] - r.items.value[Int(batch.positives[b]), c])
                }
                bpr += Foundation.log(1 + Foundation.exp(diff)) / Double(batch.count)
            }
            var reg = 0.0
            for branch in model.branches {
                for u in batch.users { for c in 0..<3 { reg += pow(Double(branch.preference.value[Int(u), c]), 2) } }
            }
            reg /= Double(batch.count * 3)
            reg += meanSquare(model.modalityWeights!.value)
            if compat == "mmrec" {
                let beta = try #require(model.itemModalityWeights)
                #expect(beta.value.rows == data.itemCount && beta.value.cols == 2)
                #expect(meanSquare(beta.value) > 0.1)
                reg += meanSquare(beta.value)
                bpr /= Foundation.log(2)
            } else {
                #expect(model.itemModalityWeights == nil)
            }
            var rng = RandomGenerator(seed: 1)
            let loss = Double(model.loss(batch, on: Tape.noGrad(), rng: &rng).value.scalar)
            let expected = bpr + lambda * reg
            #expect(abs(loss - expected) < 1e-5 * max(1, expected), "\(compat): \(loss) vs \(expected)")
        }
    }

    @Test func mmrecPadsFromTheListPaddedSoFar() throws {
        // A user with few neighbours padded to k = 40: drawn uniformly from its own
        // neighbours (paper), the share of its first neighbour in the padding stays
        // near 1/n; drawn from the growing list (MMRec, a Pólya urn), it wanders,
        // with a standard deviation several times larger.
        let data = try loadDataset("mmgcn-toy")
        var spread: [String: Double] = [:]
        for compat in ["paper", "mmrec"] {
            let model = try makeModel(DualGNNModel.self, data, ["embedding_size": .int(3), "compat": .string(compat)])
            let counts = model.cooccurrence.neighbours.map(\.count)
            let u = try #require(counts.indices.filter { counts[$0] >= 2 }.min { counts[$0] < counts[$1] })
            let (first, n) = (model.cooccurrence.neighbours[u][0], counts[u])
            var rng = RandomGenerator(seed: 3)
            var shares: [Double] = []
            for epoch in 1...300 {
                try model.prepareEpoch(epoch, rng: &rng)
                let picked = model.userGraph!.neighbours(of: u).map(\.user)
                // Every neighbour once, then 40 − n padding draws.
                shares.append(Double(picked.filter { $0 == first }.count - 1) / Double(40 - n))
            }
            let mean = shares.reduce(0, +) / Double(shares.count)
            spread[compat] = (shares.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(shares.count)).squareRoot()
        }
        #expect(spread["mmrec"]! > 1.8 * spread["paper"]!, "\(spread)")
    }

    @Test func refusesFlagsThatContradictMMRecAndDatasetsWithoutFeatures() throws {
        let data = try tinyDataset()
        for flag: (String, HyperparameterValue) in [("construction", .string("mean")), ("user_aggregation", .string("mean")),
                                                    ("resample_neighbours", .bool(false))] {
            #expect(throws: ConfigError.self) {
                try makeModel(DualGNNModel.self, data, ["compat": .string("mmrec"), flag.0: flag.1])
            }
        }
        // The values MMRec's port uses are accepted explicitly.
        _ = try makeModel(DualGNNModel.self, data, ["compat": .string("mmrec"), "construction": .string("weighted_sum"),
                                                    "user_aggregation": .string("softmax"), "resample_neighbours": .bool(true)])
        #expect(throws: ConfigError.self) { try makeModel(DualGNNModel.self, try loadDataset("baby")) }
        #expect(throws: ConfigError.self) { try makeModel(DualGNNModel.self, data, ["modalities": .list(["textual"])]) }
    }
}

// MARK: Helpers, independent of the model's code

/// r^m for users and items, in Double, from the branch's parameters and the edge list.
private func referenceConvolution(_ branch: SingleModalConvolution, features f: Tensor, graph: BipartiteGraph)
    -> (users: [[Double]], items: [[Double]])
{
    let (w1, b1, w2, b2) = (branch.hidden.weight.value, branch.hidden.bias!.value,
                            branch.output.weight.value, branch.output.bias!.value)
    let (hidden, d) = (w1.rows, w2.rows)
    func normalised(_ v: [Double]) -> [Double] {
        let n = v.map { $0 * $0 }.reduce(0, +).squareRoot()
        return v.map { $0 / n }
    }
    let items = (0..<f.rows).map { i -> [Double] in
        let h = (0..<hidden).map { r -> Double in
            let z = Double(b1[0, r]) + (0..<f.cols).map { Double(w1[r, $0]) * Double(f[i, $0]) }.reduce(0, +)
            return z > 0 ? z : 0.01 * z
        }
        return normalised((0..<d).map { c in Double(b2[0, c]) + (0..<hidden).map { Double(w2[c, $0]) * h[$0] }.reduce(0, +) })
    }
    let users = (0..<graph.userCount).map { u in normalised((0..<d).map { Double(branch.preference.value[u, $0]) }) }
    var du = [Double](repeating: 0, count: graph.userCount), di = [Double](repeating: 0, count: graph.itemCount)
    for e in 0..<graph.edgeCount { du[Int(graph.edgeUsers[e])] += 1; di[Int(graph.edgeItems[e])] += 1 }
    func hop(_ xu: [[Double]], _ xi: [[Double]]) -> ([[Double]], [[Double]]) {
        var (yu, yi) = (xu.map { $0.map { _ in 0.0 } }, xi.map { $0.map { _ in 0.0 } })
        for e in 0..<graph.edgeCount {
            let (u, i) = (Int(graph.edgeUsers[e]), Int(graph.edgeItems[e]))
            let w = 1 / (du[u] * di[i]).squareRoot()
            for c in 0..<d { yu[u][c] += w * xi[i][c]; yi[i][c] += w * xu[u][c] }
        }
        return (yu, yi)
    }
    let (h1u, h1i) = hop(users, items)
    let (h2u, h2i) = hop(h1u, h1i)
    func add(_ a: [[Double]], _ b: [[Double]], _ c: [[Double]]) -> [[Double]] {
        a.indices.map { r in a[r].indices.map { a[r][$0] + b[r][$0] + c[r][$0] } }
    }
    return (add(users, h1u, h2u), add(items, h1i, h2i))
}

/// Each user's co-occurring users with counts |N(u) ∩ N(v)|, by count descending then id.
private func bruteForceCooccurrence(_ graph: BipartiteGraph) -> [[(user: Int32, count: Int)]] {
    var itemsOf = [Set<Int32>](repeating: [], count: graph.userCount)
    for e in 0..<graph.edgeCount { itemsOf[Int(graph.edgeUsers[e])].insert(graph.edgeItems[e]) }
    return (0..<graph.userCount).map { u in
        (0..<graph.userCount).compactMap { v -> (user: Int32, count: Int)? in
            let c = itemsOf[u].intersection(itemsOf[v]).count
            return v != u && c > 0 ? (Int32(v), c) : nil
        }.sorted { $0.count != $1.count ? $0.count > $1.count : $0.user < $1.user }
    }
}

/// Largest |a[r, c] − b[r][c]|.
private func maxDifference(_ a: Tensor, _ b: [[Double]]) -> Double {
    var worst = 0.0
    for r in 0..<a.rows { for c in 0..<a.cols { worst = max(worst, abs(Double(a[r, c]) - b[r][c])) } }
    return worst
}

/// mean(t²) over all entries.
private func meanSquare(_ t: Tensor) -> Double {
    t.scalars.map { Double($0) * Double($0) }.reduce(0, +) / Double(t.count)
}

extension Tensor {
    /// The rows as arrays of Double.
    fileprivate var rowsAsDoubles: [[Double]] { (0..<rows).map { row($0).map(Double.init) } }
}
