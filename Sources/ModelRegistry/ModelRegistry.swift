import LightGCN
import RecommenderCore
import VBPR

/// Every model the suite can run, by name. Adding a model is one line here.
public enum ModelRegistry {
    /// The registered model types.
    public static let models: [any Recommender.Type] = [
        LightGCNModel.self,
        VBPRModel.self,
    ]

    /// The model registered as `name` (case-insensitive), or an error listing the known ones.
    public static func model(named name: String, key: String = "model") throws -> any Recommender.Type {
        for type in models where type.name.lowercased() == name.lowercased() { return type }
        throw ConfigError(key: key, "unknown model '\(name)'; known models: \(names.joined(separator: ", "))")
    }

    /// The registered names, in registry order.
    public static var names: [String] {
        var out: [String] = []
        for type in models { out.append(type.name) }
        return out
    }
}
