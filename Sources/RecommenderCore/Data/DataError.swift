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
