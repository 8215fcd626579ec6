import Foundation
import Testing
@testable import RecommenderCore

/// The split tool: proportions, determinism, chronology and the files it writes.
@Suite struct SplitterTests {
    @Test func heldOutCountsFloorWithAMinimumOfOne() {
        // max(1, ⌊0.1 n⌋) each, at least one in train.
        #expect(InteractionSplitter.heldOutCounts(5, valid: 0.1, test: 0.1) == (1, 1))
        #expect(InteractionSplitter.heldOutCounts(19, valid: 0.1, test: 0.1) == (1, 1))
        #expect(InteractionSplitter.heldOutCounts(20, valid: 0.1, test: 0.1) == (2, 2))
        #expect(InteractionSplitter.heldOutCounts(2, valid: 0.1, test: 0.1) == (0, 1))
        #expect(InteractionSplitter.heldOutCounts(1, valid: 0.1, test: 0.1) == (0, 0))
        #expect(InteractionSplitter.heldOutCounts(10, valid: 0, test: 0.2) == (0, 2))
    }

    @Test func randomSplitOfBabyMatchesItsPublishedPerUserCounts() throws {
        // Re-split all 160,792 Baby interactions as raw pairs. The shipped split
        // (MMRec's, seed 42) holds out 20,559 valid and 20,559 test pairs; ours
        // must give every user the same (train, valid, test) counts.
        let file = try InteractionFile.load(repositoryPath("Data/baby/baby.inter"))
        let raw = RawInteractions(users: file.users.map { "u\($0)" }, items: file.items.map { "i\($0)" })
        let a = try InteractionSplitter.split(raw, method: .random(seed: 42))
        #expect(a.userIds.count == 19445 && a.itemIds.count == 7050 && a.users.count == 160792)
        #expect(a.splits.filter { $0 == .valid }.count == 20559)
        #expect(a.splits.filter { $0 == .test }.count == 20559)
        var shipped = [String: [Int]](), ours = [String: [Int]]()
        for k in 0..<file.users.count { shipped["u\(file.users[k])", default: [0, 0, 0]][file.splits[k].rawValue] += 1 }
        for k in 0..<a.users.count { ours[a.userIds[Int(a.users[k])], default: [0, 0, 0]][a.splits[k].rawValue] += 1 }
        #expect(shipped == ours)
        // Deterministic for a seed, different across seeds.
        let b = try InteractionSplitter.split(raw, method: .random(seed: 42))
        let c = try InteractionSplitter.split(raw, method: .random(seed: 43))
        #expect(a.splits == b.splits && a.items == b.items)
        #expect(a.items != c.items)
    }

    @Test func chronologicalSplitPutsTheLatestInTest() throws {
        // User a has 10 interactions at times 10, 9, …, 1 (items x10 … x1): train the
        // eight earliest, valid x9 (time 9), test x10 (time 10). User b's repeat keeps the earliest.
        var users: [String] = [], items: [String] = [], times: [Double] = []
        for t in stride(from: 10, through: 1, by: -1) { users.append("a"); items.append("x\(t)"); times.append(Double(t)) }
        users += ["b", "b", "b"]; items += ["x1", "x1", "x2"]; times += [5, 3, 4]
        let result = try InteractionSplitter.split(RawInteractions(users: users, items: items, times: times),
                                                   method: .chronological)
        let a = zip(result.users, zip(result.items, result.splits)).filter { $0.0 == 0 }.map { (result.itemIds[Int($0.1.0)], $0.1.1) }
        #expect(a.last! == ("x10", .test))
        #expect(a[a.count - 2] == ("x9", .valid))
        #expect(a.filter { $0.1 == .train }.map(\.0) == (1...8).map { "x\($0)" })
        #expect(result.users.filter { $0 == 1 }.count == 2)
        #expect(throws: DataError.self) {
            try InteractionSplitter.split(RawInteractions(users: ["a"], items: ["x"]), method: .chronological)
        }
    }

    @Test func writesAnInterFileTheLoaderReadsBack() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("split-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let rawPath = folder.appendingPathComponent("raw.csv").path
        try Data("user,item\nann,tea\nann,jam\nbob,tea\n".utf8).write(to: URL(fileURLWithPath: rawPath))
        let result = try InteractionSplitter.split(RawInteractions.load(rawPath), method: .random(seed: 1))
        let out = folder.appendingPathComponent("out.inter").path
        try InteractionSplitter.write(result, to: out)
        let back = try InteractionFile.load(out)
        // ann has two interactions: one trains, one is held out for test (heldOutCounts(2) = (0, 1)).
        #expect(back.users == [0, 0, 1])
        #expect(back.splits.map(\.rawValue).sorted() == [0, 0, 2] && back.splits[2] == .train)
        let mapping = try String(contentsOfFile: folder.appendingPathComponent("i_id_mapping.tsv").path, encoding: .utf8)
        #expect(mapping == "raw_item\titemID\ntea\t0\njam\t1\n")
    }
}
