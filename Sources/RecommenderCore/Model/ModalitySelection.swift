import GraphKit

extension HyperparameterSpec {
    /// The `modalities` parameter of a multimodal model: which of the dataset's
    /// feature files it uses (the GRCN README's has_v, has_a, has_t). By default
    /// every modality the dataset provides.
    public static let modalities = HyperparameterSpec.subset(
        "modalities", default: Modality.allCases.map(\.rawValue), Modality.allCases.map(\.rawValue),
        "the modalities used, any subset of those the dataset provides (default: all it provides)")
}

extension Dataset {
    /// The item features a multimodal model uses, chosen by its `modalities`
    /// hyper-parameter (see `HyperparameterSpec.modalities`), in the order
    /// visual, acoustic, textual.
    ///
    /// A modality named explicitly must be present in the dataset. Throws a
    /// `ConfigError` naming `model.modalities` when one is missing, or when the
    /// choice leaves the model no modality at all.
    public func features(selectedBy hyperparameters: Hyperparameters, model: String)
        throws -> [(modality: Modality, matrix: Tensor)]
    {
        let key = "\(model).modalities"
        let present = modalities.map(\.rawValue).joined(separator: ", ")
        guard !features.isEmpty else {
            throw ConfigError(key: key, "dataset \(name) has no item features; \(model) needs at least one modality")
        }
        let asked = hyperparameters.list("modalities")
        guard hyperparameters.explicitKeys.contains("modalities") else { return features }
        for modality in asked where !modalities.contains(where: { $0.rawValue == modality }) {
            throw ConfigError(key: key, "dataset \(name) has no \(modality) features; it provides \(present)")
        }
        return features.filter { asked.contains($0.modality.rawValue) }
    }
}

extension Hyperparameters {
    /// `modalities` as a model runs it (`Recommender.settingsRun`): the
    /// selected modalities, when they differ from the list resolved (a default
    /// list names every modality, the dataset may have fewer); empty otherwise.
    public func modalitiesRun(_ selected: [Modality]) -> [String: HyperparameterValue] {
        let names = selected.map(\.rawValue)
        return list("modalities") == names ? [:] : ["modalities": .list(names)]
    }
}
