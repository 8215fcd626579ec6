import GraphKit
import RecommenderCore

/// What MMRec's FREEDOM does differently from the paper (docs/models/FREEDOM.md,
/// "Under compat"). The names are `compat`'s "mmrec:NAME" values.
public enum FREEDOMMMRecBehaviour: String, CaseIterable, Hashable, Sendable {
    /// The raw feature tables are trained parameters (`freeze=False`), read by
    /// the projections of eq. 12; the kNN graph stays built from the loaded values.
    case trainableFeatures = "trainable_features"
    /// The projections keep PyTorch's `nn.Linear` draws, U(±1/√D_m) for weight
    /// and bias, instead of Xavier uniform and a zero bias.
    case initialisation
    /// ⌊(1 − ρ)|E|⌋ edges kept per epoch, MMRec's truncation, instead of
    /// |E| − ⌊ρ|E|⌋ (eq. 8).
    case keepCount = "keep_count"
}

/// FREEDOM's resolved settings, checked against `compat`.
struct FREEDOMOptions {
    let embeddingSize: Int
    let userItemLayers: Int
    let itemItemLayers: Int
    let k: Int
    let imageWeight: Float
    let pruningRatio: Double
    let degreeSensitive: Bool
    let regWeight: Float
    let compat: MMRecCompat<FREEDOMMMRecBehaviour>

    init(_ h: Hyperparameters, model: String) throws {
        embeddingSize = h.int("embedding_size")
        userItemLayers = h.int("n_ui_layers")
        itemItemLayers = h.int("n_mm_layers")
        k = h.int("knn_k")
        imageWeight = h.float("mm_image_weight")
        pruningRatio = h.double("dropout")
        degreeSensitive = h.string("pruning") == "degree"
        regWeight = h.float("reg_weight")
        compat = MMRecCompat(h)
        if compat.isPort && !degreeSensitive {
            throw ConfigError(key: "\(model).pruning",
                              "compat \"mmrec\" is MMRec's port, which always prunes by degree; drop pruning \"uniform\" or use compat \"paper\"")
        }
    }

    /// α_m of eq. 4 for the modalities used, in order: `mm_image_weight` for
    /// visual and the rest shared equally by the others; 1/M without visual;
    /// 1 for a single modality.
    func modalityWeights(_ modalities: [Modality]) -> [Float] {
        let m = modalities.count
        if m == 1 { return [1] }
        guard modalities.contains(.visual) else { return Array(repeating: 1 / Float(m), count: m) }
        let other = (1 - imageWeight) / Float(m - 1)
        return modalities.map { $0 == .visual ? imageWeight : other }
    }
}
