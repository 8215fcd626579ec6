import GraphKit
import TestSupport
import Testing

/// The block-wise graph ops (one weight or score per edge and column block) and
/// the fused gather-max: gradients against finite differences, and values and
/// gradients against the single-block ops they stand for, composed by hand.
@Suite struct BlockAndMaxOpsTests {
    let directions: [(String, Adjacency)]

    init() throws {
        let graph = try smallGraph()
        directions = [("item → user", graph.itemsToUsers), ("user → item", graph.usersToItems),
                      ("node graph", graph.nodeAdjacency(selfLoops: true))]
    }

    func expectGradient(_ inputs: [Tensor], _ comment: Comment, _ f: (Tape, [Variable]) -> Variable) {
        let result = gradientCheck(inputs, f)
        #expect(result.relativeError < gradientTolerance, "\(comment): relative error \(result.relativeError)")
    }

    /// Values and every input's gradient of two functions of the same inputs,
    /// after a backward pass from Σ (output ⊙ r) for a fixed random r.
    func expectSameValuesAndGradients(_ inputs: [Tensor], _ comment: Comment,
                                      _ f: ([Variable]) -> Variable, _ g: ([Variable]) -> Variable) {
        func run(_ h: ([Variable]) -> Variable) -> (Tensor, [Tensor]) {
            let parameters = inputs.map { Parameter($0) }
            let tape = Tape()
            let y = h(parameters.map { tape.watch($0) })
            let r = randomTensor(y.rows, y.cols, seed: 77)
            tape.backward(from: sum(y * tape.constant(r)))
            return (y.value, parameters.map(\.grad))
        }
        let (a, b) = (run(f), run(g))
        #expect(a.0.rows == b.0.rows && a.0.cols == b.0.cols, comment)
        #expect(zip(a.0.scalars, b.0.scalars).allSatisfy { abs($0 - $1) < 1e-5 }, comment)
        for (ga, gb) in zip(a.1, b.1) {
            #expect(zip(ga.scalars, gb.scalars).allSatisfy { abs($0 - $1) < 1e-5 }, "\(comment): gradients differ")
        }
    }

    /// Block k of `x` (K blocks of equal width).
    func block(_ x: Variable, _ k: Int, of blocks: Int) -> Variable {
        let size = x.cols / blocks
        return sliceColumns(x, k * size ..< (k + 1) * size)
    }

    // MARK: Gradients

    @Test func blockEdgeScoresGradient() {
        for (name, adj) in directions {
            for (blocks, d) in [(1, 3), (2, 4), (3, 6), (2, 16)] {
                let a = randomTensor(adj.targetCount, d, seed: 51)
                let b = randomTensor(adj.sourceCount, d, seed: 52)
                expectGradient([a, b], "edgeScores K \(blocks) d \(d), \(name)") { _, v in
                    edgeScores(targets: v[0], sources: v[1], over: adj, blocks: blocks)
                }
            }
        }
    }

    @Test func blockWeightedPropagationGradient() {
        for (name, adj) in directions {
            for (blocks, d) in [(1, 3), (2, 4), (3, 6), (2, 16)] {
                let x = randomTensor(adj.sourceCount, d, seed: 53)
                let w = positiveTensor(adj.edgeCount, blocks, seed: 54)
                for aggregation in [Aggregation.sum, .mean] {
                    expectGradient([x, w], "\(aggregation) K \(blocks) d \(d), \(name)") { _, v in
                        propagate(v[0], over: adj, weights: .learnableBlocks(v[1]), aggregation: aggregation)
                    }
                }
            }
            // Max: spaced sources and weights within 1 ± 0.02 keep every winner
            // more than 0.05 ahead (as in GraphGradientTests.expectStableMax).
            let spaced = spacedTensor(adj.sourceCount, 4, seed: 55)
            let nearOne = Tensor(rows: adj.edgeCount, cols: 2,
                                 scalars: (0..<(2 * adj.edgeCount)).map { 1 + 0.01 * Float($0 % 3) })
            expectGradient([spaced, nearOne], "max K 2, \(name)") { _, v in
                propagate(v[0], over: adj, weights: .learnableBlocks(v[1]), aggregation: .max)
            }
        }
    }

