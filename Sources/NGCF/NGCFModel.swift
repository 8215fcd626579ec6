import GraphKit
import RecommenderCore

/// NGCF, Neural Graph Collaborative Filtering (Wang et al., SIGIR'19), as
/// specified in docs/models/NGCF.md.
///
/// E⁰ as in LightGCN (with `features: true`, an item's row is e⁰_i + W_f f_i + b_f).
/// Each of the L layers (`EmbeddingPropagation`, eq. 7) is followed by message
/// dropout and L2 row normalisation; the final vectors are e = E⁰ ‖ E¹ ‖ … ‖ E^L
/// (eq. 9), y_ui = e_u · e_i (eq. 10), and the loss is BPR
/// + λ (‖e⁰_u‖² + ‖e⁰_i‖² + ‖e⁰_j‖²) / (2B) over the batch's layer-0 rows.
public final class NGCFModel: Recommender {
    public static let name = "NGCF"

    public static let hyperparameters: [HyperparameterSpec] = [
        .integer("embedding_size", default: 64, in: 1...4096, "size d of E⁰ and of every layer"),
        .integer("n_layers", default: 2, in: 0...8, "embedding-propagation layers L"),
        .real("reg_weight", default: 1e-5, in: 0...1e3, "λ of the L2 term on the batch's layer-0 rows"),
        .real("mess_dropout", default: 0.1, in: 0...0.99,
              "message dropout on each layer's output E^{l+1}, in training only"),
        .real("node_dropout", default: 0.0, in: 0...0.99,
              "drop each edge of L_norm with this probability per training batch, rescaling the rest by 1/(1-p)"),
        .itemFeatures,
    ]

    let graph: BipartiteGraph
    /// L_norm = D^{-1/2} A D^{-1/2}, one entry per canonical edge.
    let norm: [Float]
    let regWeight: Float
    let messageDropout: Float
    let nodeDropout: Float
    /// E⁰ for users (U × d) and items (I × d), Xavier-uniform.
    public let userEmbedding: Parameter
    public let itemEmbedding: Parameter
    /// The L propagation layers, W1, b1, W2, b2 each.
    let layers: [EmbeddingPropagation]
    /// W_f, b_f of the item input when `features` is true.
    let itemFeatures: ItemFeatureInput?

    public init(dataset: Dataset, hyperparameters: Hyperparameters, seed: UInt64) throws {
        let d = hyperparameters.int("embedding_size")
        graph = dataset.graph
        norm = graph.symmetricNormalization
        regWeight = hyperparameters.float("reg_weight")
        messageDropout = hyperparameters.float("mess_dropout")
        nodeDropout = hyperparameters.float("node_dropout")
        var rng = RandomGenerator(seed: seed, stream: 0)
        userEmbedding = Parameter(Initializer.xavierUniform(rows: dataset.userCount, cols: d, rng: &rng),
                                  name: "user_embedding")
        itemEmbedding = Parameter(Initializer.xavierUniform(rows: dataset.itemCount, cols: d, rng: &rng),
                                  name: "item_embedding")
        layers = (0..<hyperparameters.int("n_layers")).map { EmbeddingPropagation(size: d, layer: $0, rng: &rng) }
        itemFeatures = try ItemFeatureInput(dataset: dataset, hyperparameters: hyperparameters, embeddingSize: d,
                                            model: Self.name, rng: &rng)
    }

    public var parameters: [Parameter] {
        [userEmbedding, itemEmbedding] + layers.flatMap(\.parameters) + (itemFeatures?.parameters ?? [])
    }

    /// E⁰: the users' ID rows, and the items' ID rows plus W_f f_i + b_f with `features`.
    func inputs(on tape: Tape) -> (users: Variable, items: Variable) {
        let items = tape.watch(itemEmbedding)
        return (tape.watch(userEmbedding), itemFeatures.map { $0(items) } ?? items)
    }

    /// The final vectors e = E⁰ ‖ E¹ ‖ … ‖ E^L (eq. 9) from E⁰.
    ///
    /// `rng` is the batch's generator in training (node dropout, then message
    /// dropout layer by layer), nil for scoring (no dropout at all).
    func finalEmbeddings(users u0: Variable, items i0: Variable,
                         rng: inout RandomGenerator?) -> (users: Variable, items: Variable) {
        let (allU, allI) = layerOutputs(users: u0, items: i0, rng: &rng)
        return (concatColumns(allU), concatColumns(allI))
    }

    /// E⁰, E¹, …, E^L for users and items, before the concatenation of eq. 9.
    func layerOutputs(users u0: Variable, items i0: Variable,
                      rng: inout RandomGenerator?) -> (users: [Variable], items: [Variable]) {
        // L_norm, with node dropout in training.
        let weights: [Float]
        if rng != nil, nodeDropout > 0 {
            weights = nodeDropoutWeights(norm, rate: nodeDropout, rng: &rng!)
        } else {
            weights = norm
        }
        var (u, i) = (u0, i0)
        var (allU, allI) = ([u0], [i0])
        for layer in layers {
            (u, i) = layer(users: u, items: i, graph: graph, weights: weights)
            // Message dropout on E^{l+1}, training only.
            if rng != nil, messageDropout > 0 {
                u = dropout(u, rate: messageDropout, rng: &rng!)
                i = dropout(i, rate: messageDropout, rng: &rng!)
            }
            // L2 row normalisation; the normalised E^{l+1} feeds layer l + 2.
            (u, i) = (l2NormalizeRows(u), l2NormalizeRows(i))
            allU.append(u)
            allI.append(i)
        }
        return (allU, allI)
    }

    public func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        let (u0, i0) = inputs(on: tape)
        var batchRNG: RandomGenerator? = rng
        let (users, items) = layerOutputs(users: u0, items: i0, rng: &batchRNG)
        rng = batchRNG!
        // e_u ‖-concatenated for the batch's rows only: gathering before eq. 9's
        // concatenation spares copying every node's (L+1)d columns each batch.
        func final(_ layers: [Variable], _ rows: [Int32]) -> Variable {
            concatColumns(layers.map { gatherRows($0, rows) })
        }
        let u = final(users, batch.users)
        let pos = rowDot(u, final(items, batch.positives))
        let neg = rowDot(u, final(items, batch.negatives))
        // λ L2 on the batch's layer-0 rows (the item rows with their feature term when `features` is on).
        let ego = batchLayerZeroRows(users: u0, items: i0, batch)
        return bprLoss(positive: pos, negative: neg) + l2Regularization(ego, weight: regWeight, batchSize: batch.count)
    }

    public func makeScorer() throws -> Scorer {
        let tape = Tape.noGrad()
        let (u0, i0) = inputs(on: tape)
        var noDropout: RandomGenerator? = nil
        let (users, items) = finalEmbeddings(users: u0, items: i0, rng: &noDropout)
        return DotProductScorer(users: users.value, items: items.value)
    }
}
