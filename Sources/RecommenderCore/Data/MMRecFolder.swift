import Foundation

/// An MMRec dataset folder read as it is: its `.inter` file and the feature
/// files MMRec's loader looks for, mapped to the suite's modalities. No
/// descriptor has to be written for it.
public struct MMRecFolder: Sendable {
    /// MMRec's feature file names and the modality each holds: its
    /// `vision_feature_file` and `text_feature_file` defaults, and the audio
    /// file of MMRec's TikTok folder under either name.
    public static let featureFiles: [(file: String, modality: Modality)] = [
        ("image_feat.npy", .visual),
        ("audio_feat.npy", .acoustic),
        ("acoustic_feat.npy", .acoustic),
        ("text_feat.npy", .textual),
    ]

    /// The dataset as a descriptor: named after its `.inter` file, absolute paths.
    public let descriptor: DatasetDescriptor
    /// One line saying what was found and what was left unused.
    public let report: String

    /// Reads the MMRec folder `path`, or the folder of the `.inter` file `path`.
    /// In a folder with several `.inter` files, the one named after the folder
    /// is taken; otherwise the choice is an error that lists them.
    public init(path: String) throws {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw DataError(file: path, "not found; expected an MMRec dataset folder or its .inter file")
        }
        let given = URL(fileURLWithPath: path).standardizedFileURL
        let folder = isFolder.boolValue ? given : given.deletingLastPathComponent()
        let names: [String]
        do {
            names = try manager.contentsOfDirectory(atPath: folder.path).sorted()
        } catch {
            throw DataError(file: folder.path, "cannot list the folder (\(error.localizedDescription))")
        }
        let interactions: URL
        if isFolder.boolValue {
            let inters = names.filter { $0.hasSuffix(".inter") }
            let own = folder.lastPathComponent + ".inter"
            switch inters.count {
            case 0:
                throw DataError(file: folder.path, "no .inter file in this folder; an MMRec dataset folder holds NAME.inter "
                    + "(tab-separated userID, itemID, x_label) and its feature files ("
                    + Self.featureFiles.map { $0.file }.joined(separator: ", ") + ")")
            case 1:
                interactions = folder.appendingPathComponent(inters[0])
            default:
                guard inters.contains(own) else {
                    throw DataError(file: folder.path, "\(inters.count) .inter files (\(inters.joined(separator: ", "))) "
                        + "and none named \(own); give the .inter file itself")
                }
                interactions = folder.appendingPathComponent(own)
            }
        } else {
            guard given.pathExtension == "inter" else {
                throw DataError(file: path, "expected an MMRec dataset folder or an .inter file")
            }
            interactions = given
        }
        var features: [Modality: String] = [:]
        var used: [String] = []
        for (file, modality) in Self.featureFiles where names.contains(file) {
            if let other = features[modality] {
                throw DataError(file: folder.path, "both \(URL(fileURLWithPath: other).lastPathComponent) and \(file) "
                    + "hold \(modality.rawValue) features; keep one, or write a dataset descriptor that names the one to use")
            }
            features[modality] = folder.appendingPathComponent(file).path
            used.append("\(modality.rawValue) \(file)")
        }
        let known = Set(Self.featureFiles.map { $0.file })
        let unused = names.filter { $0.hasSuffix(".npy") && !known.contains($0) }
        let name = interactions.deletingPathExtension().lastPathComponent
        descriptor = DatasetDescriptor(name: name, interactions: interactions.path, features: features)
        report = "\(name): MMRec folder \(folder.path): interactions \(interactions.lastPathComponent); "
            + (used.isEmpty ? "no feature files" : used.joined(separator: ", "))
            + (unused.isEmpty ? "" : "; not read: " + unused.joined(separator: ", "))
    }
}
