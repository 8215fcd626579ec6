import GraphKit
import RecommenderCore

/// GAT (Veličković et al., ICLR'18) for recommendation, as specified in
/// docs/models/GAT.md: graph attention layers over the users and items of the
/// training graph, with the ID embeddings E⁰ as inputs.
///
/// Nodes are users 0..<U, then items; messages flow along both directions of
/// every training edge and, with `self_loops`, from each node to itself.
/// Final e = h^L, y_ui = e_u · e_i, loss BPR + λ (‖e⁰_u‖² + ‖x⁰_i‖² + ‖x⁰_j‖²) / (2B),
/// x⁰ the item rows the first layer reads (e⁰_i, plus W_f f_i + b_f with `features`).
public final class GATModel: Recommender {
    public static let name = "GAT"

    public static let hyperparameters: [HyperparameterSpec] = [
        .integer("embedding_size", default: 64, in: 1...4096, "size d of the ID embeddings and of every layer's output"),
        .integer("n_layers", default: 2, in: 1...8, "attention layers L"),
        .integer("heads", default: 1, in: 1...64,
                 "attention heads K: concatenated (K × d/K, then ELU) on hidden layers, averaged on the last"),
        .real("negative_slope", default: 0.2, in: 0...1, "slope of the LeakyReLU on the attention logits"),
        .boolean("self_loops", default: true, "attend to the node itself (v → v) as well as to its neighbours"),
        .real("att_dropout", default: 0, in: 0...0.99, "dropout on the attention weights α in training"),
        .real("reg_weight", default: 1e-4, in: 0...1e3, "λ of the L2 term on the batch's layer-0 embeddings"),
        .itemFeatures,
    ]

    let graph: Adjacency
    let userCount: Int
    let negativeSlope: Float
    let attentionDropout: Float
    let regWeight: Float
    /// E⁰ for users (U × d) and items (I × d), Xavier-uniform.
    public let userEmbedding: Parameter
    public let itemEmbedding: Parameter
    /// The L attention layers, input first.
    public let layers: [GraphAttentionLayer]
    /// W_f, b_f with `features: true` (docs/models/gnn-features.md).
    public let itemFeatures: ItemFeatureInput?

    public init(dataset: Dataset, hyperparameters: Hyperparameters, seed: UInt64) throws {
        let d = hyperparameters.int("embedding_size")
        let heads = hyperparameters.int("heads")
        let layerCount = hyperparameters.int("n_layers")
        guard d % heads == 0 else {
            throw ConfigError(key: "\(Self.name).heads",
                              "embedding_size \(d) is not divisible by heads \(heads); hidden layers have d / heads columns per head")
        }
        graph = dataset.graph.nodeAdjacency(selfLoops: hyperparameters.bool("self_loops"))
        userCount = dataset.userCount
        negativeSlope = hyperparameters.float("negative_slope")
        attentionDropout = hyperparameters.float("att_dropout")
        regWeight = hyperparameters.float("reg_weight")
        var rng = RandomGenerator(seed: seed, stream: 0)
        userEmbedding = Parameter(Initializer.xavierUniform(rows: dataset.userCount, cols: d, rng: &rng),
                                  name: "user_embedding")
        itemEmbedding = Parameter(Initializer.xavierUniform(rows: dataset.itemCount, cols: d, rng: &rng),
                                  name: "item_embedding")
        // Hidden layers: K heads of d/K, concatenated back to d. The last: K heads of d, averaged.
        layers = (0..<layerCount).map { l in
            let last = l == layerCount - 1
            return GraphAttentionLayer(inputSize: d, headSize: last ? d : d / heads, heads: heads,
                                       concatenatesHeads: !last, rng: &rng, name: "layer\(l)")
        }
        // Its own stream, so that E⁰ and the layers start the same with and without features.
        var featureRNG = RandomGenerator(seed: seed, stream: 1)
        itemFeatures = try ItemFeatureInput(dataset: dataset, hyperparameters: hyperparameters, embeddingSize: d,
                                            model: Self.name, rng: &featureRNG)
    }

    public var parameters: [Parameter] {
        [userEmbedding, itemEmbedding] + layers.flatMap(\.parameters) + (itemFeatures?.parameters ?? [])
    }

    /// 1 with `features`: since then the L2 term reads the item rows with their
    /// feature term, as NGCF's does (docs/models/gnn-features.md); revision 0
    /// read the raw ID rows. Without `features` nothing changed.
    public static func revision(_ h: Hyperparameters) -> Int { h.bool("features") ? 1 : 0 }

    /// The node graph the layers attend over: users 0..<U, then items.
    public var nodeGraph: Adjacency { graph }

    /// x⁰_i: the item ID rows, plus W_f f_i + b_f with `features`
    /// (docs/models/gnn-features.md).
    func itemInput(_ items: Variable) -> Variable {
        itemFeatures.map { $0(items) } ?? items
    }

    /// Every layer's output from the ID rows, on their tape (the item rows
    /// take their feature term first). Attention dropout applies only when
    /// `training` is true.
    public func encode(users: Variable, items: Variable, training: Bool,
                       rng: inout RandomGenerator) -> [GraphAttentionLayer.Output] {
        attend(from: concatRows([users, itemInput(items)]), training: training, rng: &rng)
    }

    /// Every layer's output from the node input h⁰ (users ‖ x⁰ of the items).
    func attend(from input: Variable, training: Bool, rng: inout RandomGenerator) -> [GraphAttentionLayer.Output] {
        var h = input
        var outputs: [GraphAttentionLayer.Output] = []
        for layer in layers {
            let out = layer(h, over: graph, negativeSlope: negativeSlope,
                            dropoutRate: training ? attentionDropout : 0, rng: &rng)
            outputs.append(out)
            h = out.nodes
        }
        return outputs
    }

    /// The final user and item rows e = h^L from the layer-0 rows.
    func finalEmbeddings(users: Variable, itemInput: Variable, training: Bool,
                         rng: inout RandomGenerator) -> (users: Variable, items: Variable) {
        let h = attend(from: concatRows([users, itemInput]), training: training, rng: &rng).last!.nodes
        return (sliceRows(h, 0..<userCount), sliceRows(h, userCount..<h.rows))
    }

    public func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        let u0 = tape.watch(userEmbedding)
        let x0 = itemInput(tape.watch(itemEmbedding))
        let (users, items) = finalEmbeddings(users: u0, itemInput: x0, training: true, rng: &rng)
        let (pos, neg) = batchScores(users: users, items: items, batch)
        // λ L2 on the batch's layer-0 rows as the layers read them: with
        // `features` the item rows carry W_f f_i + b_f (docs/models/gnn-features.md).
        let ego = batchLayerZeroRows(users: u0, items: x0, batch)
        return bprLoss(positive: pos, negative: neg) + l2Regularization(ego, weight: regWeight, batchSize: batch.count)
    }

    public func makeScorer() throws -> Scorer {
        let tape = Tape.noGrad()
        var rng = RandomGenerator(seed: 0)  // unused: no dropout outside training
        let (users, items) = finalEmbeddings(users: tape.watch(userEmbedding),
                                             itemInput: itemInput(tape.watch(itemEmbedding)), training: false, rng: &rng)
        return DotProductScorer(users: users.value, items: items.value)
    }
}
