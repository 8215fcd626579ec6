import GraphKit

/// One DisenGCN layer (Ma et al., ICML'19, Algorithm 1): per-factor projections
/// of every node followed by neighbourhood routing.
///
/// Every node row holds its K factor channels side by side: factor k is the
/// column block k·(d/K) ..< (k+1)·(d/K). The K projections W_k, b_k are one
/// `Linear` to K·(d/K) columns, and the routing runs on all K blocks at once
/// with GraphKit's block ops (one pass over the edges per step, not K).
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
        /// z_v = z_{v,1} ‖ … ‖ z_{v,K}, N × d, each block a unit row.
        public let z: Variable
        /// c_v = c_{v,1} ‖ … ‖ c_{v,K} after the last iteration, N × d: the layer output.
        public let output: Variable
        /// p_{n,k} of the last iteration, edgeCount × K (nil when T = 0).
        public let routing: Variable?
    }

    /// z_{v,k} = normalize(σ(W_k x_v + b_k)) for every node v and factor k
    /// (Algorithm 1, line 2), σ = leaky-ReLU (slope 0.01); the K blocks side by side.
    public func factorize(_ x: Variable) -> Variable {
        l2NormalizeRows(projection(x, activation: .leakyReLU(negativeSlope: 0.01)), blocks: factors)
    }

    /// One routing iteration (Algorithm 1, lines 5-8) from the current c (N × d):
    /// p_{n,k} = softmax_k(z_{n,k} · c_{v,k} / τ) for each edge n → v of `graph`,
    /// then c_{v,k} = normalize(z_{v,k} + Σ_{n → v} p_{n,k} z_{n,k}).
    public func routingStep(z: Variable, c: Variable, over graph: Adjacency) -> (c: Variable, routing: Variable) {
        // z_{n,k} · c_{v,k} for every edge and factor: E × K.
        let scores = edgeScores(targets: c, sources: z, over: graph, blocks: factors)
        let p = softmaxRows(temperature == 1 ? scores : scale(scores, by: 1 / temperature))
        let messages = propagate(z, over: graph, weights: .learnableBlocks(p))
        return (l2NormalizeRows(z + messages, blocks: factors), p)
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
        return Output(z: z, output: c, routing: routing)
    }
}
