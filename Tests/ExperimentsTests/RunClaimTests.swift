import Foundation
import Testing
import TestSupport
@testable import Experiments

/// `RunClaim`: one holder per run, stale claims taken over, leftovers swept;
/// and two `bench run` processes on one store train every run once.
@Suite struct RunClaimTests {
    @Test func aHeldClaimIsNotGrantedTwiceAndIsFreeAfterRelease() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try RunClaim.acquire(key: "abc", in: folder)
        #expect(first != nil)
        #expect(try RunClaim.acquire(key: "abc", in: folder) == nil)
        #expect(try RunClaim.acquire(key: "other", in: folder) != nil)
        first?.release()
        #expect(!FileManager.default.fileExists(atPath: RunClaim.path(key: "abc", in: folder)))
        #expect(try RunClaim.acquire(key: "abc", in: folder) != nil)
        // No temporary file is left behind by a claim, granted or refused.
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(names.sorted() == [".abc.claim", ".other.claim"], "\(names)")
    }

    /// A claim that names this host and a process that has exited is stale at once.
    @Test func aClaimOfADeadProcessOnThisHostIsTakenOver() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/true")
        try process.run()
        process.waitUntilExit()
        let dead = process.processIdentifier
        let host = ProcessInfo.processInfo.hostName
        let path = RunClaim.path(key: "k", in: folder)
        try Data("host \(host)\npid \(dead)\nclaimed 2026-01-01T00:00:00Z\n".utf8).write(to: URL(fileURLWithPath: path))
        let claim = try RunClaim.acquire(key: "k", in: folder)
        #expect(claim != nil)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("pid \(getpid())\n"), "\(text)")
        // A live process's claim (this one's) is not taken over.
        let live = folder.appendingPathComponent(".live.claim")
        try Data("host \(host)\npid \(getpid())\nclaimed 2026-01-01T00:00:00Z\n".utf8).write(to: live)
        #expect(try RunClaim.acquire(key: "live", in: folder) == nil)
    }

    /// A claim from another host is stale only once it has not been renewed for `staleAfter`.
    @Test func aClaimOfAnotherHostIsStaleOnlyWhenNotRenewed() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = RunClaim.path(key: "k", in: folder)
        try Data("host some-other-node\npid 1\nclaimed 2026-01-01T00:00:00Z\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try RunClaim.acquire(key: "k", in: folder) == nil)
        try setModificationTime(path, secondsAgo: RunClaim.staleAfter + 60)
        #expect(try RunClaim.acquire(key: "k", in: folder) != nil)
    }

    /// The sweep removes hidden temporary files older than `staleAfter`, a
    /// claim's temporary file whose writer has ended, and claims whose holder is gone (not renewed for `staleAfter`, or naming a
    /// process of this host that has ended), and nothing else: not a fresh
    /// temporary file, not a stored run, not a claim a live process holds.
    @Test func sweepRemovesOnlyOldLeftoversAndDeadClaims() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let host = ProcessInfo.processInfo.hostName
        // A process that has ended: its id names no live process.
        let ended = Process()
        ended.executableURL = URL(fileURLWithPath: "/bin/true")
        try ended.run()
        ended.waitUntilExit()
        let files: [(name: String, content: String, old: Bool)] = [
            (".k1.json.ABC.tmp", "x", true), (".k2.claim.DEF.tmp", "x", true), (".k3.claim.GHI.stale", "x", true),
            (".k4.json.JKL.tmp", "x", false), ("k5.json", "x", true), (".k6.claim", "x", true),
            (".k7.claim", "host \(host)\npid \(ended.processIdentifier)\n", false),
            (".k8.claim", "host \(host)\npid \(getpid())\n", false),
            // A claim's temporary file, fresh: gone when its writer is, kept while it lives.
            (".k9.claim.MNO.tmp", "host \(host)\npid \(ended.processIdentifier)\n", false),
            (".k10.claim.PQR.tmp", "host \(host)\npid \(getpid())\n", false),
            // Empty, as a writer killed between creating and writing it leaves it:
            // its name tells who wrote it (host, pid, then a UUID).
            (".k11.claim.\(host).\(ended.processIdentifier).STU.tmp", "", false),
            (".k12.claim.\(host).\(getpid()).VWX.tmp", "", false),
            // A run file's temporary file (`AtomicFile`), its writer killed mid-write.
            (".k13.json.\(host).\(ended.processIdentifier).YZA.tmp", "{\"par", false),
        ]
        for file in files {
            try Data(file.content.utf8).write(to: folder.appendingPathComponent(file.name))
            if file.old {
                try setModificationTime(folder.appendingPathComponent(file.name).path, secondsAgo: RunClaim.staleAfter + 60)
            }
        }
        #expect(RunClaim.sweep(folder) == 8)
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(left == [".k10.claim.PQR.tmp", ".k12.claim.\(host).\(getpid()).VWX.tmp", ".k4.json.JKL.tmp", ".k8.claim", "k5.json"],
                "\(left)")
    }

    /// Two `bench run` processes started together on one store: each run is
    /// trained by exactly one of them, and both end with the whole table.
    @Test func twoProcessesOnOneStoreTrainEveryRunOnce() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = """
            {"name": "shared", "dataset": "\(repositoryPath("Configs/datasets/mmgcn-toy.json"))",
             "protocol": {"ks": [10], "metrics": ["recall", "ndcg"], "valid_metric": "recall@10"},
             "training": {"epochs": 100, "patience": 200}, "seeds": [1, 2], "tuning_seeds": 1,
             "models": [{"model": "LightGCN", "parameters": {"reg_weight": [0, 0.001, 0.01, 0.1]}},
                        {"model": "VBPR", "parameters": {"reg_weight": [0, 0.01]}}]}
            """
        try Data(config.utf8).write(to: folder.appendingPathComponent("shared.json"))
        let both = try runBenchTogether(Array(repeating: ["run", "--quiet", "--workers", "1", "shared.json"], count: 2), in: folder)
        let (a, b) = (both[0], both[1])
        #expect(a.status == 0 && b.status == 0, "\(a.stderr)\n\(b.stderr)")
        // 6 tuning runs with seed 1, then seed 2 of the two chosen points: 8 runs.
        let trained = [a, b].map { outcome -> Int in
            let line = outcome.stdout.split(separator: "\n").first { $0.hasPrefix("shared: trained ") } ?? ""
            return Int(line.dropFirst("shared: trained ".count).prefix { $0.isNumber }) ?? -1
        }
        #expect(trained[0] + trained[1] == 8 && trained.allSatisfy { $0 >= 1 }, "\(a.stdout)\n\(b.stdout)")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("Results/shared/runs").path)
        #expect(files.filter { $0.hasSuffix(".json") }.count == 8 && !files.contains { $0.hasPrefix(".") }, "\(files)")
        // Both printed the whole table: the same rows, from all 8 runs.
        let rows = { (outcome: BenchOutcome) in outcome.stdout.split(separator: "\n").filter { $0.hasPrefix("| ") } }
        #expect(rows(a) == rows(b) && rows(a).count >= 3, "\(a.stdout)\n\(b.stdout)")
    }
}

/// Sets the modification time of `path` to `secondsAgo` before now.
private func setModificationTime(_ path: String, secondsAgo: Double) throws {
    let then = Date().addingTimeInterval(-secondsAgo)
    try FileManager.default.setAttributes([.modificationDate: then], ofItemAtPath: path)
}
