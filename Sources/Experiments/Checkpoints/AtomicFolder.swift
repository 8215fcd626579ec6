import Foundation
import RecommenderCore

/// Writes a folder whole or not at all: `fill` writes into a hidden folder
/// beside the destination, which is then renamed into place. An older folder
/// there is moved aside first and removed after, so the destination always
/// holds one whole version or none.
package enum AtomicFolder {
    package static func write(_ folder: URL, what: String, fill: (URL) throws -> Void) throws {
        let files = FileManager.default
        let parent = folder.deletingLastPathComponent()
        let temporary = parent.appendingPathComponent(".\(folder.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try files.createDirectory(at: temporary, withIntermediateDirectories: true)
            try fill(temporary)
        } catch {
            try? files.removeItem(at: temporary)
            throw DataError(file: folder.path, "cannot write the \(what) (\(error))")
        }
        let old = parent.appendingPathComponent(".\(folder.lastPathComponent).\(UUID().uuidString).old")
        let replacing = files.fileExists(atPath: folder.path)
        do {
            if replacing { try files.moveItem(at: folder, to: old) }
            try files.moveItem(at: temporary, to: folder)
        } catch {
            if replacing && !files.fileExists(atPath: folder.path) { try? files.moveItem(at: old, to: folder) }
            try? files.removeItem(at: temporary)
            throw DataError(file: folder.path, "cannot move the finished \(what) into place (\(error.localizedDescription))")
        }
        if replacing { try? files.removeItem(at: old) }
    }

    /// Whether `folder` may receive a `what` whose marker file is `marker`:
    /// absent, empty, or holding an older one (which is replaced). Anything
    /// else is refused before any work, so that a mistyped path never
    /// overwrites other files.
    package static func checkDestination(_ folder: URL, what: String, marker: String) throws {
        let files = FileManager.default
        var isFolder: ObjCBool = false
        guard files.fileExists(atPath: folder.path, isDirectory: &isFolder) else { return }
        guard isFolder.boolValue else {
            throw DataError(file: folder.path, "is a file; expected a folder for the \(what) (absent, empty, or an older \(what))")
        }
        let contents = (try? files.contentsOfDirectory(atPath: folder.path)) ?? []
        guard contents.isEmpty || contents.contains(marker) else {
            throw DataError(file: folder.path, "holds other files (\(contents.sorted().prefix(3).joined(separator: ", "))) and no \(marker); choose an absent or empty folder for the \(what)")
        }
    }
}
