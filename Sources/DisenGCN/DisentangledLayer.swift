import GraphKit

/// One DisenGCN layer (Ma et al., ICML'19, Algorithm 1): per-factor projections
/// of every node followed by neighbourhood routing.
///
/// The K projections W_k, b_k (d_in → d / K each) are one `Linear` to K·(d/K)
/// columns; factor k is the column block k·(d/K) ..< (k+1)·(d/K).
public struct DisentangledLayer {
    /// W_1 … W_K and b_1 … b_K stacked: d_in → K · (d / K).
    public let projection: Linear
    /// K.
    public let factors: Int
    /// T.
    public let iterations: Int
    /// τ.
    public let temperature: Float

    init(inputSize: Int, factors: Int, channelSize: Int, iterations: Int, temperature: Float,
         rng: inout RandomGenerator, name: String) {
        projection = Linear(inputSize: inputSize, outputSize: factors * channelSize, rng: &rng, name: name)
        self.factors = factors
        self.iterations = iterations
        self.temperature = temperature
    }

    /// W_k and b_k.
    public var parameters: [Parameter] { projection.parameters }

    /// The layer's work, kept for inspection.
    public struct Output {
        /// z_{v,k} for k = 1 … K, each N × (d / K), unit rows.
        public let z: [Variable]
        /// c_{v,k} for k = 1 … K after the last iteration, each N × (d / K).
        public let c: [Variable]
        /// p_{n,k} of the last iteration, edgeCount × K (nil when T = 0).
        public let routing: Variable?
        /// c_v = c_{v,1} ‖ … ‖ c_{v,K}, N × d.
        public var output: Variable { concatColumns(c) }
    }

    /// z_{v,k} = normalize(σ(W_k x_v + b_k)) for every node v and factor k
    /// (Algorithm 1, line 2), σ = leaky-ReLU (slope 0.01).
    public func factorize(_ x: Variable) -> [Variable] {
        let h = projection(x, activation: .leakyReLU(negativeSlope: 0.01))
        let size = h.cols / factors
        return (0..<factors).map { k in l2NormalizeRows(sliceColumns(h, k * size ..< (k + 1) * size)) }
    }

    /// One routing iteration (Algorithm 1, lines 5-8) from the current c:
    /// p_{n,k} = softmax_k(z_{n,k} · c_{v,k} / τ) for each edge n → v of `graph`,
    /// then c_{v,k} = normalize(z_{v,k} + Σ_{n → v} p_{n,k} z_{n,k}).
    public func routingStep(z: [Variable], c: [Variable], over graph: Adjacency) -> (c: [Variable], routing: Variable) {
        // z_{n,k} · c_{v,k} per edge, one E × 1 column per factor, then E × K.
        let scores = concatColumns((0..<factors).map { k in edgeScores(targets: c[k], sources: z[k], over: graph) })
        let p = softmaxRows(temperature == 1 ? scores : scale(scores, by: 1 / temperature))
        let next = (0..<factors).map { k in
            l2NormalizeRows(z[k] + propagate(z[k], over: graph, weights: .learnable(sliceColumns(p, k ..< k + 1))))
        }
        return (next, p)
    }

    /// The layer on node rows `x` (N × d_in) over `graph` (N × N, no self-loops):
    /// c starts at z and takes T routing steps; gradients flow through all of them.
    public func callAsFunction(_ x: Variable, over graph: Adjacency) -> Output {
        let z = factorize(x)
        var c = z
        var routing: Variable?
        for _ in 0..<iterations {
            let step = routingStep(z: z, c: c, over: graph)
            (c, routing) = (step.c, step.routing)
        }
        return Output(z: z, c: c, routing: routing)
    }
}
