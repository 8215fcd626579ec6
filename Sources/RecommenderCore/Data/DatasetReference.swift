import Foundation

/// A dataset as a config or the command line names it: a built-in name
/// (`tiktok`, a descriptor under the repository's `Configs/datasets/`), or a
/// path to a descriptor (`.json`), an MMRec folder or an MMRec `.inter` file.
///
/// A path is read from `base` (the config file's folder; the working directory
/// on the command line), and a name from the repository's `Configs`, so a
/// config means the same data from whatever folder `bench` runs in.
public struct DatasetReference: Sendable, Equatable {
    /// The reference as written.
    public let written: String
    /// The file or folder it resolved to (absolute).
    public let path: String

    /// Resolves `written` against `base` (paths) and `configsRoot` (names).
    public init(_ written: String, base: URL, configsRoot: URL) {
        self.written = written
        let looksLikePath = written.contains("/") || written.hasSuffix(".json") || written.hasSuffix(".inter")
        let asPath = (written.hasPrefix("/") ? URL(fileURLWithPath: written) : base.appendingPathComponent(written))
            .standardizedFileURL.path
        if looksLikePath {
            path = asPath
        } else {
            let builtIn = configsRoot.appendingPathComponent("datasets/\(written).json").standardizedFileURL.path
            // A folder or file of that name beside the config is meant when no built-in dataset has the name.
            path = !FileManager.default.fileExists(atPath: builtIn) && FileManager.default.fileExists(atPath: asPath)
                ? asPath : builtIn
        }
    }

    /// Whether something exists at `path`.
    public var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// The descriptor, and for an MMRec folder a line saying what was found in it.
    public func load() throws -> (descriptor: DatasetDescriptor, found: String?) {
        guard exists else {
            throw DataError(file: path, "no dataset here (from '\(written)'); expected a built-in name such as tiktok, "
                + "or a path to a dataset descriptor (.json), an MMRec dataset folder or its .inter file")
        }
        return try DatasetDescriptor.locate(path)
    }
}

extension DatasetDescriptor {
    /// The dataset at `path`: a descriptor file, or an MMRec folder or `.inter`
    /// file (then with a line saying what was found in the folder).
    public static func locate(_ path: String) throws -> (descriptor: DatasetDescriptor, found: String?) {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue || path.hasSuffix(".inter") {
            let folder = try MMRecFolder(path: path)
            return (folder.descriptor, folder.report)
        }
        return (try load(path), nil)
    }
}

/// Where the suite's repository is, so that built-in dataset names and the
/// default results folder do not depend on the working directory.
public enum Repository {
    /// The repository root: found from this source file's path when the build
    /// is still where it was compiled, else by walking up from the executable.
    public static let root: URL? = {
        let fromSource = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        if isRoot(fromSource) { return fromSource }
        var folder = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
            .deletingLastPathComponent()
        while folder.path != "/" {
            if isRoot(folder) { return folder }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }()

    /// The repository's `Configs` folder, or `Configs` in the working directory
    /// when no repository can be found.
    public static var configs: URL {
        root?.appendingPathComponent("Configs") ?? URL(fileURLWithPath: "Configs").standardizedFileURL
    }

    /// Whether `url` holds the suite: its Package.swift and dataset descriptors.
    static func isRoot(_ url: URL) -> Bool {
        let manager = FileManager.default
        return manager.fileExists(atPath: url.appendingPathComponent("Package.swift").path)
            && manager.fileExists(atPath: url.appendingPathComponent("Configs/datasets").path)
    }

    /// Whether `path` lies inside the repository.
    public static func contains(_ path: String) -> Bool {
        guard let root else { return false }
        let inside = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        let top = root.standardizedFileURL.resolvingSymlinksInPath().path
        return inside == top || inside.hasPrefix(top + "/")
    }
}
