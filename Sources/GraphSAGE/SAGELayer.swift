import GraphKit
import RecommenderCore

/// One GraphSAGE layer on the bipartite training graph, for users and items at once:
/// `h_v^{l+1} = normalize( σ( W^l [ h_v^l ‖ AGG^l({h_n^l : n ∈ N(v)}) ] ) )`
/// (Algorithm 1, lines 4–7), with W^l (d × 2d, no bias) shared by users and items.
struct SAGELayer {
    /// W^l, d × 2d: the self half acts on h_v, the neighbour half on AGG.
    let weight: Linear
    /// W_pool and b of the "pool" aggregator; nil for "mean".
    let pool: PoolingTransform?
    /// σ = ReLU on hidden layers, the identity on the last.
    let activation: Activation
    let index: Int

    init(size d: Int, index: Int, aggregator: Aggregator, isLast: Bool, rng: inout RandomGenerator) {
        weight = Linear(inputSize: 2 * d, outputSize: d, bias: false, rng: &rng, name: "sage\(index).weight")
        pool = aggregator == .pool ? PoolingTransform(size: d, layer: index, rng: &rng) : nil
        activation = isLast ? .identity : .relu
        self.index = index
    }

    var parameters: [Parameter] { weight.parameters + (pool?.parameters ?? []) }

    /// A callback receiving the layer's intermediate values: `(layer, name, value)`,
    /// with names "pool.users"/"pool.items" (W_pool h + b, before the ReLU),
    /// "aggregate.users"/"aggregate.items", and "combine.users"/"combine.items"
    /// (W^l [h ‖ AGG], before σ). Used by tests to locate ReLU kinks and max ties.
    typealias Observer = (Int, String, Tensor) -> Void

    /// h^{l+1} for users (U × d) and items (I × d).
    func callAsFunction(users: Variable, items: Variable, graph: BipartiteGraph,
                        observe: Observer? = nil) -> (users: Variable, items: Variable) {
        // AGG over N(u) (items, messages item → user) and N(i) (users, messages user → item).
        let aggregated: (users: Variable, items: Variable)
        if let pool {
            // Pooling aggregator (eq. 3): max_n ReLU(W_pool h_n + b), a segment max
            // whose gradient goes to the argmax.
            if let observe {
                observe(index, "pool.users", pool.preActivation(users).value)
                observe(index, "pool.items", pool.preActivation(items).value)
            }
            let (pu, pi) = (pool(users), pool(items))
            aggregated = (propagate(pi, over: graph.itemsToUsers, aggregation: .max),
                          propagate(pu, over: graph.usersToItems, aggregation: .max))
        } else {
            // Mean aggregator: (1 / |N(v)|) Σ_n h_n, the one-sided normalised product.
            aggregated = (propagate(items, over: graph.itemsToUsers, aggregation: .mean),
                          propagate(users, over: graph.usersToItems, aggregation: .mean))
        }
        if let observe {
            observe(index, "aggregate.users", aggregated.users.value)
            observe(index, "aggregate.items", aggregated.items.value)
        }
        return (combine(users, aggregated.users, name: "users", observe: observe),
                combine(items, aggregated.items, name: "items", observe: observe))
    }

    /// normalize(σ(W^l [h ‖ agg])): one fused affine op on the concatenation, then L2 row normalisation.
    private func combine(_ h: Variable, _ agg: Variable, name: String, observe: Observer?) -> Variable {
        let x = concatColumns([h, agg])
        if let observe { observe(index, "combine." + name, weight(x).value) }
        return l2NormalizeRows(weight(x, activation: activation))
    }
}
