import GraphKit
import TestSupport
import Testing

/// CSR construction on a hand-made graph, checked against values worked out by hand.
///
/// Pairs, given unsorted and with (0, 1) twice: users 0..2, items 0..3.
/// User-major order gives edges e0 = (0,1), e1 = (0,3), e2 = (1,0), e3 = (1,1),
/// e4 = (2,1), e5 = (2,2). Degrees: users 2, 2, 2; items 1, 3, 1, 1.
@Suite struct BipartiteGraphTests {
    let graph: BipartiteGraph

    init() throws {
        graph = try BipartiteGraph(userCount: 3, itemCount: 4,
                                   users: [2, 0, 1, 0, 1, 2, 0],
                                   items: [2, 3, 1, 1, 0, 1, 1])
    }

    @Test func userMajorCSR() {
        #expect(graph.edgeCount == 6)
        #expect(graph.duplicatesDropped == 1)
        #expect(graph.edgeUsers == [0, 0, 1, 1, 2, 2])
        #expect(graph.edgeItems == [1, 3, 0, 1, 1, 2])
        #expect(graph.itemsToUsers.rowPtr == [0, 2, 4, 6])
        #expect(graph.itemsToUsers.source == [1, 3, 0, 1, 1, 2])
        #expect(graph.itemsToUsers.edge == [0, 1, 2, 3, 4, 5])
    }

    @Test func itemMajorCSRAndTheEdgeIdMaps() {
        // Item 0: user 1 (e2). Item 1: users 0, 1, 2 (e0, e3, e4). Item 2: user 2 (e5). Item 3: user 0 (e1).
        #expect(graph.usersToItems.rowPtr == [0, 1, 4, 5, 6])
        #expect(graph.usersToItems.source == [1, 0, 1, 2, 2, 0])
        #expect(graph.itemMajorToUserMajor == [2, 0, 3, 4, 5, 1])
        #expect(graph.userMajorToItemMajor == [1, 5, 0, 2, 3, 4])
        // The transpose of the user-major CSR is the item-major one.
        #expect(graph.itemsToUsers.sourceRowPtr == [0, 1, 4, 5, 6])
        #expect(graph.itemsToUsers.target == [1, 0, 1, 2, 2, 0])
        #expect(graph.itemsToUsers.entry == [2, 0, 3, 4, 5, 1])
    }

    @Test func degreesAndNormalisations() {
        #expect(graph.userDegrees == [2, 2, 2])
        #expect(graph.itemDegrees == [1, 3, 1, 1])
        // 1/√(d_u d_i): e0 1/√6, e1 1/√2, e2 1/√2, e3 1/√6, e4 1/√6, e5 1/√2.
        let expected: [Float] = [0.408248, 0.707107, 0.707107, 0.408248, 0.408248, 0.707107]
        for (value, want) in zip(graph.symmetricNormalization, expected) {
            #expect(abs(value - want) < 1e-6)
        }
        #expect(graph.meanNormalization(into: .users) == [0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
        let intoItems = graph.meanNormalization(into: .items)
        let wantIntoItems: [Float] = [1.0 / 3, 1, 1, 1.0 / 3, 1.0 / 3, 1]
        for (value, want) in zip(intoItems, wantIntoItems) {
            #expect(abs(value - want) < 1e-7)
        }
    }

    @Test func sparseProductsByHand() {
        // Item features 1, 2, 3, 4: user 0 gets 2 + 4, user 1 gets 1 + 2, user 2 gets 2 + 3.
        let tape = Tape.noGrad()
        let items = tape.constant(Tensor(rows: 4, cols: 1, scalars: [1, 2, 3, 4]))
        #expect(propagate(items, over: graph.itemsToUsers).value.scalars == [6, 3, 5])
        #expect(propagate(items, over: graph.itemsToUsers, aggregation: .mean).value.scalars == [3, 1.5, 2.5])
        #expect(propagate(items, over: graph.itemsToUsers, aggregation: .max).value.scalars == [4, 2, 3])
        // User features 10, 20, 30: item 0 gets 20, item 1 gets 60, item 2 gets 30, item 3 gets 10.
        let users = tape.constant(Tensor(rows: 3, cols: 1, scalars: [10, 20, 30]))
        #expect(propagate(users, over: graph.usersToItems).value.scalars == [20, 60, 30, 10])
        // Edge weights in canonical order: w_e = e + 1. Item 1 gets 1·10 + 4·20 + 5·30 = 240.
        let w: [Float] = [1, 2, 3, 4, 5, 6]
        #expect(propagate(users, over: graph.usersToItems, weights: .fixed(w)).value.scalars == [60, 240, 180, 20])
    }

