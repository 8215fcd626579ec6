import Foundation
import GraphKit

/// Each user's items in one split, as CSR: user u's items are
/// `items[offsets[u]..<offsets[u+1]]`, sorted ascending.
public struct UserItemLists: Sendable {
    /// Row pointers, one per user plus one.
    public let offsets: [Int]
    /// Items, grouped by user, ascending within a user.
    public let items: [Int32]

    /// Groups (user, item) pairs by user; pairs must be distinct.
    init(userCount: Int, users: [Int32], items: [Int32]) {
        var offsets = [Int](repeating: 0, count: userCount + 1)
        for u in users { offsets[Int(u) + 1] += 1 }
        for u in 0..<userCount { offsets[u + 1] += offsets[u] }
        var next = offsets
        var grouped = [Int32](repeating: 0, count: users.count)
        for k in 0..<users.count {
            let u = Int(users[k])
            grouped[next[u]] = items[k]
            next[u] += 1
        }
        for u in 0..<userCount { grouped[offsets[u]..<offsets[u + 1]].sort() }
        self.offsets = offsets
        self.items = grouped
    }

    /// User `u`'s items.
    public subscript(u: Int) -> ArraySlice<Int32> { items[offsets[u]..<offsets[u + 1]] }

    /// Number of items of user `u`.
    public func count(_ u: Int) -> Int { offsets[u + 1] - offsets[u] }

    /// True when user `u` has item `i` (binary search).
    public func contains(_ u: Int, _ i: Int32) -> Bool {
        var (lo, hi) = (offsets[u], offsets[u + 1])
        while lo < hi {
            let mid = (lo + hi) >> 1
            if items[mid] < i { lo = mid + 1 } else { hi = mid }
        }
        return lo < offsets[u + 1] && items[lo] == i
    }
}

/// A loaded recommendation dataset: the three splits, the training graph, and
/// the item features by modality.
///
/// Users and items are numbered as in the file; U and I are the largest id + 1
/// over all splits. Only training pairs build the graph.
public final class Dataset: @unchecked Sendable {
    /// The dataset's name.
    public let name: String
    /// Number of users U.
    public let userCount: Int
    /// Number of items I.
    public let itemCount: Int
    /// The training graph.
    public let graph: BipartiteGraph
    /// Each user's items per split.
    public let train: UserItemLists, valid: UserItemLists, test: UserItemLists
    /// Item features (I rows each), by modality, in the order visual, acoustic, textual.
    public let features: [(modality: Modality, matrix: Tensor)]
    /// Repeated (user, item) pairs dropped within each split.
    public let duplicatesDropped: [Split: Int]
    /// Users with no training interaction (left out of evaluation).
    public let usersWithoutTraining: Int
    /// Items never seen in training (still scored).
    public let itemsWithoutTraining: Int
    /// Every recovery the loader made from the data as written, one line
    /// each, in the words a run's log and record give them: a UTF-8
    /// byte-order mark skipped (in the descriptor or the .inter file), repeated pairs
    /// dropped, pairs held out that training already has (masked, so never a
    /// hit), users and items without training interactions. Empty for clean data.
    public let warnings: [String]

    /// Loads the files a descriptor names and validates them.
    public convenience init(descriptor: DatasetDescriptor) throws {
        var interactions = try InteractionFile.load(descriptor.interactions)
        interactions.warnings = descriptor.warnings + interactions.warnings
        var features: [(Modality, Tensor, String)] = []
        for modality in Modality.allCases {
            guard let path = descriptor.features[modality] else { continue }
            features.append((modality, try NumpyArray.loadMatrix(path), path))
        }
        if let limit = descriptor.userLimit {
            let kept = interactions.keepingUsers(below: limit)
            interactions = kept.interactions
            features = try features.map { modality, matrix, path in
                guard let last = kept.items.last, Int(last) < matrix.rows else {
                    throw DataError(file: path, location: "shape",
                                    "\(matrix.rows) rows, but the interactions name item \(kept.items.last ?? 0); expected one row per item")
                }
                return (modality, gatherRows(Tape.noGrad().constant(matrix), kept.items).value, path)
            }
        }
        try self.init(name: descriptor.name, interactions: interactions, features: features,
                      source: descriptor.interactions)
    }

