import Testing
@testable import GraphKit
import TestSupport

/// The blocked kNN graph against brute force in Double, its tie rule, its
/// switches and its normalised weights worked out by hand.
@Suite struct NearestNeighboursTests {
    /// Rows of uniform noise in [-1, 1) from a fixed seed.
    static func noise(rows: Int, cols: Int, seed: UInt64) -> Tensor {
        var random = LCG(state: seed)
        return Tensor(rows: rows, cols: cols, scalars: (0..<(rows * cols)).map { _ in Float(Double(random.next()) / Double(1 << 30) - 1) })
    }

    /// Cosine similarity of rows i and j in Double.
    static func cosine(_ x: Tensor, _ i: Int, _ j: Int) -> Double {
        var dot = 0.0, ni = 0.0, nj = 0.0
        for c in 0..<x.cols {
            let a = Double(x[i, c]), b = Double(x[j, c])
            dot += a * b; ni += a * a; nj += b * b
        }
        return dot / (max(ni.squareRoot(), 1e-12) * max(nj.squareRoot(), 1e-12))
    }

    /// Checks `graph` against Double cosines: each kept similarity is the
    /// pair's cosine, the list is in descending order, and no row left out is
    /// more similar than the last one kept (up to float rounding).
    static func checkAgainstBruteForce(_ x: Tensor, _ graph: NearestNeighbours, includeSelf: Bool) {
        let n = x.rows, k = graph.k
        for i in 0..<n {
            var kept = Set<Int>()
            for r in 0..<k {
                let j = Int(graph.neighbours[i * k + r])
                #expect(includeSelf || j != i, "row \(i) lists itself")
                #expect(kept.insert(j).inserted, "row \(i) lists \(j) twice")
                #expect(abs(Double(graph.similarities[i * k + r]) - cosine(x, i, j)) < 1e-5)
                if r > 0 { #expect(graph.similarities[i * k + r] <= graph.similarities[i * k + r - 1]) }
            }
            let last = Double(graph.similarities[i * k + k - 1])
            for j in 0..<n where !kept.contains(j) && (includeSelf || j != i) {
                #expect(cosine(x, i, j) <= last + 1e-5, "row \(i): \(j) left out at \(cosine(x, i, j)) > \(last)")
            }
        }
    }

    @Test func matchesBruteForceOverSeveralBlocks() throws {
        // 600 rows: three blocks of 256, 256 and 88 rows.
        let x = Self.noise(rows: 600, cols: 24, seed: 11)
        #expect(NearestNeighbours.blockRows(count: 600) == 256)
        for includeSelf in [true, false] {
            let graph = try NearestNeighbours(features: x, k: 10, includeSelf: includeSelf)
            #expect(graph.k == 10 && graph.count == 600 && graph.neighbours.count == 6000)
            Self.checkAgainstBruteForce(x, graph, includeSelf: includeSelf)
            if includeSelf {
                // Noise rows are never parallel, so each row's nearest row is itself.
                #expect((0..<600).allSatisfy { graph.neighbours[$0 * 10] == Int32($0) })
            }
        }
    }

    @Test func blockSizeShrinksWithTheRowCount() {
        #expect(NearestNeighbours.blockRows(count: 19_220) == 256)
        #expect(NearestNeighbours.blockRows(count: 200_000) == 83)
        #expect(NearestNeighbours.blockRows(count: 1 << 25) == 1)
    }

    @Test func sameGraphOnOneWorkerAndOnTwo() throws {
        let x = Self.noise(rows: 700, cols: 16, seed: 5)
        let before = Parallelism.workers
        defer { Parallelism.setWorkers(before) }
        Parallelism.setWorkers(1)
        let one = try NearestNeighbours(features: x, k: 7)
        Parallelism.setWorkers(2)
        let two = try NearestNeighbours(features: x, k: 7)
        #expect(one.neighbours == two.neighbours)
        #expect(one.similarities.map(\.bitPattern) == two.similarities.map(\.bitPattern))
    }

    @Test func tiesGoToTheLowerIndex() throws {
        // Rows 1, 2 and 4 point the same way as row 0 (scaled); row 3 is orthogonal.
        let x = Tensor([[1, 0], [2, 0], [3, 0], [0, 1], [0.5, 0]])
        let graph = try NearestNeighbours(features: x, k: 3, includeSelf: false)
        #expect(Array(graph.neighbours[0..<3]) == [1, 2, 4])
        #expect(Array(graph.neighbours[3..<6]) == [0, 2, 4])
        #expect(Array(graph.neighbours[9..<12]) == [0, 1, 2], "row 3: every other row has similarity 0 to it")
        let withSelf = try NearestNeighbours(features: x, k: 2, includeSelf: true)
        #expect(Array(withSelf.neighbours[2..<4]) == [0, 1], "row 1 ties with rows 0, 2 and 4 and itself; the lowest two win")
    }

    @Test func zeroRowHasSimilarityZero() throws {
        // Row 0 is zero; its products with row 3 sum two negative zeros, which
        // must still tie with +0 and lose to the lower index.
        let x = Tensor([[0, 0], [1, 1], [-1, 2], [-1, -1]])
        let graph = try NearestNeighbours(features: x, k: 4, includeSelf: true)
        #expect(Array(graph.neighbours[0..<4]) == [0, 1, 2, 3])
        #expect(Array(graph.similarities[0..<4]) == [0, 0, 0, 0])
        // Row 3 = (-1, -1): itself, then row 0 (0), then row 2 (cos -1/√10), then row 1 (-1).
        #expect(Array(graph.neighbours[12..<16]) == [3, 0, 2, 1])
    }

    @Test func kIsCappedAtTheCandidates() throws {
        let x = Self.noise(rows: 4, cols: 3, seed: 2)
        #expect(try NearestNeighbours(features: x, k: 10, includeSelf: true).k == 4)
        #expect(try NearestNeighbours(features: x, k: 10, includeSelf: false).k == 3)
    }

    @Test func badInputIsRefusedByName() {
        // NaN != NaN, so the errors are compared by their text.
        do {
            _ = try NearestNeighbours(features: Tensor([[1, 2], [3, .nan]]), k: 1, name: "visual kNN")
            Issue.record("a NaN feature was accepted")
        } catch {
            #expect("\(error)" == "visual kNN: feature nan at row 1, column 1; expected a finite number")
        }
        do {
            _ = try NearestNeighbours(features: Tensor([[1, 2], [.infinity, 0]]), k: 1, name: "visual kNN")
            Issue.record("an infinite feature was accepted")
        } catch {
            #expect("\(error)" == "visual kNN: feature inf at row 1, column 0; expected a finite number")
        }
        #expect(throws: GraphError.invalidSize(graph: "g", what: "k", value: 0)) {
            _ = try NearestNeighbours(features: Tensor([[1, 2]]), k: 0, name: "g")
        }
        #expect(throws: (any Error).self) {
            _ = try NearestNeighbours(features: Tensor([[1, 2]]), k: 1, includeSelf: false, name: "g")
        }
    }

    @Test func normalisedWeightsWorkedByHand() throws {
        // Three rows; with self and k = 2:
        //   row 0 = (1, 0): itself (1), then row 1 (cos 0.6);
        //   row 1 = (0.6, 0.8): itself (1), then row 2 (cos 0.8);
        //   row 2 = (0, 1): itself (1), then row 1 (cos 0.8).
        let x = Tensor([[1, 0], [0.6, 0.8], [0, 1]])
        let graph = try NearestNeighbours(features: x, k: 2)
        #expect(graph.neighbours == [0, 1, 1, 2, 2, 1])
        let unit = graph.normalisedWeights(.unit)
        // Every row sums to 2: w = 1 / √(2·2) = 0.5 on every edge.
        for (w, expected) in zip(unit, [0.5, 0.5, 0.5, 0.5, 0.5, 0.5] as [Float]) { #expect(abs(w - expected) < 1e-7) }
        let weighted = graph.normalisedWeights(.similarity)
        // Row sums: d0 = 1.6, d1 = 1.8, d2 = 1.8.
        let expected: [Double] = [1 / 1.6, 0.6 / (1.6 * 1.8).squareRoot(), 1 / 1.8, 0.8 / 1.8, 1 / 1.8, 0.8 / 1.8]
        for (w, e) in zip(weighted, expected) { #expect(abs(Double(w) - e) < 1e-6) }
        // The adjacency's edge e = i·k + r has target i and source neighbours[e].
        let adj = graph.adjacency()
        #expect(adj.targetOfEdge == [0, 0, 1, 1, 2, 2])
        #expect(adj.sourceOfEdge == [0, 1, 1, 2, 2, 1])
    }
}
