import Foundation
import GAT
import GraphKit
@testable import DisenGCN
@testable import GraphSAGE
@testable import NGCF
import RecommenderCore
import Testing
import TestSupport

/// The L2 term of the four GNN baselines with `features: true`
/// (docs/models/gnn-features.md, "The L2 term"): all four read the item rows
/// as their first layer does, λ/(2B) Σ_batch (‖e⁰_u‖² + ‖x⁰_i‖² + ‖x⁰_j‖²)
/// with x⁰_i = e⁰_i + W_f f_i + b_f, so the term also pulls on W_f and b_f.
@Suite struct FeatureRegulariserTests {
    static let batch = TrainingBatch(users: [0, 4, 9, 13, 20], positives: [0, 1, 3, 5, 7], negatives: [6, 2, 7, 0, 4])
    static let lambda = 0.5

    /// A model with its ID tables and its feature input.
    struct Built {
        let model: Recommender
        let users: Parameter
        let items: Parameter
        let input: ItemFeatureInput
    }

    static func build(_ name: String, _ data: Dataset, regWeight: Double) throws -> Built {
        let given: [String: HyperparameterValue] = ["features": .bool(true), "embedding_size": .int(8),
                                                    "reg_weight": .double(regWeight)]
        let built: Built
        switch name {
        case "NGCF":
            let m = try makeModel(NGCFModel.self, data, given.merging(["mess_dropout": .double(0)]) { $1 })
            built = Built(model: m, users: m.userEmbedding, items: m.itemEmbedding, input: try #require(m.itemFeatures))
        case "GAT":
            let m = try makeModel(GATModel.self, data, given)
            built = Built(model: m, users: m.userEmbedding, items: m.itemEmbedding, input: try #require(m.itemFeatures))
        case "GraphSAGE":
            let m = try makeModel(GraphSAGEModel.self, data, given)
            built = Built(model: m, users: m.userEmbedding, items: m.itemEmbedding, input: try #require(m.itemFeatures))
        default:
            let m = try makeModel(DisenGCNModel.self, data, given)
            built = Built(model: m, users: m.userEmbedding, items: m.itemEmbedding, input: try #require(m.itemFeatures))
        }
        // W_f and b_f set so that the feature term is about as large as e⁰_i
        // (|W_f f_i| ≤ 0.5, b_f from 0.3 to 1.0): the two readings of the
        // regulariser then differ by far more than rounding.
        let f = built.input.features
        let largest = Double(f.scalars.map(abs).max() ?? 1)
        let w = built.input.projection.weight
        let scale = 0.5 / (largest * Double(f.cols))
        w.value = Tensor(rows: w.value.rows, cols: w.value.cols,
                         scalars: (0..<w.value.count).map { Float(scale * sin(Double($0) + 1)) })
        let b = try #require(built.input.projection.bias)
        b.value = Tensor(rows: 1, cols: b.value.cols, scalars: (0..<b.value.cols).map { 0.3 + 0.1 * Float($0) })
        return built
    }

    /// λ/(2B) Σ_batch (‖u‖² + ‖i‖² + ‖j‖²) over rows given by plain loops, in Double.
    static func l2(_ users: (Int) -> [Double], _ items: (Int) -> [Double]) -> Double {
        func squared(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 } }
        var total = 0.0
        for k in 0..<batch.count {
            total += squared(users(Int(batch.users[k]))) + squared(items(Int(batch.positives[k])))
                + squared(items(Int(batch.negatives[k])))
        }
        return lambda / Double(2 * batch.count) * total
    }

    @Test(arguments: ["NGCF", "GAT", "GraphSAGE", "DisenGCN"])
    func theL2TermReadsTheItemRowsWithTheirFeatureTerm(model name: String) throws {
        let data = try tinyDataset()
        let with = try Self.build(name, data, regWeight: Self.lambda)
        let without = try Self.build(name, data, regWeight: 0)
        var r1 = RandomGenerator(seed: 3), r2 = RandomGenerator(seed: 3)
        let term = Double(with.model.loss(Self.batch, on: Tape(), rng: &r1).value.scalar)
            - Double(without.model.loss(Self.batch, on: Tape(), rng: &r2).value.scalar)

        let (e, u) = (with.items.value, with.users.value)
        let (f, w, b) = (with.input.features, with.input.projection.weight.value, with.input.projection.bias!.value)
        func userRow(_ r: Int) -> [Double] { (0..<u.cols).map { Double(u[r, $0]) } }
        func idRow(_ i: Int) -> [Double] { (0..<e.cols).map { Double(e[i, $0]) } }
        // x⁰_i = e⁰_i + W_f f_i + b_f.
        func inputRow(_ i: Int) -> [Double] {
            (0..<e.cols).map { k in
                var x = Double(e[i, k]) + Double(b[0, k])
                for c in 0..<f.cols { x += Double(w[k, c]) * Double(f[i, c]) }
                return x
            }
        }
        let expected = Self.l2(userRow, inputRow)
        let idReading = Self.l2(userRow, idRow)
        #expect(abs(idReading - expected) > 0.1 * expected, "\(name): the readings differ too little to tell apart")
        #expect(abs(term - expected) <= 1e-3 * expected, "\(name): L2 term \(term), expected \(expected) (ID rows alone: \(idReading))")
    }
}
