import GraphKit
import TestSupport
import Testing

/// A small bipartite graph with a user (4) and an item (5) that have no edges,
/// so every kernel also meets an empty row in each direction.
func smallGraph() throws -> BipartiteGraph {
    let pairs: [(Int32, Int32)] = [(0, 0), (0, 2), (0, 3), (1, 1), (1, 2), (2, 0), (2, 4),
                                   (3, 1), (3, 2), (3, 3), (3, 4), (2, 2)]
    return try BipartiteGraph(userCount: 5, itemCount: 6, users: pairs.map(\.0), items: pairs.map(\.1))
}

/// Distinct entries spaced 0.1 apart, shuffled: a max over any of them has a
/// gap of at least 0.1 to the runner-up, so a step of 1e-2 never flips an argmax.
func spacedTensor(_ rows: Int, _ cols: Int, seed: UInt64) -> Tensor {
    var values = (0..<(rows * cols)).map { Float($0) * 0.1 - Float(rows * cols) * 0.05 }
    var rng = RandomGenerator(seed: seed)
    rng.shuffle(&values)
    return Tensor(rows: rows, cols: cols, scalars: values)
}

/// Every graph op's pullback against central finite differences, in both
/// directions of the bipartite graph and on the node graph with self-loops.
@Suite struct GraphGradientTests {
    let graph: BipartiteGraph
    let directions: [(String, Adjacency)]

    init() throws {
        graph = try smallGraph()
        directions = [("item → user", graph.itemsToUsers), ("user → item", graph.usersToItems),
                      ("node graph", graph.nodeAdjacency(selfLoops: true))]
    }

    func expectGradient(_ inputs: [Tensor], _ comment: Comment, _ f: (Tape, [Variable]) -> Variable) {
        let result = gradientCheck(inputs, f)
        #expect(result.relativeError < gradientTolerance, "\(comment): relative error \(result.relativeError)")
    }

    @Test func sparseProductWithFixedWeights() {
        for (name, adj) in directions {
            let x = randomTensor(adj.sourceCount, 3, seed: 31)
            let w = positiveTensor(adj.edgeCount, 1, seed: 32).scalars
            expectGradient([x], "unit weights, \(name)") { _, v in sparseMatmul(adj, v[0]) }
            expectGradient([x], "fixed weights, \(name)") { _, v in sparseMatmul(adj, v[0], weights: w) }
        }
    }

    @Test func sparseProductWithLearnableWeights() {
        for (name, adj) in directions {
            let x = randomTensor(adj.sourceCount, 3, seed: 33)
            let w = randomTensor(adj.edgeCount, 1, seed: 34)
            expectGradient([x, w], "learnable weights, \(name)") { _, v in
                sparseMatmul(adj, v[0], learnableWeights: v[1])
            }
        }
    }

    @Test func oneLearnableWeightPerEdgeGetsGradientFromBothDirections() {
        let users = randomTensor(graph.userCount, 3, seed: 35)
        let items = randomTensor(graph.itemCount, 3, seed: 36)
        let w = randomTensor(graph.edgeCount, 1, seed: 37)
        expectGradient([users, items, w], "shared edge weights") { _, v in
            let intoUsers = sparseMatmul(graph.itemsToUsers, v[1], learnableWeights: v[2])
            let intoItems = sparseMatmul(graph.usersToItems, v[0], learnableWeights: v[2])
            return concatRows([intoUsers, intoItems])
        }
    }

    @Test func perEdgeGathersAndScores() {
        for (name, adj) in directions {
            let xs = randomTensor(adj.sourceCount, 3, seed: 38)
            let xt = randomTensor(adj.targetCount, 3, seed: 39)
            expectGradient([xs], "gatherSources, \(name)") { _, v in gatherSources(v[0], over: adj) }
            expectGradient([xt], "gatherTargets, \(name)") { _, v in gatherTargets(v[0], over: adj) }
            expectGradient([xt, xs], "edgeScores, \(name)") { _, v in
                edgeScores(targets: v[0], sources: v[1], over: adj)
            }
        }
    }

