import GraphKit

/// The embedding study of MMGCN's Fig. 4 and GRCN's Fig. 4: a few users and
/// the items they interacted with in training, in the representation space
/// the model scores with, projected to two dimensions. The papers use t-SNE;
/// this suite uses PCA (`principalComponents`), which is deterministic and
/// keeps distances along the two directions of largest variance.
public struct EmbeddingProjection: Sendable, Codable, Equatable {
    /// One plotted node.
    public struct Point: Sendable, Codable, Equatable {
        /// "user" or "item".
        public var kind: String
        /// The user or item id.
        public var id: Int32
        /// Which sampled user the point belongs to (its index in `users`).
        public var group: Int
        public var x: Double
        public var y: Double
    }

    /// The sampled users, in drawing order.
    public var users: [Int32]
    /// The users first, then each user's shown training items.
    public var points: [Point]
    /// The share of variance of the first and second components.
    public var explainedVariance: [Double]
}

/// Draws the users and projects their representations.
public enum EmbeddingStudy {
    /// `count` users drawn with the fixed `seed` among those with `items`
    /// training items, in id order before the draw; the same users for every
    /// model and run seed on a dataset. Where fewer users than `count` have
    /// that many (TikTok's users have at most 4 training items or more than
    /// 300), they are drawn among the users with at least `items.lowerBound`,
    /// and `shownItems` limits each user's items to `items.upperBound`.
    public static func sampleUsers(_ dataset: Dataset, count: Int = 5, items: ClosedRange<Int> = 8...30,
                                   seed: UInt64 = 4) -> [Int32] {
        var pool = (0..<dataset.userCount).filter { items.contains(dataset.train.count($0)) }.map { Int32($0) }
        if pool.count < count {
            pool = (0..<dataset.userCount).filter { dataset.train.count($0) >= items.lowerBound }.map { Int32($0) }
        }
        var rng = RandomGenerator(seed: seed)
        rng.shuffle(&pool)
        return Array(pool.prefix(count))
    }

    /// The training items of `user` the study shows: all of them up to
    /// `limit`, otherwise `limit` of them drawn with a generator seeded by
    /// (seed, user), in id order.
    public static func shownItems(of user: Int32, _ dataset: Dataset, limit: Int = 30, seed: UInt64 = 4) -> [Int32] {
        var items = Array(dataset.train[Int(user)])
        guard items.count > limit else { return items }
        var rng = RandomGenerator(seed: seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(user + 1))
        rng.shuffle(&items)
        return items.prefix(limit).sorted()
    }

    /// PCA of the rows of `users` and `items` (the scorer's final vectors) for
    /// the sampled users and their shown training items (`shownItems`).
    public static func project(users: Tensor, items: Tensor, sample: [Int32], dataset: Dataset) throws -> EmbeddingProjection {
        var rows: [[Float]] = []
        var points: [EmbeddingProjection.Point] = []
        for (g, u) in sample.enumerated() {
            rows.append((0..<users.cols).map { users[Int(u), $0] })
            points.append(.init(kind: "user", id: u, group: g, x: 0, y: 0))
        }
        for (g, u) in sample.enumerated() {
            for i in shownItems(of: u, dataset) {
                rows.append((0..<items.cols).map { items[Int(i), $0] })
                points.append(.init(kind: "item", id: i, group: g, x: 0, y: 0))
            }
        }
        let matrix = Tensor(rows: rows.count, cols: users.cols, scalars: rows.flatMap { $0 })
        let pca = try principalComponents(of: matrix, count: 2)
        for k in points.indices {
            points[k].x = pca.coordinates[k][0]
            points[k].y = pca.coordinates[k][1]
        }
        return EmbeddingProjection(users: sample, points: points, explainedVariance: pca.explainedVariance)
    }
}
