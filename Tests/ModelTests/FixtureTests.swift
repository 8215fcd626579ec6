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

@Suite struct ItemFeatureInputTests {
    @Test func itemRowsAreTheIDRowPlusTheProjectedFeatures() throws {
        let data = try tinyDataset()
        let specs: [HyperparameterSpec] = [.itemFeatures]
        var rng = RandomGenerator(seed: 3)
        let off = try Hyperparameters([:], specs: specs, model: "M")
        #expect(try ItemFeatureInput(dataset: data, hyperparameters: off, embeddingSize: 4, model: "M", rng: &rng) == nil)
        let on = try Hyperparameters(["features": .bool(true)], specs: specs, model: "M")
        let input = try #require(try ItemFeatureInput(dataset: data, hyperparameters: on, embeddingSize: 4, model: "M",
                                                      rng: &rng))
        input.projection.bias!.value = Tensor(rows: 1, cols: 4, scalars: [0.5, -1, 2, 0])
        let ids = Initializer.normal(rows: data.itemCount, cols: 4, std: 1, rng: &rng)
        let out = input(Tape.noGrad().constant(ids)).value
        // Item 5, column 2, by hand: e⁰ + Σ_c W[2, c] f[c] + b[2] over visual ‖ acoustic (256 columns).
        let f = data.features[0].matrix.row(5) + data.features[1].matrix.row(5)
        var expected = Double(ids[5, 2]) + 2
        for c in 0..<256 { expected += Double(input.projection.weight.value[2, c]) * Double(f[c]) }
        #expect(abs(Double(out[5, 2]) - expected) < 1e-4)
        #expect(throws: ConfigError.self) {
            _ = try ItemFeatureInput(dataset: try loadDataset("baby"), hyperparameters: on, embeddingSize: 4, model: "M",
                                     rng: &rng)
        }
    }
}
