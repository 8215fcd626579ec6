import Foundation
import GraphKit
import RecommenderCore

/// Bumped whenever a change to the code changes what a run computes, so that
/// stored runs of older code are not mistaken for current ones.
public let codeVersion = "2"

/// Everything that decides a run's outcome, resolved: the key of a stored run
/// is a hash of this, so runs made on different machines can be merged.
public struct RunSpec: Codable, Sendable, Equatable {
    public var codeVersion: String
    public var dataset: String
    /// SHA-256 of each file the dataset descriptor names, by file name.
    public var datasetFiles: [String: String]
    public var model: String
    /// Every hyper-parameter, defaults included.
    public var hyperparameters: [String: HyperparameterValue]
    public var training: TrainingOptions
    public var seed: UInt64
    public var ranking: String
    public var candidates: Int?
    /// Candidates of the extra sampled test protocol, if one was run.
    public var sampledTest: Int?
    public var metrics: [MetricKey]
    public var maskValidInTest: Bool
    /// The keys the config gave with their default value, among those the
    /// model treats differently when given at all
    /// (`Recommender.keysThatMatterWhenGiven`: an explicit `modalities` list
    /// that must exist, a setting that contradicts `compat: "mmrec"`), sorted.
    /// Such a spec runs otherwise than the one that leaves the keys out, so
    /// the key tells them apart. Nil, and absent from the key, when none.
    public var givenAtDefault: [String]? = nil
    /// The model's revision for these settings (`Recommender.revision`):
    /// a change to a model that alters only some of its settings raises it
    /// for those, so that exactly their stored runs are trained again. Nil,
    /// and absent from the key, at revision 0.
    public var modelRevision: Int? = nil

    /// The hash that names the run's result file: the first 16 hex digits of
    /// SHA-256 over the spec's JSON with sorted keys.
    public var key: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data()
        return String(hexDigits(sha256Digest(data)).prefix(16))
    }
}

extension RunSpec {
    /// The spec of training `model` with `hyperparameters` and `seed` on the
    /// dataset `dataset` (its files' hashes `datasetFiles`), judged by
    /// `evaluation`, with the extra sampled test of `sampledTest` candidates.
    public init(model: Recommender.Type, hyperparameters hyper: Hyperparameters, training: TrainingOptions,
                seed: UInt64, dataset: String, datasetFiles: [String: String],
                evaluation: EvaluationProtocol, sampledTest: Int?) {
        var candidates: Int?
        var ranking = "full"
        if case let .sampled(n) = evaluation.ranking { ranking = "sampled"; candidates = n }
        let givenAtDefault = hyper.givenAtDefault.intersection(model.keysThatMatterWhenGiven(hyper)).sorted()
        let revision = model.revision(hyper)
        self.init(codeVersion: Experiments.codeVersion, dataset: dataset, datasetFiles: datasetFiles,
                  model: model.name, hyperparameters: hyper.values, training: training, seed: seed,
                  ranking: ranking, candidates: candidates, sampledTest: sampledTest, metrics: evaluation.metrics,
                  maskValidInTest: evaluation.maskValidInTest,
                  givenAtDefault: givenAtDefault.isEmpty ? nil : givenAtDefault,
                  modelRevision: revision == 0 ? nil : revision)
    }

    /// SHA-256 of each file `descriptor` names, by file name: what
    /// `datasetFiles` holds.
    public static func fileHashes(_ descriptor: DatasetDescriptor) throws -> [String: String] {
        var files: [String: String] = [:]
        for path in [descriptor.interactions] + descriptor.features.values.sorted() {
            files[URL(fileURLWithPath: path).lastPathComponent] = try sha256(ofFile: path)
        }
        return files
    }
}

