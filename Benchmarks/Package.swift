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

let package = Package(
    name: "MMGraphBenchBenchmarks",
    dependencies: [
        .package(path: suitePath.path),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Tensor kernels, sparse products and message passing on the Baby graph.
        .executableTarget(
            name: "GraphKitBenchmarks",
            dependencies: [
                .product(name: "GraphKit", package: suite),
                .product(name: "RecommenderCore", package: suite),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "GraphKitBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Epochs and evaluation of LightGCN on Baby, against a floor that reads the same bytes.
        .executableTarget(
            name: "RecommenderBenchmarks",
            dependencies: [
                .product(name: "GraphKit", package: suite),
                .product(name: "RecommenderCore", package: suite),
                .product(name: "LightGCN", package: suite),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "RecommenderBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // `bench plan` and `bench merge` on a store of 10,000 run files.
        .executableTarget(
            name: "ExperimentBenchmarks",
            dependencies: [
                .product(name: "Experiments", package: suite),
                .product(name: "ModelRegistry", package: suite),
                .product(name: "RecommenderCore", package: suite),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "ExperimentBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
