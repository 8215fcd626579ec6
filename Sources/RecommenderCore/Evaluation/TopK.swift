/// The K best (score, item) pairs of a row, best first, without sorting the
/// row: a bounded min-heap whose root is the worst kept entry. Ties go to the
/// lower item id, so results do not depend on the order of a sort.
struct TopK {
    let k: Int
    private(set) var scores: [Float] = []
    private(set) var items: [Int32] = []

    init(k: Int) {
        self.k = k
        scores.reserveCapacity(k)
        items.reserveCapacity(k)
    }

    /// Empties the heap, keeping its storage.
    mutating func reset() {
        scores.removeAll(keepingCapacity: true)
        items.removeAll(keepingCapacity: true)
    }

    /// a is worse than b: a lower score, or the same score and a higher id.
    @inline(__always)
    private func worse(_ a: Int, _ b: Int) -> Bool {
        scores[a] < scores[b] || (scores[a] == scores[b] && items[a] > items[b])
    }

    /// The worst kept score, or −∞ while fewer than k are kept.
    @inline(__always) var threshold: Float { scores.count < k ? -.infinity : scores[0] }

    /// Offers item `item` with `score`. Items must be offered in ascending id
    /// order for the tie rule to hold with the strict comparison below.
    @inline(__always)
    mutating func offer(_ score: Float, _ item: Int32) {
        if scores.count < k {
            scores.append(score)
            items.append(item)
            var c = scores.count - 1
            while c > 0 {
                let p = (c - 1) / 2
                guard worse(c, p) else { break }
                scores.swapAt(c, p)
                items.swapAt(c, p)
                c = p
            }
        } else if score > scores[0] {
            scores[0] = score
            items[0] = item
            siftDown(0)
        }
    }

    private mutating func siftDown(_ start: Int) {
        var p = start
        let n = scores.count
        while true {
            let l = 2 * p + 1, r = l + 1
            var m = p
            if l < n && worse(l, m) { m = l }
            if r < n && worse(r, m) { m = r }
            if m == p { return }
            scores.swapAt(p, m)
            items.swapAt(p, m)
            p = m
        }
    }

    /// The kept items, best first.
    func ranked() -> [Int32] {
        let order = (0..<scores.count).sorted { a, b in
            scores[a] != scores[b] ? scores[a] > scores[b] : items[a] < items[b]
        }
        return order.map { items[$0] }
    }
}
