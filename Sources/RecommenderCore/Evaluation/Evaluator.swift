import Foundation
import GraphKit

/// How models are judged (docs/MODELS.md).
public struct EvaluationProtocol: Sendable, Equatable {
    /// Full ranking over all items, or the MMGCN paper's sampled candidates.
    public enum Ranking: Sendable, Equatable {
        /// Rank all I items, with training items masked.
        case full
        /// Rank the held-out items among `candidates` sampled non-interacted items per user.
        case sampled(candidates: Int)
    }

    public var ranking: Ranking
    /// The metrics reported, each at its K.
    public var metrics: [MetricKey]
    /// Mask each user's validation items when testing (MMRec does).
    public var maskValidInTest: Bool
    /// Users scored per sgemm call on each worker; memory is O(workers × block × I).
    public var blockUsers: Int
    /// Seed of the sampled protocol's candidates (per user: (seed, user)).
    public var seed: UInt64

    public init(ranking: Ranking = .full,
                metrics: [MetricKey] = EvaluationProtocol.defaultMetrics,
                maskValidInTest: Bool = true, blockUsers: Int = 128, seed: UInt64 = 2024) {
        precondition(!metrics.isEmpty, "EvaluationProtocol: no metrics")
        precondition(blockUsers > 0, "EvaluationProtocol: blockUsers must be positive")
        self.ranking = ranking
        self.metrics = metrics.sorted()
        self.maskValidInTest = maskValidInTest
        self.blockUsers = blockUsers
        self.seed = seed
    }

    /// Recall, NDCG, precision, hit rate and MAP at 10, 20 and 50.
    public static let defaultMetrics: [MetricKey] = [10, 20, 50].flatMap { k in
        RankingMetric.allCases.map { MetricKey($0, at: k) }
    }
}

/// Metric averages over the evaluated users of one split.
public struct EvaluationResult: Sendable, Codable, Equatable {
    /// Mean of each metric over evaluated users.
    public var values: [MetricKey: Double]
    /// Users with at least one held-out item and one training item.
    public var evaluatedUsers: Int
    /// Users with held-out items but no training item: left out, and counted.
    public var usersWithoutTraining: Int
    /// Users with fewer non-interacted items than the sampled protocol asks (all used).
    public var usersWithFewCandidates: Int
    /// Wall-clock seconds of the evaluation.
    public var seconds: Double

    /// The value of `key`; the key must have been evaluated.
    public subscript(key: MetricKey) -> Double {
        guard let v = values[key] else { preconditionFailure("metric \(key) was not evaluated") }
        return v
    }
}

/// An evaluation that could not produce numbers.
public struct EvaluationError: Error, CustomStringConvertible {
    public let description: String
}

/// Judges a scorer on a split: full ranking with masking, or sampled candidates.
public final class Evaluator: @unchecked Sendable {
    public let dataset: Dataset
    public let evaluationProtocol: EvaluationProtocol

    public init(dataset: Dataset, protocol evaluationProtocol: EvaluationProtocol) {
        self.dataset = dataset
        self.evaluationProtocol = evaluationProtocol
    }

    /// The users evaluated on `split`: at least one held-out item and one training item.
    public func evaluatedUsers(on split: Split) -> [Int32] {
        let heldOut = dataset.items(in: split)
        return (0..<dataset.userCount).filter { heldOut.count($0) > 0 && dataset.train.count($0) > 0 }.map(Int32.init)
    }

    /// Evaluates `scorer` on `split` (valid or test).
    public func evaluate(_ scorer: Scorer, on split: Split) throws -> EvaluationResult {
        try evaluateInDetail(scorer, on: split).result
    }

