import Foundation
import GraphKit

/// One epoch's user–user message graph (docs/models/DualGNN.md, step 4): each user
/// with at least one co-occurring user receives k messages, one per (padded)
/// top-k neighbour, with weight w_uv.
public struct UserGraph: Sendable {
    /// Edges v → u of the user co-occurrence graph, k per user that has neighbours.
    public let adjacency: Adjacency
    /// w_uv, one per canonical edge of `adjacency`.
    public let weights: [Float]

    /// The neighbours (with repeats from the padding) and weights of user `u`.
    public func neighbours(of u: Int) -> [(user: Int32, weight: Float)] {
        (Int(adjacency.rowPtr[u])..<Int(adjacency.rowPtr[u + 1])).map {
            (adjacency.source[$0], weights[Int(adjacency.edge[$0])])
        }
    }
}

extension UserCooccurrence {
    /// Whether any user has a co-occurring user at all (else there is no user graph).
    var hasEdges: Bool { neighbours.contains { !$0.isEmpty } }

    /// One sample of the user graph, padded as docs/models/DualGNN.md says (paper) or as
    /// MMRec's `topk_sample` does (`polyaUrnPadding`).
    ///
    /// The paper form pads a user with fewer than k neighbours by drawing
    /// uniformly from its own neighbours (GraphKit's `sampledGraph`). The
    /// reference draws each padding entry from the list padded so far, so an
    /// early repeat makes later repeats of the same user likelier (a Pólya urn).
    func sample(weighting: Weighting, polyaUrnPadding: Bool, rng: inout RandomGenerator) throws -> UserGraph? {
        guard hasEdges else { return nil }
        guard polyaUrnPadding else {
            let (adjacency, weights) = try sampledGraph(weighting: weighting, rng: &rng)
            return UserGraph(adjacency: adjacency, weights: weights)
        }
        var targets: [Int32] = [], sources: [Int32] = [], weights: [Float] = []
        for u in 0..<userCount where !neighbours[u].isEmpty {
            var picked = neighbours[u], pickedCounts = counts[u]
            while picked.count < k {
                // Reference: rand_index = randint(0, len(user_graph_sample)) on the growing list.
                let r = rng.nextInt(below: picked.count)
                picked.append(picked[r])
                pickedCounts.append(pickedCounts[r])
            }
            targets += [Int32](repeating: Int32(u), count: k)
            sources += picked
            weights += Self.neighbourWeights(counts: pickedCounts, weighting: weighting)
        }
        let adjacency = try Adjacency(targetCount: userCount, sourceCount: userCount, targets: targets,
                                      sources: sources, name: "user co-occurrence graph (MMRec padding)")
        return UserGraph(adjacency: adjacency, weights: weights)
    }

    /// w_uv over one user's k picked neighbours: softmax of the counts, or 1/k each.
    static func neighbourWeights(counts: [Int32], weighting: Weighting) -> [Float] {
        switch weighting {
        case .mean:
            return [Float](repeating: 1 / Float(counts.count), count: counts.count)
        case .softmax:
            let top = Float(counts.max()!)
            let e = counts.map { Foundation.exp(Float($0) - top) }
            let total = e.reduce(0, +)
            return e.map { $0 / total }
        }
    }
}
