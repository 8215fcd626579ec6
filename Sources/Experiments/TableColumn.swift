import RecommenderCore

/// One metric column of a table: a test metric under the config's protocol,
/// or under the extra sampled test protocol (`protocol.sampled_test`).
public struct TableColumn: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var metric: MetricKey
    /// Read from the sampled test (`TrainingResult.testSampled`).
    public var sampled: Bool

    public init(metric: MetricKey, sampled: Bool) {
        self.metric = metric
        self.sampled = sampled
    }

    /// Parses `recall@10` or `sampled:recall@10`; errors name `key`.
    public init(parsing text: String, key: String) throws {
        let sampled = text.hasPrefix("sampled:")
        let rest = sampled ? String(text.dropFirst("sampled:".count)) : text
        self.init(metric: try MetricKey(parsing: rest, key: key), sampled: sampled)
    }

    /// `recall@10`, or `sampled recall@10`.
    public var description: String { sampled ? "sampled \(metric)" : metric.description }

    /// The column's value in a finished run, if it was measured.
    public func value(in result: TrainingResult) -> Double? {
        (sampled ? result.testSampled : result.test)?.values[metric]
    }
}
