/// A problem with input data, naming the file, the place in it and what was expected.
public struct DataError: Error, CustomStringConvertible, Equatable {
    /// The file (or config key) at fault.
    public let file: String
    /// Where in the file: "line 12", "header", "row 40", or empty.
    public let location: String
    /// What is wrong and what was expected.
    public let reason: String

    /// A data error in `file` at `location`.
    public init(file: String, location: String = "", _ reason: String) {
        self.file = file
        self.location = location
        self.reason = reason
    }

    public var description: String {
        location.isEmpty ? "\(file): \(reason)" : "\(file), \(location): \(reason)"
    }
}

import Foundation

/// Reads input files with errors that say which file and why.
public enum InputFile {
    /// Where the text of `bytes` starts: after a UTF-8 byte-order mark (3,
    /// with the warning to keep), else at 0. UTF-16 text, which starts with
    /// its own mark, is a `DataError` at `location` saying `expected`.
    public static func textStart<Bytes: Collection<UInt8>>(_ bytes: Bytes, file: String, location: String,
                                                           expected: String) throws -> (start: Int, warning: String?) {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            return (3, "\(file): a UTF-8 byte-order mark at the start of the file; skipped")
        }
        if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) {
            throw DataError(file: file, location: location,
                            "UTF-16 text (it starts with a UTF-16 byte-order mark); expected \(expected)")
        }
        return (0, nil)
    }

    /// The bytes of `path`, or a `DataError` saying whether it is missing,
    /// a folder, empty-named or unreadable; `what` names the kind of file.
    public static func contents(of path: String, what: String = "file") throws -> Data {
        guard !path.isEmpty else { throw DataError(file: "(empty path)", "the \(what) path is empty; expected a file") }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw DataError(file: path, "is a folder; expected a \(what)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DataError(file: path, FileManager.default.fileExists(atPath: path)
                ? "cannot read the \(what)" : "\(what) not found")
        }
        return data
    }
}
