import Foundation
import GraphKit
import ModelRegistry
import RecommenderCore

/// A checkpoint brought back to life: its dataset read and checked against
/// the hashes the run recorded, its model rebuilt from the given settings
/// and seed, the saved tensors loaded, and the evaluator of its protocol.
public struct RestoredCheckpoint {
    public let checkpoint: Checkpoint
    public let dataset: Dataset
    public let model: Recommender
    public let evaluator: Evaluator

    /// Restores `checkpoint`. The dataset is read from `dataset` when given
    /// (a name or path, as on the command line), else from the path the
    /// manifest recorded, else from the reference as written (a built-in
    /// name, from this repository). Its files must hash as the run's did.
    public init(_ checkpoint: Checkpoint, registry: ModelRegistry, dataset override: String? = nil) throws {
        let manifest = checkpoint.manifest
        let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let descriptor: DatasetDescriptor
        if let override {
            descriptor = try DatasetReference(override, base: here, configsRoot: Repository.configs).load().descriptor
        } else if FileManager.default.fileExists(atPath: manifest.dataset.path) {
            descriptor = try DatasetDescriptor.locate(manifest.dataset.path).descriptor
        } else {
            descriptor = try DatasetReference(manifest.dataset.written, base: here, configsRoot: Repository.configs)
                .load().descriptor
        }
        let hashes = try RunSpec.fileHashes(descriptor)
        let manifestFile = checkpoint.folder.appendingPathComponent(CheckpointManifest.fileName).path
        guard hashes == manifest.spec.datasetFiles else {
            let names = Set(hashes.keys).union(manifest.spec.datasetFiles.keys).sorted()
            let differing = names.filter { hashes[$0] != manifest.spec.datasetFiles[$0] }.map { name in
                "\(name) (trained on \(manifest.spec.datasetFiles[name].map { String($0.prefix(12)) } ?? "no such file"), found \(hashes[name].map { String($0.prefix(12)) } ?? "no such file"))"
            }
            throw DataError(file: manifestFile, location: "spec.datasetFiles",
                            "the dataset \(descriptor.name) is not the one the checkpoint was trained on: \(differing.joined(separator: "; ")) (SHA-256 prefixes); give the original files with --dataset")
        }
        let data = try Dataset(descriptor: descriptor)
        let type = try registry.model(named: manifest.spec.model, key: "\(manifestFile): spec.model")
        let hyper = try Hyperparameters(manifest.given, specs: type.hyperparameters, model: manifest.spec.model)
        // Compared through the key: JSON reads a stored 0.0 back as the integer 0.
        var rebuilt = manifest.spec
        rebuilt.hyperparameters = hyper.values
        guard rebuilt.key == manifest.spec.key else {
            throw DataError(file: manifestFile, location: "given",
                            "resolves to other hyper-parameters than the run's (spec.hyperparameters); the model's defaults have changed since the checkpoint was written")
        }
        let model = try type.init(dataset: data, hyperparameters: hyper, seed: manifest.spec.seed)
        try checkpoint.load(into: model)
        self.checkpoint = checkpoint
        dataset = data
        self.model = model
        evaluator = Evaluator(dataset: data, protocol: manifest.evaluation.evaluationProtocol)
    }

    /// The saved parameters judged again on `split`, and the metrics that
    /// differ from the stored ones (none when they match bit for bit).
    public func evaluate(on split: Split) throws -> (result: EvaluationResult, differing: [MetricKey]) {
        let result = try evaluator.evaluate(try model.makeScorer(), on: split)
        let stored = split == .test ? checkpoint.manifest.test : checkpoint.manifest.valid
        let differing = result.values.keys.sorted().filter { stored?.values[$0] != result.values[$0] }
        return (result, differing)
    }
}
