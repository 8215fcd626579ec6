import GraphKit
import RecommenderCore

/// VBPR (He & McAuley, AAAI'16), as specified in docs/models/VBPR.md.
///
/// Paper form (`biases: true`): y_ui = β_i + γ_u·γ_i + θ_u·(E f_i) + β'·f_i
/// (eq. 4, without α and β_u, which do not change a ranking), where f_i is the
/// concatenation of all the item's modalities. With `biases: false` (and under
/// `compat: "mmrec"`) it is MMRec's form: user = γ_u ‖ θ_u ∈ R^{2d}, item =
/// γ_i ‖ (W f_i + b), y = user · item.
public final class VBPRModel: Recommender {
    /// What MMRec's VBPR does differently from the paper (docs/models/VBPR.md),
    /// besides having no biases (`biases: false`).
    public enum MMRecBehaviour: String, CaseIterable, Hashable, Sendable {
        /// MMRec's EmbLoss on the batch's whole user and item vectors:
        /// λ (‖[γ_u ‖ θ_u]‖_F + ‖[γ_i ‖ E f_i]‖_F + ‖[γ_j ‖ E f_j]‖_F) / B, with
        /// non-squared norms, instead of λ Σ‖·‖² / (2B).
        case embLoss = "emb_loss"
    }

    public static let name = "VBPR"

    public static let hyperparameters: [HyperparameterSpec] = [
        .integer("embedding_size", default: 64, in: 1...4096, "size d of γ and θ"),
        .real("reg_weight", default: 1e-4, in: 0...1e3,
              "λ of the L2 term on γ_u, θ_u, γ_i, γ_j and the batch items' projected features"),
        .boolean("biases", default: true, "the paper's item bias β_i and feature bias β'"),
        .real("dropout", default: 0, in: 0...0.95, "dropout on the user and item vectors in training"),
        MMRecCompat<MMRecBehaviour>.spec("\"mmrec\": MMRec's port, which has no biases and regularises with EmbLoss (emb_loss)"),
    ]

    let features: Tensor
    let biases: Bool
    let regWeight: Float
    let embLoss: Bool
    let dropoutRate: Float
    /// γ_u (U × d).
    public let userFactors: Parameter
    /// θ_u (U × d), the user's preference over projected features.
    public let userVisualFactors: Parameter
    /// γ_i (I × d).
    public let itemFactors: Parameter
    /// E (d × ΣD_m); with a bias b in MMRec's form.
    public let projection: Linear
    /// β_i (I × 1), present with `biases`.
    public let itemBias: Parameter?
    /// β' (ΣD_m × 1), present with `biases`.
    public let featureBias: Parameter?

    /// `biases: false` under MMRec's port, when the resolved value was true.
    public let settingsRun: [String: HyperparameterValue]

    /// Under MMRec's port `biases: true` is an error when given and no biases when left out.
    public static func keysThatMatterWhenGiven(_ h: Hyperparameters) -> Set<String> {
        MMRecCompat<MMRecBehaviour>(h).isPort ? ["biases"] : []
    }

