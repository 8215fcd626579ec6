import Foundation
import Testing
@testable import RecommenderCore

/// A folder outside the repository, removed by the caller.
private func scratchFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("datasets-\(UUID())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// Links `files` (name in the folder → file under the repository) into `folder`.
private func link(_ files: [String: String], into folder: URL) throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (name, target) in files {
        try FileManager.default.createSymbolicLink(atPath: folder.appendingPathComponent(name).path,
                                                   withDestinationPath: repositoryPath(target))
    }
}

/// MMRec folders and `.inter` files read without a descriptor, and dataset
/// names and paths resolved the same from any working directory.
@Suite struct DatasetReferenceTests {
    /// Data/tiktok is laid out as MMRec lays out its folders; read as one, it
    /// is the same dataset as the hand-written descriptor Configs/datasets/tiktok.json.
    @Test func theTikTokFolderReadsAsItsHandWrittenDescriptor() throws {
        let written = try DatasetDescriptor.load(repositoryPath("Configs/datasets/tiktok.json"))
        let (descriptor, found) = try DatasetDescriptor.locate(repositoryPath("Data/tiktok"))
        #expect(descriptor == written)
        #expect(found == "tiktok: MMRec folder \(repositoryPath("Data/tiktok")): interactions tiktok.inter; "
                + "visual image_feat.npy, acoustic audio_feat.npy")
        let (viaInter, _) = try DatasetDescriptor.locate(repositoryPath("Data/tiktok/tiktok.inter"))
        #expect(viaInter == written)
    }

    /// MMRec's file names map to modalities; other `.npy` files are named as not read,
    /// and the dataset loads with the features found.
    @Test func mmrecFileNamesMapToModalities() throws {
        let root = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let shop = root.appendingPathComponent("shop")
        try link(["shop.inter": "Data/mmgcn-toy/tiktok_toy.inter", "image_feat.npy": "Data/mmgcn-toy/v_feat.npy",
                  "text_feat.npy": "Data/mmgcn-toy/a_feat.npy", "user_graph_dict.npy": "Data/mmgcn-toy/t_feat.npy"],
                 into: shop)
        let (descriptor, found) = try DatasetDescriptor.locate(shop.path)
        #expect(descriptor.name == "shop")
        #expect(descriptor.features == [.visual: shop.appendingPathComponent("image_feat.npy").path,
                                        .textual: shop.appendingPathComponent("text_feat.npy").path])
        #expect(found?.hasSuffix("interactions shop.inter; visual image_feat.npy, textual text_feat.npy; not read: user_graph_dict.npy") == true)
        let data = try Dataset(descriptor: descriptor)
        let toy = try Dataset(descriptor: DatasetDescriptor.load(repositoryPath("Configs/datasets/mmgcn-toy.json")))
        #expect(data.modalities == [.visual, .textual])
        #expect(data.userCount == toy.userCount && data.itemCount == toy.itemCount && data.graph.edgeCount == toy.graph.edgeCount)
    }

    @Test func ambiguousOrEmptyFoldersAreErrorsThatSayWhy() throws {
        let root = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let two = root.appendingPathComponent("two")
        try link(["a.inter": "Data/mmgcn-toy/tiktok_toy.inter", "b.inter": "Data/mmgcn-toy/tiktok_toy.inter"], into: two)
        let both = root.appendingPathComponent("both")
        try link(["both.inter": "Data/mmgcn-toy/tiktok_toy.inter", "audio_feat.npy": "Data/mmgcn-toy/a_feat.npy",
                  "acoustic_feat.npy": "Data/mmgcn-toy/a_feat.npy"], into: both)
        let cases: [(String, String)] = [
            (empty.path, "\(empty.path): no .inter file in this folder; an MMRec dataset folder holds NAME.inter"),
            (two.path, "\(two.path): 2 .inter files (a.inter, b.inter) and none named two.inter; give the .inter file itself"),
            (both.path, "\(both.path): both audio_feat.npy and acoustic_feat.npy hold acoustic features"),
        ]
        for (path, expected) in cases {
            do {
                _ = try DatasetDescriptor.locate(path)
                Issue.record("\(path) was accepted")
            } catch let error as DataError {
                #expect("\(error)".hasPrefix(expected), "\(error)")
            }
        }
        // With several .inter files, the one named after the folder is the dataset.
        let named = root.appendingPathComponent("named")
        try link(["named.inter": "Data/mmgcn-toy/tiktok_toy.inter", "other.inter": "Data/baby/baby.inter"], into: named)
        #expect(try DatasetDescriptor.locate(named.path).descriptor.interactions == named.appendingPathComponent("named.inter").path)
    }

    /// A name is the repository's built-in dataset whatever the base; a path is
    /// read from the base; a bare name that is no built-in dataset may be a folder in the base.
    @Test func namesResolveInTheRepositoryAndPathsFromTheBase() throws {
        let root = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        try link(["shop.inter": "Data/mmgcn-toy/tiktok_toy.inter"], into: root.appendingPathComponent("shop"))
        let configs = URL(fileURLWithPath: repositoryPath("Configs"))
        #expect(DatasetReference("tiktok", base: root, configsRoot: configs).path == repositoryPath("Configs/datasets/tiktok.json"))
        #expect(DatasetReference("shop", base: root, configsRoot: configs).path == root.appendingPathComponent("shop").path)
        #expect(DatasetReference("./shop/shop.inter", base: root, configsRoot: configs).path
                == root.appendingPathComponent("shop/shop.inter").path)
        let dataFolder = URL(fileURLWithPath: repositoryPath("Data"))
        #expect(DatasetReference("tiktok/", base: dataFolder, configsRoot: configs).path == repositoryPath("Data/tiktok"))
        let missing = DatasetReference("nowhere", base: root, configsRoot: configs)
        #expect(!missing.exists)
        #expect(throws: DataError.self) { try missing.load() }
        #expect(Repository.root?.standardizedFileURL.path == packageRoot.standardizedFileURL.path)
        #expect(Repository.contains(repositoryPath("Configs/default.json")) && !Repository.contains(root.path))
    }
}
