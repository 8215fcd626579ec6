// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "MMGraphBench",
    products: [
        .library(name: "GraphKit", targets: ["GraphKit"]),
        .library(name: "RecommenderCore", targets: ["RecommenderCore"]),
        .library(name: "LightGCN", targets: ["LightGCN"]),
        .library(name: "VBPR", targets: ["VBPR"]),
        .library(name: "MMGCN", targets: ["MMGCN"]),
        .library(name: "GRCN", targets: ["GRCN"]),
        .library(name: "DualGNN", targets: ["DualGNN"]),
        .library(name: "NGCF", targets: ["NGCF"]),
        .library(name: "GAT", targets: ["GAT"]),
        .library(name: "GraphSAGE", targets: ["GraphSAGE"]),
        .library(name: "DisenGCN", targets: ["DisenGCN"]),
        .library(name: "FREEDOM", targets: ["FREEDOM"]),
        .library(name: "BM3", targets: ["BM3"]),
        .library(name: "LATTICE", targets: ["LATTICE"]),
        .library(name: "MGCN", targets: ["MGCN"]),
        // What a model in another package needs: the registry, the experiment
        // runner, and the command line to call with a registry of its own.
        .library(name: "ModelRegistry", targets: ["ModelRegistry"]),
        .library(name: "Experiments", targets: ["Experiments"]),
        .library(name: "BenchCommand", targets: ["BenchCommand"]),
        .executable(name: "bench", targets: ["bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // OpenBLAS cblas and LAPACKE, wrapped as swift-numerics wraps its C shims.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // SHA-256 for the run keys, from the system's OpenSSL libcrypto.
        .systemLibrary(
            name: "CLibcrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        // glibc malloc tuning for tensor buffers (see GraphKit's AllocationTuning).
        .target(name: "CMallocTuning"),
        // The best OpenBLAS kernel for this CPU, chosen before main (see GraphKit's MachineReport).
        .target(name: "CBLASKernel", linkerSettings: [.linkedLibrary("openblas")]),
        .target(
            name: "GraphKit",
            dependencies: ["CBLAS", "CMallocTuning", "CBLASKernel"]
        ),
        // Data, training and evaluation shared by every model.
        .target(name: "RecommenderCore", dependencies: ["GraphKit"]),
        // One target per model.
        .target(name: "LightGCN", dependencies: ["GraphKit", "RecommenderCore"]),
        .target(name: "VBPR", dependencies: ["GraphKit", "RecommenderCore"]),
        .target(name: "MMGCN", dependencies: ["GraphKit", "RecommenderCore"]),
        .target(name: "GRCN", dependencies: ["GraphKit", "RecommenderCore"]),
        .target(name: "DualGNN", dependencies: ["GraphKit", "RecommenderCore"]),
        .target(name: "NGCF", dependencies: ["GraphKit", "RecommenderCore"]),
        .target(name: "GAT", dependencies: ["GraphKit", "RecommenderCore"]),
        .target(name: "GraphSAGE", dependencies: ["GraphKit", "RecommenderCore"]),
        .target(name: "DisenGCN", dependencies: ["GraphKit", "RecommenderCore"]),
        .target(name: "FREEDOM", dependencies: ["GraphKit", "RecommenderCore"]),
        .target(name: "BM3", dependencies: ["GraphKit", "RecommenderCore"]),
        .target(name: "LATTICE", dependencies: ["GraphKit", "RecommenderCore"]),
        .target(name: "MGCN", dependencies: ["GraphKit", "RecommenderCore"]),
        // The registry of every model target; adding a model is one line there.
        .target(name: "ModelRegistry", dependencies: ["RecommenderCore", "LightGCN", "VBPR", "MMGCN", "GRCN", "DualGNN", "NGCF", "GAT", "GraphSAGE", "DisenGCN", "FREEDOM", "MGCN", "BM3", "LATTICE"]),
        // Experiment configs, grids, resumable runs, selection on validation, tables.
        .target(
            name: "Experiments",
            dependencies: [
                "GraphKit", "RecommenderCore", "ModelRegistry", "CLibcrypto",
            ]
        ),
        // The command line, as a library (BenchCLI.main(registry:)), and the suite's bench.
        .target(
            name: "BenchCommand",
            dependencies: [
                "GraphKit", "RecommenderCore", "ModelRegistry", "Experiments",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "bench", dependencies: ["BenchCommand"]),
        // Helpers shared by the test targets: the finite-difference gradient check.
        .target(name: "TestSupport", dependencies: ["GraphKit"], path: "Tests/TestSupport"),
        .testTarget(
            name: "GraphKitTests",
            dependencies: ["GraphKit", "CBLASKernel", "TestSupport"]
        ),
        .testTarget(
            name: "RecommenderCoreTests",
            dependencies: ["RecommenderCore", "GraphKit", "TestSupport"]
        ),
        .testTarget(
            name: "ModelTests",
            dependencies: [
                "RecommenderCore", "GraphKit", "LightGCN", "VBPR", "MMGCN", "GRCN", "DualGNN", "NGCF", "GAT", "GraphSAGE", "DisenGCN", "FREEDOM", "MGCN", "BM3", "LATTICE", "ModelRegistry",
                "TestSupport",
            ]
        ),
        .testTarget(
            name: "ExperimentsTests",
            dependencies: ["Experiments", "RecommenderCore", "GraphKit", "ModelRegistry", "TestSupport",
                           "LightGCN", "VBPR", "MMGCN", "GRCN", "DualGNN"]
        ),
    ]
)
