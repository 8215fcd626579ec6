import Benchmark
import Foundation
import GraphKit

// GraphKit kernels on the real Amazon Baby training graph (19,445 users,
// 7,050 items, 119,674 edges) at d = 64. Run with `make bench`.

let d = 64

/// Seconds taken by `body`, best of `repeats`.
func bestSeconds(repeats: Int, _ body: () -> Void) -> Double {
    var best = Double.infinity
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return best
}

/// One LightGCN layer forward (users ← items and items ← users with
/// D^{-1/2} A D^{-1/2}) and its backward from upstream gradients, accumulated
/// into the embedding tables' gradients.
func lightGCNLayer(_ graph: BipartiteGraph, norm: [Float], users: Parameter, items: Parameter,
                   seeds: (users: Tensor, items: Tensor)) {
    let tape = Tape()
    let u = tape.watch(users), i = tape.watch(items)
    let newUsers = propagate(i, over: graph.itemsToUsers, weights: .fixed(norm))
    let newItems = propagate(u, over: graph.usersToItems, weights: .fixed(norm))
    tape.backward(seeds: [(newUsers, seeds.users), (newItems, seeds.items)])
    users.zeroGrad()
    items.zeroGrad()
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput],
        warmupIterations: 2,
        maxDuration: .seconds(3),
        maxIterations: 200
    )
    let graph = BabyGraph.graph
    let norm = graph.symmetricNormalization
    var rng = RandomGenerator(seed: 1)
    let itemX = Initializer.normal(rows: graph.itemCount, cols: d, std: 0.1, rng: &rng)
    let userX = Initializer.normal(rows: graph.userCount, cols: d, std: 0.1, rng: &rng)
    let bytesBoth = bytesRead(graph.itemsToUsers, d: d) + bytesRead(graph.usersToItems, d: d)
    let gigabytes = BenchmarkMetric.custom("effective GB/s (x100)", polarity: .prefersLarger, useScalingFactor: false)
    let gigaflops = BenchmarkMetric.custom("GFLOP/s (x100)", polarity: .prefersLarger, useScalingFactor: false)
    let ratioMetric = BenchmarkMetric.custom("layer / read pass (x100)", useScalingFactor: false)

    Benchmark("Sparse product, fixed weights, both directions (Baby, d=64)",
              configuration: .init(metrics: [.wallClock, .throughput, gigabytes])) { benchmark in
        let tape = Tape.noGrad()
        let x = tape.constant(itemX), y = tape.constant(userX)
        var seconds = 0.0
        for _ in benchmark.scaledIterations {
            let start = DispatchTime.now().uptimeNanoseconds
            blackHole(propagate(x, over: graph.itemsToUsers, weights: .fixed(norm)))
            blackHole(propagate(y, over: graph.usersToItems, weights: .fixed(norm)))
            seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        benchmark.measurement(gigabytes, Int(100 * Double(bytesBoth * benchmark.scaledIterations.count) / seconds / 1e9))
    }

    Benchmark("Sparse product, learnable weights, forward + backward (Baby, d=64)",
              configuration: .init(metrics: [.wallClock, .throughput, gigabytes])) { benchmark in
        let w = Parameter(Tensor(rows: graph.edgeCount, cols: 1, scalars: norm))
        let items = Parameter(itemX)
        benchmark.startMeasurement()
        // Forward, dX through the by-source CSR and dw per edge each read the CSR and a row per edge.
        let bytes = 3 * bytesRead(graph.itemsToUsers, d: d)
        var seconds = 0.0
        for _ in benchmark.scaledIterations {
            let start = DispatchTime.now().uptimeNanoseconds
            let tape = Tape()
            let y = sparseMatmul(graph.itemsToUsers, tape.watch(items), learnableWeights: tape.watch(w))
            tape.backward(from: sum(y))
            seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            blackHole(w.grad)
            w.zeroGrad()
            items.zeroGrad()
        }
        benchmark.measurement(gigabytes, Int(100 * Double(bytes * benchmark.scaledIterations.count) / seconds / 1e9))
    }

    Benchmark("Segment softmax, forward + backward (Baby edges into users)",
              configuration: .init(metrics: [.wallClock, .throughput, gigabytes])) { benchmark in
        var rng = RandomGenerator(seed: 2)
        let scores = Parameter(Initializer.normal(rows: graph.edgeCount, cols: 1, std: 1, rng: &rng))
        let probe = Tensor(rows: graph.edgeCount, cols: 1, scalars: norm)
        benchmark.startMeasurement()
        // Forward reads the scores twice and writes α; backward reads α and the gradient and writes dx:
        // with the CSR's edge ids read in each pass, about 8 words per edge.
        let bytes = graph.edgeCount * 4 * 8
        var seconds = 0.0
        for _ in benchmark.scaledIterations {
            let start = DispatchTime.now().uptimeNanoseconds
            let tape = Tape()
            let alpha = segmentSoftmax(tape.watch(scores), over: graph.itemsToUsers)
            tape.backward(from: sum(alpha * tape.constant(probe)))
            seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            blackHole(scores.grad)
            scores.zeroGrad()
        }
        benchmark.measurement(gigabytes, Int(100 * Double(bytes * benchmark.scaledIterations.count) / seconds / 1e9))
    }

    Benchmark("sgemm 4096x64 by 64x7050 (full-ranking scoring)",
              configuration: .init(metrics: [.wallClock, .throughput, gigaflops])) { benchmark in
        var rng = RandomGenerator(seed: 3)
        let users = Initializer.normal(rows: 4096, cols: d, std: 1, rng: &rng)
        let items = Initializer.normal(rows: 7050, cols: d, std: 1, rng: &rng)
        var scores = Tensor(rows: 4096, cols: 7050)
        benchmark.startMeasurement()
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in benchmark.scaledIterations {
            BLAS.gemm(users, items, transposeB: true, into: &scores)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        benchmark.stopMeasurement()
        let flops = 2.0 * 4096 * 7050 * Double(d) * Double(benchmark.scaledIterations.count)
        benchmark.measurement(gigaflops, Int(100 * flops / seconds / 1e9))
        blackHole(scores)
        // The rate means something only with the CPU and the kernel that gave it.
        let machine = MachineReport.current
        let rate = String(format: "%.1f", flops / seconds / 1e9)
        FileHandle.standardError.write(Data(("sgemm 4096x64 by 64x7050: \(rate) GFLOP/s on \(machine.cpuModel) with "
            + "\(machine.blasKernel) (\(machine.kernelChoice)), \(Parallelism.workers) threads\n").utf8))
    }

    Benchmark("LightGCN layer forward + backward vs one single-threaded read pass (Baby, d=64)",
              configuration: .init(metrics: [.wallClock, ratioMetric], maxIterations: 5)) { benchmark in
        let users = Parameter(userX), items = Parameter(itemX)
        var rng = RandomGenerator(seed: 4)
        let seeds = (Initializer.normal(rows: graph.userCount, cols: d, std: 1, rng: &rng),
                     Initializer.normal(rows: graph.itemCount, cols: d, std: 1, rng: &rng))
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            // Both timed in this one run, alternating, best of 10 each.
            let layer = bestSeconds(repeats: 10) { lightGCNLayer(graph, norm: norm, users: users, items: items, seeds: seeds) }
            var sink: Float = 0
            let pass = bestSeconds(repeats: 10) {
                sink += readPass(graph.itemsToUsers, weights: norm, itemX)
                sink += readPass(graph.usersToItems, weights: norm, userX)
            }
            blackHole(sink)
            let ratio = layer / pass
            benchmark.measurement(ratioMetric, Int((100 * ratio).rounded()))
            FileHandle.standardError.write(Data(String(
                format: "LightGCN layer fwd+bwd %.3f ms, single-threaded read pass %.3f ms, ratio %.2f (bound 3)\n",
                layer * 1e3, pass * 1e3, ratio).utf8))
        }
    }

    Benchmark("Item kNN graph, k = 10 (7,050 Baby-sized items, d = 128)",
              configuration: .init(metrics: [.wallClock, .peakMemoryResident, gigaflops], maxIterations: 20)) { benchmark in
        // Baby has no features: 7,050 rows of fixed noise stand in, the size of its catalogue.
        var rng = RandomGenerator(seed: 5)
        let features = Initializer.normal(rows: graph.itemCount, cols: 128, std: 1, rng: &rng)
        let flops = 2 * Double(graph.itemCount) * Double(graph.itemCount) * 128
        var seconds = 0.0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let start = DispatchTime.now().uptimeNanoseconds
            blackHole(try! NearestNeighbours(features: features, k: 10))
            seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        benchmark.measurement(gigaflops, Int(100 * flops * Double(benchmark.scaledIterations.count) / seconds / 1e9))
    }

    fusedOpBenchmarks()
}
