import Foundation

/// A ranking metric of docs/MODELS.md.
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
    var buffer = RankingMetricsBuffer(keys: keys)
    var out = [Double](repeating: 0, count: keys.count)
    out.withUnsafeMutableBufferPointer { o in
        buffer.compute(heldOut: heldOut, into: o.baseAddress!) { r in r < relevant.count && relevant[r] }
    }
    return out
}

/// The metric computation of `rankingMetrics` with its scratch arrays kept
/// between users, so that evaluating a user allocates nothing.
struct RankingMetricsBuffer {
    let keys: [MetricKey]
    let depth: Int
    private var hits: [Int]
    private var dcg: [Double]
    private var precisionSum: [Double]
    /// 1 / log2(r + 1) for r = 1…depth, and its running sums (the ideal DCG).
    private let discount: [Double]
    private let idealDCG: [Double]

    init(keys: [MetricKey]) {
        self.keys = keys
        depth = keys.map(\.k).max() ?? 0
        hits = [Int](repeating: 0, count: depth + 1)
        dcg = [Double](repeating: 0, count: depth + 1)
        precisionSum = [Double](repeating: 0, count: depth + 1)
        discount = (0...depth).map { $0 == 0 ? 0 : 1 / log2(Double($0) + 1) }
        var ideal = [Double](repeating: 0, count: depth + 1)
        for r in stride(from: 1, through: depth, by: 1) { ideal[r] = ideal[r - 1] + 1 / log2(Double(r) + 1) }
        idealDCG = ideal
    }

    /// Writes one value per key into `out`; `isRelevant(r)` says whether the
    /// item at 0-based rank r is held out (false past the end of the list).
    mutating func compute(heldOut: Int, into out: UnsafeMutablePointer<Double>, isRelevant: (Int) -> Bool) {
        precondition(heldOut > 0, "rankingMetrics: a user with no held-out items is not evaluated")
        for r in stride(from: 1, through: depth, by: 1) {
            let rel = isRelevant(r - 1)
            hits[r] = hits[r - 1] + (rel ? 1 : 0)
            dcg[r] = dcg[r - 1] + (rel ? discount[r] : 0)
            precisionSum[r] = precisionSum[r - 1] + (rel ? Double(hits[r]) / Double(r) : 0)
        }
        for (m, key) in keys.enumerated() {
            let k = key.k
            switch key.metric {
            case .recall: out[m] = Double(hits[k]) / Double(heldOut)
            case .precision: out[m] = Double(hits[k]) / Double(k)
            case .hit: out[m] = hits[k] > 0 ? 1 : 0
            case .ndcg: out[m] = dcg[k] / idealDCG[min(heldOut, k)]
            case .map: out[m] = precisionSum[k] / Double(min(heldOut, k))
            }
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
