import Benchmark
import Foundation
import GraphKit

// GraphKit's block ops and fused gather-max against the compositions they
// replace, on the Baby graph at d = 64. Each pair is timed alternately in one
// run, best of 5, and the ratio printed.

/// DisenGCN's routing step (K = 4 factors of 16 columns) forward and backward
/// on the node graph: with the block ops (block edge scores, a softmax over the
/// factors, a block-weighted propagation), or with K single-block ops on
/// column slices, as the model first did.
func routingStep(_ adj: Adjacency, c: Parameter, z: Parameter, blockOps: Bool) {
    let tape = Tape()
    let (cv, zv) = (tape.watch(c), tape.watch(z))
    let k = 4, size = d / 4
    let y: Variable
    if blockOps {
        let p = softmaxRows(edgeScores(targets: cv, sources: zv, over: adj, blocks: k))
        y = propagate(zv, over: adj, weights: .learnableBlocks(p))
    } else {
        let cs = (0..<k).map { sliceColumns(cv, $0 * size..<($0 + 1) * size) }
        let zs = (0..<k).map { sliceColumns(zv, $0 * size..<($0 + 1) * size) }
        let p = softmaxRows(concatColumns((0..<k).map { edgeScores(targets: cs[$0], sources: zs[$0], over: adj) }))
        y = concatColumns((0..<k).map { propagate(zs[$0], over: adj, weights: .learnable(sliceColumns(p, $0..<$0 + 1))) })
    }
    tape.backward(from: sum(y))
    c.zeroGrad()
    z.zeroGrad()
}

/// GraphSAGE's pool aggregation forward and backward: `gatherMax`, or the
/// segment max of the per-edge rows that `gatherSources` materialises.
func maxAggregation(_ adj: Adjacency, x: Parameter, fused: Bool) {
    let tape = Tape()
    let xv = tape.watch(x)
    let y = fused ? gatherMax(xv, over: adj) : segmentMax(gatherSources(xv, over: adj), over: adj)
    tape.backward(from: sum(y))
    x.zeroGrad()
}

func fusedOpBenchmarks() {
    let graph = BabyGraph.graph
    let nodes = graph.nodeAdjacency(selfLoops: false)
    var rng = RandomGenerator(seed: 5)
    let c = Parameter(Initializer.normal(rows: nodes.targetCount, cols: d, std: 0.3, rng: &rng))
    let z = Parameter(Initializer.normal(rows: nodes.sourceCount, cols: d, std: 0.3, rng: &rng))
    let ratioMetric = BenchmarkMetric.custom("fused / composed (x100)", useScalingFactor: false)

    Benchmark("Routing step fwd+bwd, block ops vs K single-block ops (Baby node graph, d=64, K=4)",
              configuration: .init(metrics: [.wallClock, ratioMetric], maxIterations: 5)) { benchmark in
        for _ in benchmark.scaledIterations {
            let fused = bestSeconds(repeats: 5) { routingStep(nodes, c: c, z: z, blockOps: true) }
            let composed = bestSeconds(repeats: 5) { routingStep(nodes, c: c, z: z, blockOps: false) }
            benchmark.measurement(ratioMetric, Int((100 * fused / composed).rounded()))
            FileHandle.standardError.write(Data(String(
                format: "routing step fwd+bwd: block ops %.2f ms, K single-block ops %.2f ms, ratio %.2f\n",
                fused * 1e3, composed * 1e3, fused / composed).utf8))
        }
    }

    Benchmark("Max aggregation fwd+bwd, gatherMax vs segmentMax(gatherSources) (Baby, items to users, d=64)",
              configuration: .init(metrics: [.wallClock, ratioMetric], maxIterations: 5)) { benchmark in
        let x = Parameter(Initializer.normal(rows: graph.itemCount, cols: d, std: 1, rng: &rng))
        for _ in benchmark.scaledIterations {
            let fused = bestSeconds(repeats: 5) { maxAggregation(graph.itemsToUsers, x: x, fused: true) }
            let composed = bestSeconds(repeats: 5) { maxAggregation(graph.itemsToUsers, x: x, fused: false) }
            benchmark.measurement(ratioMetric, Int((100 * fused / composed).rounded()))
            FileHandle.standardError.write(Data(String(
                format: "max aggregation fwd+bwd: gatherMax %.2f ms, segmentMax of gathered rows %.2f ms, ratio %.2f\n",
                fused * 1e3, composed * 1e3, fused / composed).utf8))
        }
    }
}
