import Foundation

/// The package root, from this file's path, so tests find Data/ from any folder.
public let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A path under the package root.
public func repositoryPath(_ relative: String) -> String {
    packageRoot.appendingPathComponent(relative).path
}
