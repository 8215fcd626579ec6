import DualGNN
import GraphKit
import GRCN
import MMGCN
import RecommenderCore
import Testing

/// MMRec's evaluation of MMGCN, GRCN and DualGNN (`compat` "mmrec:last_batch_eval"):
/// scores from the representation the last training batch computed, before
/// the optimiser's step, not from the current parameters.
@Suite struct LastBatchEvalTests {
    let batch = TrainingBatch(users: [0, 3, 5, 9], positives: [0, 1, 2, 6], negatives: [4, 5, 7, 3])

    /// Records a batch, moves every parameter, and checks that the scorer gives
    /// the scores of the representation at the batch (computed here as a fresh
    /// scorer of the same parameters before the move), not those after it.
    func expectScoresFromTheLastBatch(_ model: Recommender, fresh: Recommender, _ label: String) throws {
        // `fresh` has the same seed and settings without the switch: the same parameters.
        #expect(throws: LastBatchError.self, "\(label): no batch has run yet") { _ = try model.makeScorer() }
        var rng = RandomGenerator(seed: 1)
        _ = model.loss(batch, on: Tape(), rng: &rng)
        let users: [Int32] = [0, 1, 2, 3, 4, 5]
        let atTheBatch = try fresh.makeScorer().scores(users: users)
        // An optimiser step, in effect: every parameter of both models moves.
        for p in model.parameters + fresh.parameters { p.value = p.value.scaled(by: 1.5) }
        let cached = try model.makeScorer().scores(users: users)
        let afterTheStep = try fresh.makeScorer().scores(users: users)
        var largest = 0.0, moved = 0.0
        for k in 0..<cached.count {
            largest = max(largest, abs(Double(cached.scalars[k]) - Double(atTheBatch.scalars[k])))
            moved = max(moved, abs(Double(afterTheStep.scalars[k]) - Double(atTheBatch.scalars[k])))
        }
        #expect(largest < 1e-5, "\(label): cached scores differ from the batch's by \(largest)")
        #expect(moved > 1e-3, "\(label): the step did not change fresh scores (\(moved))")
    }

    @Test func mmgcnScoresFromTheLastBatch() throws {
        let data = try tinyDataset()
        let given: [String: HyperparameterValue] = ["embedding_size": .int(4), "latent_dim": .int(8)]
        let model = try makeModel(MMGCNModel.self, data, given.merging(["compat": .string("mmrec:last_batch_eval")]) { $1 })
        try expectScoresFromTheLastBatch(model, fresh: try makeModel(MMGCNModel.self, data, given), "MMGCN")
    }

    @Test func grcnScoresFromTheLastBatch() throws {
        let data = try tinyDataset()
        let given: [String: HyperparameterValue] = ["embedding_size": .int(4), "latent_dim": .int(4)]
        let model = try makeModel(GRCNModel.self, data, given.merging(["compat": .string("mmrec:last_batch_eval")]) { $1 })
        try expectScoresFromTheLastBatch(model, fresh: try makeModel(GRCNModel.self, data, given), "GRCN")
    }

    @Test func dualgnnScoresFromTheLastBatch() throws {
        // k = 1 and no resampling: the training and the evaluation user graph are the same sample.
        let data = try tinyDataset()
        let given: [String: HyperparameterValue] = ["embedding_size": .int(4), "k": .int(1),
                                                    "resample_neighbours": .bool(false)]
        let model = try makeModel(DualGNNModel.self, data, given.merging(["compat": .string("mmrec:last_batch_eval")]) { $1 })
        try expectScoresFromTheLastBatch(model, fresh: try makeModel(DualGNNModel.self, data, given), "DualGNN")
    }

    @Test func onlyTheSwitchAddsBuffers() throws {
        let data = try tinyDataset()
        #expect(try makeModel(GRCNModel.self, data).buffers.isEmpty)
        #expect(try makeModel(GRCNModel.self, data, ["compat": .string("mmrec")]).buffers.count == 2)
        #expect(try makeModel(MMGCNModel.self, data, ["compat": .string("mmrec:frozen_tables")]).buffers.isEmpty)
        #expect(try makeModel(DualGNNModel.self, data, ["compat": .string("mmrec:last_batch_eval")]).buffers.count == 2)
    }
}
