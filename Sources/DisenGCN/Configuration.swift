import RecommenderCore

/// DisenGCN's hyper-parameters (docs/models/DisenGCN.md), checked against each other.
struct DisenGCNConfiguration {
    /// d, the size of every layer's output c_v.
    let embeddingSize: Int
    /// K, the number of latent factors (channels); each has d / K columns.
    let factors: Int
    /// T, the routing iterations of each layer.
    let iterations: Int
    /// τ, the temperature of the softmax over factors.
    let temperature: Float
    /// The number of disentangled layers.
    let layers: Int
    /// λ of the L2 term on the batch's E⁰ rows.
    let regWeight: Float

    /// The size d / K of one factor's channel.
    var channelSize: Int { embeddingSize / factors }

    /// Reads `h`; throws a `ConfigError` when d is not a multiple of K.
    init(_ h: Hyperparameters, model: String) throws {
        embeddingSize = h.int("embedding_size")
        factors = h.int("n_factors")
        iterations = h.int("n_iterations")
        temperature = h.float("tau")
        layers = h.int("n_layers")
        regWeight = h.float("reg_weight")
        guard embeddingSize % factors == 0 else {
            throw ConfigError(key: "\(model).n_factors",
                              "embedding_size (\(embeddingSize)) must be a multiple of n_factors (\(factors)): each of the K factors gets d / K columns")
        }
    }
}
