import Foundation
import GraphKit
import Testing
@testable import RecommenderCore

/// `.inter` parsing, dataset validation, and the real embedded datasets.
@Suite struct DatasetTests {
    func parse(_ text: String) throws -> InteractionFile {
        try InteractionFile.parse(Data(text.utf8), file: "x.inter")
    }

    func expectError(_ text: String, containing fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try parse(text)
            Issue.record("no error; expected '\(fragment)'", sourceLocation: sourceLocation)
        } catch let error as DataError {
            #expect(error.description.contains(fragment), "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func extraColumnsAreIgnoredAndColumnsFoundByName() throws {
        let file = try parse("timestamp\titemID\tuserID\tx_label\n99\t4\t1\t0\n98\t2\t0\t2\n")
        #expect(file.users == [1, 0] && file.items == [4, 2] && file.splits == [.train, .test])
    }

    @Test func badLinesAreErrorsWithTheirLineNumber() {
        expectError("userID\titemID\n0\t1\n", containing: "missing column 'x_label'")
        expectError("userID\titemID\tx_label\n0\t1\t0\n0\tseven\t0\n", containing: "line 3: itemID 'seven' is not a non-negative integer id")
        expectError("userID\titemID\tx_label\n-3\t1\t0\n", containing: "line 2: userID -3 is negative")
        expectError("userID\titemID\tx_label\n0\t1\t5\n", containing: "line 2: x_label 5 is not 0, 1 or 2")
        expectError("userID\titemID\tx_label\n0\t1\n", containing: "line 2: 2 tab-separated fields")
        expectError("userID\titemID\tx_label\n0\t1.5\t0\n", containing: "line 2: itemID '1.5'")
        // A line with more fields than the header (its extra field was dropped silently).
        expectError("userID\titemID\tx_label\n0\t1\t0\n0\t2\t0\t9\n",
                    containing: "line 3: 4 tab-separated fields; the header has 3, and every line must have as many")
        // Ids past Int32 are out of range, not malformed: 2^40 and a 30-digit one.
        expectError("userID\titemID\tx_label\n1099511627776\t1\t0\n",
                    containing: "line 2: userID 1099511627776 is out of range; expected an id from 0 to 2147483647")
        expectError("userID\titemID\tx_label\n0\t123456789012345678901234567890\t0\n",
                    containing: "line 2: itemID 123456789012345678901234567890 is out of range")
        expectError("userID\titemID\tx_label\n0\t2147483648\t0\n", containing: "itemID 2147483648 is out of range")
        expectError("", containing: "empty")
        expectError("userID\titemID\tx_label\n", containing: "no interactions")
    }

    @Test func duplicatesInASplitAreDroppedAndCounted() throws {
        let file = try parse("userID\titemID\tx_label\n0\t1\t0\n0\t1\t0\n0\t2\t1\n0\t2\t1\n0\t2\t1\n1\t0\t0\n")
        let data = try Dataset(name: "dups", interactions: file, features: [])
        #expect(data.duplicatesDropped[.train] == 1 && data.duplicatesDropped[.valid] == 2)
        #expect(data.graph.edgeCount == 2 && data.valid.items == [2])
        #expect(data.summary.contains("repeated pairs dropped: 1 in train, 2 in valid"))
    }

