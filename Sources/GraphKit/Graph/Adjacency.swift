/// One direction of message passing, sources → targets, stored as CSR twice:
/// by target (to aggregate into each target) and by source (the transpose, to
/// send gradients back to the sources without atomics).
///
/// Every entry is an edge with a canonical id in 0..<edgeCount. Per-edge
/// tensors (weights, scores, messages) have one row per canonical id. Two
/// directions built from the same pairs share ids, so a learnable weight on an
/// edge collects its gradient from both.
public struct Adjacency: Sendable {
    /// Number of target nodes (rows of an aggregated output).
    public let targetCount: Int
    /// Number of source nodes (rows of the input features).
    public let sourceCount: Int
    /// Entries of target t are `rowPtr[t]..<rowPtr[t+1]`.
    public let rowPtr: [Int32]
    /// Source node of each by-target entry.
    public let source: [Int32]
    /// Canonical edge id of each by-target entry.
    public let edge: [Int32]
    /// Transposed entries of source s are `sourceRowPtr[s]..<sourceRowPtr[s+1]`.
    public let sourceRowPtr: [Int32]
    /// Target node of each by-source entry.
    public let target: [Int32]
    /// Position in the by-target arrays of each by-source entry.
    public let entry: [Int32]
    /// Canonical edge id of each by-source entry (`edge[entry[k]]`).
    public let sourceEdge: [Int32]

    /// Number of edges; per-edge tensors have this many rows.
    public var edgeCount: Int { edge.count }

    /// Builds the CSR from edge `e` = (`targets[e]` ← `sources[e]`); `e` is the
    /// canonical id. Entries are ordered by target, then source, then id.
    /// Repeated pairs are kept as separate edges.
    public init(targetCount: Int, sourceCount: Int, targets: [Int32], sources: [Int32],
                name: String = "graph") throws {
        guard targetCount > 0 else { throw GraphError.invalidSize(graph: name, what: "target count", value: targetCount) }
        guard sourceCount > 0 else { throw GraphError.invalidSize(graph: name, what: "source count", value: sourceCount) }
        guard targets.count == sources.count else {
            throw GraphError.lengthMismatch(graph: name, targets: targets.count, sources: sources.count)
        }
        guard !targets.isEmpty else { throw GraphError.emptyEdgeList(graph: name) }
        guard targets.count < Int(Int32.max) else {
            throw GraphError.invalidSize(graph: name, what: "edge count beyond Int32", value: targets.count)
        }
        for (e, t) in targets.enumerated() where t < 0 || Int(t) >= targetCount {
            throw GraphError.idOutOfRange(graph: name, role: "target", position: e, id: Int(t), bound: targetCount)
        }
        for (e, s) in sources.enumerated() where s < 0 || Int(s) >= sourceCount {
            throw GraphError.idOutOfRange(graph: name, role: "source", position: e, id: Int(s), bound: sourceCount)
        }
        self.targetCount = targetCount
        self.sourceCount = sourceCount
        // Stable counting sorts: by source, then by target, gives (target, source, id) order.
        let bySource = Adjacency.countingSort(keys: sources, keyCount: sourceCount,
                                               order: Array(0..<Int32(targets.count)))
        let byTarget = Adjacency.countingSort(keys: targets, keyCount: targetCount, order: bySource.order)
        rowPtr = byTarget.pointers
        edge = byTarget.order
        source = byTarget.order.map { sources[Int($0)] }
        // The transpose: entries (positions in the by-target arrays) sorted stably by source.
        let entrySources = source
        let transposed = Adjacency.countingSort(keys: entrySources, keyCount: sourceCount,
                                                 order: Array(0..<Int32(targets.count)))
        sourceRowPtr = transposed.pointers
        entry = transposed.order
        let entryTargets = Adjacency.targetsOfEntries(rowPtr: byTarget.pointers)
        target = transposed.order.map { entryTargets[Int($0)] }
        let edgeIds = byTarget.order
        sourceEdge = transposed.order.map { edgeIds[Int($0)] }
    }

    /// Number of edges into each target.
    public var inDegrees: [Int] {
        (0..<targetCount).map { Int(rowPtr[$0 + 1] - rowPtr[$0]) }
    }

    /// Number of edges out of each source.
    public var outDegrees: [Int] {
        (0..<sourceCount).map { Int(sourceRowPtr[$0 + 1] - sourceRowPtr[$0]) }
    }

    /// Target node of each canonical edge.
    public var targetOfEdge: [Int32] {
        var out = [Int32](repeating: 0, count: edgeCount)
        for t in 0..<targetCount {
            for k in Int(rowPtr[t])..<Int(rowPtr[t + 1]) { out[Int(edge[k])] = Int32(t) }
        }
        return out
    }

    /// Source node of each canonical edge.
    public var sourceOfEdge: [Int32] {
        var out = [Int32](repeating: 0, count: edgeCount)
        for k in 0..<edgeCount { out[Int(edge[k])] = source[k] }
        return out
    }

    /// The same edges with sources and targets swapped; canonical ids are kept.
    public func reversed(name: String = "graph") -> Adjacency {
        // Cannot fail: the ids were validated when self was built.
        try! Adjacency(targetCount: sourceCount, sourceCount: targetCount,
                       targets: sourceOfEdge, sources: targetOfEdge, name: name)
    }

    /// A stable counting sort of `order` by `keys[order[k]]`; returns the sorted
    /// order and the CSR pointers of the key groups.
    static func countingSort(keys: [Int32], keyCount: Int, order: [Int32]) -> (order: [Int32], pointers: [Int32]) {
        var pointers = [Int32](repeating: 0, count: keyCount + 1)
        for k in keys { pointers[Int(k) + 1] += 1 }
        for i in 0..<keyCount { pointers[i + 1] += pointers[i] }
        var next = pointers
        var sorted = [Int32](repeating: 0, count: order.count)
        for e in order {
            let key = Int(keys[Int(e)])
            sorted[Int(next[key])] = e
            next[key] += 1
        }
        return (sorted, pointers)
    }

    /// The target of each by-target entry, read off the row pointers.
    static func targetsOfEntries(rowPtr: [Int32]) -> [Int32] {
        var out = [Int32](repeating: 0, count: Int(rowPtr.last ?? 0))
        for t in 0..<(rowPtr.count - 1) {
            for k in Int(rowPtr[t])..<Int(rowPtr[t + 1]) { out[k] = Int32(t) }
        }
        return out
    }
}
