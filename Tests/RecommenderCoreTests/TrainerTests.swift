import Foundation
import GraphKit
import Testing
@testable import RecommenderCore

/// A test-only model whose scores are chosen by the epoch: its one parameter
/// holds the epoch number, set in `prepareEpoch`, and receives no gradient.
/// Epoch 1 scores well on validation and badly on test; later epochs the reverse.
final class ScriptedModel: Recommender {
    static let name = "Scripted"
    static let hyperparameters: [HyperparameterSpec] = [
        .integer("nan_from_epoch", default: 0, in: 0...100, "epoch from which the loss is NaN (0: never)"),
        .boolean("rising", default: false, "epoch 1 ranks each valid item second, later epochs first"),
    ]
    let epoch = Parameter(Tensor(scalar: 0), name: "epoch")
    let nanFrom: Int
    let rising: Bool
    let validGood: Tensor, testGood: Tensor
    /// Each user's valid item second, after item 5: NDCG@2 = 1/log₂3 = 0.6309.
    let validSecond = Tensor([[0, 0, 5, 0, 0, 9], [0, 0, 0, 5, 0, 9], [0, 0, 0, 0, 0, 0]])

    init(dataset: Dataset, hyperparameters: Hyperparameters, seed: UInt64) throws {
        nanFrom = hyperparameters.int("nan_from_epoch")
        rising = hyperparameters.bool("rising")
        // See EvaluatorTests for the dataset. u0: valid {2}, test {3}; u1: valid {3}, test {4}.
        validGood = Tensor([[0, 0, 9, 0, 5, 0], [0, 0, 0, 9, 0, 5], [0, 0, 0, 0, 0, 0]])
        testGood = Tensor([[0, 0, 0, 9, 0, 0], [0, 0, 0, 0, 9, 0], [0, 0, 0, 0, 0, 0]])
    }

    var parameters: [Parameter] { [epoch] }

    func prepareEpoch(_ epoch: Int, rng: inout RandomGenerator) throws {
        self.epoch.value = Tensor(scalar: Float(epoch))
    }

    func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        let e = Int(epoch.value.scalar)
        let factor: Float = nanFrom > 0 && e >= nanFrom ? .nan : 0
        return scale(sum(tape.watch(epoch)), by: factor)
    }

    func makeScorer() throws -> Scorer {
        if rising { return FixedScorer(matrix: epoch.value.scalar <= 1 ? validSecond : validGood) }
        return FixedScorer(matrix: epoch.value.scalar <= 1 ? validGood : testGood)
    }
}

/// A test-only model that scores, as MMRec's `last_batch_eval` does, from a
/// representation its loss caches: epoch 1's cache scores well on validation
/// and badly on test, later epochs' the reverse (as `ScriptedModel`).
final class CachingScriptedModel: Recommender {
    static let name = "CachingScripted"
    static let hyperparameters: [HyperparameterSpec] = []
    let epoch = Parameter(Tensor(scalar: 0), name: "epoch")
    let cache = LastBatchRepresentation()
    let validGood: Tensor, testGood: Tensor

    init(dataset: Dataset, hyperparameters: Hyperparameters, seed: UInt64) throws {
        validGood = Tensor([[0, 0, 9, 0, 5, 0], [0, 0, 0, 9, 0, 5], [0, 0, 0, 0, 0, 0]])
        testGood = Tensor([[0, 0, 0, 9, 0, 0], [0, 0, 0, 0, 9, 0], [0, 0, 0, 0, 0, 0]])
    }

    var parameters: [Parameter] { [epoch] }
    var buffers: [Parameter] { cache.buffers }

    func prepareEpoch(_ epoch: Int, rng: inout RandomGenerator) throws {
        self.epoch.value = Tensor(scalar: Float(epoch))
    }

    func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        // Users' vectors are the score rows, items the identity: u · i is the score matrix.
        let users = epoch.value.scalar <= 1 ? validGood : testGood
        var identity = Tensor(rows: 6, cols: 6)
        for i in 0..<6 { identity[i, i] = 1 }
        cache.record(users: tape.constant(users), items: tape.constant(identity))
        return scale(sum(tape.watch(epoch)), by: 0)
    }

    func makeScorer() throws -> Scorer { try cache.scorer() }
}

