import GraphKit

extension HyperparameterSpec {
    /// The `features` switch of the GNN baselines (docs/models/gnn-features.md,
    /// GNN baselines"): feed the items' multimodal features to an ID model, as
    /// the MMGCN and GRCN papers did for their baselines.
    public static let itemFeatures = HyperparameterSpec.boolean(
        "features", default: false,
        "item input rows e⁰_i + W_f f_i + b_f, f_i the item's modalities concatenated; users keep their ID embedding")
}

/// The item input of a GNN baseline with `features: true`: e⁰_i + W_f f_i + b_f,
/// where f_i concatenates the item's modalities and W_f, b_f are learned
/// (docs/models/gnn-features.md). Users keep their ID rows.
public struct ItemFeatureInput {
    /// f, I × ΣD_m: every modality the dataset provides, concatenated.
    public let features: Tensor
    /// W_f and b_f: ΣD_m → d.
    public let projection: Linear

    /// The input for `dataset` with embedding size `d`, or nil when the model's
    /// `features` hyper-parameter is false. Throws a ConfigError naming
    /// `model.features` when the dataset has no item features.
    public init?(dataset: Dataset, hyperparameters: Hyperparameters, embeddingSize d: Int, model: String,
                 rng: inout RandomGenerator) throws {
        guard hyperparameters.bool("features") else { return nil }
        guard !dataset.features.isEmpty else {
            throw ConfigError(key: "\(model).features",
                              "dataset \(dataset.name) has no item features; use features: false (ID embeddings only)")
        }
        let tape = Tape.noGrad()
        features = concatColumns(dataset.features.map { tape.constant($0.matrix) }).value
        projection = Linear(inputSize: features.cols, outputSize: d, rng: &rng, name: "item_features")
    }

    /// W_f and b_f.
    public var parameters: [Parameter] { projection.parameters }

    /// e⁰_i + W_f f_i + b_f for every item, on `items`' tape (`items` is I × d).
    public func callAsFunction(_ items: Variable) -> Variable {
        items + projection(items.tape.constant(features))
    }
}