    public init(dataset: Dataset, hyperparameters h: Hyperparameters, seed: UInt64) throws {
        guard !dataset.features.isEmpty else {
            throw ConfigError(key: "VBPR", "dataset \(dataset.name) has no item features; VBPR needs at least one modality (it does not fall back to BPR)")
        }
        let compat = MMRecCompat<MMRecBehaviour>(h)
        let mmrec = compat.isPort
        if mmrec && h.explicitKeys.contains("biases") && h.bool("biases") {
            throw ConfigError(key: "VBPR.biases", "compat \"mmrec\" is MMRec's port, which has no biases; drop biases: true or use compat \"paper\"")
        }
        biases = mmrec ? false : h.bool("biases")
        settingsRun = biases == h.bool("biases") ? [:] : ["biases": .bool(biases)]
        regWeight = h.float("reg_weight")
        embLoss = compat.has(.embLoss)
        dropoutRate = h.float("dropout")
        let tape = Tape.noGrad()
        features = concatColumns(dataset.features.map { tape.constant($0.matrix) }).value
        let (d, f) = (h.int("embedding_size"), features.cols)
        var rng = RandomGenerator(seed: seed, stream: 0)
        userFactors = Parameter(Initializer.xavierUniform(rows: dataset.userCount, cols: d, rng: &rng), name: "gamma_user")
        userVisualFactors = Parameter(Initializer.xavierUniform(rows: dataset.userCount, cols: d, rng: &rng), name: "theta_user")
        itemFactors = Parameter(Initializer.xavierUniform(rows: dataset.itemCount, cols: d, rng: &rng), name: "gamma_item")
        projection = Linear(inputSize: f, outputSize: d, bias: !biases, rng: &rng, name: "E")
        itemBias = biases ? Parameter(Tensor(rows: dataset.itemCount, cols: 1), name: "beta_item") : nil
        featureBias = biases ? Parameter(Tensor(rows: f, cols: 1), name: "beta_feature") : nil
    }

    public var parameters: [Parameter] {
        [userFactors, userVisualFactors, itemFactors] + projection.parameters
            + [itemBias, featureBias].compactMap { $0 }
    }

    public func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        let rate = dropoutRate
        func drop(_ x: Variable) -> Variable { rate > 0 ? dropout(x, rate: rate, rng: &rng) : x }
        let b = batch.count
        // Each table is gathered once per batch: positives and negatives together.
        let items = batch.positives + batch.negatives
        let gammaU = gatherRows(tape.watch(userFactors), batch.users)
        let thetaU = gatherRows(tape.watch(userVisualFactors), batch.users)
        let f = gatherRows(tape.constant(features), items)
        let gammaI = gatherRows(tape.watch(itemFactors), items)
        let projected = projection(f)
        let (dGammaU, dThetaU) = (drop(gammaU), drop(thetaU))
        let (dGammaI, dProjected) = (drop(gammaI), drop(projected))
        // y_ui = γ_u·γ_i + θ_u·(E f_i) [+ β_i + β'·f_i], for the 2B rows (pos then neg).
        var y = rowDot(concatRows([dGammaU, dGammaU]), dGammaI) + rowDot(concatRows([dThetaU, dThetaU]), dProjected)
        if let itemBias, let featureBias {
            y = y + gatherRows(tape.watch(itemBias), items) + matmul(f, tape.watch(featureBias))
        }
        let reg: Variable
        if embLoss {
            // MMRec: reg_loss(user_e, pos_e, neg_e), each the batch's whole vectors.
            let user = concatColumns([gammaU, thetaU])
            let item = concatColumns([gammaI, projected])
            reg = mmrecEmbeddingLoss([user, sliceRows(item, 0..<b), sliceRows(item, b..<(2 * b))],
                                     weight: regWeight, batchSize: b)
        } else {
            reg = l2Regularization([gammaU, thetaU, gammaI, projected], weight: regWeight, batchSize: b)
        }
        return bprLoss(positive: sliceRows(y, 0..<b), negative: sliceRows(y, b..<(2 * b))) + reg
    }

    /// Scores as one dot product: user [γ_u ‖ θ_u ‖ 1] · item [γ_i ‖ E f_i ‖ β_i + β'·f_i].
    public func makeScorer() throws -> Scorer {
        let tape = Tape.noGrad()
        let users = [tape.watch(userFactors), tape.watch(userVisualFactors)]
        var items = [tape.watch(itemFactors), projection(tape.constant(features))]
        var userColumns = users
        if let itemBias, let featureBias {
            items.append(tape.watch(itemBias) + matmul(tape.constant(features), tape.watch(featureBias)))
            userColumns.append(tape.constant(Tensor(rows: userFactors.value.rows, cols: 1, repeating: 1)))
        }
        return DotProductScorer(users: concatColumns(userColumns).value, items: concatColumns(items).value)
    }
}
