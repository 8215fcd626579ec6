import GraphKit
import RecommenderCore

/// BM3 (Zhou et al., WWW 2023), as specified in docs/models/BM3.md.
///
/// A LightGCN backbone with an item residual gives h_u and h_i (eqs. 2-3), and
/// one affine layer per modality projects the item features, h_i^m (eq. 1).
/// Online views pass through one shared predictor (eq. 5); target views are
/// dropout copies without gradient (eq. 4). The loss pulls online views to
/// targets by 1 − cos (eq. 6): user and item against each other (eq. 7), each
/// modality against the item's ID target (eq. 8) and against its own target
/// (eq. 9), plus λ/B Σ (‖h_u‖² + ‖h_i‖²) (eq. 10). No negatives are drawn.
/// Scores are dot products of the online views (eq. 12).
public final class BM3Model: Recommender {
    public static let name = "BM3"
    public static var usesNegatives: Bool { false }

    public static let hyperparameters: [HyperparameterSpec] = [
        .integer("embedding_size", default: 64, in: 1...4096, "size d of the ID embeddings, projections and predictor"),
        .integer("n_layers", default: 1, in: 0...8, "LightGCN layers L of the backbone (eq. 2)"),
        .real("dropout", default: 0.5, in: 0...0.99, "p, the probability of dropping an entry of a target view (eq. 4)"),
        .real("reg_weight", default: 0.1, in: 0...1e3, "λ of eq. 10 (or of MMRec's emb_loss)"),
        .real("cl_weight", default: 2.0, in: 0...1e3, "μ, the weight of the alignment and masked-reconstruction terms (eq. 11)"),
        .boolean("self_loops", default: false, "propagate over D^{-1/2}(A + I)D^{-1/2} instead of LightGCN's graph"),
        .modalities,
        MMRecCompat<BM3MMRecBehaviour>.spec(
            "\"mmrec\": MMRec's port: EmbLoss on the whole tables over I, trainable feature tables, Xavier-normal weights and PyTorch's biases"),
    ]

    let options: BM3Options
    let backbone: Backbone
    /// E_U (U × d) and E_I (I × d), Xavier uniform.
    public let userEmbedding: Parameter
    public let itemEmbedding: Parameter
    /// W_p, b_p: the predictor shared by every online view (eq. 5).
    public let predictor: Linear
    /// W_m, b_m per modality (eq. 1).
    public let projections: [Linear]
    /// The modalities used, in order, and their loaded features.
    let features: [(modality: Modality, matrix: Tensor)]
    /// The feature tables as trained parameters, under MMRec's `trainable_features` only.
    public let trainedFeatures: [Parameter]
    public let settingsRun: [String: HyperparameterValue]

    /// `modalities` must exist when given.
    public static func keysThatMatterWhenGiven(_ h: Hyperparameters) -> Set<String> { ["modalities"] }

    public init(dataset: Dataset, hyperparameters h: Hyperparameters, seed: UInt64) throws {
        let features = try dataset.features(selectedBy: h, model: Self.name)
        self.features = features
        settingsRun = h.modalitiesRun(features.map(\.modality))
        options = try BM3Options(h, model: Self.name)
        backbone = Backbone(graph: dataset.graph, layers: options.layers, selfLoops: options.selfLoops)
        let d = options.embeddingSize
        var rng = RandomGenerator(seed: seed, stream: 0)
        userEmbedding = Parameter(Initializer.xavierUniform(rows: dataset.userCount, cols: d, rng: &rng),
                                  name: "user_embedding")
        itemEmbedding = Parameter(Initializer.xavierUniform(rows: dataset.itemCount, cols: d, rng: &rng),
                                  name: "item_embedding")
        let inputs = [d] + features.map(\.matrix.cols)
        let names = ["predictor"] + features.map { "\($0.modality.rawValue)_projection" }
        let layers: [Linear]
        if options.compat.has(.initialisation) {
            // MMRec's draws: every weight Xavier normal (W_p, then each W_m), then
            // every bias U(±1/√fan_in).
            let weights = inputs.map { Initializer.xavierNormal(rows: d, cols: $0, rng: &rng) }
            layers = inputs.indices.map { k in
                let bound = 1 / Float(inputs[k]).squareRoot()
                return Linear(weight: Parameter(weights[k], name: names[k] + ".weight"),
                              bias: Parameter(Initializer.uniform(rows: 1, cols: d, low: -bound, high: bound, rng: &rng),
                                              name: names[k] + ".bias"))
            }
        } else {
            layers = inputs.indices.map { Linear(inputSize: inputs[$0], outputSize: d, rng: &rng, name: names[$0]) }
        }
        predictor = layers[0]
        projections = Array(layers.dropFirst())
        trainedFeatures = options.compat.has(.trainableFeatures)
            ? features.map { Parameter($0.matrix, name: "\($0.modality.rawValue)_features") }
            : []
    }