    @Test func blockNormalisationGradient() {
        for blocks in [1, 2, 4] {
            let x = randomTensor(5, 8, seed: 56, low: -1, high: 1)
            expectGradient([x], "l2NormalizeRows K \(blocks)") { _, v in l2NormalizeRows(v[0], blocks: blocks) }
        }
    }

    @Test func gatherMaxGradient() {
        for (name, adj) in directions {
            expectGradient([spacedTensor(adj.sourceCount, 3, seed: 57)], "gatherMax, \(name)") { _, v in
                gatherMax(v[0], over: adj)
            }
        }
    }

    // MARK: The same as the composed single-block ops

    @Test func blockOpsEqualTheirSingleBlockCompositions() {
        for (name, adj) in directions {
            let blocks = 3
            let a = randomTensor(adj.targetCount, 12, seed: 58, low: -1, high: 1)
            let b = randomTensor(adj.sourceCount, 12, seed: 59, low: -1, high: 1)
            let w = randomTensor(adj.edgeCount, blocks, seed: 60, low: -1, high: 1)
            expectSameValuesAndGradients([a, b], "edgeScores, \(name)") { v in
                edgeScores(targets: v[0], sources: v[1], over: adj, blocks: blocks)
            } _: { v in
                concatColumns((0..<blocks).map { k in
                    edgeScores(targets: block(v[0], k, of: blocks), sources: block(v[1], k, of: blocks), over: adj)
                })
            }
            for aggregation in [Aggregation.sum, .mean] {
                expectSameValuesAndGradients([b, w], "propagate \(aggregation), \(name)") { v in
                    propagate(v[0], over: adj, weights: .learnableBlocks(v[1]), aggregation: aggregation)
                } _: { v in
                    concatColumns((0..<blocks).map { k in
                        propagate(block(v[0], k, of: blocks), over: adj,
                                  weights: .learnable(sliceColumns(v[1], k ..< k + 1)), aggregation: aggregation)
                    })
                }
            }
            expectSameValuesAndGradients([a], "l2NormalizeRows, \(name)") { v in
                l2NormalizeRows(v[0], blocks: blocks)
            } _: { v in
                concatColumns((0..<blocks).map { k in l2NormalizeRows(block(v[0], k, of: blocks)) })
            }
        }
    }

    /// The fused gather-max against the segment max of the gathered rows,
    /// with integer-valued rows so that ties occur and must break the same way.
    @Test func gatherMaxEqualsSegmentMaxOfGatheredRows() {
        for (name, adj) in directions {
            var rng = RandomGenerator(seed: 61)
            let x = Tensor(rows: adj.sourceCount, cols: 5,
                           scalars: (0..<(adj.sourceCount * 5)).map { _ in Float(rng.nextInt(below: 3)) })
            expectSameValuesAndGradients([x], "gatherMax with ties, \(name)") { v in
                gatherMax(v[0], over: adj)
            } _: { v in
                segmentMax(gatherSources(v[0], over: adj), over: adj)
            }
        }
    }

    /// y_t by a plain loop over the by-target entries, 0 for a target with no edges.
    @Test func gatherMaxByHand() {
        for (name, adj) in directions {
            let x = randomTensor(adj.sourceCount, 4, seed: 62, low: -1, high: 1)
            let y = gatherMax(Tape.noGrad().constant(x), over: adj).value
            for t in 0..<adj.targetCount {
                let sources = (Int(adj.rowPtr[t])..<Int(adj.rowPtr[t + 1])).map { Int(adj.source[$0]) }
                for c in 0..<4 {
                    let expected = sources.isEmpty ? 0 : sources.map { x[$0, c] }.max()!
                    #expect(y[t, c] == expected, "\(name), target \(t), column \(c)")
                }
            }
        }
    }
}
