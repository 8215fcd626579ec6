import Foundation

/// Which part of the data an interaction belongs to (the `.inter` file's `x_label`).
public enum Split: Int, CaseIterable, Sendable, Codable {
    case train = 0, valid = 1, test = 2

    /// The split's name as used in logs and results.
    public var name: String {
        switch self {
        case .train: return "train"
        case .valid: return "valid"
        case .test: return "test"
        }
    }
}

/// The interactions of an MMRec atomic `.inter` file: tab-separated, one
/// header line naming the columns, with at least `userID`, `itemID` and
/// `x_label` (0/1/2 = train/valid/test). Other columns are ignored.
public struct InteractionFile: Sendable {
    /// User of each interaction, in file order.
    public var users: [Int32]
    /// Item of each interaction, in file order.
    public var items: [Int32]
    /// Split of each interaction, in file order.
    public var splits: [Split]
    /// The line (1-based) of the first interaction naming the largest item
    /// id, for messages about the item count; 0 when not read from a file.
    public var largestItemLine = 0
    /// What reading the file recovered from (a UTF-8 byte-order mark), one
    /// line each; the dataset adds them to its warnings.
    public var warnings: [String] = []

    /// Interactions given in memory, one (user, item, split) per position.
    public init(users: [Int32], items: [Int32], splits: [Split]) {
        precondition(users.count == items.count && users.count == splits.count,
                     "InteractionFile: \(users.count) users, \(items.count) items, \(splits.count) splits")
        self.users = users
        self.items = items
        self.splits = splits
    }

    /// The interactions of users 0..<limit, with the items they name (in any
    /// split) re-indexed densely in id order; `items[k]` is the old id of new
    /// item k.
    public func keepingUsers(below limit: Int) -> (interactions: InteractionFile, items: [Int32]) {
        var keep: [Int] = []
        for k in users.indices where Int(users[k]) < limit { keep.append(k) }
        let items = Array(Set(keep.map { self.items[$0] })).sorted()
        var newID: [Int32: Int32] = [:]
        for (n, old) in items.enumerated() { newID[old] = Int32(n) }
        var kept = InteractionFile(users: keep.map { users[$0] }, items: keep.map { newID[self.items[$0]]! },
                                   splits: keep.map { splits[$0] })
        kept.warnings = warnings
        return (kept, items)
    }

    /// Reads and validates `path`.
    public static func load(_ path: String) throws -> InteractionFile {
        try parse(try InputFile.contents(of: path), file: path)
    }

