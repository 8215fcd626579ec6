import Testing
@testable import GraphKit
import TestSupport

/// The full-ranking top-K selection (group maxima by SIMD, a quickselect
/// bound, then a sort of the few scores above it) against the plain
/// definition: every unmasked item sorted by score, best first, ties to the
/// lower id, the first K kept.
@Suite struct RowSelectorTests {
    /// The oracle: a full sort of (score, item) pairs.
    func sortedTop(_ row: [Float], k: Int) -> [Int32] {
        let kept = row.indices.filter { row[$0] > -.infinity }
        let order = kept.sorted { a, b in row[a] != row[b] ? row[a] > row[b] : a < b }
        return order.prefix(k).map { Int32($0) }
    }

    func selected(_ row: [Float], k: Int) -> [Int32]? {
        var selector = RowSelector(k: k)
        let unmasked = row.filter { $0 > -.infinity }.count
        guard let n = row.withUnsafeBufferPointer({ selector.select($0, unmasked: unmasked) }) else { return nil }
        return selector.candidates.prefix(n).map { TopK.item(of: $0) }
    }

    /// Rows of many lengths around the 64-item blocks and 256-item groups,
    /// with coarse scores (many ties), masked items, and K from 1 to 50.
    @Test func matchesAFullSortOnRandomRows() {
        var random = LCG(state: 2024)
        var rows = 0
        for n in [1, 7, 8, 63, 64, 65, 127, 255, 256, 257, 300, 1000, 7050] {
            for k in [1, 10, 20, 50] {
                for variant in 0..<3 {
                    var row = (0..<n).map { _ -> Float in
                        // variant 0: fine scores; 1: 16 levels (ties); 2: two levels.
                        let levels: UInt64 = variant == 0 ? 1 << 24 : variant == 1 ? 16 : 2
                        return Float(random.next() % levels) / Float(levels) - 0.5
                    }
                    // Mask about a fifth of the items, as training items are.
                    for i in row.indices where random.next() % 5 == 0 { row[i] = -.infinity }
                    let expected = sortedTop(row, k: k)
                    #expect(selected(row, k: k) == expected, "n \(n), k \(k), variant \(variant)")
                    rows += 1
                }
            }
        }
        #expect(rows == 13 * 4 * 3)
    }

    /// Every item masked but a few: only those come back; all masked: none.
    @Test func aRowWithFewerUnmaskedItemsThanK() {
        var row = [Float](repeating: -.infinity, count: 200)
        (row[3], row[150], row[199]) = (0.2, 0.9, 0.2)
        #expect(selected(row, k: 20) == [150, 3, 199])
        #expect(selected([Float](repeating: -.infinity, count: 100), k: 5) == [])
    }

    /// A NaN anywhere in the row, in the SIMD part or the tail, is reported.
    @Test func aNaNIsFound() {
        for position in [0, 63, 64, 200, 259] {
            var row = (0..<260).map { Float($0) / 260 }
            row[position] = .nan
            #expect(selected(row, k: 10) == nil, "NaN at \(position)")
        }
    }
}