    /// Evaluates `scorer` on `split` and keeps what the averages are made of:
    /// each evaluated user's metric values and, with `listLength` > 0, the
    /// user's ranked list of that length (at least the deepest metric's K),
    /// exactly as ranked for the metrics: masked items left out, ties to the
    /// lower item id.
    public func evaluateInDetail(_ scorer: Scorer, on split: Split, listLength: Int = 0) throws
        -> (result: EvaluationResult, detail: EvaluationDetail) {
        precondition(split != .train, "Evaluator: evaluate on valid or test, not train")
        precondition(scorer.itemCount == dataset.itemCount,
                     "Evaluator: scorer has \(scorer.itemCount) items, dataset \(dataset.itemCount)")
        let start = DispatchTime.now().uptimeNanoseconds
        let heldOut = dataset.items(in: split)
        let users = evaluatedUsers(on: split)
        let skipped = (0..<dataset.userCount).filter { heldOut.count($0) > 0 && dataset.train.count($0) == 0 }.count
        let keys = evaluationProtocol.metrics
        let depth = max(keys.map(\.k).max()!, listLength)
        let keepLists = listLength > 0
        // Each user's ranked list, padded with −1 where fewer items could be ranked.
        var lists = [Int32](repeating: -1, count: keepLists ? users.count * depth : 0)
        // Per-user metric rows, summed in user order at the end: the same bits whatever the threads.
        var perUser = [Double](repeating: 0, count: users.count * keys.count)
        var fewCandidates = [Bool](repeating: false, count: users.count)
        var nanUsers = [Bool](repeating: false, count: users.count)
        let maskValid = split == .test && evaluationProtocol.maskValidInTest
        let itemCount = dataset.itemCount
        let block = evaluationProtocol.blockUsers
        // The users are cut into blocks fixed by their count (see
        // `Parallelism.forEachBlock`); each worker takes a run of blocks, scores
        // a block at a time (one sgemm, run on that worker's core), then ranks
        // the block while its scores are still in cache.
        perUser.withUnsafeMutableBufferPointer { out in
        lists.withUnsafeMutableBufferPointer { ranks in
        fewCandidates.withUnsafeMutableBufferPointer { few in
        nanUsers.withUnsafeMutableBufferPointer { nan in
            Parallelism.forEachBlock(users.count, blockSize: block, work: users.count * itemCount) { blocks in
                var top = TopK(k: depth)
                defer { top.deallocate() }
                var selector = RowSelector(k: depth)
                var metrics = RankingMetricsBuffer(keys: keys)
                for range in blocks {
                    let blockStart = range.lowerBound
                    let blockUsers = Array(users[range])
                    var scores = scorer.scores(users: blockUsers)
                    precondition(scores.rows == blockUsers.count && scores.cols == itemCount,
                                 "Scorer returned \(scores.shapeDescription) for \(blockUsers.count) users and \(itemCount) items")
                    scores.scalars.withUnsafeMutableBufferPointer { ps in
                        for b in 0..<blockUsers.count {
                            let u = Int(blockUsers[b])
                            let position = blockStart + b
                            let row = UnsafeMutableBufferPointer(rebasing: ps[(b * itemCount)..<((b + 1) * itemCount)])
                            let truth = heldOut[u]
                            let destination = out.baseAddress! + position * keys.count
                            switch evaluationProtocol.ranking {
                            case .full:
                                guard let count = rankAll(row, user: u, maskValid: maskValid, selector: &selector) else {
                                    nan[position] = true
                                    continue
                                }
                                let chosen = selector.candidates
                                if keepLists {
                                    for r in 0..<count { ranks[position * depth + r] = TopK.item(of: chosen[r]) }
                                }
                                metrics.compute(heldOut: truth.count, into: destination) { r in
                                    r < count && heldOut.contains(u, TopK.item(of: chosen[r]))
                                }
                            case let .sampled(candidates):
                                top.reset()
                                let ok: Bool
                                (ok, few[position]) = rankSampled(UnsafeBufferPointer(row), user: u, split: split,
                                                                  candidates: candidates, into: &top)
                                if !ok { nan[position] = true; continue }
                                let ranked = top.ranked()
                                if keepLists {
                                    for (r, i) in ranked.enumerated() { ranks[position * depth + r] = i }
                                }
                                metrics.compute(heldOut: truth.count, into: destination) { r in
                                    r < ranked.count && heldOut.contains(u, ranked[r])
                                }
                            }
                        }
                    }
                }
            }
        }}}}
        let nanCount = nanUsers.lazy.filter { $0 }.count
        if nanCount > 0 {
            throw EvaluationError(description: "the model produced NaN scores for \(nanCount) of \(users.count) users on \(split.name)")
        }
        var sums = [Double](repeating: 0, count: keys.count)
        for r in 0..<users.count {
            for m in 0..<keys.count { sums[m] += perUser[r * keys.count + m] }
        }
        var values: [MetricKey: Double] = [:]
        for (m, key) in keys.enumerated() { values[key] = users.isEmpty ? 0 : sums[m] / Double(users.count) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let result = EvaluationResult(values: values, evaluatedUsers: users.count, usersWithoutTraining: skipped,
                                      usersWithFewCandidates: fewCandidates.lazy.filter { $0 }.count, seconds: seconds)
        let detail = EvaluationDetail(users: users, metrics: keys, perUser: perUser,
                                      listLength: keepLists ? depth : 0, lists: lists)
        return (result, detail)
    }

    /// Full ranking: the user's training items (and validation items when
    /// asked) are masked to −∞ in the block's scores, then `RowSelector` picks
    /// the top K. Returns nil on a NaN score.
    private func rankAll(_ row: UnsafeMutableBufferPointer<Float>, user u: Int, maskValid: Bool,
                         selector: inout RowSelector) -> Int? {
        var masked = 0
        func mask(_ items: ArraySlice<Int32>) {
            for i in items where row[Int(i)] != -.infinity {
                row[Int(i)] = -.infinity
                masked += 1
            }
        }
        mask(dataset.train[u])
        if maskValid { mask(dataset.valid[u]) }
        return selector.select(UnsafeBufferPointer(row), unmasked: row.count - masked)
    }

    /// Sampled ranking (MMGCN paper, Sec. 3.1): the user's held-out items plus
    /// `candidates` items drawn uniformly without replacement from the items
    /// the user never interacted with in any split, with a generator seeded by
    /// (seed, user) so every model sees the same candidates.
    private func rankSampled(_ row: UnsafeBufferPointer<Float>, user u: Int, split: Split, candidates: Int,
                             into top: inout TopK) -> (Bool, Bool) {
        let pool = sampledCandidates(user: u, count: candidates)
        var items = Array(dataset.items(in: split)[u]) + pool.items
        items.sort()
        for i in items {
            let s = row[Int(i)]
            if s.isNaN { return (false, pool.exhausted) }
            top.offer(s, i)
        }
        return (true, pool.exhausted)
    }

    /// The sampled negatives of user `u`; `exhausted` when fewer than `count` exist (all are used).
    public func sampledCandidates(user u: Int, count: Int) -> (items: [Int32], exhausted: Bool) {
        let interacted = dataset.train.count(u) + dataset.valid.count(u) + dataset.test.count(u)
        func interactedWith(_ i: Int32) -> Bool {
            dataset.train.contains(u, i) || dataset.valid.contains(u, i) || dataset.test.contains(u, i)
        }
        let available = dataset.itemCount - interacted  // splits are disjoint in well-formed data
        if available <= count {
            return ((0..<Int32(dataset.itemCount)).filter { !interactedWith($0) }, true)
        }
        var rng = RandomGenerator(seed: evaluationProtocol.seed, stream: UInt64(u))
        var chosen = Set<Int32>()
        var order: [Int32] = []
        while order.count < count {
            let i = Int32(rng.nextInt(below: dataset.itemCount))
            if !interactedWith(i) && chosen.insert(i).inserted { order.append(i) }
        }
        return (order, false)
    }
}
