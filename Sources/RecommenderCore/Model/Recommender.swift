import GraphKit

/// One batch of BPR training triples (u, i, j): user, positive item, negative
/// item; or of pairs (u, i), with no negatives, for a model that trains
/// without them (`Recommender.usesNegatives`).
public struct TrainingBatch: Sendable {
    public var users: [Int32]
    public var positives: [Int32]
    public var negatives: [Int32]

    /// The batch size the trainer was configured with: `count` for every
    /// batch but an epoch's last, which may be smaller. MMRec's ports divide
    /// some regularisers by it rather than by the batch's own size.
    public var nominalSize: Int

    /// Number of triples B.
    public var count: Int { users.count }

    public init(users: [Int32], positives: [Int32], negatives: [Int32], nominalSize: Int? = nil) {
        precondition(users.count == positives.count && (users.count == negatives.count || negatives.isEmpty),
                     "TrainingBatch: \(users.count) users, \(positives.count) positives, \(negatives.count) negatives")
        self.users = users
        self.positives = positives
        self.negatives = negatives
        self.nominalSize = nominalSize ?? users.count
    }
}

/// The contract every model target implements: a training loss, and fresh
/// scores of users against all items for evaluation. Its metatype is
/// Sendable, so that a registry of model types can be shared between threads.
public protocol Recommender: AnyObject, SendableMetatype {
    /// The name under which the model is registered and configured.
    static var name: String { get }
    /// The hyper-parameters the model accepts, with defaults.
    static var hyperparameters: [HyperparameterSpec] { get }
    /// Whether the model learns. False for a reference that scores as it is
    /// built (most popular): the trainer validates and tests it once, with no
    /// epochs. Default: true.
    static var isTrainable: Bool { get }
    /// Whether the trainer draws a negative item for each training pair.
    /// False for a model that trains on (user, item) pairs alone (BM3): its
    /// batches have no negatives. Default: true.
    static var usesNegatives: Bool { get }
    /// A freshly initialised model; `seed` decides every random choice.
    init(dataset: Dataset, hyperparameters: Hyperparameters, seed: UInt64) throws

    /// The trainable parameters, all of which the optimiser updates.
    var parameters: [Parameter] { get }
    /// State the optimiser does not update but that belongs to a snapshot of
    /// the model: the trainer saves it with the parameters at the best
    /// validation epoch and restores both for the test. Default: none.
    var buffers: [Parameter] { get }
    /// Work done before each epoch (DualGNN resamples its user graph, say). Default: nothing.
    func prepareEpoch(_ epoch: Int, rng: inout RandomGenerator) throws
    /// The factor on the configured learning rate for epoch `epoch` (from 1):
    /// 1 unless a model schedules its own (MMRec's `learning_rate_scheduler`).
    func learningRateFactor(epoch: Int) -> Double
    /// Parameters the last `loss` did not reach, which the optimiser's next
    /// step leaves as they are (values and moments), as PyTorch's Adam skips a
    /// parameter without a gradient. Empty unless a model computes some part
    /// only on some batches (LATTICE's graph learned once per epoch).
    var idleParameters: [Parameter] { get }
    /// The training loss of a batch (BPR plus the model's regulariser), recorded on `tape`.
    func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable
    /// A scorer computed now, in no-grad mode with dropout off, from the current
    /// parameters. Never reuse representations cached by training, except
    /// under MMRec's `last_batch_eval` (see `LastBatchRepresentation`).
    func makeScorer() throws -> Scorer

    /// The keys that change what the model does by being given at all, even
    /// with their default value: a `modalities` list that must exist in the
    /// dataset, or a setting that contradicts `compat: "mmrec"` (an error when
    /// given, the port's value when left out). A run's key records which of
    /// these the config gave (`RunSpec.givenAtDefault`). Default: none.
    static func keysThatMatterWhenGiven(_ hyperparameters: Hyperparameters) -> Set<String>
    /// The model's revision for `hyperparameters`: raised when a change to
    /// the model alters what some of its settings compute (and only those),
    /// so that exactly those stored runs are no longer taken for current ones
    /// (`RunSpec.modelRevision`). Default: 0.
    static func revision(_ hyperparameters: Hyperparameters) -> Int
    /// The hyper-parameters the model runs with where they differ from the
    /// resolved ones it was given: under `compat: "mmrec"` the port fixes some
    /// (GRCN's hard pruning, MMGCN's three layers), and a default `modalities`
    /// list runs with the modalities the dataset has. Recorded with the run
    /// (`RunRecord.settingsRun`). Default: none.
    var settingsRun: [String: HyperparameterValue] { get }
}

extension Recommender {
    public static var isTrainable: Bool { true }
    public static var usesNegatives: Bool { true }
    public func prepareEpoch(_ epoch: Int, rng: inout RandomGenerator) throws {}
    public func learningRateFactor(epoch: Int) -> Double { 1 }
    public var idleParameters: [Parameter] { [] }
    public var buffers: [Parameter] { [] }
    public static func keysThatMatterWhenGiven(_ hyperparameters: Hyperparameters) -> Set<String> { [] }
    public static func revision(_ hyperparameters: Hyperparameters) -> Int { 0 }
    public var settingsRun: [String: HyperparameterValue] { [:] }
}

/// Scores users against every item.
public protocol Scorer {
    /// Number of items I.
    var itemCount: Int { get }
    /// Scores of `users` against all items: users.count × I.
    func scores(users: [Int32]) -> Tensor
    /// The final user and item vectors whose dot products are the scores,
    /// for the embedding study; nil for a scorer without them.
    var representations: (users: Tensor, items: Tensor)? { get }
}

extension Scorer {
    public var representations: (users: Tensor, items: Tensor)? { nil }
}

/// y_ui = u_u · i_i for final user and item representations, through one
/// sgemm per block of users.
public struct DotProductScorer: Scorer {
    /// One row per user.
    public let userVectors: Tensor
    /// One row per item.
    public let itemVectors: Tensor

    public init(users: Tensor, items: Tensor) {
        precondition(users.cols == items.cols,
                     "DotProductScorer: user vectors \(users.shapeDescription) and item vectors \(items.shapeDescription) differ in width")
        userVectors = users
        itemVectors = items
    }

    public var itemCount: Int { itemVectors.rows }

    public var representations: (users: Tensor, items: Tensor)? { (userVectors, itemVectors) }

    public func scores(users: [Int32]) -> Tensor {
        let block = gatherRows(Tape.noGrad().constant(userVectors), users).value
        return BLAS.matmul(block, itemVectors, transposeB: true)
    }
}

/// The most-popular reference: an item's score is its training degree.
public struct MostPopular: Scorer {
    let degrees: [Float]
    let userCount: Int

    public init(dataset: Dataset) {
        degrees = dataset.graph.itemDegrees.map(Float.init)
        userCount = dataset.userCount
    }

    public var itemCount: Int { degrees.count }

    /// Width-1 vectors whose products are the scores: 1 for every user, the
    /// training degree for every item.
    public var representations: (users: Tensor, items: Tensor)? {
        (Tensor(rows: userCount, cols: 1, repeating: 1), Tensor(rows: degrees.count, cols: 1, scalars: degrees))
    }

    public func scores(users: [Int32]) -> Tensor {
        Tensor(rows: users.count, cols: degrees.count, scalars: Array([[Float]](repeating: degrees, count: users.count).joined()))
    }
}