    @Test func nodeGraphHasBothDirectionsAndSelfLoops() {
        let adj = graph.nodeAdjacency(selfLoops: true)
        #expect(adj.targetCount == 7)
        #expect(adj.edgeCount == 2 * 6 + 7)
        // User 0 hears items 1 and 3 (nodes 4 and 6) and itself.
        #expect(Array(adj.source[Int(adj.rowPtr[0])..<Int(adj.rowPtr[1])]) == [0, 4, 6])
        // Item 1 (node 4) hears users 0, 1, 2 and itself.
        #expect(Array(adj.source[Int(adj.rowPtr[4])..<Int(adj.rowPtr[5])]) == [0, 1, 2, 4])
    }

    @Test func segmentSoftmaxSumsToOneOverEachTarget() {
        let adj = graph.nodeAdjacency(selfLoops: false)
        let tape = Tape.noGrad()
        let scores = tape.constant(randomTensor(adj.edgeCount, 2, seed: 61, high: 3))
        let alpha = segmentSoftmax(scores, over: adj).value
        let totals = segmentSum(tape.constant(alpha), over: adj).value
        for t in 0..<adj.targetCount {
            for c in 0..<2 { #expect(abs(totals[t, c] - 1) < 1e-6) }
        }
        // Item 1 has three in-edges with scores s: α = e^s / Σ e^s, by hand.
        let entries = Int(adj.rowPtr[4])..<Int(adj.rowPtr[5])
        let s = entries.map { Double(scores.value[Int(adj.edge[$0]), 0]) }
        let z = s.map { Foundation.exp($0) }.reduce(0, +)
        for (k, entry) in entries.enumerated() {
            #expect(abs(Double(alpha[Int(adj.edge[entry]), 0]) - Foundation.exp(s[k]) / z) < 1e-6)
        }
    }

    @Test func badEdgeListsAreErrorsWithMessages() {
        #expect(throws: GraphError.emptyEdgeList(graph: "bipartite graph")) {
            try BipartiteGraph(userCount: 2, itemCount: 2, users: [], items: [])
        }
        #expect(throws: GraphError.idOutOfRange(graph: "bipartite graph", role: "item", position: 1, id: 7, bound: 4)) {
            try BipartiteGraph(userCount: 3, itemCount: 4, users: [0, 1], items: [0, 7])
        }
        #expect(throws: GraphError.idOutOfRange(graph: "bipartite graph", role: "user", position: 0, id: -1, bound: 3)) {
            try BipartiteGraph(userCount: 3, itemCount: 4, users: [-1], items: [0])
        }
        #expect(throws: GraphError.lengthMismatch(graph: "g", targets: 2, sources: 1)) {
            try Adjacency(targetCount: 2, sourceCount: 2, targets: [0, 1], sources: [0], name: "g")
        }
        let message = GraphError.idOutOfRange(graph: "g", role: "item", position: 1, id: 7, bound: 4).description
        #expect(message == "g: item id 7 at edge 1 is out of range; expected 0..<4")
    }
}

/// The user co-occurrence graph on a hand-made example.
///
/// N(0) = {0, 1, 2}, N(1) = {0, 1}, N(2) = {2}, N(3) = {3}: c(0,1) = 2,
/// c(0,2) = 1, c(1,2) = 0, and user 3 shares nothing.
@Suite struct UserCooccurrenceTests {
    let graph: BipartiteGraph
    init() throws {
        graph = try BipartiteGraph(userCount: 4, itemCount: 4, users: [0, 0, 0, 1, 1, 2, 3],
                                   items: [0, 1, 2, 0, 1, 2, 3])
    }

    @Test func topKByCountThenLowerId() {
        let c = UserCooccurrence(graph: graph, k: 2)
        #expect(c.neighbours == [[1, 2], [0], [0], []])
        #expect(c.counts == [[2, 1], [2], [1], []])
        let one = UserCooccurrence(graph: graph, k: 1)
        #expect(one.neighbours == [[1], [0], [0], []])
    }

    @Test func softmaxWeightsAndPadding() throws {
        var rng = RandomGenerator(seed: 3)
        let (adj, w) = try UserCooccurrence(graph: graph, k: 2).sampledGraph(weighting: .softmax, rng: &rng)
        // User 0: softmax(2, 1) = (e / (e + 1), 1 / (e + 1)); users 1 and 2 are padded
        // with their only neighbour (weights ½, ½); user 3 has no edges.
        #expect(adj.rowPtr == [0, 2, 4, 6, 6])
        #expect(adj.source == [1, 2, 0, 0, 0, 0])
        let e = Float(M_E)
        let expected: [Float] = [e / (e + 1), 1 / (e + 1), 0.5, 0.5, 0.5, 0.5]
        for (value, want) in zip(w, expected) { #expect(abs(value - want) < 1e-6) }
        let (_, mean) = try UserCooccurrence(graph: graph, k: 2).sampledGraph(weighting: .mean, rng: &rng)
        #expect(mean == [Float](repeating: 0.5, count: 6))
    }
}

import Foundation
