import GraphKit
import RecommenderCore

/// One modality's prototypical network (GRCN Sec. 2.2.1): the distilled item
/// features, the routed user prototypes, and the two-direction affinities of
/// every training edge.
public struct PrototypicalNetwork {
    /// The modality this network reads.
    public let modality: Modality
    /// f^m, I × D_m, as loaded.
    let features: Tensor
    /// W_m and b_m of eq. 1, D_m → latent_dim.
    public let projection: Linear
    /// P_m (U × latent_dim): the users' initial preferences u_(0).
    public let preference: Parameter

    init(modality: Modality, features: Tensor, userCount: Int, latentDim: Int, rng: inout RandomGenerator) {
        self.modality = modality
        self.features = features
        projection = Linear(inputSize: features.cols, outputSize: latentDim, rng: &rng,
                            name: "\(modality.rawValue).projection")
        preference = Parameter(Initializer.xavierUniform(rows: userCount, cols: latentDim, rng: &rng),
                               name: "\(modality.rawValue).preference")
    }

    /// The network's trainable parameters.
    var parameters: [Parameter] { projection.parameters + [preference] }

    /// What the network gives the rest of the model.
    struct Output {
        /// ū_m (U × latent_dim), the user prototypes.
        let users: Variable
        /// ī_m (I × latent_dim), the distilled item features.
        let items: Variable
        /// s̄^m_{u←i} per canonical edge (E × 1), a softmax over each user's items.
        let intoUsers: Variable
        /// s̄^m_{i←u} per canonical edge (E × 1), a softmax over each item's users.
        let intoItems: Variable
    }

    /// Eqs. 1-5 for the whole graph on `tape`.
    ///
    /// With `routeToItems` (MMRec's port) the routing messages go to the items
    /// and only the users' rows, which receive nothing, are kept: the
    /// prototypes stay at P_m, so the loop is skipped.
    func callAsFunction(graph: BipartiteGraph, on tape: Tape, iterations: Int, hasNorm: Bool,
                        routeToItems: Bool) -> Output {
        let normalize: (Variable) -> Variable = { hasNorm ? l2NormalizeRows($0) : $0 }
        // Eq. 1: ī_m = LeakyReLU(W_m f_i^m + b_m), L2-normalised with has_norm.
        let items = normalize(projection(tape.constant(features), activation: .leakyReLU(negativeSlope: 0.01)))
        var users = normalize(tape.watch(preference))
        if !routeToItems {
            for _ in 0..<iterations {
                users = routingStep(users: users, items: items, graph: graph, normalize: normalize)
            }
        }
        let (intoUsers, intoItems) = affinities(users: users, items: items, graph: graph)
        return Output(users: users, items: items, intoUsers: intoUsers, intoItems: intoItems)
    }
}

/// One routing iteration (GRCN eqs. 2-4), messages item → user:
/// p_ui = softmax_{i ∈ N(u)}(īᵀ u_(t-1)) and u_(t) = normalize(u_(t-1) + Σ_{i∈N(u)} p_ui ī).
func routingStep(users: Variable, items: Variable, graph: BipartiteGraph,
                 normalize: (Variable) -> Variable) -> Variable {
    let similarity = edgeScores(targets: users, sources: items, over: graph.itemsToUsers)
    let p = segmentSoftmax(similarity, over: graph.itemsToUsers)
    return normalize(users + propagate(items, over: graph.itemsToUsers, weights: .learnable(p)))
}

/// GRCN eq. 5: the affinity ū_m · ī_m of each edge, as a softmax over the
/// user's items (s̄_{u←i}) and over the item's users (s̄_{i←u}). The dot
/// product is symmetric, so one E × 1 score feeds both softmaxes.
func affinities(users: Variable, items: Variable, graph: BipartiteGraph) -> (intoUsers: Variable, intoItems: Variable) {
    let score = edgeScores(targets: users, sources: items, over: graph.itemsToUsers)
    return (segmentSoftmax(score, over: graph.itemsToUsers), segmentSoftmax(score, over: graph.usersToItems))
}
