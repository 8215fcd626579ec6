import Foundation
import GraphKit

/// Which items a negative is drawn from (docs/MODELS.md, "Training").
public enum NegativeItems: String, Sendable, Codable, CaseIterable {
    /// Any item the user has not trained on.
    case all
    /// Only items that occur in the training split, as MMRec's data loader
    /// draws them (`random.sample(self.all_items, 1)` over the training
    /// frame's items): an item without training interactions is never a negative.
    case trained
}

/// Training settings shared by all models (docs/MODELS.md). JSON keys are
/// the snake_case names.
public struct TrainingOptions: Sendable, Equatable, Codable {
    /// Maximum number of epochs.
    public var epochs: Int = 1000
    /// Triples per batch B.
    public var batchSize: Int = 2048
    /// Adam's step size.
    public var learningRate: Double = 0.001
    /// Adam's L2 weight decay (added to the gradient).
    public var weightDecay: Double = 0
    /// Validations without improvement before stopping.
    public var patience: Int = 20
    /// Validate every this many epochs.
    public var evalEvery: Int = 1
    /// The validation metric that decides early stopping and selection.
    public var validMetric: MetricKey = MetricKey(.recall, at: 20)
    /// The items negatives are drawn from; nil is `.all`, and is how `.all`
    /// is stored, so that the keys of runs made before the option existed hold.
    public var negativeItems: NegativeItems?
    /// Decimal places the validation metric is rounded to before early
    /// stopping compares it (MMRec: 4; see `EarlyStopping`); nil, the
    /// default, compares at full precision and keeps older runs' keys.
    public var validDecimals: Int?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case epochs, batchSize = "batch_size", learningRate = "learning_rate", weightDecay = "weight_decay"
        case patience, evalEvery = "eval_every", validMetric = "valid_metric", negativeItems = "negative_items"
        case validDecimals = "valid_decimals"
    }
}

/// One epoch of a run.
public struct EpochRecord: Sendable, Codable, Equatable {
    public var epoch: Int
    /// Mean training loss over the epoch's triples.
    public var loss: Double
    /// The validation metrics, when the epoch was validated.
    public var valid: [MetricKey: Double]?
    public var trainSeconds: Double
    public var evalSeconds: Double
}

/// How a run ended.
public enum RunStatus: String, Sendable, Codable {
    /// Trained to early stop or to the epoch limit, and tested.
    case finished
    /// Stopped by a NaN or infinite loss, NaN scores or a model error; see `failure`.
    case failed
}

/// The outcome of training one model with one seed.
public struct TrainingResult: Sendable, Codable, Equatable {
    public var status: RunStatus
    /// Why a failed run failed.
    public var failure: String?
    /// Why training stopped: early stop, epoch limit or failure.
    public var stopReason: String
    /// Every epoch's loss, validation and timings.
    public var epochs: [EpochRecord]
    /// The epoch with the best validation metric: the one reported.
    public var bestEpoch: Int?
    /// Validation metrics at the best epoch.
    public var valid: EvaluationResult?
    /// Test metrics at the best epoch, taken once after training.
    public var test: EvaluationResult?
    /// The same parameters' test metrics under the sampled protocol, when asked for.
    public var testSampled: EvaluationResult?
    /// The best epoch's representations of a few users and their items, in 2-D, when asked for.
    public var embedding: EmbeddingProjection?
    /// Where each test user's held-out items landed in the ranking at the
    /// best epoch: every user's metric values, for per-user significance
    /// tests. Nil in runs stored before the suite kept them.
    public var testHits: RankedHits? = nil
    /// The same under the extra sampled test protocol, when there is one.
    public var testSampledHits: RankedHits? = nil
    /// Mean seconds of training per epoch (without evaluation).
    public var secondsPerEpoch: Double
    /// Mean seconds of one validation pass.
    public var secondsPerEvaluation: Double
    /// Wall-clock seconds of the whole run.
    public var totalSeconds: Double

    /// A run that failed before training (a model that could not be built, say).
    public static func failed(_ reason: String) -> TrainingResult {
        TrainingResult(status: .failed, failure: reason, stopReason: "failed", epochs: [], bestEpoch: nil,
                       valid: nil, test: nil, testSampled: nil, embedding: nil,
                       secondsPerEpoch: 0, secondsPerEvaluation: 0, totalSeconds: 0)
    }
}

/// Trains a model with BPR and Adam, validates after each epoch, stops early
/// on the validation metric, and tests the best epoch's parameters once.
/// Test never decides anything.
public final class Trainer {
    public let dataset: Dataset
    public let options: TrainingOptions
    public let evaluator: Evaluator
    /// A second test protocol (the MMGCN paper's sampled candidates, say),
    /// applied to the best epoch's parameters after the main test.
    public let sampledTest: Evaluator?
    /// Users of the embedding study (`EmbeddingStudy`); none: no projection.
    public let embeddingUsers: [Int32]

