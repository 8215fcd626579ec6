import Foundation
import ModelRegistry
import RecommenderCore

/// One `--set key=value` of `bench run`: a quick variant of a config without
/// editing it. A training key (`epochs`, `learning_rate`, ...) replaces that
/// option, grid included, in every trained model's entry; a hyper-parameter replaces it
/// in every entry whose model has it. The variant is checked like any config,
/// and since the run key hashes the settings a run trains with, a variant's
/// runs never mix with the original's.
public struct ConfigOverride: Sendable, Equatable {
    /// The training option or hyper-parameter.
    public let key: String
    /// The value, read as JSON would read it: true or false, an integer, a
    /// number, a comma-separated list of names, else a string.
    public let value: JSONValue

    /// Parses `key=value`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ConfigError(key: "--set", "'\(text)' is not key=value")
        }
        key = parts[0]
        let raw = parts[1]
        if raw == "true" { value = .bool(true) }
        else if raw == "false" { value = .bool(false) }
        else if let i = Int(raw) { value = .int(i) }
        else if let d = Double(raw), d.isFinite { value = .double(d) }
        else if raw.contains(",") { value = .array(raw.split(separator: ",").map { .string(String($0)) }) }
        else { value = .string(raw) }
    }

    /// `key_value` with every character a config name does not allow as `_`,
    /// for the variant's name.
    var nameSuffix: String {
        let text: String
        switch value {
        case let .int(i): text = String(i)
        case let .double(d): text = String(d)
        case let .bool(b): text = String(b)
        case let .string(s): text = s
        case let .array(a):
            text = a.compactMap { item -> String? in
                if case let .string(s) = item { return s }
                return nil
            }.joined(separator: "-")
        default: text = ""
        }
        return "\(key)_\(text)".map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? String($0) : "_" }.joined()
    }

    /// `json` (a config's root object) with the overrides applied, and the
    /// config renamed NAME-KEY_VALUE... so that its tables go to a folder of
    /// their own; the store stays the original's.
    static func apply(_ overrides: [ConfigOverride], to json: JSONValue, registry: ModelRegistry) throws -> JSONValue {
        guard !overrides.isEmpty else { return json }
        guard case var .object(root) = json, case let .array(entries)? = root["models"] else { return json }
        guard case let .string(name)? = root["name"] else { return json }
        var models = entries
        for override in overrides {
            var used = false
            for (i, entry) in models.enumerated() {
                guard case var .object(fields) = entry, case let .string(model)? = fields["model"],
                      let type = try? registry.model(named: model) else { continue }
                let section: String
                if ExperimentConfig.trainingKeys.contains(override.key) {
                    // Most popular trains nothing: its stored runs stay valid for the variant.
                    guard type.isTrainable else { continue }
                    section = "training"
                } else if type.hyperparameters.contains(where: { $0.name == override.key }) {
                    section = "parameters"
                } else {
                    continue
                }
                var settings: [String: JSONValue] = [:]
                if case let .object(existing)? = fields[section] { settings = existing }
                settings[override.key] = override.value
                fields[section] = .object(settings)
                models[i] = .object(fields)
                used = true
            }
            guard used else {
                throw ConfigError(key: "--set \(override.key)", "neither a training option ("
                    + ExperimentConfig.trainingKeys.joined(separator: ", ") + ") nor a hyper-parameter of any model in the config")
            }
        }
        root["models"] = .array(models)
        if root["store"] == nil { root["store"] = .string(name) }
        root["name"] = .string(([name] + overrides.map(\.nameSuffix)).joined(separator: "-"))
        return .object(root)
    }
}
