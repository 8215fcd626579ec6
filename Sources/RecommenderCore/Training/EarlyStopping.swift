import Foundation

/// The early-stopping rule (docs/MODELS.md, "Training"): a validation is a gain
/// when its metric is strictly above the best so far; after `patience`
/// validations without a gain, training stops.
///
/// With `decimals`, the metric is first rounded to that many decimal places,
/// as MMRec's evaluator does before its `early_stopping` compares values
/// (`round(value, 4)` in `topk_evaluator.py`): a rise that does not change the
/// fourth decimal is no gain there, so MMRec stops earlier and keeps an
/// earlier best epoch. nil compares the metric at full precision.
public struct EarlyStopping: Sendable, Equatable {
    /// The decimal places `decimals` may take (a double holds about 15 to 17 significant digits).
    public static let decimalsRange = 0...15

    public let patience: Int
    public let decimals: Int?
    /// The best (rounded, with `decimals`) value so far; -∞ before the first validation.
    public private(set) var best = -Double.infinity
    /// Validations since the last gain.
    public private(set) var sinceBest = 0

    public init(patience: Int, decimals: Int? = nil) {
        precondition(patience > 0, "EarlyStopping: patience must be positive")
        precondition(decimals.map(Self.decimalsRange.contains) ?? true, "EarlyStopping: decimals must be in \(Self.decimalsRange)")
        self.patience = patience
        self.decimals = decimals
    }

    /// `value` as the rule compares it: with `decimals`, the decimal with that
    /// many places nearest to the double's exact binary value, an exact tie to
    /// the even last digit, as Python's `round(value, decimals)` gives it
    /// (so `round(2.675, 2)` is 2.67, because the double is 2.67499…).
    public func compared(_ value: Double) -> Double {
        guard let decimals, value.isFinite else { return value }
        // printf's %.Nf rounds the exact binary value correctly, ties to even.
        return Double(String(format: "%.\(decimals)f", value)) ?? value
    }

    /// The epoch at which training stops if no validation from here on is a
    /// gain: after `epoch`, validations come every `evalEvery` epochs, and
    /// `patience - sinceBest` more without a gain end the run; `cap` ends it
    /// sooner.
    public func lastEpochWithoutGain(after epoch: Int, evalEvery: Int, cap: Int) -> Int {
        let validationsLeft = max(0, patience - sinceBest)
        return min(cap, (epoch / evalEvery + validationsLeft) * evalEvery)
    }

    /// Takes one validation's metric: whether it is a new best, and whether
    /// training stops after it.
    public mutating func observe(_ value: Double) -> (isBest: Bool, stop: Bool) {
        let v = compared(value)
        if v > best {
            best = v
            sinceBest = 0
            return (true, false)
        }
        sinceBest += 1
        return (false, sinceBest >= patience)
    }
}