    /// Every recovery the loader makes is a warning, counted by hand here:
    /// users 0-3, items 0-5.
    @Test func everyRecoveryIsAWarning() throws {
        let data = try makeDataset([
            (0, 0, .train), (0, 0, .train), (0, 1, .train),  // one repeated pair in train
            (0, 1, .test), (0, 2, .valid), (0, 2, .test),    // (0, 1) in train and test; (0, 2) in valid and test
            (1, 3, .train), (1, 3, .valid), (1, 4, .test),   // (1, 3) in train and valid
            (2, 0, .train),
            (3, 5, .test),                                   // user 3 has no training pair; items 2, 4, 5 none either
        ])
        #expect(data.warnings == [
            "1 repeated (user, item) pair in train dropped; each pair is kept once",
            "1 (user, item) pair is in both train and valid: kept in valid, where training items are masked, so it can never be a hit and lowers every valid metric",
            "1 (user, item) pair is in both train and test: kept in test, where training items are masked, so it can never be a hit and lowers every test metric",
            "1 (user, item) pair is in both valid and test: kept in test, where validation items are masked by default, so it can never be a hit and lowers every test metric",
            "1 user has no training interaction: left out of evaluation",
            "3 items are never in training: still ranked",
        ])
        let clean = try makeDataset([(0, 0, .train), (0, 1, .test), (1, 1, .train), (1, 0, .valid)])
        #expect(clean.warnings.isEmpty, "\(clean.warnings)")
    }

    @Test func featureRowsMustMatchTheItemsAndBeFinite() throws {
        let file = try parse("userID\titemID\tx_label\n0\t0\t0\n1\t2\t0\n")
        #expect(throws: DataError.self) {
            try Dataset(name: "rows", interactions: file, features: [(.visual, Tensor(rows: 2, cols: 4), "v.npy")])
        }
        var features = Tensor(rows: 3, cols: 4)
        features[1, 2] = .nan
        do {
            _ = try Dataset(name: "nan", interactions: file, features: [(.visual, features, "v.npy")])
            Issue.record("no error for NaN features")
        } catch let error as DataError {
            #expect(error.description == "v.npy, row 1, column 2: nan in the visual features; expected finite values")
        }
    }

    @Test func tiktokLoadsWithItsColdUsersAndItems() throws {
        let data = try Dataset(descriptor: DatasetDescriptor.load(repositoryPath("Configs/datasets/tiktok.json")))
        // Figures from Data/tiktok/README.md.
        #expect(data.userCount == 9308 && data.itemCount == 6710)
        #expect(data.graph.edgeCount == 59541 && data.valid.items.count == 3051 && data.test.items.count == 6130)
        #expect(data.usersWithoutTraining == 10 && data.itemsWithoutTraining == 465)
        #expect(data.modalities == [.visual, .acoustic])
        #expect(data.features.map(\.matrix.cols) == [128, 128])
    }

    /// MicroLens's 10,000-user sample: counts by awk over Data/microlens/microlens.inter
    /// (`$1 < 10000`: 50,280 / 10,552 / 10,552 interactions over 15,261 distinct items).
    @Test func aUserLimitKeepsThoseUsersAndReindexesTheirItemsWithTheirFeatureRows() throws {
        let descriptor = try DatasetDescriptor.load(repositoryPath("Configs/datasets/microlens-10k.json"))
        #expect(descriptor.userLimit == 10000)
        let sample = try Dataset(descriptor: descriptor)
        #expect(sample.userCount == 10000 && sample.itemCount == 15261)
        #expect(sample.graph.edgeCount == 50280 && sample.valid.items.count == 10552 && sample.test.items.count == 10552)
        // Item k of the sample is the k-th smallest item id the sampled users name; its text row is that item's row.
        var full = descriptor
        full.userLimit = nil
        let all = try Dataset(descriptor: full)
        let file = try InteractionFile.load(descriptor.interactions)
        let kept = Set(zip(file.users, file.items).filter { $0.0 < 10000 }.map(\.1)).sorted()
        #expect(kept.count == 15261)
        for k in [0, 1, 7000, 15260] {
            let old = Int(kept[k])
            #expect((0..<384).allSatisfy { sample.features[0].matrix[k, $0] == all.features[0].matrix[old, $0] })
        }
        // User 0's training items, mapped back, are the full data's.
        #expect(sample.train[0].map { kept[Int($0)] } == Array(all.train[0]))
    }

    @Test func descriptorErrorsNameTheKey() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("descriptor-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("d.json").path
        try Data("userID\titemID\tx_label\n0\t0\t0\n".utf8).write(to: folder.appendingPathComponent("a.inter"))
        for (json, fragment) in [
            (#"{"name": "x", "interactions": "a.inter", "featurs": {}}"#, "key 'featurs': unknown key"),
            (#"{"name": "x", "interactions": 3}"#, "key 'interactions'"),
            (#"{"name": "x", "interactions": "a.inter", "features": {"smell": "s.npy"}}"#, "unknown modality"),
            (#"{"name": "x", "#, "line 1, column 15: malformed JSON: unexpected end of the file; expected a key"),
            (#"{"name": "x", "interactions": "a.inter", "user_limit": 0}"#,
             "key 'user_limit': got 0; expected a positive integer"),
            (#"{"name": "x", "interactions": "a.inter", "user_limit": "10"}"#,
             #"key 'user_limit': got "10"; expected a positive integer"#),
            (#"{"name": "x", "interactions": "b.inter"}"#, "key 'interactions': 'b.inter' not found"),
            (#"{"name": "x", "interactions": "."}"#, "key 'interactions': '.' is a folder"),
            (#"{"name": "x", "interactions": "a.inter", "features": {"visual": ""}}"#,
             "key 'features.visual': the path is empty"),
            (#"{"name": "x", "name": "y", "interactions": "a.inter"}"#,
             "line 1, column 15, key 'name': the key appears twice in one object (first on line 1)"),
        ] {
            try Data(json.utf8).write(to: URL(fileURLWithPath: path))
            do {
                _ = try DatasetDescriptor.load(path)
                Issue.record("no error for \(json)")
            } catch let error as DataError {
                #expect(error.description.contains(fragment), "\(error)")
            }
        }
        let missing = try DatasetDescriptor.load(repositoryPath("Configs/datasets/tiktok.json"))
        var broken = missing
        broken.interactions = "/nonexistent/tiktok.inter"
        #expect(throws: DataError.self) { try Dataset(descriptor: broken) }
    }
}

/// The negative sampler on the real TikTok training split.
@Suite struct NegativeSamplerTests {
    let data: Dataset
    init() throws {
        data = try Dataset(descriptor: DatasetDescriptor.load(repositoryPath("Configs/datasets/tiktok.json")))
    }

    @Test func neverReturnsATrainingItem() throws {
        let sampler = try NegativeSampler(dataset: data)
        var rng = RandomGenerator(seed: 5)
        for batch in sampler.epochBatches(dataset: data, batchSize: 4096, rng: &rng) {
            for (u, j) in zip(batch.users, batch.negatives) {
                #expect(!data.train.contains(Int(u), j))
            }
        }
    }

    @Test func trainedItemsOnlyNeverDrawsAnItemWithoutTrainingPairs() throws {
        // TikTok has 465 items that never occur in training: with "all" an epoch
        // of 59,541 draws meets some of them (about 7% of draws), with "trained" none.
        let degrees = data.graph.itemDegrees
        let cold = Set((0..<data.itemCount).filter { degrees[$0] == 0 }.map(Int32.init))
        #expect(cold.count == 465)
        for (pool, expectCold) in [(NegativeItems.all, true), (.trained, false)] {
            let sampler = try NegativeSampler(dataset: data, negativeItems: pool)
            var rng = RandomGenerator(seed: 9)
            var coldDraws = 0
            for batch in sampler.epochBatches(dataset: data, batchSize: 4096, rng: &rng) {
                for (u, j) in zip(batch.users, batch.negatives) {
                    #expect(!data.train.contains(Int(u), j))
                    if cold.contains(j) { coldDraws += 1 }
                }
            }
            #expect(expectCold ? coldDraws > 2000 : coldDraws == 0, "\(pool): \(coldDraws) draws of cold items")
        }
    }

    @Test func anEpochCoversEveryTrainingPairOnce() throws {
        let sampler = try NegativeSampler(dataset: data)
        var rng = RandomGenerator(seed: 6)
        let batches = sampler.epochBatches(dataset: data, batchSize: 2048, rng: &rng)
        #expect(batches.count == (59541 + 2047) / 2048)
        var pairs = Set<Int64>()
        for b in batches { for (u, i) in zip(b.users, b.positives) { pairs.insert(Int64(u) << 32 | Int64(i)) } }
        #expect(pairs.count == 59541)
    }

    @Test func sameSeedSameBatches() throws {
        let sampler = try NegativeSampler(dataset: data)
        var a = RandomGenerator(seed: 7), b = RandomGenerator(seed: 7), c = RandomGenerator(seed: 8)
        let first = sampler.epochBatches(dataset: data, batchSize: 1000, rng: &a)
        let second = sampler.epochBatches(dataset: data, batchSize: 1000, rng: &b)
        let other = sampler.epochBatches(dataset: data, batchSize: 1000, rng: &c)
        #expect(first.map(\.negatives) == second.map(\.negatives) && first.map(\.users) == second.map(\.users))
        #expect(first.map(\.negatives) != other.map(\.negatives))
    }
}
