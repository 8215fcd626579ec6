import Foundation

/// Updates a list of parameters from their accumulated gradients.
public protocol Optimizer: AnyObject {
    /// The parameters this optimiser updates.
    var parameters: [Parameter] { get }
    /// Applies one update from the current gradients.
    func step()
}

extension Optimizer {
    /// Clears the gradients of all parameters.
    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }
}

/// Adam (Kingma & Ba, 2015), with optional L2 weight decay added to the
/// gradient as PyTorch's `torch.optim.Adam` does:
/// g ← g + λθ; m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
/// θ ← θ − η · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε).
public final class Adam: Optimizer {
    public let parameters: [Parameter]
    /// Step size η.
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    /// L2 penalty λ added to the gradient.
    public let weightDecay: Float
    /// Number of steps taken.
    public private(set) var stepCount = 0
    /// Steps taken by each parameter: `stepCount` less the steps that skipped it.
    public private(set) var parameterSteps: [Int]
    private var firstMoments: [[Float]]
    private var secondMoments: [[Float]]

    /// Adam over `parameters`; the defaults are PyTorch's.
    public init(parameters: [Parameter], learningRate: Float = 0.001, beta1: Float = 0.9,
                beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        parameterSteps = Array(repeating: 0, count: parameters.count)
        firstMoments = parameters.map { [Float](repeating: 0, count: $0.value.count) }
        secondMoments = parameters.map { [Float](repeating: 0, count: $0.value.count) }
    }

    public func step() { step(skipping: []) }

    /// One update of every parameter but those in `idle`, which keep their
    /// values, moments and step count, as PyTorch's Adam skips a parameter
    /// whose gradient is None (a parameter the step's loss did not reach).
    public func step(skipping idle: [Parameter]) {
        stepCount += 1
        let (b1, b2, eps, wd) = (beta1, beta2, epsilon, weightDecay)
        for (index, p) in parameters.enumerated() where !idle.contains(where: { $0 === p }) {
            parameterSteps[index] += 1
            let t = Float(parameterSteps[index])
            // θ −= η m̂ / (√v̂ + ε) with m̂ = m / (1−β₁ᵗ), v̂ = v / (1−β₂ᵗ), folded into two constants.
            let stepSize = learningRate / (1 - pow(beta1, t))
            let inverseCorrection2 = 1 / (1 - pow(beta2, t))
            let n = p.value.count
            let grad = p.grad
            grad.scalars.withUnsafeBufferPointer { g in
            firstMoments[index].withUnsafeMutableBufferPointer { m in
            secondMoments[index].withUnsafeMutableBufferPointer { v in
            p.value.scalars.withUnsafeMutableBufferPointer { theta in
                let (gp, mp, vp, tp) = (g.baseAddress!, m.baseAddress!, v.baseAddress!, theta.baseAddress!)
                parallelFor(n, work: n * 4) { range in
                    var k = range.lowerBound
                    // Eight lanes at a time; the element-wise rule is the same in the tail.
                    while k + 8 <= range.upperBound {
                        let th = UnsafeRawPointer(tp + k).loadUnaligned(as: SIMD8<Float>.self)
                        let gk = UnsafeRawPointer(gp + k).loadUnaligned(as: SIMD8<Float>.self) + wd * th
                        let mk = b1 * UnsafeRawPointer(mp + k).loadUnaligned(as: SIMD8<Float>.self) + (1 - b1) * gk
                        let vk = b2 * UnsafeRawPointer(vp + k).loadUnaligned(as: SIMD8<Float>.self) + (1 - b2) * gk * gk
                        UnsafeMutableRawPointer(mp + k).storeBytes(of: mk, as: SIMD8<Float>.self)
                        UnsafeMutableRawPointer(vp + k).storeBytes(of: vk, as: SIMD8<Float>.self)
                        let update = stepSize * mk / ((vk * inverseCorrection2).squareRoot() + eps)
                        UnsafeMutableRawPointer(tp + k).storeBytes(of: th - update, as: SIMD8<Float>.self)
                        k += 8
                    }
                    while k < range.upperBound {
                        let gk = gp[k] + wd * tp[k]
                        mp[k] = b1 * mp[k] + (1 - b1) * gk
                        vp[k] = b2 * vp[k] + (1 - b2) * gk * gk
                        tp[k] -= stepSize * mp[k] / ((vp[k] * inverseCorrection2).squareRoot() + eps)
                        k += 1
                    }
                }
            }}}}
        }
    }
}

/// Stochastic gradient descent with optional L2 weight decay: θ ← θ − η (g + λθ).
public final class SGD: Optimizer {
    public let parameters: [Parameter]
    /// Step size η.
    public var learningRate: Float
    /// L2 penalty λ added to the gradient.
    public let weightDecay: Float

    /// SGD over `parameters`.
    public init(parameters: [Parameter], learningRate: Float, weightDecay: Float = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.weightDecay = weightDecay
    }

    public func step() {
        let (lr, wd) = (learningRate, weightDecay)
        for p in parameters {
            let n = p.value.count
            p.grad.scalars.withUnsafeBufferPointer { g in
                p.value.scalars.withUnsafeMutableBufferPointer { theta in
                    for k in 0..<n { theta[k] -= lr * (g[k] + wd * theta[k]) }
                }
            }
        }
    }
}
