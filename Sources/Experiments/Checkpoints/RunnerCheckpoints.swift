import Foundation
import GraphKit
import RecommenderCore

extension ExperimentRunner {
    /// Results/STORE/checkpoints: one folder per run key, kept when the config
    /// says `"checkpoints": true`.
    public var checkpointsFolder: URL { storeFolder.appendingPathComponent("checkpoints") }

    /// The checkpoint folder of the run `key`.
    public func checkpointFolder(key: String) -> URL { checkpointsFolder.appendingPathComponent(key) }

    /// Writes `model`'s best-epoch parameters (the trainer leaves them in the
    /// model) for `run`, with the manifest `bench evaluate` and `bench export` read.
    func saveCheckpoint(of model: Recommender, run: PlannedRun, record: RunRecord, evaluator: Evaluator) throws {
        let d = descriptors.firstIndex { $0.name == run.dataset } ?? 0
        var evaluation = evaluator.evaluationProtocol
        evaluation.maskValidInTest = run.spec.maskValidInTest
        let manifest = CheckpointManifest(
            key: run.key, spec: run.spec, given: run.point.parameters, label: run.label,
            dataset: .init(written: config.datasets[d].name, path: config.datasets[d].path),
            evaluation: .init(evaluation), bestEpoch: record.result.bestEpoch, valid: record.result.valid,
            test: record.result.test, cpu: record.cpu ?? MachineReport.current.cpuModel,
            blasKernel: record.blasKernel ?? MachineReport.current.blasKernel, written: record.finished)
        try Checkpoint.write(model, manifest: manifest, to: checkpointFolder(key: run.key))
    }

    /// How many of the config's finished stored runs have no checkpoint: runs
    /// trained before `"checkpoints": true` was set, or by a config without it.
    public func finishedRunsWithoutCheckpoint() throws -> Int {
        try knownRuns(history: false).filter { run, record in
            record?.result.status == .finished
                && !FileManager.default.fileExists(atPath: checkpointFolder(key: run.key)
                    .appendingPathComponent(CheckpointManifest.fileName).path)
        }.count
    }
}
