import Foundation

/// A hyper-parameter value as it appears in a JSON config.
public enum HyperparameterValue: Equatable, Hashable, Sendable, Codable, CustomStringConvertible {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)
    /// A list of names, such as the modalities a model uses.
    case list([String])

    public var description: String {
        switch self {
        case let .int(v): return String(v)
        case let .double(v): return String(v)
        case let .bool(v): return String(v)
        case let .string(v): return "\"\(v)\""
        case let .list(v): return "[" + v.joined(separator: ",") + "]"
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let l = try? c.decode([String].self) { self = .list(l) }
        else {
            throw DecodingError.typeMismatch(HyperparameterValue.self, .init(
                codingPath: decoder.codingPath, debugDescription: "expected a number, a boolean, a string or a list of strings"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case let .int(v): try c.encode(v)
        case let .double(v): try c.encode(v)
        case let .bool(v): try c.encode(v)
        case let .string(v): try c.encode(v)
        case let .list(v): try c.encode(v)
        }
    }
}

/// One hyper-parameter a model accepts: its JSON key (the name in docs/models/
/// and the papers), its type and range, its default, and what it does.
public struct HyperparameterSpec: Sendable {
    /// The allowed values.
    public enum Kind: Sendable {
        /// An integer in the range.
        case integer(ClosedRange<Int>)
        /// A real number in the range.
        case real(ClosedRange<Double>)
        /// true or false.
        case boolean
        /// One of the listed strings.
        case choice([String])
        /// A non-empty list of distinct names, each one of the listed options.
        case subset([String])
    }

    public let name: String
    public let kind: Kind
    public let defaultValue: HyperparameterValue
    public let help: String

    /// An integer hyper-parameter.
    public static func integer(_ name: String, default value: Int, in range: ClosedRange<Int>, _ help: String) -> Self {
        Self(name: name, kind: .integer(range), defaultValue: .int(value), help: help)
    }

    /// A real-valued hyper-parameter.
    public static func real(_ name: String, default value: Double, in range: ClosedRange<Double>, _ help: String) -> Self {
        Self(name: name, kind: .real(range), defaultValue: .double(value), help: help)
    }

    /// A boolean hyper-parameter.
    public static func boolean(_ name: String, default value: Bool, _ help: String) -> Self {
        Self(name: name, kind: .boolean, defaultValue: .bool(value), help: help)
    }

    /// A hyper-parameter taking one of a few strings.
    public static func choice(_ name: String, default value: String, _ options: [String], _ help: String) -> Self {
        Self(name: name, kind: .choice(options), defaultValue: .string(value), help: help)
    }

    /// A hyper-parameter taking a non-empty list of distinct names from `options`.
    /// In a config it is a JSON list of strings (a list of such lists is a grid);
    /// on the command line, names separated by commas.
    public static func subset(_ name: String, default value: [String], _ options: [String], _ help: String) -> Self {
        Self(name: name, kind: .subset(options), defaultValue: .list(value), help: help)
    }

    /// The allowed values, for messages and `bench models`.
    public var allowed: String {
        switch kind {
        case let .integer(r): return "integer in \(r.lowerBound)...\(r.upperBound == Int.max ? "∞" : String(r.upperBound))"
        case let .real(r): return "number in \(r.lowerBound)...\(r.upperBound == .infinity ? "∞" : String(r.upperBound))"
        case .boolean: return "true or false"
        case let .choice(options): return "one of " + options.map { "\"\($0)\"" }.joined(separator: ", ")
        case let .subset(options):
            return "a non-empty list of distinct names from " + options.map { "\"\($0)\"" }.joined(separator: ", ")
        }
    }

    /// Checks `value` against the kind and returns it in canonical form.
    func check(_ value: HyperparameterValue, model: String) throws -> HyperparameterValue {
        func fail() -> ConfigError {
            ConfigError(key: "\(model).\(name)", "got \(value); expected \(allowed)")
        }
        switch (kind, value) {
        case let (.integer(r), .int(v)):
            guard r.contains(v) else { throw fail() }
            return .int(v)
        case let (.integer(r), .double(v)):
            guard v.rounded() == v, let i = Int(exactly: v), r.contains(i) else { throw fail() }
            return .int(i)
        case let (.real(r), .double(v)):
            guard v.isFinite, r.contains(v) else { throw fail() }
            return .double(v)
        case let (.real(r), .int(v)):
            guard r.contains(Double(v)) else { throw fail() }
            return .double(Double(v))
        case let (.boolean, .bool(v)):
            return .bool(v)
        case let (.choice(options), .string(v)):
            guard options.contains(v) else { throw fail() }
            return .string(v)
        case let (.subset(options), .list(v)):
            guard !v.isEmpty, Set(v).count == v.count, v.allSatisfy(options.contains) else { throw fail() }
            return .list(v)
        case let (.subset(options), .string(v)):
            // The command line's form: names separated by commas.
            let names = v.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
            guard !names.isEmpty, Set(names).count == names.count, names.allSatisfy(options.contains) else { throw fail() }
            return .list(names)
        default:
            // Strings such as "False" are refused for booleans: MMGCN's official
            // code passed its concat flag as the string 'False', which is truthy.
            throw fail()
        }
    }
}

/// A bad configuration value, naming the key and what was expected.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
    /// The key path, such as `models[0].parameters.reg_weight`.
    public let key: String
    /// What is wrong and what was expected.
    public let reason: String

    /// A configuration error at `key`.
    public init(key: String, _ reason: String) {
        self.key = key
        self.reason = reason
    }

    public var description: String { "\(key): \(reason)" }
}

/// A model's resolved hyper-parameters: every key of its spec, checked, with
/// defaults filled in.
public struct Hyperparameters: Sendable, Hashable {
    /// Every hyper-parameter by name.
    public let values: [String: HyperparameterValue]
    /// The keys the config gave (the rest took their defaults).
    public let explicitKeys: Set<String>
    /// The keys the config gave with exactly their default value.
    public let givenAtDefault: Set<String>

    /// Checks `given` against `specs`: unknown keys, wrong types and values out
    /// of range are errors naming the key; missing keys take their defaults.
    public init(_ given: [String: HyperparameterValue], specs: [HyperparameterSpec], model: String) throws {
        let known = Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0) })
        for key in given.keys.sorted() where known[key] == nil {
            throw ConfigError(key: "\(model).\(key)",
                              "unknown parameter; \(model) accepts \(specs.map(\.name).sorted().joined(separator: ", "))")
        }
        var values: [String: HyperparameterValue] = [:]
        var atDefault: Set<String> = []
        for spec in specs {
            let value = try spec.check(given[spec.name] ?? spec.defaultValue, model: model)
            values[spec.name] = value
            if given[spec.name] != nil, value == (try? spec.check(spec.defaultValue, model: model)) {
                atDefault.insert(spec.name)
            }
        }
        self.values = values
        explicitKeys = Set(given.keys)
        givenAtDefault = atDefault
    }

    /// An integer hyper-parameter.
    public func int(_ name: String) -> Int {
        guard case let .int(v)? = values[name] else { preconditionFailure("hyper-parameter \(name) is not a declared integer") }
        return v
    }

    /// A real hyper-parameter.
    public func double(_ name: String) -> Double {
        guard case let .double(v)? = values[name] else { preconditionFailure("hyper-parameter \(name) is not a declared real") }
        return v
    }

    /// A real hyper-parameter as Float.
    public func float(_ name: String) -> Float { Float(double(name)) }

    /// A boolean hyper-parameter.
    public func bool(_ name: String) -> Bool {
        guard case let .bool(v)? = values[name] else { preconditionFailure("hyper-parameter \(name) is not a declared boolean") }
        return v
    }

    /// A list-of-names hyper-parameter.
    public func list(_ name: String) -> [String] {
        guard case let .list(v)? = values[name] else { preconditionFailure("hyper-parameter \(name) is not a declared subset") }
        return v
    }

    /// A string hyper-parameter.
    public func string(_ name: String) -> String {
        guard case let .string(v)? = values[name] else { preconditionFailure("hyper-parameter \(name) is not a declared choice") }
        return v
    }
}