    /// Builds a dataset from parsed interactions and feature matrices
    /// (`(modality, matrix, file)`; the file names errors).
    public init(name: String, interactions: InteractionFile, features: [(Modality, Tensor, String)],
                source: String = "interactions") throws {
        self.name = name
        let userCount = Int(interactions.users.max() ?? -1) + 1
        let itemCount = Int(interactions.items.max() ?? -1) + 1
        self.userCount = userCount
        self.itemCount = itemCount
        var perSplit: [Split: (users: [Int32], items: [Int32])] = [:]
        var dropped: [Split: Int] = [:]
        for split in Split.allCases {
            var seen = Set<Int64>()
            var us: [Int32] = [], its: [Int32] = []
            for k in 0..<interactions.users.count where interactions.splits[k] == split {
                let key = Int64(interactions.users[k]) << 32 | Int64(interactions.items[k])
                if seen.insert(key).inserted {
                    us.append(interactions.users[k])
                    its.append(interactions.items[k])
                }
            }
            dropped[split] = interactions.splits.lazy.filter { $0 == split }.count - us.count
            perSplit[split] = (us, its)
        }
        duplicatesDropped = dropped
        let trainPairs = perSplit[.train]!
        guard !trainPairs.users.isEmpty else {
            throw DataError(file: source, "no training interactions (x_label 0)")
        }
        do {
            graph = try BipartiteGraph(userCount: userCount, itemCount: itemCount,
                                       users: trainPairs.users, items: trainPairs.items, name: "\(name) training graph")
        } catch {
            throw DataError(file: source, "\(error)")
        }
        train = UserItemLists(userCount: userCount, users: trainPairs.users, items: trainPairs.items)
        valid = UserItemLists(userCount: userCount, users: perSplit[.valid]!.users, items: perSplit[.valid]!.items)
        test = UserItemLists(userCount: userCount, users: perSplit[.test]!.users, items: perSplit[.test]!.items)
        usersWithoutTraining = graph.userDegrees.lazy.filter { $0 == 0 }.count
        itemsWithoutTraining = graph.itemDegrees.lazy.filter { $0 == 0 }.count
        warnings = interactions.warnings + Self.recoveries(dropped: dropped, train: train, valid: valid, test: test,
                                   usersWithoutTraining: usersWithoutTraining, itemsWithoutTraining: itemsWithoutTraining)
        var loaded: [(modality: Modality, matrix: Tensor)] = []
        for (modality, matrix, file) in features {
            if matrix.rows < itemCount && interactions.largestItemLine > 0 {
                throw DataError(file: file, location: "shape",
                                "\(matrix.rows) rows, but line \(interactions.largestItemLine) of \(source) names item \(itemCount - 1); expected one row per item id (ids 0 to \(matrix.rows - 1) with these rows)")
            }
            guard matrix.rows == itemCount else {
                throw DataError(file: file, location: "shape",
                                "\(matrix.rows) rows, but the interactions have \(itemCount) items (largest item id + 1); expected one row per item")
            }
            for r in 0..<matrix.rows {
                for c in 0..<matrix.cols where !matrix[r, c].isFinite {
                    throw DataError(file: file, location: "row \(r), column \(c)",
                                    "\(matrix[r, c]) in the \(modality.rawValue) features; expected finite values")
                }
            }
            loaded.append((modality, matrix))
        }
        self.features = loaded
    }

    /// The loader's recoveries (see `warnings`).
    static func recoveries(dropped: [Split: Int], train: UserItemLists, valid: UserItemLists, test: UserItemLists,
                           usersWithoutTraining: Int, itemsWithoutTraining: Int) -> [String] {
        var lines: [String] = []
        for split in Split.allCases {
            if let n = dropped[split], n > 0 {
                lines.append("\(n) repeated (user, item) pair\(n == 1 ? "" : "s") in \(split.name) dropped; each pair is kept once")
            }
        }
        // A held-out pair that an earlier split already has is masked when its
        // split is ranked (training items always, validation items at test by
        // default), so it can never be a hit and lowers every metric there.
        func shared(_ held: UserItemLists, _ earlier: UserItemLists) -> Int {
            (0..<held.offsets.count - 1).reduce(0) { total, u in
                total + held[u].lazy.filter { earlier.contains(u, $0) }.count
            }
        }
        for (held, name, earlier, earlierName, masked) in [(valid, "valid", train, "train", "training items are masked"),
                                                            (test, "test", train, "train", "training items are masked"),
                                                            (test, "test", valid, "valid", "validation items are masked by default")] {
            let n = shared(held, earlier)
            if n > 0 {
                lines.append("\(n) (user, item) pair\(n == 1 ? " is" : "s are") in both \(earlierName) and \(name): "
                             + "kept in \(name), where \(masked), so \(n == 1 ? "it can never be a hit and lowers" : "they can never be hits and lower") every \(name) metric")
            }
        }
        if usersWithoutTraining > 0 {
            lines.append("\(usersWithoutTraining) user\(usersWithoutTraining == 1 ? " has" : "s have") no training interaction: left out of evaluation")
        }
        if itemsWithoutTraining > 0 {
            lines.append("\(itemsWithoutTraining) item\(itemsWithoutTraining == 1 ? " is" : "s are") never in training: still ranked")
        }
        return lines
    }

    /// The held-out lists of a split.
    public func items(in split: Split) -> UserItemLists {
        switch split {
        case .train: return train
        case .valid: return valid
        case .test: return test
        }
    }

    /// The modalities present, in order.
    public var modalities: [Modality] { features.map(\.modality) }

    /// A summary for run logs: sizes, dropped duplicates, cold users and items.
    public var summary: String {
        let splitSizes = Split.allCases.map { "\($0.name) \(items(in: $0).items.count)" }.joined(separator: ", ")
        var lines = ["\(name): \(userCount) users, \(itemCount) items; \(splitSizes)"]
        let dups = Split.allCases.compactMap { s in dropped(s).map { "\($0) in \(s.name)" } }
        if !dups.isEmpty { lines.append("  repeated pairs dropped: " + dups.joined(separator: ", ")) }
        lines.append("  users without training interactions (not evaluated): \(usersWithoutTraining)")
        lines.append("  items never seen in training (still scored): \(itemsWithoutTraining)")
        if !features.isEmpty {
            lines.append("  features: " + features.map { "\($0.modality.rawValue) \($0.matrix.cols)" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }

    private func dropped(_ split: Split) -> Int? {
        let n = duplicatesDropped[split] ?? 0
        return n > 0 ? n : nil
    }
}
