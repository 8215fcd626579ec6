import Foundation

/// A parsed JSON value that keeps booleans, integers and reals apart, so a
/// config's types can be checked key by key.
public indirect enum JSONValue: Equatable, Sendable {
    case object([String: JSONValue])
    case array([JSONValue])
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)
    case null

    /// Parses `data` from `file` (RFC 8259). Every error is a `DataError`
    /// with the line and column, and the key path where there is one:
    /// malformed syntax, text that is not UTF-8 (or is UTF-16), a number
    /// beyond a 64-bit integer or float (`1e999`), a key given twice in one
    /// object, nesting deeper than 256. A UTF-8 byte-order mark at the start
    /// is skipped, with a line in `warnings`.
    public static func parse(_ data: Data, file: String, warnings: inout [String]) throws -> JSONValue {
        var parser = JSONParser(bytes: [UInt8](data), file: file)
        let value = try parser.document()
        warnings += parser.warnings
        return value
    }

    /// `parse(_:file:warnings:)` for text known to carry no byte-order mark.
    public static func parse(_ data: Data, file: String) throws -> JSONValue {
        var ignored: [String] = []
        return try parse(data, file: file, warnings: &ignored)
    }

    /// The JSON type's name, for messages.
    public var typeName: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .int: return "an integer"
        case .double: return "a number"
        case .bool: return "a boolean"
        case .string: return "a string"
        case .null: return "null"
        }
    }
}

extension JSONValue: CustomStringConvertible {
    /// The value as JSON text (object keys sorted), for messages.
    public var description: String {
        switch self {
        case let .object(members):
            return "{" + members.keys.sorted().map { "\"\($0)\": \(members[$0]!)" }.joined(separator: ", ") + "}"
        case let .array(elements): return "[" + elements.map(\.description).joined(separator: ", ") + "]"
        case let .int(n): return String(n)
        case let .double(x): return String(x)
        case let .bool(b): return String(b)
        case let .string(text): return "\"\(text)\""
        case .null: return "null"
        }
    }
}

/// A recursive-descent JSON reader over bytes that knows where it is.
struct JSONParser {
    let bytes: [UInt8]
    let file: String
    var position = 0
    var warnings: [String] = []
    /// The key path of the value being read, as config errors write it:
    /// `models[0].parameters.reg_weight`.
    var path: [String] = []
    static let maximumDepth = 256

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    mutating func document() throws -> JSONValue {
        let (start, warning) = try InputFile.textStart(bytes, file: file, location: "line 1, column 1", expected: "UTF-8")
        position = start
        if let warning { warnings.append(warning) }
        skipWhitespace()
        guard position < bytes.count else { throw error("the file is empty; expected a JSON value") }
        let value = try self.value(depth: 0)
        skipWhitespace()
        guard position == bytes.count else {
            throw syntaxError("unexpected \(describe(position)) after the JSON value; expected the end of the file")
        }
        return value
    }

    // MARK: Values

    mutating func value(depth: Int) throws -> JSONValue {
        guard depth < Self.maximumDepth else {
            throw error("nested more than \(Self.maximumDepth) levels deep")
        }
        guard position < bytes.count else { throw syntaxError("the file ends where a value was expected") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: throw syntaxError("unexpected \(describe(position)); expected a value (object, array, string, number, true, false or null)")
        }
    }

    mutating func object(depth: Int) throws -> JSONValue {
        position += 1  // {
        var members: [String: JSONValue] = [:]
        var lines: [String: Int] = [:]
        skipWhitespace()
        if peek(UInt8(ascii: "}")) { position += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard peek(UInt8(ascii: "\"")) else {
                throw syntaxError("unexpected \(describe(position)); expected a key in double quotes")
            }
            let keyStart = position
            let key = try string()
            if let first = lines[key] {
                position = keyStart
                path.append(key)
                throw error("the key appears twice in one object (first on line \(first)); expected each key once")
            }
            lines[key] = lineAndColumn(keyStart).line
            skipWhitespace()
            guard peek(UInt8(ascii: ":")) else {
                throw syntaxError("unexpected \(describe(position)) after the key \"\(key)\"; expected ':'")
            }
            position += 1
            skipWhitespace()
            path.append(key)
            members[key] = try value(depth: depth + 1)
            path.removeLast()
            skipWhitespace()
            if peek(UInt8(ascii: ",")) { position += 1; continue }
            if peek(UInt8(ascii: "}")) { position += 1; return .object(members) }
            throw syntaxError("unexpected \(describe(position)) in an object; expected ',' or '}'")
        }
    }

    mutating func array(depth: Int) throws -> JSONValue {
        position += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek(UInt8(ascii: "]")) { position += 1; return .array(elements) }
        while true {
            skipWhitespace()
            path.append("[\(elements.count)]")
            elements.append(try value(depth: depth + 1))
            path.removeLast()
            skipWhitespace()
            if peek(UInt8(ascii: ",")) { position += 1; continue }
            if peek(UInt8(ascii: "]")) { position += 1; return .array(elements) }
            throw syntaxError("unexpected \(describe(position)) in an array; expected ',' or ']'")
        }
    }

