import GraphKit
import RecommenderCore
import Testing

@Suite struct FixtureTests {
    @Test func tinyDatasetIsTheHandCountedSlice() throws {
        // Counted with a short script over tiktok_toy.inter's x_label 0 rows.
        let tiny = try tinyDataset()
        #expect(tiny.userCount == 27 && tiny.itemCount == 8 && tiny.graph.edgeCount == 40)
        #expect(tiny.graph.userDegrees.filter { $0 > 1 }.count == 11)
        #expect(tiny.features.map(\.matrix.rows) == [8, 8])
    }
}
