import GraphKit
import RecommenderCore

/// DualGNN's single-modal representation learning for one modality m
/// (docs/models/DualGNN.md, steps 1–2): the item projection, the users' preference
/// table P_m, and the two-hop "simplified graph operation" on the user–item graph.
public struct SingleModalConvolution {
    /// The modality this branch reads.
    public let modality: Modality
    /// f^m, I × D_m (constant).
    let features: Tensor
    /// P_m, U × d: the users' preference in this modality.
    public let preference: Parameter
    /// W1_m, b1: D_m → 4d.
    public let hidden: Linear
    /// W2_m, b2: 4d → d.
    public let output: Linear

    /// With `mmrecInitialisation`, the draws are MMRec's: Xavier normal for
    /// P_m, PyTorch's default U(±1/√in) for the weights and biases of W1 and W2.
    init(modality: Modality, features: Tensor, userCount: Int, embeddingSize d: Int, mmrecInitialisation: Bool,
         rng: inout RandomGenerator) {
        self.modality = modality
        self.features = features
        let name = modality.rawValue
        preference = Parameter(Initializer.xavierUniform(rows: userCount, cols: d, rng: &rng), name: name + ".preference")
        hidden = Linear(inputSize: features.cols, outputSize: 4 * d, rng: &rng, name: name + ".W1")
        output = Linear(inputSize: 4 * d, outputSize: d, rng: &rng, name: name + ".W2")
        if mmrecInitialisation {
            preference.value = Initializer.xavierNormal(rows: userCount, cols: d, rng: &rng)
            for layer in [hidden, output] {
                let (rows, cols) = (layer.weight.value.rows, layer.weight.value.cols)
                let bound = 1 / Float(cols).squareRoot()
                layer.weight.value = Initializer.uniform(rows: rows, cols: cols, low: -bound, high: bound, rng: &rng)
                layer.bias!.value = Initializer.uniform(rows: 1, cols: rows, low: -bound, high: bound, rng: &rng)
            }
        }
    }

    /// P_m, W1_m, b1, W2_m, b2.
    public var parameters: [Parameter] { [preference] + hidden.parameters + output.parameters }

    /// r^m = x + Â x + Â² x for users and items, where x = P_m ‖ x_items
    /// L2-normalised by row and Â = D^{-1/2} A D^{-1/2} on the training graph.
    func representations(graph: BipartiteGraph, norm: [Float], on tape: Tape)
        -> (users: Variable, items: Variable)
    {
        // Step 1: x_i^m = W2 LeakyReLU(W1 f_i^m + b1) + b2. Row normalisation is
        // per row, so the user and item blocks of x are normalised apart.
        let projected = output(hidden(tape.constant(features), activation: .leakyReLU(negativeSlope: 0.01)))
        let xUsers = l2NormalizeRows(tape.watch(preference))
        let xItems = l2NormalizeRows(projected)
        // Step 2: h1 = Â x, h2 = Â h1, one sparse product per direction.
        let h1Users = propagate(xItems, over: graph.itemsToUsers, weights: .fixed(norm))
        let h1Items = propagate(xUsers, over: graph.usersToItems, weights: .fixed(norm))
        let h2Users = propagate(h1Items, over: graph.itemsToUsers, weights: .fixed(norm))
        let h2Items = propagate(h1Users, over: graph.usersToItems, weights: .fixed(norm))
        return (xUsers + h1Users + h2Users, xItems + h1Items + h2Items)
    }
}
