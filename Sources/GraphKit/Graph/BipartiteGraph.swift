/// The user–item training graph, with both message directions.
///
/// Edge e is the e-th distinct (user, item) pair in user-major order. So
/// `itemsToUsers` (messages item → user, one row per user) has its entries in
/// canonical order, and `usersToItems` (messages user → item, one row per item)
/// maps each of its entries to the same ids through `usersToItems.edge`.
public struct BipartiteGraph: Sendable {
    /// Number of users U.
    public let userCount: Int
    /// Number of items I.
    public let itemCount: Int
    /// User of each canonical edge.
    public let edgeUsers: [Int32]
    /// Item of each canonical edge.
    public let edgeItems: [Int32]
    /// Messages item → user: targets are users, sources are items.
    public let itemsToUsers: Adjacency
    /// Messages user → item: targets are items, sources are users.
    public let usersToItems: Adjacency
    /// How many repeated (user, item) pairs were dropped while building.
    public let duplicatesDropped: Int

    /// Number of distinct (user, item) edges E.
    public var edgeCount: Int { edgeUsers.count }

    /// Builds the graph from (user, item) pairs. Repeated pairs count once.
    /// Throws on an empty list or an id outside 0..<userCount or 0..<itemCount.
    public init(userCount: Int, itemCount: Int, users: [Int32], items: [Int32],
                name: String = "bipartite graph") throws {
        guard userCount > 0 else { throw GraphError.invalidSize(graph: name, what: "user count", value: userCount) }
        guard itemCount > 0 else { throw GraphError.invalidSize(graph: name, what: "item count", value: itemCount) }
        guard users.count == items.count else {
            throw GraphError.lengthMismatch(graph: name, targets: users.count, sources: items.count)
        }
        guard !users.isEmpty else { throw GraphError.emptyEdgeList(graph: name) }
        for (e, u) in users.enumerated() where u < 0 || Int(u) >= userCount {
            throw GraphError.idOutOfRange(graph: name, role: "user", position: e, id: Int(u), bound: userCount)
        }
        for (e, i) in items.enumerated() where i < 0 || Int(i) >= itemCount {
            throw GraphError.idOutOfRange(graph: name, role: "item", position: e, id: Int(i), bound: itemCount)
        }
        // Sort pairs user-major (two stable counting sorts) and drop repeats.
        let byItem = Adjacency.countingSort(keys: items, keyCount: itemCount, order: Array(0..<Int32(users.count)))
        let byUser = Adjacency.countingSort(keys: users, keyCount: userCount, order: byItem.order)
        var us: [Int32] = []
        var its: [Int32] = []
        us.reserveCapacity(users.count)
        its.reserveCapacity(users.count)
        for e in byUser.order {
            let (u, i) = (users[Int(e)], items[Int(e)])
            if let lu = us.last, lu == u, its.last == i { continue }
            us.append(u)
            its.append(i)
        }
        self.userCount = userCount
        self.itemCount = itemCount
        edgeUsers = us
        edgeItems = its
        duplicatesDropped = users.count - us.count
        itemsToUsers = try Adjacency(targetCount: userCount, sourceCount: itemCount, targets: us, sources: its,
                                     name: name + " (item → user)")
        usersToItems = try Adjacency(targetCount: itemCount, sourceCount: userCount, targets: its, sources: us,
                                     name: name + " (user → item)")
    }

    /// Training degree of each user, |N(u)|.
    public var userDegrees: [Int] { itemsToUsers.inDegrees }

    /// Training degree of each item, |N(i)|.
    public var itemDegrees: [Int] { usersToItems.inDegrees }

    /// For each entry of the item-major CSR (`usersToItems`), its canonical
    /// (user-major) edge id.
    public var itemMajorToUserMajor: [Int32] { usersToItems.edge }

    /// For each canonical (user-major) edge, its position in the item-major CSR.
    public var userMajorToItemMajor: [Int32] {
        var out = [Int32](repeating: 0, count: edgeCount)
        for (k, e) in usersToItems.edge.enumerated() { out[Int(e)] = Int32(k) }
        return out
    }

    /// Symmetric normalisation 1 / √(|N(u)| |N(i)|) of each canonical edge: the
    /// entries of D^{-1/2} A D^{-1/2} (LightGCN eq. 3, NGCF's L_norm).
    public var symmetricNormalization: [Float] {
        let du = userDegrees, di = itemDegrees
        return (0..<edgeCount).map { e in
            1 / (Float(du[Int(edgeUsers[e])]) * Float(di[Int(edgeItems[e])])).squareRoot()
        }
    }

    /// One-sided normalisation 1 / |N(target)| of each canonical edge, for
    /// messages into users (`.users`) or into items (`.items`): the mean aggregator.
    public func meanNormalization(into side: Side) -> [Float] {
        switch side {
        case .users:
            let du = userDegrees
            return edgeUsers.map { 1 / Float(du[Int($0)]) }
        case .items:
            let di = itemDegrees
            return edgeItems.map { 1 / Float(di[Int($0)]) }
        }
    }

    /// One side of the bipartite graph.
    public enum Side: Sendable {
        case users, items
    }

    /// The graph on U + I nodes (users 0..<U, items U..<U+I) with both
    /// directions of every edge and, when asked, a self-loop on every node.
    /// Canonical ids: user←item edges first (as in `itemsToUsers`), then
    /// item←user edges, then self-loops by node. Used by GAT and DisenGCN.
    public func nodeAdjacency(selfLoops: Bool) -> Adjacency {
        let n = userCount + itemCount
        var targets = edgeUsers
        var sources = edgeItems.map { $0 + Int32(userCount) }
        targets += edgeItems.map { $0 + Int32(userCount) }
        sources += edgeUsers
        if selfLoops {
            targets += (0..<Int32(n))
            sources += (0..<Int32(n))
        }
        // Cannot fail: ids were validated in init and the list is not empty.
        return try! Adjacency(targetCount: n, sourceCount: n, targets: targets, sources: sources,
                              name: "node graph")
    }
}
