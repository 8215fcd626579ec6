import GraphKit

/// AGG^l of a GraphSAGE layer (Hamilton et al., NeurIPS'17, §3.3; docs/models/GraphSAGE.md).
public enum Aggregator: String, CaseIterable, Sendable {
    /// The mean of the neighbours' rows: a one-sided normalised sparse product.
    case mean
    /// max_n ReLU(W_pool h_n + b), an element-wise max over the neighbours (eq. 3).
    case pool
}

/// The pooling network of the "pool" aggregator: ReLU(W_pool h_n + b), d → d,
/// shared by users and items (one per layer).
struct PoolingTransform {
    let linear: Linear

    init(size d: Int, layer: Int, rng: inout RandomGenerator) {
        linear = Linear(inputSize: d, outputSize: d, bias: true, rng: &rng, name: "pool\(layer)")
    }

    var parameters: [Parameter] { linear.parameters }

    /// ReLU(W_pool h_n + b) for every row of `h`, fused into one affine op.
    func callAsFunction(_ h: Variable) -> Variable { linear(h, activation: .relu) }

    /// W_pool h_n + b before the ReLU (for tracing the ReLU's kinks in tests).
    func preActivation(_ h: Variable) -> Variable { linear(h, activation: .identity) }
}
