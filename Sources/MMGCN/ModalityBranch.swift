import GraphKit
import RecommenderCore

/// How a layer combines the aggregated neighbourhood h with the node's own
/// representation (MMGCN eqs. 6-7).
public enum Combination: String, Sendable {
    /// x^l = LeakyReLU(W₃ (h ‖ û))  (eq. 6)
    case concat
    /// x^l = LeakyReLU(W₃ h + û)     (eq. 7)
    case element
}

/// The settings every modality branch of one model shares.
struct BranchSettings {
    /// Mean (eq. 2) or max (eq. 3).
    var aggregation: Aggregation
    var combination: Combination
    /// Whether û gets the shared ID embedding (`has_id`, eq. 5).
    var hasID: Bool
    /// d, the size of every layer's output.
    var embeddingSize: Int
    /// Number of layers L (eq. 8).
    var layers: Int
    /// The weights start as in MMRec's port (Xavier normal for W₁, W₂, the
    /// first layer's W₃ and the preferences; PyTorch's default U(±1/√in) for
    /// the projection, the later layers' W₃ and every bias) instead of the
    /// suite's Xavier uniform and zero biases.
    var mmrecInitialisation: Bool
}

/// One layer of a modality branch: W₁ of the aggregation (eqs. 2-3), W₂ of
/// the node's own representation (eq. 5) and W₃ of the combination (eqs. 6-7).
struct BranchLayer {
    /// W₁ (D_in × D_in), applied as x W₁ before aggregating.
    let aggregationWeight: Parameter
    /// W₂: D_in → d, with bias.
    let own: Linear
    /// W₃: D_in + d → d (concat) or D_in → d (element), with bias.
    let combine: Linear

    var parameters: [Parameter] { [aggregationWeight] + own.parameters + combine.parameters }
}

/// MMGCN's graph convolution network for one modality m on its copy G_m of
/// the training graph (MMGCN eqs. 1-8).
///
/// Users carry a trainable preference u_m ∈ R^{D'_m}; items start from their
/// features, projected to `latent_dim` first when wider than it. The node input
/// x_m = (u_m rows ‖ item rows) is L2 row-normalised, then each layer computes
///   h  = LeakyReLU(AGG_{n∈N(v)} W₁ x_n)                 (eqs. 2-3)
///   û  = LeakyReLU(W₂ x_v) [+ u_id]                      (eq. 5)
///   x' = LeakyReLU(W₃ (h ‖ û))  or  LeakyReLU(W₃ h + û)  (eqs. 6-7)
final class ModalityBranch {
    let modality: Modality
    /// f^m, I × D_m.
    let features: Tensor
    /// f^m with each row L2-normalised: the item rows of x_m when unprojected.
    let normalizedFeatures: Tensor
    /// The learned map D_m → `latent_dim`, when the features are projected.
    let projection: Linear?
    /// u_m, U × D'_m.
    let preference: Parameter
    let layers: [BranchLayer]
    let settings: BranchSettings

    /// A branch over `features` (I × D_m) for `userCount` users; `latentSize`
    /// is D'_m when `project` is true (otherwise D'_m = D_m).
    init(modality: Modality, features: Tensor, userCount: Int, project: Bool, latentSize: Int,
         settings: BranchSettings, rng: inout RandomGenerator) {
        self.modality = modality
        self.features = features
        normalizedFeatures = l2NormalizeRows(Tape.noGrad().constant(features)).value
        self.settings = settings
        let name = "\(modality.rawValue)"
        let inputSize = project ? latentSize : features.cols
        let mmrec = settings.mmrecInitialisation
        projection = project
            ? ModalityBranch.linear(features.cols, latentSize, mmrec: mmrec ? .pytorchDefault : nil, rng: &rng,
                                    name: "\(name).projection")
            : nil
        preference = Parameter(
            mmrec ? Initializer.xavierNormal(rows: userCount, cols: inputSize, rng: &rng)
                  : Initializer.xavierUniform(rows: userCount, cols: inputSize, rng: &rng),
            name: "\(name).preference")
        var layers: [BranchLayer] = []
        let d = settings.embeddingSize
        for l in 0..<settings.layers {
            let din = l == 0 ? inputSize : d
            // MMRec's BaseModel draws U(±1/√in) and then overwrites it with Xavier normal.
            let w1 = mmrec ? Initializer.xavierNormal(rows: din, cols: din, rng: &rng)
                           : Initializer.xavierUniform(rows: din, cols: din, rng: &rng)
            let combineInput = settings.combination == .concat ? din + d : din
            // MMRec re-draws g_layer1 (the first W₃) Xavier normal, and leaves g_layer2 and g_layer3 as nn.Linear made them.
            let combineDraw: MMRecDraw? = mmrec ? (l == 0 ? .xavierNormalWeight : .pytorchDefault) : nil
            layers.append(BranchLayer(
                aggregationWeight: Parameter(w1, name: "\(name).layer\(l + 1).W1"),
                own: ModalityBranch.linear(din, d, mmrec: mmrec ? .xavierNormalWeight : nil, rng: &rng,
                                           name: "\(name).layer\(l + 1).W2"),
                combine: ModalityBranch.linear(combineInput, d, mmrec: combineDraw, rng: &rng,
                                               name: "\(name).layer\(l + 1).W3")))
        }
        self.layers = layers
    }