    @Test func segmentAggregations() {
        for (name, adj) in directions {
            let m = randomTensor(adj.edgeCount, 2, seed: 40)
            expectGradient([m], "segmentSum, \(name)") { _, v in segmentSum(v[0], over: adj) }
            expectGradient([m], "segmentMean, \(name)") { _, v in segmentMean(v[0], over: adj) }
            expectGradient([m], "segmentSoftmax, \(name)") { _, v in segmentSoftmax(v[0], over: adj) }
            expectGradient([spacedTensor(adj.edgeCount, 2, seed: 41)], "segmentMax, \(name)") { _, v in
                segmentMax(v[0], over: adj)
            }
        }
    }

    @Test func propagateWithEveryWeightAndAggregator() {
        for (name, adj) in directions {
            let x = randomTensor(adj.sourceCount, 3, seed: 42)
            let fixed = positiveTensor(adj.edgeCount, 1, seed: 43).scalars
            let learnable = positiveTensor(adj.edgeCount, 1, seed: 44, low: 0.9, high: 1.1)
            for aggregation in [Aggregation.sum, .mean] {
                expectGradient([x], "\(aggregation), unit, \(name)") { _, v in
                    propagate(v[0], over: adj, aggregation: aggregation)
                }
                expectGradient([x], "\(aggregation), fixed, \(name)") { _, v in
                    propagate(v[0], over: adj, weights: .fixed(fixed), aggregation: aggregation)
                }
                expectGradient([x, learnable], "\(aggregation), learnable, \(name)") { _, v in
                    propagate(v[0], over: adj, weights: .learnable(v[1]), aggregation: aggregation)
                }
            }
            // Max: sources spaced 0.1 apart and weights within 1 ± 0.02, so the
            // winner is stable under a 1e-2 step (checked by expectStableMax).
            let spaced = spacedTensor(adj.sourceCount, 3, seed: 45)
            let nearOne = (0..<adj.edgeCount).map { 1 + 0.01 * Float($0 % 3) }
            expectStableMax(spaced, weights: nearOne, over: adj)
            expectGradient([spaced], "max, unit, \(name)") { _, v in
                propagate(v[0], over: adj, aggregation: .max)
            }
            expectGradient([spaced], "max, fixed, \(name)") { _, v in
                propagate(v[0], over: adj, weights: .fixed(nearOne), aggregation: .max)
            }
        }
    }

    @Test func maxAggregationWithLearnableWeightsRoutesToTheArgmax() {
        let adj = graph.itemsToUsers
        let x = spacedTensor(adj.sourceCount, 2, seed: 46)
        let w = Tensor(rows: adj.edgeCount, cols: 1, repeating: 1)
        expectStableMax(x, weights: w.scalars, over: adj)
        expectGradient([x, w], "max, learnable") { _, v in
            propagate(v[0], over: adj, weights: .learnable(v[1]), aggregation: .max)
        }
    }

    /// The finite-difference check of a max is valid only if no step of 1e-2
    /// changes a winner: every target's best message must lead by more than 0.05.
    func expectStableMax(_ x: Tensor, weights: [Float], over adj: Adjacency) {
        for t in 0..<adj.targetCount {
            let entries = Int(adj.rowPtr[t])..<Int(adj.rowPtr[t + 1])
            guard entries.count > 1 else { continue }
            for c in 0..<x.cols {
                let values = entries.map { weights[Int(adj.edge[$0])] * x[Int(adj.source[$0]), c] }.sorted(by: >)
                #expect(values[0] - values[1] > 0.05, "target \(t), column \(c): gap \(values[0] - values[1])")
            }
        }
    }

    @Test func userCooccurrenceGraphProduct() throws {
        let cooccurrence = UserCooccurrence(graph: graph, k: 3)
        var rng = RandomGenerator(seed: 47)
        let (adj, weights) = try cooccurrence.sampledGraph(weighting: .softmax, rng: &rng)
        expectGradient([randomTensor(graph.userCount, 3, seed: 48)], "user graph") { _, v in
            sparseMatmul(adj, v[0], weights: weights)
        }
    }
}
