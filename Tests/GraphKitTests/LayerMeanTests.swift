import GraphKit
import TestSupport
import Testing

/// `propagatedLayerMean` (LightGCN's final embeddings at a batch's rows) and
/// the row gradients that lookups send back.
@Suite struct LayerMeanTests {
    /// Central finite differences, on a graph with a user and an item without
    /// edges, at rows that include them, for 0 to 3 layers.
    @Test func pullbackMatchesFiniteDifferences() throws {
        let graph = try smallGraph()
        let norm = graph.symmetricNormalization
        let users = randomTensor(graph.userCount, 3, seed: 70), items = randomTensor(graph.itemCount, 3, seed: 71)
        for layers in 0...3 {
            let result = gradientCheck([users, items]) { _, v in
                let (u, i) = propagatedLayerMean(users: v[0], items: v[1], over: graph, weights: norm, layers: layers,
                                                 userRows: [3, 0, 4], itemRows: [5, 2, 0, 4])
                return concatRows([u, i])
            }
            #expect(result.relativeError < gradientTolerance, "\(layers) layers: relative error \(result.relativeError)")
        }
    }

    /// Hand-worked: one user and one item joined by one edge of weight 1/2,
    /// one layer: e_u = (x_u + ½ y_i) / 2 and e_i = (y_i + ½ x_u) / 2.
    @Test func oneEdgeByHand() throws {
        let graph = try BipartiteGraph(userCount: 1, itemCount: 1, users: [0], items: [0])
        let tape = Tape()
        let (u, i) = propagatedLayerMean(users: tape.constant(Tensor([[2, 4]])), items: tape.constant(Tensor([[8, 6]])),
                                         over: graph, weights: [0.5], layers: 1, userRows: [0], itemRows: [0])
        #expect(u.value.scalars == [3, 3.5])   // ((2, 4) + (4, 3)) / 2
        #expect(i.value.scalars == [4.5, 4])   // ((8, 6) + (1, 2)) / 2
    }

    /// The same bits as the composition LightGCN's scorer uses (whole layers
    /// by `propagate`, `scaledSum`, then row lookups), forward and backward,
    /// with layer-0 lookups adding into the same parameters first, repeated
    /// ids in the batch, and tables large enough to run on all cores.
    @Test func matchesTheWholeTableCompositionBitForBit() throws {
        var rng = RandomGenerator(seed: 72)
        let (userCount, itemCount) = (3000, 2000)
        let pairs = (0..<40_000).map { _ in (Int32(rng.nextInt(below: userCount)), Int32(rng.nextInt(below: itemCount))) }
        let graph = try BipartiteGraph(userCount: userCount, itemCount: itemCount,
                                       users: pairs.map(\.0), items: pairs.map(\.1))
        let norm = graph.symmetricNormalization
        let batchUsers = (0..<1500).map { _ in Int32(rng.nextInt(below: userCount)) }
        let batchItems = (0..<3000).map { _ in Int32(rng.nextInt(below: itemCount)) }
        let userTable = randomTensor(userCount, 64, seed: 73), itemTable = randomTensor(itemCount, 64, seed: 74)
        for layers in [1, 2, 3] {
            func run(fused: Bool) -> [[Float]] {
                let (pu, pi) = (Parameter(userTable, name: "users"), Parameter(itemTable, name: "items"))
                let tape = Tape()
                let (u0, i0) = (tape.watch(pu), tape.watch(pi))
                let u: Variable, i: Variable
                if fused {
                    let (userRows, userSlot) = distinctRows(batchUsers), (itemRows, itemSlot) = distinctRows(batchItems)
                    let (users, items) = propagatedLayerMean(users: u0, items: i0, over: graph, weights: norm,
                                                             layers: layers, userRows: userRows, itemRows: itemRows)
                    (u, i) = (gatherRows(users, userSlot), gatherRows(items, itemSlot))
                } else {
                    var (userLayers, itemLayers) = ([u0], [i0])
                    for _ in 0..<layers {
                        let nextU = propagate(itemLayers.last!, over: graph.itemsToUsers, weights: .fixed(norm))
                        let nextI = propagate(userLayers.last!, over: graph.usersToItems, weights: .fixed(norm))
                        userLayers.append(nextU)
                        itemLayers.append(nextI)
                    }
                    let alpha = 1 / Float(layers + 1)
                    (u, i) = (gatherRows(scaledSum(userLayers, by: alpha), batchUsers),
                              gatherRows(scaledSum(itemLayers, by: alpha), batchItems))
                }
                let ego = gatherRows(u0, batchUsers) * gatherRows(u0, batchUsers)
                let loss = sum(rowDot(u, sliceRows(i, 0..<1500)) - rowDot(u, sliceRows(i, 1500..<3000))) + sum(ego)
                tape.backward(from: loss)
                return [u.value.scalars, i.value.scalars, pu.grad.scalars, pi.grad.scalars]
            }
            let (fused, composed) = (run(fused: true), run(fused: false))
            for (k, name) in ["user rows", "item rows", "user gradient", "item gradient"].enumerated() {
                #expect(fused[k] == composed[k], "\(layers) layers: \(name) differ")
            }
        }
    }

    /// Lookups with repeated ids send back per-row sums; adding two such
    /// gradients and then a whole table gives what whole tables would.
    @Test func rowGradientsAddLikeWholeTables() {
        let table = Parameter(Tensor(rows: 4, cols: 2), name: "table")
        let tape = Tape()
        let t = tape.watch(table)
        let a = gatherRows(t, [2, 0, 2]), b = gatherRows(t, [3, 2])
        let whole = scale(t, by: 1)
        // d/dt of Σ a·[1 2] + Σ b·[10 20] + Σ whole·[100 100].
        let loss = sum(a * tape.constant(Tensor([[1, 2]]))) + sum(b * tape.constant(Tensor([[10, 20]])))
            + sum(whole * tape.constant(Tensor([[100, 100]])))
        tape.backward(from: loss)
        #expect(table.grad.scalars == [101, 102, 100, 100, 112, 124, 110, 120])
        let rows = RowGradient(tableRows: 4, rows: [2, 0], values: Tensor([[1, 2], [3, 4]]))
            .adding(RowGradient(tableRows: 4, rows: [3, 2], values: Tensor([[5, 6], [7, 8]])))
        #expect(rows.rows == [2, 0, 3])
        #expect(rows.dense().scalars == [3, 4, 0, 0, 8, 10, 5, 6])
    }
}