    public var parameters: [Parameter] {
        [userEmbedding, itemEmbedding] + predictor.parameters + projections.flatMap(\.parameters) + trainedFeatures
    }

    /// A target view (eq. 4): the rows' values, without gradient, each entry
    /// kept with probability 1 − p.
    func target(_ x: Variable, rng: inout RandomGenerator) -> Variable {
        var values = x.value
        let p = options.dropout
        if p > 0 {
            for k in 0..<values.scalars.count where rng.nextUniform() < p { values.scalars[k] = 0 }
        }
        return x.tape.constant(values)
    }

    /// The target views of a batch, at its distinct users, items and (item, modality) rows.
    struct Targets {
        let users: Variable
        let items: Variable
        let modal: [Variable]
    }

    public func loss(_ batch: TrainingBatch, on tape: Tape, rng: inout RandomGenerator) -> Variable {
        // One mask per distinct row: users, items, then each modality (eq. 4).
        loss(batch, on: tape) { users, items, modal in
            Targets(users: target(users, rng: &rng), items: target(items, rng: &rng),
                    modal: modal.map { target($0, rng: &rng) })
        }
    }

    /// The loss with the targets made by `targets` from h_u, h_i and h_i^m at
    /// the batch's distinct rows. The targets are constants of the step, so a
    /// gradient check holds them fixed while the parameters move.
    func loss(_ batch: TrainingBatch, on tape: Tape,
              targets makeTargets: (Variable, Variable, [Variable]) -> Targets) -> Variable {
        let (u0, i0) = (tape.watch(userEmbedding), tape.watch(itemEmbedding))
        let (userRows, userSlot) = distinctRows(batch.users)
        let (itemRows, itemSlot) = distinctRows(batch.positives)
        let (hu, hi) = backbone(users: u0, items: i0, userRows: userRows, itemRows: itemRows)
        // h_i^m = W_m f_i^m + b_m at the batch's items (eq. 1).
        let modal = projections.enumerated().map { m, projection in
            let f = trainedFeatures.isEmpty ? tape.constant(features[m].matrix) : tape.watch(trainedFeatures[m])
            return projection(gatherRows(f, itemRows))
        }
        let targets = makeTargets(hu, hi, modal)
        let (targetUser, targetItem, targetModal) = (targets.users, targets.items, targets.modal)
        // Online views through the shared predictor (eq. 5), at the batch's pairs.
        let onlineUser = gatherRows(predictor(hu), userSlot), onlineItem = gatherRows(predictor(hi), itemSlot)
        let (dotUser, dotItem) = (gatherRows(targetUser, userSlot), gatherRows(targetItem, itemSlot))
        // Eq. 7, then μ (eq. 8 + eq. 9).
        var total = cosineLoss(onlineUser, dotItem) + cosineLoss(onlineItem, dotUser)
        var alignment: Variable?
        for m in modal.indices {
            let online = gatherRows(predictor(modal[m]), itemSlot)
            let terms = cosineLoss(online, dotItem) + cosineLoss(online, gatherRows(targetModal[m], itemSlot))
            alignment = alignment.map { $0 + terms } ?? terms
        }
        if let alignment, options.alignmentWeight > 0 { total = total + scale(alignment, by: options.alignmentWeight) }
        guard options.regWeight > 0 else { return total }
        if options.compat.has(.embLoss) {
            // λ (‖H_U‖_F + ‖H_I‖_F) / I over the whole backbone output.
            let (all, allItems) = backbone(users: u0, items: i0, userRows: Array(0..<Int32(u0.rows)),
                                           itemRows: Array(0..<Int32(i0.rows)))
            return total + mmrecEmbeddingLoss([all, allItems], weight: options.regWeight, batchSize: i0.rows)
        }
        // Eq. 10: λ/B Σ_b (‖h_u‖² + ‖h_i‖²), the suite's λ'/(2B) form with λ' = 2λ.
        return total + l2Regularization([gatherRows(hu, userSlot), gatherRows(hi, itemSlot)],
                                        weight: 2 * options.regWeight, batchSize: batch.count)
    }

    /// Mean over rows of 1 − cos(a_r, b_r), each norm floored at 10⁻⁸ (eq. 6).
    func cosineLoss(_ a: Variable, _ b: Variable) -> Variable {
        let cosine = rowDot(l2NormalizeRows(a, epsilon: 1e-8), l2NormalizeRows(b, epsilon: 1e-8))
        return scale(mean(cosine), by: -1) + a.tape.constant(Tensor(scalar: 1))
    }

    public func makeScorer() throws -> Scorer {
        let tape = Tape.noGrad()
        let (users, items) = backbone(users: tape.watch(userEmbedding), items: tape.watch(itemEmbedding),
                                      userRows: Array(0..<Int32(userEmbedding.value.rows)),
                                      itemRows: Array(0..<Int32(itemEmbedding.value.rows)))
        return DotProductScorer(users: predictor(users).value, items: predictor(items).value)
    }
}
