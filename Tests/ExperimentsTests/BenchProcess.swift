import Foundation
import TestSupport

/// The `bench` executable that `swift test` built beside the test bundle.
func benchExecutable() throws -> URL {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        .deletingLastPathComponent().appendingPathComponent("bench")
    let candidates = [beside, packageRoot.appendingPathComponent(".build/release/bench"),
                      packageRoot.appendingPathComponent(".build/debug/bench")]
    for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
        return candidate
    }
    throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: beside.path])
}

/// What a `bench` process printed, and how it ended.
struct BenchOutcome {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs `bench arguments` with `folder` as its working directory.
func runBench(_ arguments: [String], in folder: URL) throws -> BenchOutcome {
    try runBenchTogether([arguments], in: folder)[0]
}

/// Runs one `bench` process per argument list, side by side, with `folder`
/// as their working directory, and waits for all of them.
func runBenchTogether(_ argumentLists: [[String]], in folder: URL) throws -> [BenchOutcome] {
    let logs = FileManager.default.temporaryDirectory.appendingPathComponent("bench-logs-\(UUID())")
    try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: logs) }
    var started: [(process: Process, out: URL, err: URL)] = []
    for (i, arguments) in argumentLists.enumerated() {
        let (outURL, errURL) = (logs.appendingPathComponent("out\(i)"), logs.appendingPathComponent("err\(i)"))
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = try benchExecutable()
        process.arguments = arguments
        process.currentDirectoryURL = folder
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        try process.run()
        started.append((process, outURL, errURL))
    }
    return try started.map { process, out, err in
        process.waitUntilExit()
        return BenchOutcome(status: process.terminationStatus,
                            stdout: try String(contentsOf: out, encoding: .utf8),
                            stderr: try String(contentsOf: err, encoding: .utf8))
    }
}
