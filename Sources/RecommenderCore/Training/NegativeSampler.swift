import GraphKit

/// Draws negatives uniformly from the items not in a user's training set:
/// from every item, or, as MMRec's data loader does, from the items that
/// occur in the training split only (`NegativeItems.trained`).
public struct NegativeSampler: Sendable {
    let train: UserItemLists
    let itemCount: Int
    /// The items negatives come from, when not every item.
    let pool: [Int32]?

    /// A sampler over `dataset`'s training split. Throws if some user has
    /// interacted with every item of the pool, so that no negative exists.
    public init(dataset: Dataset, negativeItems: NegativeItems = .all) throws {
        train = dataset.train
        itemCount = dataset.itemCount
        let available: Int
        switch negativeItems {
        case .all:
            pool = nil
            available = itemCount
        case .trained:
            let degrees = dataset.graph.itemDegrees
            let trained = (0..<Int32(itemCount)).filter { degrees[Int($0)] > 0 }
            pool = trained
            available = trained.count
        }
        for u in 0..<dataset.userCount where train.count(u) >= available {
            throw DataError(file: dataset.name, location: "user \(u)",
                            "has trained on all \(available) items negatives are drawn from; no negative item can be drawn")
        }
    }

    /// One negative for user `u`, by rejection: uniform over the pool's items u has not trained on.
    @inline(__always)
    public func sample(for u: Int32, rng: inout RandomGenerator) -> Int32 {
        if let pool {
            while true {
                let j = pool[rng.nextInt(below: pool.count)]
                if !train.contains(Int(u), j) { return j }
            }
        }
        while true {
            let j = Int32(rng.nextInt(below: itemCount))
            if !train.contains(Int(u), j) { return j }
        }
    }

    /// The batches of one epoch: every training pair once, shuffled with `rng`,
    /// each with one fresh negative (none when `negatives` is false, for a
    /// model that trains without them), cut into batches of `batchSize`.
    public func epochBatches(dataset: Dataset, batchSize: Int, negatives: Bool = true,
                             rng: inout RandomGenerator) -> [TrainingBatch] {
        precondition(batchSize > 0, "epochBatches: batch size \(batchSize) must be positive")
        let users = dataset.graph.edgeUsers, items = dataset.graph.edgeItems
        var order = Array(0..<Int32(users.count))
        rng.shuffle(&order)
        var batches: [TrainingBatch] = []
        batches.reserveCapacity((order.count + batchSize - 1) / batchSize)
        var start = 0
        while start < order.count {
            let slice = order[start..<min(start + batchSize, order.count)]
            var bu: [Int32] = [], bp: [Int32] = [], bn: [Int32] = []
            bu.reserveCapacity(slice.count); bp.reserveCapacity(slice.count); bn.reserveCapacity(slice.count)
            for e in slice {
                let u = users[Int(e)]
                bu.append(u)
                bp.append(items[Int(e)])
                if negatives { bn.append(sample(for: u, rng: &rng)) }
            }
            batches.append(TrainingBatch(users: bu, positives: bp, negatives: bn, nominalSize: batchSize))
            start += batchSize
        }
        return batches
    }
}
