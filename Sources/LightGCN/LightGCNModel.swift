import GraphKit
import RecommenderCore

/// LightGCN (He et al., SIGIR'20), as specified in docs/models/LightGCN.md.
///
/// E^{l+1} = Â E^l with Â = D^{-1/2} A D^{-1/2} on the bipartite training graph
/// (eq. 7; eq. 3 per node), the final embedding the mean of E^0 … E^L (eq. 4), y_ui = e_u · e_i
/// (eq. 5), and loss BPR + λ (‖e⁰_u‖² + ‖e⁰_i‖² + ‖e⁰_j‖²) / (2B).
///
/// MMRec's port differs in one behaviour (`compat`, see `MMRecBehaviour`).
public final class LightGCNModel: Recommender {
    /// What MMRec's LightGCN does differently from the paper (docs/models/LightGCN.md).
    public enum MMRecBehaviour: String, CaseIterable, Hashable, Sendable {
        /// MMRec's EmbLoss: λ (‖E_u‖_F + ‖E_i‖_F + ‖E_j‖_F) / B over the batch's
        /// layer-0 rows, with non-squared norms, instead of λ Σ‖·‖² / (2B).
        case embLoss = "emb_loss"
    }

    public static let name = "LightGCN"

    public static let hyperparameters: [HyperparameterSpec] = [
        .integer("embedding_size", default: 64, in: 1...4096, "size d of the ID embeddings"),
        .integer("n_layers", default: 2, in: 0...8, "propagation layers L"),
        .real("reg_weight", default: 1e-4, in: 0...1e3, "λ of the L2 term on the batch's layer-0 embeddings"),
        MMRecCompat<MMRecBehaviour>.spec(
            "\"mmrec\": MMRec's port, whose EmbLoss (emb_loss) takes non-squared Frobenius norms divided by B instead of the squared L2 / 2B"),
    ]

    let graph: BipartiteGraph
    let norm: [Float]
    let layers: Int
    let regWeight: Float
    let mmrecRegulariser: Bool
    /// E⁰ for users (U × d) and items (I × d), Xavier-uniform.
    public let userEmbedding: Parameter
    public let itemEmbedding: Parameter

    public init(dataset: Dataset, hyperparameters: Hyperparameters, seed: UInt64) throws {
        let d = hyperparameters.int("embedding_size")
        graph = dataset.graph
        norm = graph.symmetricNormalization
        layers = hyperparameters.int("n_layers")
        regWeight = hyperparameters.float("reg_weight")
        mmrecRegulariser = MMRecCompat<MMRecBehaviour>(hyperparameters).has(.embLoss)
        var rng = RandomGenerator(seed: seed, stream: 0)
        userEmbedding = Parameter(Initializer.xavierUniform(rows: dataset.userCount, cols: d, rng: &rng),
                                  name: "user_embedding")
        itemEmbedding = Parameter(Initializer.xavierUniform(rows: dataset.itemCount, cols: d, rng: &rng),
                                  name: "item_embedding")
    }

    public var parameters: [Parameter] { [userEmbedding, itemEmbedding] }

    /// The final user and item embeddings: the mean of E^0 … E^L (eq. 4).
    func propagateAll(users: Variable, items: Variable) -> (users: Variable, items: Variable) {
        // E⁰ … E^L, users' rows and items' rows.
        var (userLayers, itemLayers) = ([users], [items])
        for _ in 0..<layers {
            // E^{l+1} = Â E^l, one sparse product per direction.
            let nextU = propagate(itemLayers.last!, over: graph.itemsToUsers, weights: .fixed(norm))
            let nextI = propagate(userLayers.last!, over: graph.usersToItems, weights: .fixed(norm))
            userLayers.append(nextU)
            itemLayers.append(nextI)
        }
        let mean = 1 / Float(layers + 1)
        return (scaledSum(userLayers, by: mean), scaledSum(itemLayers, by: mean))
    }

    public func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        let (u0, i0) = (tape.watch(userEmbedding), tape.watch(itemEmbedding))
        // Eqs. 3-4 at the batch's users and items only: the same bits as
        // propagateAll followed by row lookups, without the rows no one reads.
        let (userRows, userSlot) = distinctRows(batch.users)
        let (itemRows, itemSlot) = distinctRows(batch.positives + batch.negatives)
        let (users, items) = propagatedLayerMean(users: u0, items: i0, over: graph, weights: norm, layers: layers,
                                                 userRows: userRows, itemRows: itemRows)
        let b = batch.count
        let u = gatherRows(users, userSlot)
        let pos = rowDot(u, gatherRows(items, Array(itemSlot[0..<b])))
        let neg = rowDot(u, gatherRows(items, Array(itemSlot[b..<(2 * b)])))
        let ego = batchLayerZeroRows(users: u0, items: i0, batch)
        let reg = mmrecRegulariser
            ? mmrecEmbeddingLoss(ego, weight: regWeight, batchSize: batch.count)
            : l2Regularization(ego, weight: regWeight, batchSize: batch.count)
        return bprLoss(positive: pos, negative: neg) + reg
    }

    public func makeScorer() throws -> Scorer {
        let tape = Tape.noGrad()
        let (users, items) = propagateAll(users: tape.watch(userEmbedding), items: tape.watch(itemEmbedding))
        return DotProductScorer(users: users.value, items: items.value)
    }
}