    /// Parses the bytes of an `.inter` file.
    public static func parse(_ data: Data, file: String) throws -> InteractionFile {
        var result = InteractionFile(users: [], items: [], splits: [])
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            let (start, warning) = try InputFile.textStart(bytes, file: file, location: "line 1",
                                                           expected: "UTF-8 or ASCII, tab-separated")
            var position = start
            if let warning { result.warnings.append(warning) }
            var lineNumber = 0
            var largestItem = -1
            var columns: (user: Int, item: Int, label: Int, count: Int)?
            var fields: [Range<Int>] = []
            while position < bytes.count {
                lineNumber += 1
                var end = position
                while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
                var lineEnd = end
                if lineEnd > position && bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                defer { position = end + 1 }
                if lineEnd == position { continue }  // blank line
                fields.removeAll(keepingCapacity: true)
                var start = position
                for k in position...lineEnd where k == lineEnd || bytes[k] == UInt8(ascii: "\t") {
                    fields.append(start..<k)
                    start = k + 1
                }
                guard let layout = columns else {
                    let names = fields.map { String(decoding: UnsafeBufferPointer(rebasing: bytes[$0]), as: UTF8.self) }
                    func column(_ name: String) throws -> Int {
                        guard let index = names.firstIndex(of: name) else {
                            throw DataError(file: file, location: "line 1 (header)",
                                            "missing column '\(name)'; found columns \(names), expected userID, itemID and x_label (tab-separated)")
                        }
                        return index
                    }
                    columns = (try column("userID"), try column("itemID"), try column("x_label"), names.count)
                    continue
                }
                guard fields.count == layout.count else {
                    throw DataError(file: file, location: "line \(lineNumber)",
                                    "\(fields.count) tab-separated field\(fields.count == 1 ? "" : "s"); the header has \(layout.count), and every line must have as many")
                }
                func integer(_ index: Int, _ name: String) throws -> Int {
                    let range = fields[index]
                    var value = 0
                    var negative = false
                    var k = range.lowerBound
                    if k < range.upperBound && bytes[k] == UInt8(ascii: "-") { negative = true; k += 1 }
                    guard k < range.upperBound else {
                        throw DataError(file: file, location: "line \(lineNumber)", "\(name) is empty; expected an integer")
                    }
                    var tooLarge = false
                    while k < range.upperBound {
                        let digit = Int(bytes[k]) - 48
                        guard digit >= 0 && digit <= 9 else {
                            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
                            throw DataError(file: file, location: "line \(lineNumber)",
                                            "\(name) '\(text)' is not a non-negative integer id")
                        }
                        // Past Int32.max the value stops growing; the digits are still checked.
                        if value <= Int(Int32.max) { value = value * 10 + digit } else { tooLarge = true }
                        k += 1
                    }
                    if tooLarge || (!negative && value > Int(Int32.max)) {
                        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
                        throw DataError(file: file, location: "line \(lineNumber)",
                                        "\(name) \(text) is out of range; expected an id from 0 to \(Int32.max)")
                    }
                    if negative {
                        throw DataError(file: file, location: "line \(lineNumber)",
                                        "\(name) -\(value) is negative; ids are 0-based")
                    }
                    return value
                }
                let user = try integer(layout.user, "userID")
                let item = try integer(layout.item, "itemID")
                let label = try integer(layout.label, "x_label")
                guard let split = Split(rawValue: label) else {
                    throw DataError(file: file, location: "line \(lineNumber)",
                                    "x_label \(label) is not 0, 1 or 2 (train, valid, test)")
                }
                if item > largestItem { (largestItem, result.largestItemLine) = (item, lineNumber) }
                result.users.append(Int32(user))
                result.items.append(Int32(item))
                result.splits.append(split)
            }
            if columns == nil {
                throw DataError(file: file, "the file is empty; expected a header line and interactions")
            }
        }
        if result.users.isEmpty {
            throw DataError(file: file, "no interactions after the header")
        }
        return result
    }

    /// Writes interactions as an `.inter` file (`userID itemID x_label`),
    /// through a temporary file renamed into place.
    public static func write(users: [Int32], items: [Int32], splits: [Split], to path: String) throws {
        var text = "userID\titemID\tx_label\n"
        text.reserveCapacity(users.count * 16)
        for k in 0..<users.count {
            text += "\(users[k])\t\(items[k])\t\(splits[k].rawValue)\n"
        }
        try AtomicFile.write(Data(text.utf8), to: path)
    }
}

/// Writes files through a temporary file in the same folder and a rename, so
/// that a reader never sees a half-written file.
public enum AtomicFile {
    /// Writes `data` to `path` atomically: to a temporary file in the same
    /// folder, then renamed into place, so that a reader (on any node of a
    /// shared filesystem) sees the old file or the new one whole.
    public static func write(_ data: Data, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        // A name no other writer uses, even one on another node of a cluster
        // with the same process id; a dot hides it from readers of the folder.
        // The host and pid say who wrote it, so that a run store's sweep can
        // remove it at once should this process be killed while writing.
        let host = ProcessInfo.processInfo.hostName
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(host).\(getpid()).\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
        } catch {
            throw DataError(file: path, "cannot write (\(error.localizedDescription)); is the folder \(folder.path) writable?")
        }
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw DataError(file: path, "cannot move the finished file into place: \(reason)")
        }
    }
}
