import GraphKit
import Testing
import RecommenderCore
import TestSupport

/// Loads a dataset by descriptor name under Configs/datasets.
func loadDataset(_ name: String) throws -> Dataset {
    try Dataset(descriptor: DatasetDescriptor.load(repositoryPath("Configs/datasets/\(name).json")))
}

/// Training options for quick runs.
func quickOptions(epochs: Int, learningRate: Double = 0.001, patience: Int = 50) -> TrainingOptions {
    var options = TrainingOptions()
    options.epochs = epochs
    options.learningRate = learningRate
    options.patience = patience
    return options
}

/// Trains `model` quietly with the default protocol.
func quickTrain(_ model: Recommender, on data: Dataset, options: TrainingOptions, seed: UInt64 = 1) -> TrainingResult {
    let evaluator = Evaluator(dataset: data, protocol: EvaluationProtocol())
    return Trainer(dataset: data, options: options, evaluator: evaluator)
        .train(model, seed: seed, progress: ProgressReporter(label: "test", mode: .quiet))
}

/// Expects a finished run whose loss fell every epoch and ended below
/// `fraction` of the first epoch's.
func expectLossFellEveryEpoch(_ result: TrainingResult, below fraction: Double = 0.75,
                              sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == .finished, sourceLocation: sourceLocation)
    let losses = result.epochs.map(\.loss)
    for k in 1..<losses.count {
        #expect(losses[k] < losses[k - 1], "epoch \(k + 1): \(losses)", sourceLocation: sourceLocation)
    }
    #expect(losses.last! < fraction * losses.first!, "\(losses)", sourceLocation: sourceLocation)
}

/// Expects `result`'s best validation Recall@20 above `factor` × most popular's
/// on `data`, and its loss to have fallen. Factors leave a clear margin: 1.1
/// where a model beats most popular in a test's budget, 0.9 where it comes close
/// within that budget (random ranking on TikTok gives about 0.003, most popular
/// 0.0627). Each setting's value sits at least 5% beyond its bound on the
/// SkylakeX, Haswell and Prescott kernels, so no kernel's rounding flips it.
func expectValidRecall(_ result: TrainingResult, above factor: Double, ofMostPopularOn data: Dataset, _ label: String,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
    let popular = try mostPopularValidRecall(data)
    let recall = try #require(result.valid, sourceLocation: sourceLocation)[MetricKey(.recall, at: 20)]
    #expect(recall > factor * popular,
            "\(label) valid recall@20 \(recall), bound \(factor) × most popular \(popular) = \(factor * popular)",
            sourceLocation: sourceLocation)
    #expect(result.epochs.first!.loss > result.epochs.last!.loss, sourceLocation: sourceLocation)
}

/// The most-popular baseline's validation Recall@20 on `data`.
func mostPopularValidRecall(_ data: Dataset) throws -> Double {
    try Evaluator(dataset: data, protocol: EvaluationProtocol())
        .evaluate(MostPopular(dataset: data), on: .valid)[MetricKey(.recall, at: 20)]
}

/// A model of type `T` with the given hyper-parameters (defaults elsewhere).
func makeModel<T: Recommender>(_ type: T.Type, _ data: Dataset, _ given: [String: HyperparameterValue] = [:],
                               seed: UInt64 = 1) throws -> T {
    try T(dataset: data, hyperparameters: Hyperparameters(given, specs: T.hyperparameters, model: T.name), seed: seed)
}

/// A tiny real graph for whole-loss gradient checks: the `items` most popular
/// training items of `name` (ties by lower id), each with its first
/// `usersPerItem` training users (by id). Users and items are renumbered in
/// order of first appearance and each modality's feature rows are taken along.
/// On mmgcn-toy the defaults give 27 users, 8 items and 40 edges, with 11 users
/// holding two or more items, so softmaxes over both kinds of neighbourhood
/// have more than one entry.
func tinyDataset(_ name: String = "mmgcn-toy", items: Int = 8, usersPerItem: Int = 5) throws -> Dataset {
    let full = try loadDataset(name)
    let byItem = full.graph.usersToItems
    let degrees = full.graph.itemDegrees
    let top = (0..<full.itemCount).sorted { degrees[$0] != degrees[$1] ? degrees[$0] > degrees[$1] : $0 < $1 }
        .prefix(items)
    var userId: [Int32: Int32] = [:]
    var (us, its): ([Int32], [Int32]) = ([], [])
    for (newItem, i) in top.enumerated() {
        let users = byItem.source[Int(byItem.rowPtr[i])..<Int(byItem.rowPtr[i + 1])].sorted().prefix(usersPerItem)
        for u in users {
            if userId[u] == nil { userId[u] = Int32(userId.count) }
            us.append(userId[u]!)
            its.append(Int32(newItem))
        }
    }
    let features = full.features.map { f -> (Modality, Tensor, String) in
        var rows: [Float] = []
        for i in top { rows += f.matrix.row(i) }
        return (f.modality, Tensor(rows: top.count, cols: f.matrix.cols, scalars: rows), "\(name) \(f.modality)")
    }
    let file = InteractionFile(users: us, items: its, splits: [Split](repeating: .train, count: us.count))
    return try Dataset(name: "\(name), \(items) most popular items", interactions: file, features: features)
}

