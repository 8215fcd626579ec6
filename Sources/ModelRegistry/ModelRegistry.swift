import BM3
import DisenGCN
import DualGNN
import FREEDOM
import GAT
import GRCN
import GraphSAGE
import LATTICE
import LightGCN
import MGCN
import MMGCN
import NGCF
import RecommenderCore
import VBPR

/// The models the suite can run, by name.
///
/// Adding a model is a new target, its lines in Package.swift, and an import and
/// one line in `standard` below (docs/experiments.md, "Adding a baseline"). A
/// test can build a registry with a model of its own.
public struct ModelRegistry: Sendable {
    /// Every model of the suite, and most popular, the reference every table has.
    public static let standard = ModelRegistry(models: [
        LightGCNModel.self,
        VBPRModel.self,
        MMGCNModel.self,
        GRCNModel.self,
        DualGNNModel.self,
        NGCFModel.self,
        GATModel.self,
        GraphSAGEModel.self,
        DisenGCNModel.self,
        LATTICEModel.self,
        FREEDOMModel.self,
        MGCNModel.self,
        BM3Model.self,
        MostPopularModel.self,
    ])

    /// The registered model types, in order.
    public let models: [any Recommender.Type]

    public init(models: [any Recommender.Type]) {
        self.models = models
    }

    /// The model registered as `name` (case-insensitive), or an error naming `key` and listing the known ones.
    public func model(named name: String, key: String = "model") throws -> any Recommender.Type {
        for type in models where type.name.lowercased() == name.lowercased() { return type }
        throw ConfigError(key: key, "unknown model '\(name)'; known models: \(names.joined(separator: ", "))")
    }

    /// The registered names, in registry order.
    public var names: [String] {
        var out: [String] = []
        for type in models { out.append(type.name) }
        return out
    }
}