@Suite struct TrainerTests {
    let dataset: Dataset
    init() throws {
        dataset = try makeDataset([(0, 0, .train), (0, 1, .train), (0, 2, .valid), (0, 3, .test),
                                   (1, 2, .train), (1, 3, .valid), (1, 4, .test), (2, 5, .test)])
    }

    func train(_ given: [String: HyperparameterValue], epochs: Int, patience: Int,
               metric: MetricKey = MetricKey(.recall, at: 1), validDecimals: Int? = nil) throws -> TrainingResult {
        var options = TrainingOptions()
        options.epochs = epochs
        options.patience = patience
        options.validMetric = metric
        options.validDecimals = validDecimals
        let evaluator = Evaluator(dataset: dataset, protocol: EvaluationProtocol(metrics: [metric]))
        let model = try ScriptedModel(dataset: dataset, hyperparameters: Hyperparameters(
            given, specs: ScriptedModel.hyperparameters, model: "Scripted"), seed: 1)
        return Trainer(dataset: dataset, options: options, evaluator: evaluator)
            .train(model, seed: 1, progress: ProgressReporter(label: "test", mode: .quiet))
    }

    @Test func testMetricsComeFromTheBestValidationEpochOnly() throws {
        // Epoch 1: valid recall@1 = 1 (both users), test recall@1 = 0.
        // Epochs 2 and 3: valid recall@1 = 0, test recall@1 = 1. Patience 2 stops after epoch 3.
        let result = try train([:], epochs: 10, patience: 2)
        #expect(result.status == .finished)
        #expect(result.bestEpoch == 1)
        #expect(result.epochs.count == 3)
        #expect(result.valid![MetricKey(.recall, at: 1)] == 1)
        #expect(result.test![MetricKey(.recall, at: 1)] == 0)
        #expect(result.stopReason.contains("early stop at epoch 3"))
    }

    @Test func validDecimalsDecideTheBestEpochAndTheStop() throws {
        // Valid NDCG@2: epoch 1 0.6309 (each valid item second), epochs 2-5 1.0 (first).
        let ndcg = MetricKey(.ndcg, at: 2)
        let exact = try train(["rising": .bool(true)], epochs: 5, patience: 2, metric: ndcg)
        #expect(exact.bestEpoch == 2 && exact.epochs.count == 4)
        #expect(abs(exact.epochs[0].valid![ndcg]! - 1 / log2(3.0)) < 1e-12)
        // To one decimal 0.6 < 1.0: the same.
        let one = try train(["rising": .bool(true)], epochs: 5, patience: 2, metric: ndcg, validDecimals: 1)
        #expect(one.bestEpoch == 2 && one.epochs.count == 4)
        // To no decimals both are 1: epoch 2 is no gain; stop after epoch 3, best epoch 1.
        let none = try train(["rising": .bool(true)], epochs: 5, patience: 2, metric: ndcg, validDecimals: 0)
        #expect(none.bestEpoch == 1 && none.epochs.count == 3)
        #expect(none.stopReason.contains("(rounded to 0 decimals)"))
        // The run reports the metrics themselves, not their rounded values.
        #expect(none.valid![ndcg] == exact.epochs[0].valid![ndcg])
    }

    @Test func theTestScoresTheBestEpochsCachedRepresentation() throws {
        // The cache is a buffer: restored with the parameters of epoch 1, so the
        // test scores epoch 1's cache (test recall@1 0), not the last epoch's (1).
        var options = TrainingOptions()
        options.epochs = 10
        options.patience = 2
        options.validMetric = MetricKey(.recall, at: 1)
        let evaluator = Evaluator(dataset: dataset, protocol: EvaluationProtocol(metrics: [MetricKey(.recall, at: 1)]))
        let model = try CachingScriptedModel(dataset: dataset, hyperparameters: Hyperparameters(
            [:], specs: [], model: "CachingScripted"), seed: 1)
        let result = Trainer(dataset: dataset, options: options, evaluator: evaluator)
            .train(model, seed: 1, progress: ProgressReporter(label: "test", mode: .quiet))
        #expect(result.status == .finished)
        #expect(result.bestEpoch == 1 && result.epochs.count == 3)
        #expect(result.valid![MetricKey(.recall, at: 1)] == 1)
        #expect(result.test![MetricKey(.recall, at: 1)] == 0)
    }