/// Four training pairs of `data` spread over its edges, each with an item the user has not trained on.
func tinyBatch(_ data: Dataset) throws -> TrainingBatch {
    let g = data.graph
    var (users, positives, negatives): ([Int32], [Int32], [Int32]) = ([], [], [])
    for e in stride(from: 0, to: g.edgeCount, by: g.edgeCount / 4).prefix(4) {
        let u = g.edgeUsers[e]
        let own = Set((0..<g.edgeCount).filter { g.edgeUsers[$0] == u }.map { g.edgeItems[$0] })
        let j = try #require((0..<Int32(data.itemCount)).first { !own.contains($0) && $0 != g.edgeItems[e] })
        users.append(u)
        positives.append(g.edgeItems[e])
        negatives.append(j)
    }
    return TrainingBatch(users: users, positives: positives, negatives: negatives)
}

/// LightGCN's layer mean in Double loops (He et al., eqs. 3-4): each layer sums a
/// node's training neighbours' previous rows with weight 1/√(|N_u| |N_i|), and
/// the result is the mean of layers 0 to `layers`. An independent check of
/// the propagation for the models built on it.
func lightGCNLayerMeanInDouble(_ data: Dataset, users: [[Double]], items: [[Double]], layers: Int)
    -> (users: [[Double]], items: [[Double]]) {
    let (nu, ni, d) = (data.userCount, data.itemCount, users[0].count)
    let itemDegree = (0..<ni).map { i in (0..<nu).reduce(0) { $0 + (data.train.contains($1, Int32(i)) ? 1 : 0) } }
    var (userLayer, itemLayer) = (users, items)
    var (userSum, itemSum) = (users, items)
    for _ in 0..<layers {
        var nextUser = [[Double]](repeating: [Double](repeating: 0, count: d), count: nu)
        var nextItem = [[Double]](repeating: [Double](repeating: 0, count: d), count: ni)
        for u in 0..<nu {
            for i in data.train[u].map(Int.init) {
                let w = 1 / (Double(data.train.count(u)) * Double(itemDegree[i])).squareRoot()
                for c in 0..<d {
                    nextUser[u][c] += w * itemLayer[i][c]
                    nextItem[i][c] += w * userLayer[u][c]
                }
            }
        }
        (userLayer, itemLayer) = (nextUser, nextItem)
        for u in 0..<nu { for c in 0..<d { userSum[u][c] += userLayer[u][c] } }
        for i in 0..<ni { for c in 0..<d { itemSum[i][c] += itemLayer[i][c] } }
    }
    let scale = 1 / Double(layers + 1)
    return (userSum.map { $0.map { $0 * scale } }, itemSum.map { $0.map { $0 * scale } })
}

/// MMRec's regulariser on the final vectors: λ/(2 B_cfg) Σ (‖x_u‖² + ‖x_i‖² +
/// ‖x_j‖²) over `tinyBatch`'s rows, read from the scorer's tables, with B_cfg
/// the batch's nominal size. Checked for two nominal sizes against the same
/// model without the term, `given` holding the model's other settings.
func expectFinalVectorRegulariser<T: Recommender>(_ type: T.Type, _ data: Dataset, given: [String: HyperparameterValue],
                                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
    let lambda = 0.3
    let model = try makeModel(T.self, data, given.merging(["reg_weight": .double(lambda), "compat": .string("mmrec:regulariser")]) { _, b in b })
    let plain = try makeModel(T.self, data, given.merging(["reg_weight": .double(0)]) { _, b in b })
    let batch = try tinyBatch(data)
    let scorer = try #require(try model.makeScorer() as? DotProductScorer, sourceLocation: sourceLocation)
    func norm2(_ t: Tensor, _ rows: [Int32]) -> Double {
        rows.reduce(0.0) { s, r in s + t.row(Int(r)).reduce(0.0) { $0 + Double($1) * Double($1) } }
    }
    let squares = norm2(scorer.userVectors, batch.users) + norm2(scorer.itemVectors, batch.positives)
        + norm2(scorer.itemVectors, batch.negatives)
    func loss(_ m: T, nominal: Int) -> Double {
        var rng = RandomGenerator(seed: 1)
        let b = TrainingBatch(users: batch.users, positives: batch.positives, negatives: batch.negatives, nominalSize: nominal)
        return Double(m.loss(b, on: Tape.noGrad(), rng: &rng).value.scalar)
    }
    let base = loss(plain, nominal: batch.count)
    for nominal in [batch.count, 2 * batch.count] {
        let expected = lambda * squares / Double(2 * nominal)
        #expect(abs(loss(model, nominal: nominal) - base - expected) < 1e-5, "nominal \(nominal)", sourceLocation: sourceLocation)
    }
}
