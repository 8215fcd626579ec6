import Foundation

/// The user–user co-occurrence graph DualGNN aggregates over: c(u, v) =
/// |N(u) ∩ N(v)|, the number of training items u and v share, and each user's
/// top-k neighbours by that count.
///
/// Counts are computed sparsely, user → item → user through the CSR, in
/// O(Σ_i |N(i)|²) time and O(U) memory per thread, never as a U × U matrix.
public struct UserCooccurrence: Sendable {
    /// Number of users.
    public let userCount: Int
    /// How many neighbours each user keeps at most.
    public let k: Int
    /// Each user's top-k neighbours by count, ties broken by the lower user id.
    public let neighbours: [[Int32]]
    /// The co-occurrence count of each neighbour in `neighbours`.
    public let counts: [[Int32]]

    /// Counts shared items in `graph` and keeps the top `k` neighbours per user.
    public init(graph: BipartiteGraph, k: Int) {
        precondition(k > 0, "UserCooccurrence: k = \(k) must be positive")
        let userCount = graph.userCount
        let byUser = graph.itemsToUsers
        let byItem = graph.usersToItems
        var neighbours = [[Int32]](repeating: [], count: userCount)
        var counts = [[Int32]](repeating: [], count: userCount)
        byUser.rowPtr.withUnsafeBufferPointer { urp in
        byUser.source.withUnsafeBufferPointer { uItems in
        byItem.rowPtr.withUnsafeBufferPointer { irp in
        byItem.source.withUnsafeBufferPointer { iUsers in
        neighbours.withUnsafeMutableBufferPointer { outN in
        counts.withUnsafeMutableBufferPointer { outC in
            parallelForRows(urp, work: graph.edgeCount * 64) { range in
                var tally = [Int32](repeating: 0, count: userCount)
                var touched: [Int32] = []
                for u in range {
                    for a in Int(urp[u])..<Int(urp[u + 1]) {
                        let i = Int(uItems[a])
                        for b in Int(irp[i])..<Int(irp[i + 1]) {
                            let v = iUsers[b]
                            if Int(v) == u { continue }
                            if tally[Int(v)] == 0 { touched.append(v) }
                            tally[Int(v)] += 1
                        }
                    }
                    // Count descending, then user id ascending.
                    touched.sort { tally[Int($0)] != tally[Int($1)] ? tally[Int($0)] > tally[Int($1)] : $0 < $1 }
                    let kept = touched.prefix(k)
                    outN[u] = Array(kept)
                    outC[u] = kept.map { tally[Int($0)] }
                    for v in touched { tally[Int(v)] = 0 }
                    touched.removeAll(keepingCapacity: true)
                }
            }
        }}}}}}
        self.userCount = userCount
        self.k = k
        self.neighbours = neighbours
        self.counts = counts
    }

    /// How neighbour messages are weighted.
    public enum Weighting: String, Sendable {
        /// Softmax of the co-occurrence counts over the k neighbours.
        case softmax
        /// 1 / k each.
        case mean
    }

    /// The user ← user message graph for one epoch, with one weight per edge.
    ///
    /// A user with fewer than k neighbours (but at least one) is padded to k by
    /// drawing from its own neighbours with replacement, as DualGNN's reference
    /// does in `pre_epoch_processing`; a user with none gets no edges. Call again
    /// each epoch with the epoch's generator to resample the padding.
    public func sampledGraph(weighting: Weighting, rng: inout RandomGenerator) throws -> (Adjacency, [Float]) {
        var targets: [Int32] = []
        var sources: [Int32] = []
        var weights: [Float] = []
        for u in 0..<userCount where !neighbours[u].isEmpty {
            var picked = neighbours[u]
            var pickedCounts = counts[u]
            while picked.count < k {
                let r = rng.nextInt(below: neighbours[u].count)
                picked.append(neighbours[u][r])
                pickedCounts.append(counts[u][r])
            }
            let w: [Float]
            switch weighting {
            case .mean:
                w = [Float](repeating: 1 / Float(k), count: k)
            case .softmax:
                let top = Float(pickedCounts.max()!)
                let e = pickedCounts.map { Foundation.exp(Float($0) - top) }
                let total = e.reduce(0, +)
                w = e.map { $0 / total }
            }
            targets += [Int32](repeating: Int32(u), count: k)
            sources += picked
            weights += w
        }
        let adj = try Adjacency(targetCount: userCount, sourceCount: userCount, targets: targets,
                                sources: sources, name: "user co-occurrence graph")
        return (adj, weights)
    }
}
