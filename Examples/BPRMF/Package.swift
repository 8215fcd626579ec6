// swift-tools-version: 6.1
import Foundation
import PackageDescription

// MMGraphBench two folders up, by path. SwiftPM names a path dependency after
// its folder, which is whatever the clone is called, so the name is read here.
let suitePath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().standardizedFileURL
let suite = suitePath.lastPathComponent

/// An out-of-tree model for MMGraphBench: BPR-MF as its own target, a `bench`
/// that knows it, and a test that trains it through the suite's runner.
let package = Package(
    name: "BPRMFExample",
    dependencies: [
        .package(path: suitePath.path),
    ],
    targets: [
        .target(
            name: "BPRMF",
            dependencies: [
                .product(name: "GraphKit", package: suite),
                .product(name: "RecommenderCore", package: suite),
            ]
        ),
        .executableTarget(
            name: "bench-bprmf",
            dependencies: [
                "BPRMF",
                .product(name: "BenchCommand", package: suite),
                .product(name: "ModelRegistry", package: suite),
            ]
        ),
        .testTarget(
            name: "BPRMFTests",
            dependencies: [
                "BPRMF",
                .product(name: "Experiments", package: suite),
                .product(name: "ModelRegistry", package: suite),
                .product(name: "RecommenderCore", package: suite),
                .product(name: "LightGCN", package: suite),
                .product(name: "GraphKit", package: suite),
            ]
        ),
    ]
)
