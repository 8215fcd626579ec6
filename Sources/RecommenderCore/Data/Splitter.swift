import Foundation
import GraphKit

/// Raw interactions before splitting: external user and item ids, and an
/// optional time per interaction.
public struct RawInteractions: Sendable {
    public var users: [String]
    public var items: [String]
    public var times: [Double]?

    public init(users: [String], items: [String], times: [Double]? = nil) {
        precondition(users.count == items.count && (times == nil || times!.count == users.count),
                     "RawInteractions: columns of different lengths")
        self.users = users
        self.items = items
        self.times = times
    }

    /// Reads `user item [time]` lines separated by tabs, commas or spaces. A
    /// first line whose time (or whose every field) is not numeric is a header.
    public static func load(_ path: String) throws -> RawInteractions {
        guard let text = String(data: try InputFile.contents(of: path), encoding: .utf8) else {
            throw DataError(file: path, "not UTF-8 text")
        }
        var users: [String] = [], items: [String] = [], times: [Double] = []
        var columns: Int?
        for (n, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(whereSeparator: { $0 == "\t" || $0 == "," || $0 == " " }).map(String.init)
            if fields.isEmpty { continue }
            guard fields.count == 2 || fields.count == 3 else {
                throw DataError(file: path, location: "line \(n + 1)",
                                "\(fields.count) fields; expected 'user item' or 'user item time'")
            }
            if n == 0 && (fields.count == 3 ? Double(fields[2]) == nil : fields.allSatisfy { Int($0) == nil }) {
                continue  // header
            }
            if let c = columns, c != fields.count {
                throw DataError(file: path, location: "line \(n + 1)", "\(fields.count) fields; earlier lines have \(c)")
            }
            columns = fields.count
            users.append(fields[0])
            items.append(fields[1])
            if fields.count == 3 {
                guard let t = Double(fields[2]), t.isFinite else {
                    throw DataError(file: path, location: "line \(n + 1)", "time '\(fields[2])' is not a number")
                }
                times.append(t)
            }
        }
        guard !users.isEmpty else { throw DataError(file: path, "no interactions") }
        return RawInteractions(users: users, items: items, times: columns == 3 ? times : nil)
    }
}

/// Splits raw interactions per user into train, valid and test, and numbers
/// users and items densely from 0 in order of first appearance.
public enum InteractionSplitter {
    /// How each user's interactions are divided.
    public enum Method: Sendable, Equatable {
        /// A seeded random permutation per user.
        case random(seed: UInt64)
        /// By time: the earliest to train, the latest to test. Needs times.
        case chronological
    }

    /// The split, with the dense ids and the external id of each.
    public struct Result: Sendable {
        public var users: [Int32]
        public var items: [Int32]
        public var splits: [Split]
        /// External id of each dense user id.
        public var userIds: [String]
        /// External id of each dense item id.
        public var itemIds: [String]
    }

    /// How many of a user's n interactions go to valid and to test: each
    /// max(1, ⌊n · ratio⌋) for a non-zero ratio, keeping at least one in train.
    /// This is the rule behind the Amazon Baby split the suite ships (a user
    /// with 5 to 19 interactions holds out 1 and 1, with 20 to 29, 2 and 2).
    public static func heldOutCounts(_ n: Int, valid: Double, test: Double) -> (valid: Int, test: Int) {
        var nValid = valid > 0 ? max(1, Int(Double(n) * valid)) : 0
        var nTest = test > 0 ? max(1, Int(Double(n) * test)) : 0
        while n - nTest - nValid < 1 && (nTest > 0 || nValid > 0) {
            if nValid >= nTest { nValid -= 1 } else { nTest -= 1 }
        }
        return (nValid, nTest)
    }

    /// Splits `raw` per user (default 8:1:1, see `heldOutCounts`). A repeated (user, item) pair keeps
    /// its first (or, by time, earliest) occurrence.
    public static func split(_ raw: RawInteractions, method: Method,
                             valid: Double = 0.1, test: Double = 0.1) throws -> Result {
        precondition(valid >= 0 && test >= 0 && valid + test < 1, "split: ratios valid \(valid), test \(test)")
        if method == .chronological && raw.times == nil {
            throw DataError(file: "raw interactions", "a chronological split needs a time column")
        }
        var userIndex: [String: Int32] = [:], itemIndex: [String: Int32] = [:]
        var userIds: [String] = [], itemIds: [String] = []
        var byUser: [[Int]] = []
        for k in 0..<raw.users.count {
            let u: Int32
            if let known = userIndex[raw.users[k]] { u = known } else {
                u = Int32(userIds.count)
                userIndex[raw.users[k]] = u
                userIds.append(raw.users[k])
                byUser.append([])
            }
            if itemIndex[raw.items[k]] == nil {
                itemIndex[raw.items[k]] = Int32(itemIds.count)
                itemIds.append(raw.items[k])
            }
            byUser[Int(u)].append(k)
        }
        var result = Result(users: [], items: [], splits: [], userIds: userIds, itemIds: itemIds)
        for (u, rows) in byUser.enumerated() {
            var order = rows
            if let times = raw.times, method == .chronological {
                order.sort { times[$0] != times[$1] ? times[$0] < times[$1] : $0 < $1 }
            }
            var seen = Set<Int32>()
            order = order.filter { seen.insert(itemIndex[raw.items[$0]]!).inserted }
            if case let .random(seed) = method {
                var rng = RandomGenerator(seed: seed, stream: UInt64(u))
                rng.shuffle(&order)
            }
            let (nValid, nTest) = heldOutCounts(order.count, valid: valid, test: test)
            let nTrain = order.count - nValid - nTest
            for (position, k) in order.enumerated() {
                result.users.append(Int32(u))
                result.items.append(itemIndex[raw.items[k]]!)
                result.splits.append(position < nTrain ? .train : position < nTrain + nValid ? .valid : .test)
            }
        }
        return result
    }

    /// Writes `result` as `path` (an `.inter` file) plus `u_id_mapping.tsv` and
    /// `i_id_mapping.tsv` beside it, each atomically.
    public static func write(_ result: Result, to path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw DataError(file: folder.path, "cannot create the output folder (\(error.localizedDescription))")
        }
        try InteractionFile.write(users: result.users, items: result.items, splits: result.splits, to: path)
        for (name, ids) in [("u_id_mapping.tsv", result.userIds), ("i_id_mapping.tsv", result.itemIds)] {
            let header = name.hasPrefix("u") ? "raw_user\tuserID\n" : "raw_item\titemID\n"
            let body = ids.enumerated().map { "\($1)\t\($0)\n" }.joined()
            try AtomicFile.write(Data((header + body).utf8), to: folder.appendingPathComponent(name).path)
        }
    }
}
