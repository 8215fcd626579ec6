import Foundation

/// A ranking metric of MODELS.md Part 1.
public enum RankingMetric: String, CaseIterable, Sendable, Codable {
    case recall, precision, ndcg, hit, map
}

/// A metric at a cut-off, written `recall@20`.
public struct MetricKey: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let metric: RankingMetric
    public let k: Int

    public init(_ metric: RankingMetric, at k: Int) {
        precondition(k > 0, "MetricKey: K = \(k) must be positive")
        self.metric = metric
        self.k = k
    }

    /// Parses `recall@20`; throws a `ConfigError` naming `key` otherwise.
    public init(parsing text: String, key: String = "metric") throws {
        let parts = text.lowercased().split(separator: "@")
        guard parts.count == 2, let metric = RankingMetric(rawValue: String(parts[0])),
              let k = Int(parts[1]) else {
            throw ConfigError(key: key, "'\(text)' is not metric@K; metrics are \(RankingMetric.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard k > 0 else { throw ConfigError(key: key, "K = \(k) in '\(text)'; expected K ≥ 1") }
        self.init(metric, at: k)
    }

    public var description: String { "\(metric.rawValue)@\(k)" }

    public static func < (a: MetricKey, b: MetricKey) -> Bool {
        a.metric == b.metric ? a.k < b.k
            : RankingMetric.allCases.firstIndex(of: a.metric)! < RankingMetric.allCases.firstIndex(of: b.metric)!
    }

    public init(from decoder: Decoder) throws {
        try self.init(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// The metrics of one user's ranking, for every metric and K.
///
/// `relevant[r]` says whether the item at rank r + 1 is held out for the user,
/// and `heldOut` is |T_u|. With hits(K) the relevant items in the top K:
/// - recall@K    = hits(K) / |T_u|
/// - precision@K = hits(K) / K
/// - hit@K       = 1 if hits(K) > 0
/// - ndcg@K      = Σ_{r ≤ K} rel_r / log2(r + 1)  ÷  Σ_{r ≤ min(|T_u|, K)} 1 / log2(r + 1)
/// - map@K       = Σ_{r ≤ K} precision@r · rel_r / min(|T_u|, K)
/// The ideal DCG has min(|T_u|, K) hits, not min(hits, K) as GRCN's and DualGNN's code has.
public func rankingMetrics(relevant: [Bool], heldOut: Int, keys: [MetricKey]) -> [Double] {
    precondition(heldOut > 0, "rankingMetrics: a user with no held-out items is not evaluated")
    let depth = keys.map(\.k).max() ?? 0
    var hits = [Int](repeating: 0, count: depth + 1)
    var dcg = [Double](repeating: 0, count: depth + 1)
    var precisionSum = [Double](repeating: 0, count: depth + 1)
    for r in 1...max(depth, 1) where r <= depth {
        let rel = r <= relevant.count && relevant[r - 1]
        hits[r] = hits[r - 1] + (rel ? 1 : 0)
        dcg[r] = dcg[r - 1] + (rel ? 1 / log2(Double(r) + 1) : 0)
        precisionSum[r] = precisionSum[r - 1] + (rel ? Double(hits[r]) / Double(r) : 0)
    }
    return keys.map { key in
        let k = key.k
        switch key.metric {
        case .recall: return Double(hits[k]) / Double(heldOut)
        case .precision: return Double(hits[k]) / Double(k)
        case .hit: return hits[k] > 0 ? 1 : 0
        case .ndcg:
            var ideal = 0.0
            for r in 1...min(heldOut, k) { ideal += 1 / log2(Double(r) + 1) }
            return dcg[k] / ideal
        case .map: return precisionSum[k] / Double(min(heldOut, k))
        }
    }
}

/// Lets `[MetricKey: Double]` encode as a JSON object keyed by `recall@20`.
extension MetricKey: CodingKeyRepresentable {
    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public var codingKey: CodingKey { Key(stringValue: description) }

    public init?<T: CodingKey>(codingKey: T) {
        guard let key = try? MetricKey(parsing: codingKey.stringValue) else { return nil }
        self = key
    }
}
