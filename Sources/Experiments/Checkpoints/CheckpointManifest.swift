import Foundation
import RecommenderCore

/// What a checkpoint folder's `checkpoint.json` says: the run it comes from,
/// everything needed to rebuild the model and judge it the same way, the
/// metrics it was stored with, and one entry per saved tensor. Readable with
/// `json.load` alone; the tensors are plain `.npy` files beside it.
public struct CheckpointManifest: Codable, Sendable {
    /// The layout version of the folder; readers refuse any other.
    public var format: Int = CheckpointManifest.currentFormat
    /// The run's key (`RunSpec.key`): the name of its record in a store.
    public var key: String
    /// Everything that decided the run, resolved (hyper-parameters with defaults).
    public var spec: RunSpec
    /// The hyper-parameters as given (without defaults): the model is rebuilt
    /// from these, since a few settings act by being given at all
    /// (`Recommender.keysThatMatterWhenGiven`).
    public var given: [String: HyperparameterValue]
    /// The table row, or the model's name for `bench train`.
    public var label: String
    /// Where the dataset was read from.
    public var dataset: Location
    /// How it was judged: the spec's metrics and masking plus the protocol's seed.
    public var evaluation: Evaluation
    /// The epoch whose parameters are saved: the best on validation.
    public var bestEpoch: Int?
    /// The stored validation and test metrics of those parameters.
    public var valid: EvaluationResult?
    public var test: EvaluationResult?
    /// The machine it was computed on (`MachineReport`).
    public var cpu: String
    public var blasKernel: String
    /// When it was written (ISO 8601).
    public var written: String
    /// The saved tensors, in the model's order: its parameters, then its buffers.
    public var tensors: [Entry]

    public static let currentFormat = 1
    /// The manifest's file name in a checkpoint folder.
    public static let fileName = "checkpoint.json"

    /// The dataset reference as written (a built-in name or a path) and the
    /// absolute path it resolved to.
    public struct Location: Codable, Sendable, Equatable {
        public var written: String
        public var path: String
        public init(written: String, path: String) { (self.written, self.path) = (written, path) }
    }

    /// One tensor: the parameter's name, whether the optimiser trained it,
    /// its file (relative to the folder) and shape (rows, cols), float32.
    public struct Entry: Codable, Sendable, Equatable {
        public var name: String
        public var role: Role
        public var file: String
        public var shape: [Int]
    }

    /// A trained parameter, or state saved with it (`Recommender.buffers`).
    public enum Role: String, Codable, Sendable { case parameter, buffer }

    /// The protocol the run was judged by.
    public struct Evaluation: Codable, Sendable, Equatable {
        /// "full" or "sampled".
        public var ranking: String
        public var candidates: Int?
        public var metrics: [MetricKey]
        public var maskValidInTest: Bool
        public var seed: UInt64
        public var blockUsers: Int

        public init(_ p: EvaluationProtocol) {
            switch p.ranking {
            case .full: ranking = "full"
            case let .sampled(n): ranking = "sampled"; candidates = n
            }
            metrics = p.metrics
            maskValidInTest = p.maskValidInTest
            seed = p.seed
            blockUsers = p.blockUsers
        }

        /// The protocol itself.
        public var evaluationProtocol: EvaluationProtocol {
            EvaluationProtocol(ranking: candidates.map { .sampled(candidates: $0) } ?? .full, metrics: metrics,
                               maskValidInTest: maskValidInTest, blockUsers: blockUsers, seed: seed)
        }
    }
}

extension CheckpointManifest {
    /// A manifest for the run `spec` (key `key`); `tensors` is filled in by `Checkpoint.write`.
    public init(key: String, spec: RunSpec, given: [String: HyperparameterValue], label: String, dataset: Location,
                evaluation: Evaluation, bestEpoch: Int?, valid: EvaluationResult?, test: EvaluationResult?,
                cpu: String, blasKernel: String, written: String, tensors: [Entry] = []) {
        self.key = key
        self.spec = spec
        self.given = given
        self.label = label
        self.dataset = dataset
        self.evaluation = evaluation
        self.bestEpoch = bestEpoch
        self.valid = valid
        self.test = test
        self.cpu = cpu
        self.blasKernel = blasKernel
        self.written = written
        self.tensors = tensors
    }
}