    @Test func aNaNLossFailsTheRunWithAReasonInsteadOfCrashing() throws {
        let result = try train(["nan_from_epoch": .int(2)], epochs: 5, patience: 5)
        #expect(result.status == .failed)
        #expect(result.failure!.contains("loss is nan at epoch 2"))
        #expect(result.test == nil)
        #expect(result.epochs.count == 1)
    }

    @Test func aResultEncodesAsJSONWithMetricNamesAsKeys() throws {
        let result = try train([:], epochs: 1, patience: 1)
        let json = String(decoding: try JSONEncoder().encode(result), as: UTF8.self)
        #expect(json.contains("\"recall@1\":1"))
        let back = try JSONDecoder().decode(TrainingResult.self, from: Data(json.utf8))
        #expect(back.test!.values == result.test!.values)
    }
}

/// One learned score per item whose learning rate is 0 in epoch 2, and which
/// records each batch's size and nominal size and its parameter at the start
/// of every epoch.
final class ScheduledItemBias: Recommender {
    static let name = "ScheduledItemBias"
    static let hyperparameters: [HyperparameterSpec] = []
    let bias: Parameter
    let users: Int
    var atEpochStart: [Tensor] = []
    var sizes: [(count: Int, nominal: Int)] = []

    init(dataset: Dataset, hyperparameters: Hyperparameters, seed: UInt64) throws {
        var rng = RandomGenerator(seed: seed)
        bias = Parameter(Initializer.xavierUniform(rows: dataset.itemCount, cols: 1, rng: &rng), name: "item_bias")
        users = dataset.userCount
    }

    var parameters: [Parameter] { [bias] }
    func prepareEpoch(_ epoch: Int, rng: inout RandomGenerator) throws { atEpochStart.append(bias.value) }
    func learningRateFactor(epoch: Int) -> Double { epoch == 2 ? 0 : 1 }

    func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        sizes.append((batch.count, batch.nominalSize))
        let b = tape.watch(bias)
        return bprLoss(positive: gatherRows(b, batch.positives), negative: gatherRows(b, batch.negatives))
    }

    func makeScorer() throws -> Scorer {
        DotProductScorer(users: Tensor(rows: users, cols: 1, repeating: 1), items: bias.value)
    }
}

@Suite struct TrainerScheduleTests {
    /// A factor of 0 in epoch 2 leaves the parameter where epoch 1 left it;
    /// epochs 1 and 3 move it. Every batch carries the configured size, the
    /// last one of an epoch fewer triples: 7 training pairs in batches of 3.
    @Test func aModelsLearningRateFactorAndTheNominalBatchSize() throws {
        let triples: [(Int32, Int32, Split)] = [(0, 0, .train), (0, 1, .train), (1, 1, .train), (1, 2, .train),
                                                (2, 2, .train), (2, 3, .train), (3, 0, .train), (0, 2, .valid),
                                                (1, 3, .test)]
        let data = try makeDataset(triples)
        let model = try ScheduledItemBias(dataset: data, hyperparameters: Hyperparameters([:], specs: [], model: "t"), seed: 2)
        var options = TrainingOptions()
        options.epochs = 4
        options.batchSize = 3
        options.learningRate = 0.1
        options.patience = 10
        _ = Trainer(dataset: data, options: options, evaluator: Evaluator(dataset: data, protocol: EvaluationProtocol()))
            .train(model, seed: 2, progress: ProgressReporter(label: "t", mode: .quiet))
        // (The parameter after training is the best epoch's, restored, so epoch 3
        // is seen at the start of epoch 4.)
        #expect(model.atEpochStart.count == 4)
        #expect(model.atEpochStart[0] != model.atEpochStart[1], "epoch 1 trains")
        #expect(model.atEpochStart[1] == model.atEpochStart[2], "epoch 2 trains at rate 0")
        #expect(model.atEpochStart[2] != model.atEpochStart[3], "epoch 3 trains")
        #expect(model.sizes.map(\.count) == [3, 3, 1, 3, 3, 1, 3, 3, 1, 3, 3, 1])
        #expect(model.sizes.allSatisfy { $0.nominal == 3 })
    }
}