    /// A string at `position` (on its opening quote), escapes decoded.
    mutating func string() throws -> String {
        let start = position
        position += 1
        var utf8: [UInt8] = []
        while true {
            guard position < bytes.count else {
                position = start
                throw syntaxError("a string that is never closed; expected a closing '\"'")
            }
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                guard let text = String(validating: utf8, as: UTF8.self) else {
                    position = start
                    throw syntaxError("a string that is not valid UTF-8; expected UTF-8 text")
                }
                return text
            case UInt8(ascii: "\\"):
                position += 1
                guard position < bytes.count else { continue }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): utf8.append(0x22)
                case UInt8(ascii: "\\"): utf8.append(0x5C)
                case UInt8(ascii: "/"): utf8.append(0x2F)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        // A high surrogate must be followed by \u and a low one.
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                              bytes[position + 1] == UInt8(ascii: "u") else {
                            throw syntaxError("a lone UTF-16 surrogate \\u\(String(scalar, radix: 16)); expected a pair")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else {
                            throw syntaxError("a lone UTF-16 surrogate \\u\(String(scalar, radix: 16)); expected a pair")
                        }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw syntaxError("a lone UTF-16 surrogate \\u\(String(scalar, radix: 16)); expected a pair")
                    }
                    utf8.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                default:
                    position -= 2
                    throw syntaxError("an unknown escape \\\(String(decoding: [escape], as: UTF8.self)) in a string; expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX")
                }
            default:
                guard byte >= 0x20 else {
                    throw syntaxError("a control character (byte \(byte)) inside a string; expected it escaped, such as \\n or \\t")
                }
                utf8.append(byte)
                position += 1
            }
        }
    }

    /// Four hex digits of a \u escape, as a number.
    mutating func hex4() throws -> UInt32 {
        guard position + 4 <= bytes.count,
              let value = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16) else {
            throw syntaxError("a \\u escape without four hex digits")
        }
        position += 4
        return value
    }

    /// A number (RFC 8259, section 6): an integer when its value is one
    /// (`2`, `2.0`, `1e2`), else a real. Out of range is an error, never inf
    /// or a silently rounded integer.
    mutating func number() throws -> JSONValue {
        let start = position
        var isReal = false
        func digits() -> Int {
            let from = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            return position - from
        }
        if peek(UInt8(ascii: "-")) { position += 1 }
        let integerStart = position
        let integerDigits = digits()
        guard integerDigits > 0 else { throw syntaxError("a '-' without digits; expected a number") }
        if integerDigits > 1 && bytes[integerStart] == UInt8(ascii: "0") {
            position = integerStart
            throw syntaxError("a number with a leading zero; JSON numbers do not start with 0 unless they are 0")
        }
        if peek(UInt8(ascii: ".")) {
            isReal = true
            position += 1
            guard digits() > 0 else { throw syntaxError("a decimal point without digits after it; expected a digit") }
        }
        if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
            isReal = true
            position += 1
            if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { position += 1 }
            guard digits() > 0 else { throw syntaxError("an exponent without digits; expected a digit") }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        if !isReal {
            if let n = Int(text) { return .int(n) }
            position = start
            throw error("the integer \(text) is out of range; expected at most \(Int.max) in magnitude")
        }
        guard let x = Double(text), x.isFinite else {
            position = start
            throw error("the number \(text) is out of range; expected at most \(Double.greatestFiniteMagnitude) in magnitude")
        }
        // JSON does not tell 2.0 from 2: an integral real reads as an integer,
        // and each config key says which kinds it takes.
        if let n = Int(exactly: x) { return .int(n) }
        return .double(x)
    }

    mutating func literal(_ word: String) throws {
        let expected = Array(word.utf8)
        guard bytes.count - position >= expected.count, Array(bytes[position..<position + expected.count]) == expected else {
            throw syntaxError("unexpected \(describe(position)); expected a value (object, array, string, number, true, false or null)")
        }
        position += expected.count
    }

    // MARK: Positions and errors

    func peek(_ byte: UInt8) -> Bool { position < bytes.count && bytes[position] == byte }

    mutating func skipWhitespace() {
        while position < bytes.count,
              [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
    }

    /// What is at `offset`, for a message: `'x'`, or "the end of the file".
    func describe(_ offset: Int) -> String {
        guard offset < bytes.count else { return "end of the file" }
        let byte = bytes[offset]
        if byte >= 0x20 && byte < 0x7F { return "'\(String(decoding: [byte], as: UTF8.self))'" }
        return "byte \(byte)"
    }

    /// The 1-based line and column (in characters) of `offset`.
    func lineAndColumn(_ offset: Int) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        for k in 0..<min(offset, bytes.count) where bytes[k] == 0x0A {
            line += 1
            lineStart = k + 1
        }
        // Count characters, not bytes: UTF-8 continuation bytes are 10xxxxxx.
        let column = bytes[lineStart..<min(offset, bytes.count)].filter { $0 & 0xC0 != 0x80 }.count + 1
        return (line, column)
    }

    /// `error` for text that is not JSON: "malformed JSON: REASON".
    func syntaxError(_ reason: String) -> DataError { error("malformed JSON: " + reason) }

    /// A `DataError` at the current position, naming the key path if inside one.
    func error(_ reason: String) -> DataError {
        let (line, column) = lineAndColumn(position)
        var location = "line \(line), column \(column)"
        if !path.isEmpty {
            let key = path.reduce("") { $0.isEmpty || $1.hasPrefix("[") ? $0 + $1 : $0 + "." + $1 }
            location += ", key '\(key)'"
        }
        return DataError(file: file, location: location, reason)
    }
}
