/// Which of MMRec's behaviours a model runs with, read from its `compat`
/// hyper-parameter (docs/MODELS.md, "Compatibility with MMRec"):
/// - `"paper"` (the default): none, the model as its paper and docs/models/ say;
/// - `"mmrec"`: all of them, MMRec's port, so that a number can be checked
///   against MMRec's;
/// - `"mmrec:NAME"`: that one behaviour alone on top of the paper's model, so
///   that its effect on a number can be measured (the `mmrec-bugs` table).
///
/// `Behaviour` lists a model's behaviours; their raw values are the NAMEs.
/// Behaviours that already have a hyper-parameter of their own (GRCN's hard
/// pruning is `pruning: "hard"`, say) are not listed: the port forces them,
/// and a row that prices them sets that hyper-parameter.
public struct MMRecCompat<Behaviour: RawRepresentable & CaseIterable & Hashable & Sendable>: Sendable
    where Behaviour.RawValue == String
{
    /// The behaviours switched on.
    public let behaviours: Set<Behaviour>
    /// Whether the whole port was asked for (`"mmrec"`), as opposed to the
    /// paper's model or one behaviour on top of it.
    public let isPort: Bool

    /// The `compat` hyper-parameter's spec: "paper", "mmrec", or "mmrec:" and one behaviour.
    public static func spec(_ help: String) -> HyperparameterSpec {
        .choice("compat", default: "paper", ["paper", "mmrec"] + Behaviour.allCases.map { "mmrec:\($0.rawValue)" },
                help + "; \"mmrec:NAME\": that one behaviour alone on the paper's model")
    }

    /// Reads `compat` from resolved hyper-parameters.
    public init(_ h: Hyperparameters) {
        let value = h.string("compat")
        if value == "mmrec" {
            (behaviours, isPort) = (Set(Behaviour.allCases), true)
        } else if value.hasPrefix("mmrec:"), let one = Behaviour(rawValue: String(value.dropFirst("mmrec:".count))) {
            (behaviours, isPort) = ([one], false)
        } else {
            (behaviours, isPort) = ([], false)
        }
    }

    /// Whether `behaviour` is on.
    public func has(_ behaviour: Behaviour) -> Bool { behaviours.contains(behaviour) }
}
