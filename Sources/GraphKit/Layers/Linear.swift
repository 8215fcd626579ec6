/// A fully connected layer y = x Wᵀ + b, with W of shape out × in as in
/// PyTorch's `nn.Linear`. Weights start Xavier-uniform, the bias at zero.
public struct Linear {
    /// The weight W, outputSize × inputSize.
    public let weight: Parameter
    /// The bias b, 1 × outputSize, or nil for a layer without one.
    public let bias: Parameter?

    /// A layer mapping `inputSize` columns to `outputSize` columns.
    public init(inputSize: Int, outputSize: Int, bias: Bool = true, rng: inout RandomGenerator,
                name: String = "linear") {
        weight = Parameter(Initializer.xavierUniform(rows: outputSize, cols: inputSize, rng: &rng),
                           name: name + ".weight")
        self.bias = bias ? Parameter(Tensor(rows: 1, cols: outputSize), name: name + ".bias") : nil
    }

    /// A layer drawn as PyTorch's `nn.Linear` default: weight, then bias, each
    /// U(±1/√inputSize). For MMRec's ports, which keep that default.
    public static func pytorchDefault(inputSize: Int, outputSize: Int, bias: Bool = true, rng: inout RandomGenerator,
                                      name: String = "linear") -> Linear {
        let bound = 1 / Float(inputSize).squareRoot()
        let weight = Initializer.uniform(rows: outputSize, cols: inputSize, low: -bound, high: bound, rng: &rng)
        let b = bias ? Initializer.uniform(rows: 1, cols: outputSize, low: -bound, high: bound, rng: &rng) : nil
        return Linear(weight: Parameter(weight, name: name + ".weight"), bias: b.map { Parameter($0, name: name + ".bias") })
    }

    /// A layer with the given weight (outputSize × inputSize) and bias (1 × outputSize).
    public init(weight: Parameter, bias: Parameter?) {
        self.weight = weight
        self.bias = bias
    }

    /// The layer's parameters, for an optimiser.
    public var parameters: [Parameter] { [weight] + (bias.map { [$0] } ?? []) }

    /// act(x Wᵀ + b) for the rows of `x` on `x`'s tape, as one fused op (`affine`).
    public func callAsFunction(_ x: Variable, activation: Activation = .identity) -> Variable {
        precondition(x.cols == weight.value.cols,
                     "Linear \(weight.name): input \(x.shapeDescription) needs \(weight.value.cols) columns")
        return affine(x, x.tape.watch(weight), bias: bias.map { x.tape.watch($0) }, activation: activation)
    }
}