    /// A trainer validating and testing with `evaluator`; `sampledTest` and
    /// `embeddingUsers` add the extra test protocol and the embedding study.
    public init(dataset: Dataset, options: TrainingOptions, evaluator: Evaluator,
                sampledTest: Evaluator? = nil, embeddingUsers: [Int32] = []) {
        precondition(options.epochs > 0 && options.batchSize > 0 && options.patience > 0 && options.evalEvery > 0,
                     "TrainingOptions: epochs, batch size, patience and eval_every must be positive")
        self.dataset = dataset
        self.options = options
        self.evaluator = evaluator
        self.sampledTest = sampledTest
        self.embeddingUsers = embeddingUsers
    }

    /// Trains `model`; `seed` drives shuffling, negatives and dropout. A run
    /// that fails (NaN loss, say) returns `.failed` with its reason; it does
    /// not stop the program.
    public func train(_ model: Recommender, seed: UInt64, progress: ProgressReporter,
                      shouldStop: () -> Bool = { false }) -> TrainingResult {
        let runStart = DispatchTime.now().uptimeNanoseconds
        var rng = RandomGenerator(seed: seed, stream: 1)
        var records: [EpochRecord] = []
        var stopping = EarlyStopping(patience: options.patience, decimals: options.validDecimals)
        var bestEpoch: Int?
        var bestValid: EvaluationResult?
        var snapshot: [Tensor] = []
        var stopReason = "reached \(options.epochs) epochs"
        let key = options.validMetric

        func finish(_ status: RunStatus, failure: String?, test: EvaluationResult?,
                    testSampled: EvaluationResult? = nil, embedding: EmbeddingProjection? = nil,
                    hits: (test: RankedHits, sampled: RankedHits?)? = nil) -> TrainingResult {
            let trainTimes = records.map(\.trainSeconds)
            let evalTimes = records.filter { $0.valid != nil }.map(\.evalSeconds)
            return TrainingResult(
                status: status, failure: failure, stopReason: stopReason, epochs: records, bestEpoch: bestEpoch,
                valid: bestValid, test: test, testSampled: testSampled, embedding: embedding,
                testHits: hits?.test, testSampledHits: hits?.sampled,
                secondsPerEpoch: trainTimes.isEmpty ? 0 : trainTimes.reduce(0, +) / Double(trainTimes.count),
                secondsPerEvaluation: evalTimes.isEmpty ? 0 : evalTimes.reduce(0, +) / Double(evalTimes.count),
                totalSeconds: Double(DispatchTime.now().uptimeNanoseconds - runStart) / 1e9)
        }
        func fail(_ reason: String) -> TrainingResult {
            stopReason = "failed"
            progress.note("failed: \(reason)")
            return finish(.failed, failure: reason, test: nil)
        }

        if !type(of: model).isTrainable { return evaluateOnce(model, progress: progress, start: runStart) }
        let sampler: NegativeSampler
        do { sampler = try NegativeSampler(dataset: dataset, negativeItems: options.negativeItems ?? .all) } catch {
            return fail("\(error)")
        }
        let parameters = model.parameters
        guard !parameters.isEmpty else { return fail("the model has no trainable parameters") }
        let adam = Adam(parameters: parameters, learningRate: Float(options.learningRate),
                        weightDecay: Float(options.weightDecay))

        for epoch in 1...options.epochs {
            if shouldStop() { stopReason = "interrupted"; return finish(.failed, failure: "interrupted", test: nil) }
            let trainStart = DispatchTime.now().uptimeNanoseconds
            do { try model.prepareEpoch(epoch, rng: &rng) } catch { return fail("epoch \(epoch) preparation: \(error)") }
            adam.learningRate = Float(options.learningRate * model.learningRateFactor(epoch: epoch))
            let batches = sampler.epochBatches(dataset: dataset, batchSize: options.batchSize,
                                               negatives: type(of: model).usesNegatives, rng: &rng)
            var lossSum = 0.0, triples = 0
            for (b, batch) in batches.enumerated() {
                // The tape holds the parameters' values: it must be gone before
                // Adam writes them, or each write copies the whole parameter.
                let value: Float = {
                    let tape = Tape()
                    let loss = model.loss(batch, on: tape, rng: &rng)
                    let value = loss.value.scalar
                    if value.isFinite { tape.backwardReleasing(from: loss) }
                    return value
                }()
                guard value.isFinite else {
                    return fail("the loss is \(value) at epoch \(epoch), batch \(b + 1) of \(batches.count)")
                }
                adam.step(skipping: model.idleParameters)
                adam.zeroGrad()
                lossSum += Double(value) * Double(batch.count)
                triples += batch.count
            }
            let trainSeconds = Double(DispatchTime.now().uptimeNanoseconds - trainStart) / 1e9
            var record = EpochRecord(epoch: epoch, loss: lossSum / Double(max(triples, 1)), valid: nil,
                                     trainSeconds: trainSeconds, evalSeconds: 0)
            var stop = false
            if epoch % options.evalEvery == 0 || epoch == options.epochs {
                let evalStart = DispatchTime.now().uptimeNanoseconds
                let result: EvaluationResult
                do { result = try evaluator.evaluate(try model.makeScorer(), on: .valid) } catch {
                    records.append(record)
                    return fail("validation at epoch \(epoch): \(error)")
                }
                record.valid = result.values
                record.evalSeconds = Double(DispatchTime.now().uptimeNanoseconds - evalStart) / 1e9
                let (isBest, stopsHere) = stopping.observe(result[key])
                if isBest {
                    bestEpoch = epoch
                    bestValid = result
                    snapshot = (parameters + model.buffers).map(\.value)
                } else if stopsHere {
                    let rounded = options.validDecimals.map { " (rounded to \($0) decimals)" } ?? ""
                    stopReason = "early stop at epoch \(epoch): no gain in \(key)\(rounded) for \(options.patience) validations"
                    stop = true
                }
            }
            records.append(record)
            // The honest horizon: where the patience rule ends the run if validation does not improve again.
            let stopsBy = stop ? epoch : stopping.lastEpochWithoutGain(after: epoch, evalEvery: options.evalEvery,
                                                                       cap: options.epochs)
            let elapsed = records.reduce(0) { $0 + $1.trainSeconds + $1.evalSeconds }
            progress.epoch(epoch, of: options.epochs, stopsBy: stopsBy, loss: record.loss, metric: key.description,
                           value: record.valid?[key], best: bestValid?[key], bestEpoch: bestEpoch,
                           secondsPerEpoch: trainSeconds, secondsPerEpochWithValidation: elapsed / Double(records.count))
            if stop { break }
        }
        // Test the parameters of the best validation epoch, once.
        for (p, v) in zip(parameters + model.buffers, snapshot) { p.value = v }
        do {
            let scorer = try model.makeScorer()
            let (test, testHits) = try testInDetail(scorer, evaluator)
            progress.note("\(stopReason); best epoch \(bestEpoch ?? 0): valid \(key) \(String(format: "%.4f", bestValid?[key] ?? -Double.infinity)), test \(key) \(String(format: "%.4f", test[key]))")
            let sampled = try sampledTest.map { try testInDetail(scorer, $0) }
            var embedding: EmbeddingProjection?
            // A projection to two components needs vectors of width two or more.
            if !embeddingUsers.isEmpty, let r = scorer.representations, r.users.cols >= 2 {
                embedding = try EmbeddingStudy.project(users: r.users, items: r.items, sample: embeddingUsers, dataset: dataset)
            }
            return finish(.finished, failure: nil, test: test, testSampled: sampled?.result, embedding: embedding,
                          hits: (testHits, sampled?.hits))
        } catch {
            return fail("test evaluation: \(error)")
        }
    }

