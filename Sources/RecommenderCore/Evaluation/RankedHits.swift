/// Where each evaluated user's held-out items landed in the user's ranked
/// list: enough to recompute every user's value of every metric at any K up
/// to `depth`, exactly as the evaluator computed it, for per-user
/// significance tests. Stored with a run, compactly: only users with at
/// least one hit are listed (every metric is 0 for the others).
///
/// JSON: `{"depth": 50, "users": 6125, "hits": "12:3:0.17 40:1:5"}`, where
/// each entry is `position:heldOut:rank.rank…`, position the user's index
/// among the evaluated users (ascending user ids), heldOut the user's number
/// of held-out items, and ranks 0-based.
public struct RankedHits: Sendable, Equatable, Codable {
    /// The length of the ranked lists the hits were read from.
    public let depth: Int
    /// The number of evaluated users.
    public let users: Int
    /// Users with at least one hit: position, held-out count, hit ranks ascending.
    public let entries: [Entry]

    public struct Entry: Sendable, Equatable {
        public let position: Int
        public let heldOut: Int
        public let ranks: [Int]
    }

    public init(depth: Int, users: Int, entries: [Entry]) {
        self.depth = depth
        self.users = users
        self.entries = entries
    }

    /// The hits of `detail`'s lists against each user's `heldOut` items.
    public init(_ detail: EvaluationDetail, heldOut: UserItemLists) {
        precondition(detail.listLength > 0, "RankedHits: the evaluation kept no lists")
        var entries: [Entry] = []
        for (position, user) in detail.users.enumerated() {
            let truth = heldOut[Int(user)]
            let ranks = detail.list(position).enumerated().filter { truth.contains($0.element) }.map(\.offset)
            if !ranks.isEmpty { entries.append(Entry(position: position, heldOut: truth.count, ranks: ranks)) }
        }
        self.init(depth: detail.listLength, users: detail.users.count, entries: entries)
    }

    /// Each evaluated user's value of `key` (K at most `depth`), in user order:
    /// the numbers the evaluator averaged.
    public func values(of key: MetricKey) -> [Double] {
        precondition(key.k <= depth, "RankedHits: \(key) needs lists of \(key.k), kept \(depth)")
        var out = [Double](repeating: 0, count: users)
        for entry in entries {
            var relevant = [Bool](repeating: false, count: depth)
            for r in entry.ranks { relevant[r] = true }
            out[entry.position] = rankingMetrics(relevant: relevant, heldOut: entry.heldOut, keys: [key])[0]
        }
        return out
    }

    enum CodingKeys: String, CodingKey { case depth, users, hits }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let depth = try c.decode(Int.self, forKey: .depth)
        let users = try c.decode(Int.self, forKey: .users)
        (self.depth, self.users) = (depth, users)
        let text = try c.decode(String.self, forKey: .hits)
        var entries: [Entry] = []
        for field in text.split(separator: " ") {
            let parts = field.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 3, let position = Int(parts[0]), let heldOut = Int(parts[1]), position < users,
                  heldOut > 0 else {
                throw DecodingError.dataCorruptedError(forKey: .hits, in: c, debugDescription: "malformed entry '\(field)'")
            }
            let ranks = try parts[2].split(separator: ".").map { r -> Int in
                guard let rank = Int(r), rank >= 0, rank < depth else {
                    throw DecodingError.dataCorruptedError(forKey: .hits, in: c, debugDescription: "rank '\(r)' in '\(field)' is not below \(depth)")
                }
                return rank
            }
            entries.append(Entry(position: position, heldOut: heldOut, ranks: ranks))
        }
        self.entries = entries
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(depth, forKey: .depth)
        try c.encode(users, forKey: .users)
        let text = entries.map { "\($0.position):\($0.heldOut):" + $0.ranks.map(String.init).joined(separator: ".") }
        try c.encode(text.joined(separator: " "), forKey: .hits)
    }
}
