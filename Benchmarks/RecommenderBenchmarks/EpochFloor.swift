import Foundation
import GraphKit
import LightGCN
import RecommenderCore

// A LightGCN training epoch held against the floor of what it must read and
// write: the same batches, the same graph and the same tables, with every
// sparse product replaced by a pass that reads exactly its bytes (row
// pointers, neighbour ids, edge ids, weights and a 64-float row per entry) and
// writes nothing but a sum in registers, and Adam replaced by a pass over its
// seven streams (θ, g, m, v read; θ, m, v written). The passes run on all the
// workers the suite uses (`Parallelism`), split by entry count as the kernels are.

/// Seconds of one real LightGCN training epoch and of its floor on `data`.
struct EpochFloor {
    var epoch: Double
    var floor: Double
    /// The floor's parts: sparse reads in the forward pass, in the backward pass, and Adam.
    var forward: Double
    var backward: Double
    var adam: Double
    var batches: Int
}

/// Times a LightGCN epoch (L = `layers`, batch `batchSize`, d = 64, compat
/// "mmrec" as `compare` runs it) and its floor, alternately, best of `repeats`.
func lightGCNEpochFloor(_ data: Dataset, layers: Int = 2, batchSize: Int = 2048, repeats: Int = 3) throws -> EpochFloor {
    let given: [String: HyperparameterValue] = ["n_layers": .int(layers), "reg_weight": .double(0.01),
                                                "compat": .string("mmrec")]
    let model = try LightGCNModel(dataset: data, hyperparameters: Hyperparameters(
        given, specs: LightGCNModel.hyperparameters, model: LightGCNModel.name), seed: 1)
    let adam = Adam(parameters: model.parameters, learningRate: 0.001)
    let sampler = try NegativeSampler(dataset: data)
    let graph = data.graph
    let norm = graph.symmetricNormalization
    let users = model.userEmbedding.value, items = model.itemEmbedding.value
    let parameterCount = model.parameters.reduce(0) { $0 + $1.value.count }
    var (theta, grad, m, v) = ([Float](repeating: 0.5, count: parameterCount), [Float](repeating: 0.5, count: parameterCount),
                               [Float](repeating: 0.5, count: parameterCount), [Float](repeating: 0.5, count: parameterCount))

    func epoch(seed: UInt64) -> Double {
        var rng = RandomGenerator(seed: seed)
        let start = DispatchTime.now().uptimeNanoseconds
        for batch in sampler.epochBatches(dataset: data, batchSize: batchSize, rng: &rng) {
            let tape = Tape()
            tape.backwardReleasing(from: model.loss(batch, on: tape, rng: &rng))
            adam.step()
            adam.zeroGrad()
        }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    var sink: Float = 0
    func floor(seed: UInt64) -> (forward: Double, backward: Double, adam: Double, batches: Int) {
        var rng = RandomGenerator(seed: seed)
        let batches = sampler.epochBatches(dataset: data, batchSize: batchSize, rng: &rng)
        var (forward, backward, adamSeconds) = (0.0, 0.0, 0.0)
        for batch in batches {
            let userRows = Array(Set(batch.users)), itemRows = Array(Set(batch.positives + batch.negatives))
            forward += seconds {
                // Layers 1 … L−1 whole, layer L at the batch's rows.
                for _ in 1..<max(layers, 1) {
                    sink += parallelReadPass(graph.itemsToUsers.rowPtr, graph.itemsToUsers.source,
                                             graph.itemsToUsers.edge, norm, items, rows: nil)
                    sink += parallelReadPass(graph.usersToItems.rowPtr, graph.usersToItems.source,
                                             graph.usersToItems.edge, norm, users, rows: nil)
                }
                sink += parallelReadPass(graph.itemsToUsers.rowPtr, graph.itemsToUsers.source,
                                         graph.itemsToUsers.edge, norm, items, rows: userRows)
                sink += parallelReadPass(graph.usersToItems.rowPtr, graph.usersToItems.source,
                                         graph.usersToItems.edge, norm, users, rows: itemRows)
            }
            backward += seconds {
                // Each layer's transposed products, through the by-source CSR.
                for _ in 0..<layers {
                    sink += parallelReadPass(graph.itemsToUsers.sourceRowPtr, graph.itemsToUsers.target,
                                             graph.itemsToUsers.sourceEdge, norm, users, rows: nil)
                    sink += parallelReadPass(graph.usersToItems.sourceRowPtr, graph.usersToItems.target,
                                             graph.usersToItems.sourceEdge, norm, items, rows: nil)
                }
            }
            adamSeconds += seconds { adamStreams(&theta, &grad, &m, &v) }
        }
        return (forward, backward, adamSeconds, batches.count)
    }

    var best = EpochFloor(epoch: .infinity, floor: .infinity, forward: 0, backward: 0, adam: 0, batches: 0)
    for r in 0..<repeats {
        best.epoch = min(best.epoch, epoch(seed: UInt64(r)))
        let parts = floor(seed: UInt64(r))
        let total = parts.forward + parts.backward + parts.adam
        if total < best.floor {
            best.floor = total
            (best.forward, best.backward, best.adam, best.batches) = parts
        }
    }
    if sink == .infinity { print(sink) }
    return best
}

private func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// A read pass over one CSR direction (`rowPtr`, the neighbour ids and edge
/// ids of its entries) at `rows` (all rows when nil), reading weight and a
/// 64-float row of `x` per entry, on all workers, split by entry count.
private func parallelReadPass(_ rowPtr: [Int32], _ neighbour: [Int32], _ edge: [Int32], _ weights: [Float],
                              _ x: Tensor, rows: [Int32]?) -> Float {
    let d = x.cols
    precondition(d % 32 == 0, "parallelReadPass: d = \(d) must be a multiple of 32")
    let targets = rows ?? (0..<Int32(rowPtr.count - 1)).map { $0 }
    let workers = Parallelism.workers
    // Cut the targets into `workers` runs of about equal entry counts.
    var cuts = [0]
    let total = targets.reduce(0) { $0 + Int(rowPtr[Int($1) + 1] - rowPtr[Int($1)]) }
    var running = 0
    for (k, t) in targets.enumerated() where cuts.count < workers {
        running += Int(rowPtr[Int(t) + 1] - rowPtr[Int(t)])
        if running * workers >= total * cuts.count { cuts.append(k + 1) }
    }
    cuts.append(targets.count)
    var sums = [Float](repeating: 0, count: cuts.count - 1)
    rowPtr.withUnsafeBufferPointer { rp in
    neighbour.withUnsafeBufferPointer { src in
    edge.withUnsafeBufferPointer { ed in
    weights.withUnsafeBufferPointer { w in
    x.scalars.withUnsafeBufferPointer { px in
    targets.withUnsafeBufferPointer { tg in
    sums.withUnsafeMutableBufferPointer { out in
        let base = UnsafeRawPointer(px.baseAddress!)
        Parallelism.forEachRange(cuts.count - 1, work: Int(Int32.max)) { parts in
          for part in parts {
            var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
            for i in cuts[part]..<cuts[part + 1] {
                let t = Int(tg[i])
                for k in Int(rp[t])..<Int(rp[t + 1]) {
                    let wk = SIMD8<Float>(repeating: w[Int(ed[k])])
                    var row = base + Int(src[k]) * d * 4
                    for _ in 0..<(d / 32) {
                        s0 += wk * row.loadUnaligned(as: SIMD8<Float>.self)
                        s1 += wk * row.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                        s2 += wk * row.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
                        s3 += wk * row.loadUnaligned(fromByteOffset: 96, as: SIMD8<Float>.self)
                        row += 128
                    }
                }
            }
            out[part] = (s0 + s1 + s2 + s3).sum()
          }
        }
    }}}}}}}
    return sums.reduce(0, +)
}

/// Adam's traffic without its arithmetic: θ, g, m, v read and θ, m, v written,
/// eight lanes at a time, on all workers.
private func adamStreams(_ thetaArray: inout [Float], _ gArray: inout [Float], _ mArray: inout [Float],
                         _ vArray: inout [Float]) {
    let n = thetaArray.count
    let workers = Parallelism.workers
    thetaArray.withUnsafeMutableBufferPointer { theta in
    gArray.withUnsafeMutableBufferPointer { g in
    mArray.withUnsafeMutableBufferPointer { m in
    vArray.withUnsafeMutableBufferPointer { v in
        let (tp, gp, mp, vp) = (theta.baseAddress!, g.baseAddress!, m.baseAddress!, v.baseAddress!)
        Parallelism.forEachRange(workers, work: Int(Int32.max)) { parts in
          for part in parts {
            let lower = n * part / workers / 8 * 8, upper = part == workers - 1 ? n / 8 * 8 : n * (part + 1) / workers / 8 * 8
            var k = lower
            while k < upper {
                let gk = UnsafeRawPointer(gp + k).loadUnaligned(as: SIMD8<Float>.self)
                let mk = UnsafeRawPointer(mp + k).loadUnaligned(as: SIMD8<Float>.self) + gk
                let vk = UnsafeRawPointer(vp + k).loadUnaligned(as: SIMD8<Float>.self) + gk
                let tk = UnsafeRawPointer(tp + k).loadUnaligned(as: SIMD8<Float>.self) - mk
                UnsafeMutableRawPointer(mp + k).storeBytes(of: mk * 0.5, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(vp + k).storeBytes(of: vk * 0.5, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(tp + k).storeBytes(of: tk, as: SIMD8<Float>.self)
                k += 8
            }
          }
        }
    }}}}
}
