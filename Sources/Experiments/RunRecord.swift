import Crypto
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

    /// The hash that names the run's result file: the first 16 hex digits of
    /// SHA-256 over the spec's JSON with sorted keys.
    public var key: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data()
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined().prefix(16).description
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
}

/// SHA-256 of a file, in hex.
func sha256(ofFile path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
        throw DataError(file: path, "file not found")
    }
    return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}