    /// The test metrics of `scorer` under `evaluator`, and where each user's
    /// test items landed in the ranking (for per-user tests).
    func testInDetail(_ scorer: Scorer, _ evaluator: Evaluator) throws -> (result: EvaluationResult, hits: RankedHits) {
        let depth = evaluator.evaluationProtocol.metrics.map(\.k).max()!
        let (result, detail) = try evaluator.evaluateInDetail(scorer, on: .test, listLength: depth)
        return (result, RankedHits(detail, heldOut: dataset.items(in: .test)))
    }

    /// A model that is not trained (most popular): validated and tested once,
    /// with the parameters it was built with, and no epochs.
    func evaluateOnce(_ model: Recommender, progress: ProgressReporter, start: UInt64) -> TrainingResult {
        let key = options.validMetric
        let reason = "not trained (\(type(of: model).name) scores as it is built)"
        do {
            let scorer = try model.makeScorer()
            let valid = try evaluator.evaluate(scorer, on: .valid)
            let (test, testHits) = try testInDetail(scorer, evaluator)
            let sampled = try sampledTest.map { try testInDetail(scorer, $0) }
            progress.note("\(reason): valid \(key) \(String(format: "%.4f", valid[key])), test \(key) \(String(format: "%.4f", test[key]))")
            return TrainingResult(status: .finished, failure: nil, stopReason: reason, epochs: [], bestEpoch: 0,
                                  valid: valid, test: test, testSampled: sampled?.result, embedding: nil,
                                  testHits: testHits, testSampledHits: sampled?.hits,
                                  secondsPerEpoch: 0, secondsPerEvaluation: valid.seconds,
                                  totalSeconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        } catch {
            progress.note("failed: \(error)")
            return .failed("evaluation: \(error)")
        }
    }
}
