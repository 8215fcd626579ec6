// swift-tools-version: 6.1
import Foundation
import PackageDescription

// The suite's micro-benchmarks, as a package of their own so that `make` and
// `make test` neither fetch package-benchmark nor build these executables;
// `make benchmarks` runs them. package-benchmark finds a benchmark target by its
// folder's parent being named "Benchmarks", which this folder is.
//
// MMGraphBench one folder up, by path. SwiftPM names a path dependency after
// its folder, which is whatever the clone is called, so the name is read here.
let suitePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().standardizedFileURL
let suite = suitePath.lastPathComponent

/// A package-benchmark executable in the folder of its name, on the suite's `products`.
func benchmarkTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: products.map { .product(name: $0, package: suite) }
            + [.product(name: "Benchmark", package: "benchmark")],
        path: name,
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}

let package = Package(
    name: "MMGraphBenchBenchmarks",
    dependencies: [
        .package(path: suitePath.path),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Tensor kernels, sparse products and message passing on the Baby graph.
        benchmarkTarget("GraphKitBenchmarks", ["GraphKit", "RecommenderCore"]),
        // Epochs and evaluation of LightGCN on Baby, against a floor that reads the same bytes.
        benchmarkTarget("RecommenderBenchmarks", ["GraphKit", "RecommenderCore", "LightGCN"]),
        // `bench plan` and `bench merge` on a store of 10,000 run files.
        benchmarkTarget("ExperimentBenchmarks", ["Experiments", "ModelRegistry", "RecommenderCore"]),
    ]
)
