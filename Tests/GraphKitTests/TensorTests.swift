import GraphKit
import TestSupport
import Testing

@Suite struct TensorTests {
    @Test func sgemmAgainstAProductByHand() {
        // [1 2; 3 4] [5 6; 7 8] = [19 22; 43 50]
        let a = Tensor([[1, 2], [3, 4]]), b = Tensor([[5, 6], [7, 8]])
        #expect(BLAS.matmul(a, b).scalars == [19, 22, 43, 50])
        // Aᵀ B = [1 3; 2 4] [5 6; 7 8] = [26 30; 38 44]
        #expect(BLAS.matmul(a, transposeA: true, b).scalars == [26, 30, 38, 44])
        // A Bᵀ = [1 2; 3 4] [5 7; 6 8] = [17 23; 39 53]
        #expect(BLAS.matmul(a, b, transposeB: true).scalars == [17, 23, 39, 53])
    }

    @Test func broadcastingByHand() {
        let tape = Tape.noGrad()
        let x = tape.constant(Tensor([[1, 2, 3], [4, 5, 6]]))
        #expect((x + tape.constant(Tensor([[10, 20, 30]]))).value.scalars == [11, 22, 33, 14, 25, 36])
        #expect((x * tape.constant(Tensor([[2], [3]]))).value.scalars == [2, 4, 6, 12, 15, 18])
        #expect((tape.constant(Tensor(scalar: 1)) - x).value.scalars == [0, -1, -2, -3, -4, -5])
        #expect(sum(x, along: .rows).value.scalars == [5, 7, 9])
        #expect(mean(x, along: .columns).value.scalars == [2, 5])
    }

    @Test func stableSoftplusAndLogSigmoidAtExtremes() {
        let tape = Tape.noGrad()
        let x = tape.constant(Tensor([[-100, 0, 100]]))
        let sp = softplus(x).value.scalars
        #expect(sp[0] < 1e-40 && abs(sp[1] - Float(M_LN2)) < 1e-7 && sp[2] == 100)
        let ls = logSigmoid(x).value.scalars
        #expect(ls[0] == -100 && abs(ls[1] + Float(M_LN2)) < 1e-7 && ls[2] > -1e-40)
        #expect(sigmoid(x).value.isFinite)
    }

    @Test func seededGeneratorIsReproducibleAndUniform() {
        var a = RandomGenerator(seed: 42), b = RandomGenerator(seed: 42), c = RandomGenerator(seed: 43)
        let xs = (0..<5).map { _ in a.next() }
        #expect(xs == (0..<5).map { _ in b.next() })
        #expect(xs != (0..<5).map { _ in c.next() })
        // Mean of 100k uniforms is 0.5 within 4 standard errors (σ = √(1/12) / √n ≈ 0.00091).
        var total = 0.0
        for _ in 0..<100_000 { total += Double(a.nextUniform()) }
        #expect(abs(total / 100_000 - 0.5) < 0.0037)
        // nextInt covers its range.
        var seen = Set<Int>()
        for _ in 0..<1000 { seen.insert(a.nextInt(below: 7)) }
        #expect(seen == Set(0..<7))
    }

    @Test func xavierUniformBound() {
        // a = √(6 / (fan_in + fan_out)) = √(6 / 150) = 0.2
        var rng = RandomGenerator(seed: 1)
        let w = Initializer.xavierUniform(rows: 100, cols: 50, rng: &rng)
        let top = w.scalars.map { abs($0) }.max()!
        #expect(top <= 0.2 && top > 0.19)
    }

    @Test func parallelSparseProductMatchesASerialReferenceAndRepeats() throws {
        // Large enough to split across cores; compared with a serial sum in Double.
        var rng = RandomGenerator(seed: 8)
        let (users, items, d) = (3000, 2000, 16)
        var us: [Int32] = [], its: [Int32] = []
        for _ in 0..<60_000 {
            us.append(Int32(rng.nextInt(below: users)))
            its.append(Int32(rng.nextInt(below: items)))
        }
        let graph = try BipartiteGraph(userCount: users, itemCount: items, users: us, items: its)
        let x = Initializer.normal(rows: items, cols: d, std: 1, rng: &rng)
        let w = graph.symmetricNormalization
        let tape = Tape.noGrad()
        let y1 = sparseMatmul(graph.itemsToUsers, tape.constant(x), weights: w).value
        let y2 = sparseMatmul(graph.itemsToUsers, tape.constant(x), weights: w).value
        #expect(y1 == y2)
        var reference = [Double](repeating: 0, count: users * d)
        for e in 0..<graph.edgeCount {
            let (u, i) = (Int(graph.edgeUsers[e]), Int(graph.edgeItems[e]))
            for j in 0..<d { reference[u * d + j] += Double(w[e]) * Double(x[i, j]) }
        }
        var worst = 0.0
        for k in 0..<reference.count { worst = max(worst, abs(reference[k] - Double(y1.scalars[k]))) }
        #expect(worst < 1e-5)
    }
}

import Foundation
