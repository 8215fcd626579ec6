import Foundation
import RecommenderCore

extension JSONValue {
    /// As a hyper-parameter value: a scalar, or a list of strings.
    var hyperparameter: HyperparameterValue? {
        switch self {
        case let .int(v): return .int(v)
        case let .double(v): return .double(v)
        case let .bool(v): return .bool(v)
        case let .string(v): return .string(v)
        case let .array(a) where a.allSatisfy(\.isString):
            return .list(a.map { if case let .string(s) = $0 { return s } else { return "" } })
        default: return nil
        }
    }

    /// Whether this is a JSON string.
    var isString: Bool {
        if case .string = self { return true }
        return false
    }
}

/// Reads typed values out of a JSON object, naming the key path in every error.
struct JSONReader {
    let object: [String: JSONValue]
    let path: String

    init(_ value: JSONValue, path: String) throws {
        guard case let .object(object) = value else {
            throw ConfigError(key: path.isEmpty ? "config" : path, "expected an object, got \(value.typeName)")
        }
        self.object = object
        self.path = path
    }

    func key(_ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    /// Unknown keys are errors that list the known ones.
    func allowOnly(_ known: [String]) throws {
        for k in object.keys.sorted() where !known.contains(k) {
            throw ConfigError(key: key(k), "unknown key; expected one of \(known.joined(separator: ", "))")
        }
    }

    func string(_ name: String) throws -> String? {
        guard let v = object[name] else { return nil }
        guard case let .string(s) = v else { throw ConfigError(key: key(name), "expected a string, got \(v.typeName)") }
        return s
    }

    func bool(_ name: String) throws -> Bool? {
        guard let v = object[name] else { return nil }
        guard case let .bool(b) = v else { throw ConfigError(key: key(name), "expected true or false, got \(v.typeName)") }
        return b
    }

    func int(_ name: String, min lowest: Int) throws -> Int? {
        guard let v = object[name] else { return nil }
        return try JSONReader.int(v, key: key(name), min: lowest)
    }

    static func int(_ v: JSONValue, key: String, min lowest: Int, max highest: Int) throws -> Int {
        let n = try int(v, key: key, min: lowest)
        guard n <= highest else { throw ConfigError(key: key, "\(n) is out of range; expected \(lowest) to \(highest)") }
        return n
    }

    static func int(_ v: JSONValue, key: String, min lowest: Int) throws -> Int {
        let n: Int
        switch v {
        case let .int(i): n = i
        case let .double(d) where d.rounded() == d && abs(d) < 1e15: n = Int(d)
        default: throw ConfigError(key: key, "expected an integer, got \(v.typeName)")
        }
        guard n >= lowest else { throw ConfigError(key: key, "\(n) is out of range; expected at least \(lowest)") }
        return n
    }

    static func double(_ v: JSONValue, key: String, positive: Bool) throws -> Double {
        let x: Double
        switch v {
        case let .int(i): x = Double(i)
        case let .double(d): x = d
        default: throw ConfigError(key: key, "expected a number, got \(v.typeName)")
        }
        guard x.isFinite, positive ? x > 0 : x >= 0 else {
            throw ConfigError(key: key, "\(x) is out of range; expected a \(positive ? "positive" : "non-negative") number")
        }
        return x
    }

    func array(_ name: String) throws -> [JSONValue]? {
        guard let v = object[name] else { return nil }
        guard case let .array(a) = v else { throw ConfigError(key: key(name), "expected an array, got \(v.typeName)") }
        return a
    }

    func child(_ name: String) throws -> JSONReader? {
        guard let v = object[name] else { return nil }
        return try JSONReader(v, path: key(name))
    }
}
