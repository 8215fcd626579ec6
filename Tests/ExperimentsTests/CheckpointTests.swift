@testable import Experiments
import Foundation
import GraphKit
import ModelRegistry
import RecommenderCore
import Testing
import TestSupport

/// Checkpoints: every model's saved parameters, reloaded into a model rebuilt
/// from the manifest, give the stored metrics bit for bit.
@Suite struct CheckpointTests {
    let descriptorPath = repositoryPath("Configs/datasets/mmgcn-toy.json")

    /// Trains `type` with `given` for two epochs on the toy dataset, writes its
    /// checkpoint as `bench train` does, and returns the trained model, its
    /// result and the checkpoint.
    func trainAndSave(_ type: Recommender.Type, _ given: [String: HyperparameterValue], in folder: URL) throws
        -> (model: Recommender, result: TrainingResult, checkpoint: Checkpoint) {
        let descriptor = try DatasetDescriptor.load(descriptorPath)
        let data = try Dataset(descriptor: descriptor)
        let hyper = try Hyperparameters(given, specs: type.hyperparameters, model: type.name)
        var options = TrainingOptions()
        options.epochs = 2
        options.batchSize = 256
        let evaluator = Evaluator(dataset: data, protocol: EvaluationProtocol())
        let model = try type.init(dataset: data, hyperparameters: hyper, seed: 7)
        let result = Trainer(dataset: data, options: options, evaluator: evaluator)
            .train(model, seed: 7, progress: ProgressReporter(label: "test", mode: .quiet))
        let spec = RunSpec(model: type, hyperparameters: hyper, training: options, seed: 7, dataset: data.name,
                           datasetFiles: try RunSpec.fileHashes(descriptor), evaluation: evaluator.evaluationProtocol,
                           sampledTest: nil)
        let manifest = CheckpointManifest(
            key: spec.key, spec: spec, given: given, label: type.name,
            dataset: .init(written: descriptorPath, path: descriptorPath), evaluation: .init(evaluator.evaluationProtocol),
            bestEpoch: result.bestEpoch, valid: result.valid, test: result.test, cpu: "test", blasKernel: "test",
            written: "now")
        let checkpoint = try Checkpoint.write(model, manifest: manifest, to: folder.appendingPathComponent(type.name))
        return (model, result, checkpoint)
    }

    /// Every registered model, and the three whose MMRec evaluation scores from
    /// buffers (the last batch's cache), reload to the same metrics.
    @Test(arguments: ModelRegistry.standard.names.map { ($0, false) } + ["MMGCN", "GRCN", "DualGNN"].map { ($0, true) })
    func reloadedModelGivesTheStoredMetrics(name: String, compat: Bool) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let type = try ModelRegistry.standard.model(named: name)
        let given: [String: HyperparameterValue] = compat ? ["compat": .string("mmrec")] : [:]
        let (model, result, written) = try trainAndSave(type, given, in: folder)
        #expect(result.status == .finished, "\(name): \(result.failure ?? "")")
        let read = try Checkpoint.read(written.folder.path)
        #expect(read.manifest.tensors == written.manifest.tensors)
        #expect(read.manifest.tensors.count == model.parameters.count + model.buffers.count)
        if compat { #expect(read.manifest.tensors.contains { $0.role == .buffer && $0.shape[0] > 0 }, "\(name): no cache saved") }
        let restored = try RestoredCheckpoint(read, registry: .standard)
        // The tensors come back bit for bit.
        for (a, b) in zip(model.parameters + model.buffers, restored.model.parameters + restored.model.buffers) {
            #expect(a.value.scalars.map(\.bitPattern) == b.value.scalars.map(\.bitPattern), "\(name): \(a.name)")
        }
        let valid = try restored.evaluate(on: .valid)
        let test = try restored.evaluate(on: .test)
        #expect(valid.differing.isEmpty && test.differing.isEmpty, "\(name): \(valid.differing) \(test.differing)")
        #expect(test.result.values == result.test?.values)
    }

