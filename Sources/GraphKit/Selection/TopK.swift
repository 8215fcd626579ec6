/// The K best (score, item) pairs of a row, best first, without sorting the
/// row: a bounded min-heap whose root is the worst kept entry. Ties go to the
/// lower item id, so results do not depend on the order of a sort.
///
/// Each entry is one UInt64 key that orders exactly as (score, −item) does:
/// the score's bits made monotone in the high half, the complemented item id
/// in the low half, so a heap step is one integer comparison. Storage is
/// allocated once and reused for every row a thread ranks; call `deallocate()`
/// when done. It is a struct, not a class, so that its hot fields need no
/// dynamic exclusivity checks (they cost more than the heap itself).
package struct TopK {
    package let k: Int
    private let keys: UnsafeMutablePointer<UInt64>
    package private(set) var count = 0
    /// The worst kept score, or −∞ while fewer than k are kept.
    package private(set) var threshold: Float = -.infinity

    package init(k: Int) {
        precondition(k > 0, "TopK: k = \(k) must be positive")
        self.k = k
        keys = .allocate(capacity: k)
    }

    /// Frees the storage; the heap must not be used afterwards.
    package func deallocate() { keys.deallocate() }

    /// Empties the heap, keeping its storage.
    package mutating func reset() {
        count = 0
        threshold = -.infinity
    }

    /// A key that orders as (score, then lower item id is better); −0 is +0. Not for NaN.
    @inline(__always)
    package static func key(_ score: Float, _ item: Int32) -> UInt64 {
        // −0 and +0 are equal scores and must tie: both take +0's bits.
        let bits = (score == 0 ? 0 : score).bitPattern
        let monotone = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return UInt64(monotone) << 32 | UInt64(~UInt32(bitPattern: item))
    }

    /// The item of a key.
    @inline(__always)
    package static func item(of key: UInt64) -> Int32 { Int32(bitPattern: ~UInt32(truncatingIfNeeded: key)) }

    /// The score of a key.
    @inline(__always)
    package static func score(of key: UInt64) -> Float {
        let monotone = UInt32(truncatingIfNeeded: key >> 32)
        return Float(bitPattern: monotone & 0x8000_0000 != 0 ? monotone & 0x7FFF_FFFF : ~monotone)
    }

    /// Offers `item` with `score`. Items must be offered in ascending id order:
    /// once the heap is full a newcomer must beat the worst score strictly, and
    /// on a tie it has the higher id, so it loses as the tie rule says.
    @inline(__always)
    package mutating func offer(_ score: Float, _ item: Int32) {
        let key = TopK.key(score, item)
        if count < k {
            var c = count
            count += 1
            while c > 0 {
                let p = (c - 1) >> 1
                guard key < keys[p] else { break }
                keys[c] = keys[p]
                c = p
            }
            keys[c] = key
            if count == k { threshold = TopK.score(of: keys[0]) }
        } else if score > threshold {
            siftDown(key)
            threshold = TopK.score(of: keys[0])
        }
    }

    /// Replaces the root with `key` and restores the heap.
    @inline(__always)
    private func siftDown(_ key: UInt64) {
        var p = 0
        while true {
            let l = 2 * p + 1
            if l >= count { break }
            var m = l
            if l + 1 < count && keys[l + 1] < keys[l] { m = l + 1 }
            if key <= keys[m] { break }
            keys[p] = keys[m]
            p = m
        }
        keys[p] = key
    }

    /// The kept items, best first.
    package func ranked() -> [Int32] {
        let sorted = UnsafeBufferPointer(start: keys, count: count).sorted(by: >)
        return sorted.map(TopK.item(of:))
    }
}
