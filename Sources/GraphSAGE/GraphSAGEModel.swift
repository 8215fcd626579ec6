import GraphKit
import RecommenderCore

/// GraphSAGE (Hamilton et al., NeurIPS'17) for recommendation, as specified in
/// docs/models/GraphSAGE.md: full-neighbourhood GraphSAGE layers on the bipartite
/// training graph, from the ID embeddings E⁰ (plus W_f f_i + b_f on items with
/// `features: true`), final e = h^L, y_ui = e_u · e_i, and loss
/// BPR + λ (‖h⁰_u‖² + ‖h⁰_i‖² + ‖h⁰_j‖²) / (2B) on the rows the first layer reads.
///
/// No neighbour sampling: every layer aggregates the whole neighbourhood, so the
/// optional `fanout` of the paper is not offered.
public final class GraphSAGEModel: Recommender {
    public static let name = "GraphSAGE"

    public static let hyperparameters: [HyperparameterSpec] = [
        .integer("embedding_size", default: 64, in: 1...4096, "size d of the ID embeddings and of every layer's output"),
        .integer("n_layers", default: 2, in: 1...8, "GraphSAGE layers L"),
        .choice("aggregator", default: "mean", Aggregator.allCases.map(\.rawValue),
                "AGG: \"mean\" of the neighbours' rows, or \"pool\", max_n ReLU(W_pool h_n + b)"),
        .real("reg_weight", default: 1e-4, in: 0...1e3, "λ of the L2 term on the batch's layer-0 embeddings"),
        .itemFeatures,
    ]

    let graph: BipartiteGraph
    let regWeight: Float
    /// The aggregator every layer uses.
    public let aggregator: Aggregator
    /// E⁰ for users (U × d) and items (I × d), Xavier-uniform.
    public let userEmbedding: Parameter
    public let itemEmbedding: Parameter
    /// e⁰_i + W_f f_i + b_f with `features: true`, nil otherwise.
    let itemFeatures: ItemFeatureInput?
    let layers: [SAGELayer]

    public init(dataset: Dataset, hyperparameters: Hyperparameters, seed: UInt64) throws {
        let d = hyperparameters.int("embedding_size")
        let depth = hyperparameters.int("n_layers")
        graph = dataset.graph
        regWeight = hyperparameters.float("reg_weight")
        aggregator = Aggregator(rawValue: hyperparameters.string("aggregator"))!
        var rng = RandomGenerator(seed: seed, stream: 0)
        userEmbedding = Parameter(Initializer.xavierUniform(rows: dataset.userCount, cols: d, rng: &rng),
                                  name: "user_embedding")
        itemEmbedding = Parameter(Initializer.xavierUniform(rows: dataset.itemCount, cols: d, rng: &rng),
                                  name: "item_embedding")
        var layers: [SAGELayer] = []
        for l in 0..<depth {
            layers.append(SAGELayer(size: d, index: l, aggregator: aggregator, isLast: l == depth - 1, rng: &rng))
        }
        self.layers = layers
        itemFeatures = try ItemFeatureInput(dataset: dataset, hyperparameters: hyperparameters, embeddingSize: d,
                                            model: Self.name, rng: &rng)
    }

    public var parameters: [Parameter] {
        [userEmbedding, itemEmbedding] + layers.flatMap(\.parameters) + (itemFeatures?.parameters ?? [])
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

    /// The final embeddings h^L of users and items from the ID rows (the item
    /// rows take their feature term first).
    func forward(users: Variable, items: Variable,
                 observe: SAGELayer.Observer? = nil) -> (users: Variable, items: Variable) {
        propagate(users: users, itemInput: itemInput(items), observe: observe)
    }

    /// The final embeddings h^L from h⁰: the user ID rows and the item rows x⁰.
    func propagate(users: Variable, itemInput: Variable,
                   observe: SAGELayer.Observer? = nil) -> (users: Variable, items: Variable) {
        var h = (users: users, items: itemInput)
        for layer in layers {
            h = layer(users: h.users, items: h.items, graph: graph, observe: observe)
        }
        return h
    }

    public func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        let u0 = tape.watch(userEmbedding)
        let x0 = itemInput(tape.watch(itemEmbedding))
        let (users, items) = propagate(users: u0, itemInput: x0)
        let (pos, neg) = batchScores(users: users, items: items, batch)
        // λ L2 on the batch's layer-0 rows as the first layer reads them: with
        // `features` the item rows carry W_f f_i + b_f (docs/models/gnn-features.md).
        let ego = batchLayerZeroRows(users: u0, items: x0, batch)
        return bprLoss(positive: pos, negative: neg) + l2Regularization(ego, weight: regWeight, batchSize: batch.count)
    }

    public func makeScorer() throws -> Scorer {
        let tape = Tape.noGrad()
        let (users, items) = forward(users: tape.watch(userEmbedding), items: tape.watch(itemEmbedding))
        return DotProductScorer(users: users.value, items: items.value)
    }
}