    /// A freshly built model with other parameters does not give the stored
    /// metrics: the comparison above can fail.
    @Test func anUntrainedModelDiffers() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (_, _, written) = try trainAndSave(ModelRegistry.standard.model(named: "LightGCN"), [:], in: folder)
        // Overwrite the item embeddings with zeros: every score ties.
        let entry = try #require(written.manifest.tensors.first { $0.name.contains("item") })
        let file = written.folder.appendingPathComponent(entry.file)
        try NumpyArray.encode(Tensor(rows: entry.shape[0], cols: entry.shape[1])).write(to: file)
        let restored = try RestoredCheckpoint(try Checkpoint.read(written.folder.path), registry: .standard)
        #expect(!(try restored.evaluate(on: .test)).differing.isEmpty)
    }

    /// A tensor of another shape, a missing manifest, and changed data files
    /// are errors naming the file.
    @Test func badCheckpointsAreRefusedWithTheirFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("checkpoint-\(UUID())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let (_, _, written) = try trainAndSave(ModelRegistry.standard.model(named: "LightGCN"), [:], in: folder)
        let entry = written.manifest.tensors[0]
        let file = written.folder.appendingPathComponent(entry.file)
        let original = try Data(contentsOf: file)
        try NumpyArray.encode(Tensor(rows: 3, cols: 2)).write(to: file)
        let shapeError = #expect(throws: DataError.self) { _ = try RestoredCheckpoint(try Checkpoint.read(written.folder.path), registry: .standard) }
        #expect(shapeError?.file == file.path)
        #expect(shapeError?.reason.contains("shape 3x2") == true)
        try original.write(to: file)

        let missing = #expect(throws: DataError.self) { _ = try Checkpoint.read(folder.appendingPathComponent("nothing").path) }
        #expect(missing?.reason.contains("checkpoint.json is missing") == true)

        // The same files, but one more interaction.
        let copy = folder.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        let inter = try String(contentsOfFile: repositoryPath("Data/mmgcn-toy/tiktok_toy.inter"), encoding: .utf8)
        try (inter + "0\t1\t2\n").write(to: copy.appendingPathComponent("tiktok_toy.inter"), atomically: true, encoding: .utf8)
        for name in ["v_feat.npy", "a_feat.npy"] {
            try FileManager.default.copyItem(atPath: repositoryPath("Data/mmgcn-toy/\(name)"),
                                             toPath: copy.appendingPathComponent(name).path)
        }
        let descriptor = #"{"name": "mmgcn-toy", "interactions": "tiktok_toy.inter", "features": {"visual": "v_feat.npy", "acoustic": "a_feat.npy"}}"#
        try descriptor.write(to: copy.appendingPathComponent("toy.json"), atomically: true, encoding: .utf8)
        let changed = #expect(throws: DataError.self) {
            _ = try RestoredCheckpoint(try Checkpoint.read(written.folder.path), registry: .standard, dataset: copy.appendingPathComponent("toy.json").path)
        }
        #expect(changed?.reason.contains("not the one the checkpoint was trained on: tiktok_toy.inter") == true)
    }

    /// The npy writer's bytes are NumPy's: `np.save` of a (2, 3) float32
    /// array of 0…5 writes this 128-byte header (checked with NumPy 2.x).
    @Test func npyBytesAreNumPys() throws {
        let data = NumpyArray.encode(Tensor(rows: 2, cols: 3, scalars: [0, 1, 2, 3, 4, 5]))
        #expect(data.count == 152)
        let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" + String(repeating: " ", count: 58) + "\n"
        #expect(Array(data.prefix(10)) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 0x76, 0])
        #expect(String(decoding: data[10..<128], as: UTF8.self) == header)
        #expect(Array(data[128..<132]) == [0, 0, 0, 0] && Array(data[132..<136]) == [0, 0, 0x80, 0x3F])
        let back = try NumpyArray.parseFloat32(data, file: "x.npy")
        #expect(back == Tensor(rows: 2, cols: 3, scalars: [0, 1, 2, 3, 4, 5]))
        let empty = try NumpyArray.parseFloat32(NumpyArray.encode(Tensor(rows: 0, cols: 0)), file: "e.npy")
        #expect(empty.rows == 0 && empty.cols == 0)
    }
}

/// A config's `"checkpoints": true` keeps one checkpoint per finished run in
/// the store, which reloads to the run's stored metrics; without it none.
@Suite struct RunnerCheckpointTests {
    @Test func aConfigKeepsACheckpointPerRunOnlyWhenAsked() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let models = #"[{"model": "LightGCN", "parameters": {"n_layers": [1, 2]}}, {"model": "VBPR"}]"#
        let plain = try ExperimentRunner(config: try parse(toyConfig(name: "plain", models: models)),
                                         registry: .standard, resultsRoot: folder.path, progress: .quiet)
        _ = try plain.run()
        #expect(!FileManager.default.fileExists(atPath: plain.checkpointsFolder.path))
        #expect(try plain.finishedRunsWithoutCheckpoint() == 6)

        let config = try parse(toyConfig(name: "kept", models: models, extra: #", "checkpoints": true"#))
        #expect(config.checkpoints)
        let kept = try ExperimentRunner(config: config, registry: .standard, resultsRoot: folder.path, progress: .quiet)
        let summary = try kept.run()
        #expect(summary.trained == 6)
        let keys = try FileManager.default.contentsOfDirectory(atPath: kept.checkpointsFolder.path).sorted()
        #expect(keys == summary.records.map(\.key).sorted())
        #expect(try kept.finishedRunsWithoutCheckpoint() == 0)
        for record in summary.records {
            let checkpoint = try Checkpoint.read(kept.checkpointFolder(key: record.key).path)
            #expect(checkpoint.manifest.label == record.label && checkpoint.manifest.spec.key == record.key)
            let restored = try RestoredCheckpoint(checkpoint, registry: .standard)
            let test = try restored.evaluate(on: .test)
            #expect(test.differing.isEmpty, "\(record.label) \(record.gridPoint): \(test.differing)")
            #expect(test.result.values == record.result.test?.values)
        }
        let wrongType = errorMessage { _ = try parse(toyConfig(extra: #", "checkpoints": "yes""#)) }
        #expect(wrongType.contains("checkpoints"), "\(wrongType)")
    }
}
