/// Initial values for weight matrices and embedding tables.
public enum Initializer {
    /// Xavier (Glorot) uniform: U(−a, a) with a = √(6 / (fan_in + fan_out)).
    /// For a rows × cols matrix fan_in = cols and fan_out = rows, as PyTorch's
    /// `xavier_uniform_` reads an `nn.Embedding` or `nn.Linear` weight.
    public static func xavierUniform(rows: Int, cols: Int, rng: inout RandomGenerator) -> Tensor {
        let a = (6 / Float(rows + cols)).squareRoot()
        return uniform(rows: rows, cols: cols, low: -a, high: a, rng: &rng)
    }

    /// Xavier (Glorot) normal: N(0, σ²) with σ = √(2 / (fan_in + fan_out)).
    public static func xavierNormal(rows: Int, cols: Int, rng: inout RandomGenerator) -> Tensor {
        normal(rows: rows, cols: cols, std: (2 / Float(rows + cols)).squareRoot(), rng: &rng)
    }

    /// N(0, std²) entries.
    public static func normal(rows: Int, cols: Int, std: Float, rng: inout RandomGenerator) -> Tensor {
        var t = Tensor(rows: rows, cols: cols)
        t.scalars.withUnsafeMutableBufferPointer { p in
            for k in 0..<p.count { p[k] = std * rng.nextNormal() }
        }
        return t
    }

    /// U(low, high) entries.
    public static func uniform(rows: Int, cols: Int, low: Float, high: Float, rng: inout RandomGenerator) -> Tensor {
        var t = Tensor(rows: rows, cols: cols)
        t.scalars.withUnsafeMutableBufferPointer { p in
            for k in 0..<p.count { p[k] = low + (high - low) * rng.nextUniform() }
        }
        return t
    }
}
