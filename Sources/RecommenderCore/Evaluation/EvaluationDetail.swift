/// What an evaluation's averages are made of: every evaluated user's metric
/// values and, when asked for, the user's ranked list (`Evaluator.evaluateInDetail`).
public struct EvaluationDetail: Sendable {
    /// The evaluated users, ascending: at least one held-out and one training item.
    public let users: [Int32]
    /// The metrics, in the order of each user's values.
    public let metrics: [MetricKey]
    /// users.count × metrics.count values, a row per user.
    public let perUser: [Double]
    /// The length of each kept list; 0 when no lists were kept.
    public let listLength: Int
    /// users.count × listLength item ids, best first, padded with −1 where
    /// fewer items could be ranked (masking left fewer than listLength).
    public let lists: [Int32]

    /// The values of `key` for each evaluated user, in the order of `users`.
    public func values(of key: MetricKey) -> [Double] {
        guard let m = metrics.firstIndex(of: key) else { preconditionFailure("metric \(key) was not evaluated") }
        return (0..<users.count).map { perUser[$0 * metrics.count + m] }
    }

    /// The ranked list of the `position`-th evaluated user, without padding.
    public func list(_ position: Int) -> ArraySlice<Int32> {
        precondition(listLength > 0, "EvaluationDetail: no lists were kept")
        let row = lists[(position * listLength)..<((position + 1) * listLength)]
        return row.prefix { $0 >= 0 }
    }
}
