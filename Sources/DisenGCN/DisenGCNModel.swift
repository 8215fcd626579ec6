import GraphKit
import RecommenderCore

/// DisenGCN (Ma et al., ICML'19) for recommendation, as specified in docs/models/DisenGCN.md
/// Part 2, "DisenGCN".
///
/// Users and items are the nodes of the bipartite training graph, with both
/// directions of every edge (`nodeAdjacency(selfLoops: false)`: item → user and
/// user → item messages). Each layer splits every node into K factor channels
/// and routes each neighbour to the factors it agrees with (`DisentangledLayer`).
/// The final embeddings are the last layer's output, y_ui = e_u · e_i, and the
/// loss is BPR + λ (‖x⁰_u‖² + ‖x⁰_i‖² + ‖x⁰_j‖²) / (2B) on the rows of the node input x⁰
/// (the ID rows, and for items e⁰_i + W_f f_i + b_f with `features`).
public final class DisenGCNModel: Recommender {
    public static let name = "DisenGCN"

    public static let hyperparameters: [HyperparameterSpec] = [
        .integer("embedding_size", default: 64, in: 1...4096, "size d of the ID embeddings and of every layer's output; a multiple of n_factors"),
        .integer("n_factors", default: 4, in: 1...256, "latent factors K; each gets d / K columns"),
        .integer("n_iterations", default: 3, in: 0...32, "routing iterations T per layer (0: c = z)"),
        .real("tau", default: 1.0, in: 1e-4...1e4, "temperature τ of the softmax over factors"),
        .integer("n_layers", default: 2, in: 1...8, "disentangled layers"),
        .real("reg_weight", default: 1e-4, in: 0...1e3, "λ of the L2 term on the batch's layer-0 ID embeddings"),
        .itemFeatures,
    ]

    let configuration: DisenGCNConfiguration
    let userCount: Int
    /// The U + I node graph, both directions of every training edge, no self-loops.
    let nodeGraph: Adjacency
    /// E⁰ for users (U × d) and items (I × d), Xavier-uniform.
    public let userEmbedding: Parameter
    public let itemEmbedding: Parameter
    /// e⁰_i + W_f f_i + b_f with `features: true`, nil otherwise.
    public let itemFeatures: ItemFeatureInput?
    /// The disentangled layers, d → d each.
    public let layers: [DisentangledLayer]

    public init(dataset: Dataset, hyperparameters: Hyperparameters, seed: UInt64) throws {
        let config = try DisenGCNConfiguration(hyperparameters, model: Self.name)
        configuration = config
        userCount = dataset.userCount
        nodeGraph = dataset.graph.nodeAdjacency(selfLoops: false)
        let d = config.embeddingSize
        var rng = RandomGenerator(seed: seed, stream: 0)
        userEmbedding = Parameter(Initializer.xavierUniform(rows: dataset.userCount, cols: d, rng: &rng),
                                  name: "user_embedding")
        itemEmbedding = Parameter(Initializer.xavierUniform(rows: dataset.itemCount, cols: d, rng: &rng),
                                  name: "item_embedding")
        itemFeatures = try ItemFeatureInput(dataset: dataset, hyperparameters: hyperparameters, embeddingSize: d,
                                            model: Self.name, rng: &rng)
        layers = (0..<config.layers).map { l in
            DisentangledLayer(inputSize: d, factors: config.factors, channelSize: config.channelSize,
                              iterations: config.iterations, temperature: config.temperature,
                              rng: &rng, name: "layer\(l)")
        }
    }

    public var parameters: [Parameter] {
        [userEmbedding, itemEmbedding] + (itemFeatures?.parameters ?? []) + layers.flatMap(\.parameters)
    }

    /// 1 with `features`: since then the L2 term reads the item rows with their
    /// feature term, as NGCF's does (docs/models/gnn-features.md); revision 0
    /// read the raw ID rows. Without `features` nothing changed.
    public static func revision(_ h: Hyperparameters) -> Int { h.bool("features") ? 1 : 0 }

    /// x⁰_i: the item ID rows, plus W_f f_i + b_f with `features`
    /// (docs/models/gnn-features.md).
    func itemInput(_ items: Variable) -> Variable {
        itemFeatures.map { $0(items) } ?? items
    }

    /// The node input x⁰ (users ‖ items, (U + I) × d): the ID rows, and for items
    /// e⁰_i + W_f f_i + b_f with `features`.
    func nodeInput(users: Variable, items: Variable) -> Variable {
        concatRows([users, itemInput(items)])
    }

    /// Every layer's output on the node graph, first to last, from the ID rows.
    func layerOutputs(users: Variable, items: Variable) -> [DisentangledLayer.Output] {
        layerOutputs(from: nodeInput(users: users, items: items))
    }

    /// Every layer's output on the node graph, first to last, from x⁰.
    func layerOutputs(from input: Variable) -> [DisentangledLayer.Output] {
        var x = input
        var outputs: [DisentangledLayer.Output] = []
        for layer in layers {
            let out = layer(x, over: nodeGraph)
            outputs.append(out)
            x = out.output
        }
        return outputs
    }

    /// The final user (U × d) and item (I × d) embeddings: the last layer's
    /// output, from the user ID rows and the item rows x⁰.
    func propagateAll(users: Variable, itemInput: Variable) -> (users: Variable, items: Variable) {
        let e = layerOutputs(from: concatRows([users, itemInput])).last!.output
        return (sliceRows(e, 0 ..< userCount), sliceRows(e, userCount ..< e.rows))
    }

    public func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        let u0 = tape.watch(userEmbedding)
        let x0 = itemInput(tape.watch(itemEmbedding))
        let (users, items) = propagateAll(users: u0, itemInput: x0)
        let (pos, neg) = batchScores(users: users, items: items, batch)
        // λ L2 on the batch's rows of x⁰ as the first layer reads them: with
        // `features` the item rows carry W_f f_i + b_f (docs/models/gnn-features.md).
        let ego = batchLayerZeroRows(users: u0, items: x0, batch)
        return bprLoss(positive: pos, negative: neg)
            + l2Regularization(ego, weight: configuration.regWeight, batchSize: batch.count)
    }

    public func makeScorer() throws -> Scorer {
        let tape = Tape.noGrad()
        let (users, items) = propagateAll(users: tape.watch(userEmbedding), itemInput: itemInput(tape.watch(itemEmbedding)))
        return DotProductScorer(users: users.value, items: items.value)
    }
}
