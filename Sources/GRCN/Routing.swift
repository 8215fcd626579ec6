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

    /// With `mmrecInitialisation`, the draws are MMRec's: Xavier normal for W_m
    /// and P_m, and PyTorch's default bias U(±1/√D_m) for b_m.
    init(modality: Modality, features: Tensor, userCount: Int, latentDim: Int, mmrecInitialisation: Bool,
         rng: inout RandomGenerator) {
        self.modality = modality
        self.features = features
        projection = Linear(inputSize: features.cols, outputSize: latentDim, rng: &rng,
                            name: "\(modality.rawValue).projection")
        preference = Parameter(Initializer.xavierUniform(rows: userCount, cols: latentDim, rng: &rng),
                               name: "\(modality.rawValue).preference")
        if mmrecInitialisation {
            let bound = 1 / Float(features.cols).squareRoot()
            projection.weight.value = Initializer.xavierNormal(rows: latentDim, cols: features.cols, rng: &rng)
            projection.bias!.value = Initializer.uniform(rows: 1, cols: latentDim, low: -bound, high: bound, rng: &rng)
            preference.value = Initializer.xavierNormal(rows: userCount, cols: latentDim, rng: &rng)
        }
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
        /// What the prediction concatenates for users and items: ū_m and ī_m,
        /// or with MMRec's content aggregation ū + Σ_i s̄_{u←i} ī and ī + Σ_u s̄_{i←u} ū.
        let contentUsers: Variable
        let contentItems: Variable
    }

    /// Eqs. 1-5 for the whole graph on `tape`.
    ///
    /// With `staticPrototypes` (MMRec's port) the routing messages go to the
    /// items and only the users' rows, which receive nothing, are kept: the
    /// prototypes stay at P_m, so the loop is skipped. With `aggregateContent`
    /// (MMRec's port) the vectors handed to the prediction get one more
    /// aggregation over the affinities: ū + Σ_i s̄_{u←i} ī and ī + Σ_u s̄_{i←u} ū.
    func callAsFunction(graph: BipartiteGraph, on tape: Tape, iterations: Int, hasNorm: Bool,
                        staticPrototypes: Bool, aggregateContent: Bool) -> Output {
        let normalize: (Variable) -> Variable = { hasNorm ? l2NormalizeRows($0) : $0 }
        // Eq. 1: ī_m = LeakyReLU(W_m f_i^m + b_m), L2-normalised with has_norm.
        let items = normalize(projection(tape.constant(features), activation: .leakyReLU(negativeSlope: 0.01)))
        var users = normalize(tape.watch(preference))
        if !staticPrototypes {
            for _ in 0..<iterations {
                users = routingStep(users: users, items: items, graph: graph, normalize: normalize)
            }
        }
        let (intoUsers, intoItems) = affinities(users: users, items: items, graph: graph)
        guard aggregateContent else {
            return Output(users: users, items: items, intoUsers: intoUsers, intoItems: intoItems,
                          contentUsers: users, contentItems: items)
        }
        // CGCN's x + x_hat_1: one attention-weighted sum over both directions of every edge.
        return Output(users: users, items: items, intoUsers: intoUsers, intoItems: intoItems,
                      contentUsers: users + propagate(items, over: graph.itemsToUsers, weights: .learnable(intoUsers)),
                      contentItems: items + propagate(users, over: graph.usersToItems, weights: .learnable(intoItems)))
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
