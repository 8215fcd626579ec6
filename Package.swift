// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "MMGraphBench",
    products: [
        .library(name: "GraphKit", targets: ["GraphKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // OpenBLAS cblas and LAPACKE, wrapped as swift-numerics wraps its C shims.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // glibc malloc tuning for tensor buffers (see GraphKit's AllocationTuning).
        .target(name: "CMallocTuning"),
        .target(
            name: "GraphKit",
            dependencies: ["CBLAS", "CMallocTuning"]
        ),
        .testTarget(
            name: "GraphKitTests",
            dependencies: ["GraphKit"]
        ),
        .executableTarget(
            name: "GraphKitBenchmarks",
            dependencies: [
                "GraphKit",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/GraphKitBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
