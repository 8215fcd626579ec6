/// Top-K selection over a whole score row, for full ranking, in four cheap
/// passes that never sort the row:
/// 1. the maximum of each group of 32 scores (lane l of four consecutive
///    64-item blocks), with vertical SIMD compares only; NaNs are found here;
/// 2. t₀ = the K-th largest of these group maxima, by quickselect. They are K
///    distinct scores, so t₀ is at most the row's K-th largest score: a safe
///    lower bound, and in practice a tight one (about K + 10 scores pass it);
/// 3. every score ≥ t₀ is collected as a `TopK.key`;
/// 4. the collected keys are sorted and the best K kept.
/// The caller masks items by setting their scores to −∞; −∞ is never selected.
/// Ties go to the lower item id. Scratch storage is reused row after row; it
/// is a struct so that its fields need no dynamic exclusivity checks.
package struct RowSelector {
    package let k: Int
    private var maxima: [Float] = []
    /// After `select`, the chosen keys, best first (see `TopK.item(of:)`).
    package private(set) var candidates: [UInt64] = []

    package init(k: Int) {
        precondition(k > 0, "RowSelector: k = \(k) must be positive")
        self.k = k
    }

    /// Selects the best min(k, `unmasked`) items of `row` and returns how many;
    /// they are the first entries of `candidates`, best first. Nil when the row holds a NaN.
    package mutating func select(_ row: UnsafeBufferPointer<Float>, unmasked: Int) -> Int? {
        let n = row.count
        let want = min(k, unmasked)
        let blocks = n / 64
        let base = UnsafeRawPointer(row.baseAddress!)
        maxima.removeAll(keepingCapacity: true)
        // Pass 1: lane l of four consecutive 64-item blocks forms one group of
        // 32 items, so the maxima need only vertical SIMD compares.
        var nan = SIMDMask<SIMD8<Int32>>()
        var top = SIMD8<Float>(repeating: -.infinity)
        for b in 0..<blocks {
            for m in 0..<8 {
                let v = base.loadUnaligned(fromByteOffset: 256 * b + 32 * m, as: SIMD8<Float>.self)
                nan .|= v .!= v
                top.replace(with: v, where: v .> top)
            }
            if b % 4 == 3 || b == blocks - 1 {
                for lane in 0..<8 where top[lane] > -.infinity { maxima.append(top[lane]) }
                top = SIMD8<Float>(repeating: -.infinity)
            }
        }
        if any(nan) { return nil }
        for j in (blocks * 64)..<n {
            if row[j].isNaN { return nil }
            if row[j] > -.infinity { maxima.append(row[j]) }
        }
        if want == 0 { return 0 }
        // Pass 2: a lower bound only when `want` groups hold an unmasked score.
        let t0: Float = maxima.count >= want ? RowSelector.largest(want, of: &maxima) : -.infinity
        // Pass 3.
        candidates.removeAll(keepingCapacity: true)
        let bound = SIMD8<Float>(repeating: t0)
        var j = 0
        while j + 8 <= n {
            let v = base.loadUnaligned(fromByteOffset: 4 * j, as: SIMD8<Float>.self)
            if any(v .>= bound) {
                for i in j..<(j + 8) where row[i] >= t0 && row[i] > -.infinity {
                    candidates.append(TopK.key(row[i], Int32(i)))
                }
            }
            j += 8
        }
        for i in j..<n where row[i] >= t0 && row[i] > -.infinity {
            candidates.append(TopK.key(row[i], Int32(i)))
        }
        // Pass 4.
        // Ascending with the default order (faster than a closure), then reversed in place.
        candidates.sort()
        candidates.reverse()
        return min(want, candidates.count)
    }

    /// The m-th largest of `values` (1-based), by quickselect with a
    /// median-of-three pivot; reorders `values`.
    package static func largest(_ m: Int, of values: inout [Float]) -> Float {
        values.withUnsafeMutableBufferPointer { buffer in
            let a = buffer.baseAddress!
            var lo = 0, hi = buffer.count - 1
            let target = m - 1  // position in descending order
            while hi > lo {
                let mid = lo &+ (hi &- lo) / 2
                let (x, y, z) = (a[lo], a[mid], a[hi])
                let pivot = max(min(x, y), min(max(x, y), z))
                var i = lo, j = hi
                while i <= j {
                    while a[i] > pivot { i &+= 1 }
                    while a[j] < pivot { j &-= 1 }
                    if i <= j {
                        (a[i], a[j]) = (a[j], a[i])
                        i &+= 1
                        j &-= 1
                    }
                }
                // Now a[lo...j] ≥ pivot ≥ a[i...hi], and a[j+1..<i] == pivot.
                if target <= j { hi = j } else if target >= i { lo = i } else { return pivot }
            }
            return a[target]
        }
    }
}
