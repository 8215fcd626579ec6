import Benchmark
import Foundation
import GraphKit

// The fused graph ops against the compositions they replace, on the Baby node
// graph (U + I nodes, both directions of every training edge) at d = 64.
// Each pair is timed alternately in one run, best of 5, and the ratio printed.

/// DisenGCN's routing step (K = 4 blocks of 16) forward and backward: the fused
/// `neighbourhoodRouting`, or block edge scores, a softmax over the blocks and a
/// block-weighted propagation.
func routingStep(_ adj: Adjacency, c: Parameter, z: Parameter, fused: Bool) {
    let tape = Tape()
    let (cv, zv) = (tape.watch(c), tape.watch(z))
    let y: Variable
    if fused {
        y = neighbourhoodRouting(targets: cv, sources: zv, over: adj, blocks: 4).messages
    } else {
        let p = softmaxRows(edgeScores(targets: cv, sources: zv, over: adj, blocks: 4))
        y = propagate(zv, over: adj, weights: .learnableBlocks(p))
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

    Benchmark("Neighbourhood routing fwd+bwd, fused vs composed block ops (Baby node graph, d=64, K=4)",
              configuration: .init(metrics: [.wallClock, ratioMetric], maxIterations: 5)) { benchmark in
        for _ in benchmark.scaledIterations {
            let fused = bestSeconds(repeats: 5) { routingStep(nodes, c: c, z: z, fused: true) }
            let composed = bestSeconds(repeats: 5) { routingStep(nodes, c: c, z: z, fused: false) }
            benchmark.measurement(ratioMetric, Int((100 * fused / composed).rounded()))
            FileHandle.standardError.write(Data(String(
                format: "neighbourhood routing fwd+bwd: fused %.2f ms, composed %.2f ms, ratio %.2f\n",
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
