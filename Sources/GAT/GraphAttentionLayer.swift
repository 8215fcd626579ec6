import GraphKit

/// One graph attention layer (Veličković et al., ICLR'18, eqs. 1-6) over the
/// node graph of users and items, with `heads` independent heads.
///
/// Head k: z_v = W_k h_v, e_vn = LeakyReLU(a_kᵀ [z_v ‖ z_n]) for each edge
/// n → v (eq. 3), α_vn = softmax over n ∈ N(v) of e_vn (eq. 2) and
/// h'_v = Σ_n α_vn z_n. Hidden layers concatenate the heads and apply ELU
/// (eq. 5); the last layer averages them (eq. 6).
public struct GraphAttentionLayer {
    /// [W_1 … W_K] as one (in × K·out) matrix: z = h W, head k in columns k·out..<(k+1)·out.
    public let weight: Parameter
    /// a_k's first half, applied to the target z_v: column k is head k's (out × K).
    public let attentionTarget: Parameter
    /// a_k's second half, applied to the source z_n: column k is head k's (out × K).
    public let attentionSource: Parameter
    /// Number of heads K.
    public let heads: Int
    /// Size of each head's output.
    public let headSize: Int
    /// True for a hidden layer (concatenate, then ELU); false for the last (average).
    public let concatenatesHeads: Bool

    /// A layer from `inputSize` columns to K heads of `headSize` columns, Xavier-uniform.
    public init(inputSize: Int, headSize: Int, heads: Int, concatenatesHeads: Bool, rng: inout RandomGenerator,
                name: String) {
        weight = Parameter(Initializer.xavierUniform(rows: inputSize, cols: heads * headSize, rng: &rng),
                           name: name + ".weight")
        attentionTarget = Parameter(Initializer.xavierUniform(rows: headSize, cols: heads, rng: &rng),
                                    name: name + ".attention_target")
        attentionSource = Parameter(Initializer.xavierUniform(rows: headSize, cols: heads, rng: &rng),
                                    name: name + ".attention_source")
        self.heads = heads
        self.headSize = headSize
        self.concatenatesHeads = concatenatesHeads
    }

    /// W, a_target and a_source.
    public var parameters: [Parameter] { [weight, attentionTarget, attentionSource] }

    /// Size of the layer's output rows: K·out when concatenating, out when averaging.
    public var outputSize: Int { concatenatesHeads ? heads * headSize : headSize }

    /// The layer applied to node rows `h` (N × in) over `graph` (N → N).
    /// `dropoutRate` > 0 drops attention weights (training only) with `rng`.
    public func callAsFunction(_ h: Variable, over graph: Adjacency, negativeSlope: Float,
                               dropoutRate: Float = 0, rng: inout RandomGenerator) -> Output {
        let tape = h.tape
        let z = matmul(h, tape.watch(weight))
        let zHeads = heads == 1 ? [z] : (0..<heads).map { sliceColumns(z, $0 * headSize..<($0 + 1) * headSize) }
        // a_kᵀ [z_v ‖ z_n] = a_target,k · z_v + a_source,k · z_n: per-node scores
        // (N × K) by a matmul per head, then one gather of each to the edges.
        let (aT, aS) = (tape.watch(attentionTarget), tape.watch(attentionSource))
        let columns = { (a: Variable, k: Int) in self.heads == 1 ? a : sliceColumns(a, k..<k + 1) }
        let targetScores = concatHeads((0..<heads).map { matmul(zHeads[$0], columns(aT, $0)) })
        let sourceScores = concatHeads((0..<heads).map { matmul(zHeads[$0], columns(aS, $0)) })
        let logits = gatherTargets(targetScores, over: graph) + gatherSources(sourceScores, over: graph)
        // eq. 3: LeakyReLU, then the softmax over each target's incoming edges (eq. 2).
        let attention = segmentSoftmax(leakyReLU(logits, negativeSlope: negativeSlope), over: graph)
        let used = dropoutRate > 0 ? dropout(attention, rate: dropoutRate, rng: &rng) : attention
        // h'_v = Σ_n α_vn z_n for every head in one learnable-weight sparse
        // product: head k's columns of z are weighted by column k of α.
        let messages = propagate(z, over: graph, weights: heads == 1 ? .learnable(used) : .learnableBlocks(used))
        let out: Variable
        if concatenatesHeads {
            out = elu(messages)                                        // eq. 5
        } else if heads == 1 {
            out = messages
        } else {
            let perHead = (0..<heads).map { sliceColumns(messages, $0 * headSize..<($0 + 1) * headSize) }
            out = scale(perHead.dropFirst().reduce(perHead[0], +), by: 1 / Float(heads))  // eq. 6
        }
        return Output(nodes: out, logits: logits, attention: attention)
    }

    private func concatHeads(_ parts: [Variable]) -> Variable {
        parts.count == 1 ? parts[0] : concatColumns(parts)
    }

    /// A layer's output rows and its attention, per edge of the node graph.
    public struct Output {
        /// h', N × `outputSize`.
        public let nodes: Variable
        /// a_kᵀ [z_v ‖ z_n] before the LeakyReLU, edgeCount × K.
        public let logits: Variable
        /// α_vn before dropout, edgeCount × K; each target's column sums to 1.
        public let attention: Variable
    }
}
