import GraphKit

/// GRCN's graph convolutional layer (eqs. 8-9) on the ID embeddings, over the
/// refined graph: `layers` weighted sums with no non-linearity,
/// e_u^l = Σ_{i∈N(u)} s_{u←i} e_i^{l-1} and e_i^l = Σ_{u∈N(i)} s_{i←u} e_u^{l-1},
/// then e = Σ_{l=0..L} e^l. The weights are learnable: their gradients flow
/// back into the routing and the projections.
func refinedConvolution(users: Variable, items: Variable, graph: BipartiteGraph, layers: Int,
                        intoUsers: Variable, intoItems: Variable) -> (users: Variable, items: Variable) {
    var (u, i) = (users, items)
    var (sumU, sumI) = (users, items)
    for _ in 0..<layers {
        let nextU = propagate(i, over: graph.itemsToUsers, weights: .learnable(intoUsers))
        let nextI = propagate(u, over: graph.usersToItems, weights: .learnable(intoItems))
        (u, i) = (nextU, nextI)
        sumU = sumU + u
        sumI = sumI + i
    }
    return (sumU, sumI)
}
