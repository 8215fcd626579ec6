/// A 64-bit linear congruential generator (Knuth's MMIX constants), so that
/// test data does not depend on the code under test.
public struct LCG {
    public var state: UInt64

    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state >> 33
    }
}
