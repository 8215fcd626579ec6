import GraphKit

/// One NGCF embedding-propagation layer (Wang et al., SIGIR'19, eq. 7 in matrix
/// form; docs/models/NGCF.md):
///
///     E^{l+1} = LeakyReLU_{0.2}( (L_norm + I) E^l W1 + b1 + (L_norm E^l ⊙ E^l) W2 + b2 ),
///
/// the first term carrying the neighbours' messages and the node's own row
/// (the self-loop I), the second the affinity messages L_norm E^l ⊙ E^l.
/// Users and items share W1, b1, W2 and b2.
struct EmbeddingPropagation {
    /// W1 and b1 (d × d as out × in, and 1 × d): the transform of (L_norm + I) E^l.
    let neighbourhood: Linear
    /// W2 and b2: the transform of the affinity term L_norm E^l ⊙ E^l.
    let affinity: Linear

    init(size d: Int, layer: Int, rng: inout RandomGenerator) {
        neighbourhood = Linear(inputSize: d, outputSize: d, rng: &rng, name: "ngcf.layer\(layer).W1")
        affinity = Linear(inputSize: d, outputSize: d, rng: &rng, name: "ngcf.layer\(layer).W2")
    }

    var parameters: [Parameter] { neighbourhood.parameters + affinity.parameters }

    /// E^{l+1} for users and items from E^l, with `weights` the per-edge entries
    /// of L_norm (canonical edge ids; node dropout may have zeroed some).
    func callAsFunction(users: Variable, items: Variable, graph: BipartiteGraph,
                        weights: [Float]) -> (users: Variable, items: Variable) {
        // L_norm E^l, one fixed-weight sparse product per direction.
        let toUsers = propagate(items, over: graph.itemsToUsers, weights: .fixed(weights))
        let toItems = propagate(users, over: graph.usersToItems, weights: .fixed(weights))
        return (transform(own: users, messages: toUsers), transform(own: items, messages: toItems))
    }

    /// LeakyReLU_{0.2}((E + L E) W1 + b1 + (L E ⊙ E) W2 + b2) for one side's rows.
    ///
    /// Both products run as one fused `affine`: [(E + L E) | (L E ⊙ E)] [W1 | W2]ᵀ
    /// + (b1 + b2), the same value as the two products summed.
    private func transform(own e: Variable, messages side: Variable) -> Variable {
        let tape = e.tape
        let input = concatColumns([e + side, side * e])
        let weight = concatColumns([tape.watch(neighbourhood.weight), tape.watch(affinity.weight)])
        let bias = tape.watch(neighbourhood.bias!) + tape.watch(affinity.bias!)
        return affine(input, weight, bias: bias, activation: .leakyReLU(negativeSlope: 0.2))
    }
}