    /// How MMRec's port draws a linear layer.
    enum MMRecDraw {
        /// Xavier-normal weight, PyTorch's default bias U(±1/√in).
        case xavierNormalWeight
        /// PyTorch's `nn.Linear` default: weight and bias U(±1/√in).
        case pytorchDefault
    }

    /// A linear layer initialised as the suite does (Xavier uniform, zero
    /// bias), or as MMRec's port does (`mmrec`).
    static func linear(_ input: Int, _ output: Int, mmrec: MMRecDraw?, rng: inout RandomGenerator,
                       name: String) -> Linear {
        let layer = Linear(inputSize: input, outputSize: output, bias: true, rng: &rng, name: name)
        guard let mmrec else { return layer }
        let bound = 1 / Float(input).squareRoot()
        switch mmrec {
        case .xavierNormalWeight:
            layer.weight.value = Initializer.xavierNormal(rows: output, cols: input, rng: &rng)
        case .pytorchDefault:
            layer.weight.value = Initializer.uniform(rows: output, cols: input, low: -bound, high: bound, rng: &rng)
        }
        layer.bias!.value = Initializer.uniform(rows: 1, cols: output, low: -bound, high: bound, rng: &rng)
        return layer
    }

    /// The branch's trainable weights (the preference table is listed by the model).
    var weights: [Parameter] { (projection?.parameters ?? []) + layers.flatMap(\.parameters) }

    /// The branch's final node representations x^{(L)}, users first: of every
    /// node, or of the nodes `rows` (in that order) when given. `preference` is
    /// u_m on the tape (watched, or a constant under MMRec's port); `ids` is the
    /// shared ID embedding (U + I) × d when `has_id`.
    ///
    /// With `rows`, the last layer's W₂ and W₃ run on those rows only: the loss
    /// of a batch needs no other node's final vector, and the values are the same.
    func forward(preference: Variable, ids: Variable?, over nodes: Adjacency, rows: [Int32]? = nil) -> Variable {
        let tape = preference.tape
        // x_m = normalize(u_m ‖ items), row by row: the node input of eq. 1.
        // Unprojected item rows are constants, normalised once in init.
        let items = projection.map { l2NormalizeRows($0(tape.constant(features))) }
            ?? tape.constant(normalizedFeatures)
        var x = concatRows([l2NormalizeRows(preference), items])
        for (l, layer) in layers.enumerated() {
            // h = LeakyReLU(AGG_{n ∈ N(v)} W₁ x_n), eqs. 2-3.
            let messages = matmul(x, tape.watch(layer.aggregationWeight))
            var h = leakyReLU(propagate(messages, over: nodes, aggregation: settings.aggregation))
            var (self_, id) = (x, ids)
            if l == layers.count - 1, let rows {
                h = gatherRows(h, rows)
                self_ = gatherRows(x, rows)
                id = ids.map { gatherRows($0, rows) }
            }
            // û = LeakyReLU(W₂ x_v) + u_id, eq. 5.
            var own = layer.own(self_, activation: .leakyReLU(negativeSlope: 0.01))
            if let id { own = own + id }
            switch settings.combination {
            case .concat:  // eq. 6
                x = layer.combine(concatColumns([h, own]), activation: .leakyReLU(negativeSlope: 0.01))
            case .element:  // eq. 7
                x = leakyReLU(layer.combine(h) + own)
            }
        }
        return x
    }
}