/// One finished (or failed) run, as stored in Results/NAME/runs/KEY.json.
public struct RunRecord: Codable, Sendable {
    public var key: String
    public var spec: RunSpec
    /// The table row it belongs to.
    public var label: String
    /// The grid point, as `key=value` pairs.
    public var gridPoint: String
    public var result: TrainingResult
    /// When the run finished (ISO 8601).
    public var finished: String
    /// The host it ran on.
    public var host: String
    /// The CPU it ran on (`MachineReport.cpuModel`); nil in runs stored
    /// before the suite recorded it.
    public var cpu: String? = nil
    /// The BLAS library and kernel it ran with, such as "OpenBLAS 0.3.21
    /// SkylakeX" (`MachineReport.blasKernel`); nil in runs stored before the
    /// suite recorded it. Different kernels round differently, so the same
    /// spec gives other last digits, and a training path that drifts.
    public var blasKernel: String? = nil
    /// The recoveries the loader made from the run's dataset (`Dataset.warnings`:
    /// repeated pairs dropped, held-out pairs that training has, users and
    /// items without training interactions); nil when there were none, and in
    /// runs stored before the suite recorded them.
    public var datasetWarnings: [String]? = nil
    /// The hyper-parameters the model ran with where they differ from the
    /// spec's (`Recommender.settingsRun`: under `compat: "mmrec"` GRCN prunes
    /// hard whatever `pruning` resolved to, a default `modalities` list runs
    /// with the modalities the dataset has); nil when it ran the spec's
    /// values exactly, and in runs stored before the suite recorded it.
    public var settingsRun: [String: HyperparameterValue]? = nil

    /// Where it was computed, in a few words: "Intel(R) Xeon(R) Processor,
    /// OpenBLAS 0.3.21 SkylakeX", or nil for runs stored without it.
    public var computedOn: String? {
        guard let cpu, let blasKernel else { return nil }
        return "\(cpu), \(blasKernel)"
    }
}

/// `bytes` as lowercase hex, two digits a byte.
func hexDigits<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(64)
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: text, as: UTF8.self)
}

/// SHA-256 of a file, in hex.
func sha256(ofFile path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw DataError(file: path, "file not found")
    }
    return hexDigits(sha256Digest(data))
}

extension RunRecord {
    /// The run stored in `data`. Without `history`, the per-epoch records and
    /// the embedding projection are skipped (left empty): what a plan, a
    /// selection on validation or a merge's checks need, read several times
    /// faster than the whole record.
    public static func decode(_ data: Data, history: Bool = true) throws -> RunRecord {
        if history { return try JSONDecoder().decode(RunRecord.self, from: data) }
        return try JSONDecoder().decode(Headline.self, from: data).record
    }

    /// A stored run without `result.epochs` and `result.embedding` (the
    /// ranked hits are kept: the tables' per-user tests read them).
    private struct Headline: Decodable {
        var key: String
        var spec: RunSpec
        var label: String
        var gridPoint: String
        var result: ResultHeadline
        var finished: String
        var host: String
        var cpu: String?
        var blasKernel: String?
        var datasetWarnings: [String]?
        var settingsRun: [String: HyperparameterValue]?

        var record: RunRecord {
            var full = TrainingResult.failed(result.failure ?? "")
            full.status = result.status
            full.failure = result.failure
            full.stopReason = result.stopReason
            full.bestEpoch = result.bestEpoch
            full.valid = result.valid
            full.test = result.test
            full.testSampled = result.testSampled
            full.testHits = result.testHits
            full.testSampledHits = result.testSampledHits
            full.secondsPerEpoch = result.secondsPerEpoch
            full.secondsPerEvaluation = result.secondsPerEvaluation
            full.totalSeconds = result.totalSeconds
            return RunRecord(key: key, spec: spec, label: label, gridPoint: gridPoint, result: full,
                             finished: finished, host: host, cpu: cpu, blasKernel: blasKernel,
                             datasetWarnings: datasetWarnings, settingsRun: settingsRun)
        }
    }

    private struct ResultHeadline: Decodable {
        var status: RunStatus
        var failure: String?
        var stopReason: String
        var bestEpoch: Int?
        var valid: EvaluationResult?
        var test: EvaluationResult?
        var testSampled: EvaluationResult?
        var testHits: RankedHits?
        var testSampledHits: RankedHits?
        var secondsPerEpoch: Double
        var secondsPerEvaluation: Double
        var totalSeconds: Double
    }
}
