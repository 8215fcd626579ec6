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
        firstMoments = parameters.map { [Float](repeating: 0, count: $0.value.count) }
        secondMoments = parameters.map { [Float](repeating: 0, count: $0.value.count) }
    }

    public func step() {
        stepCount += 1
        let t = Float(stepCount)
        let correction1 = 1 - pow(beta1, t)
        let correction2 = 1 - pow(beta2, t)
        let (b1, b2, eps, lr, wd) = (beta1, beta2, epsilon, learningRate, weightDecay)
        for (index, p) in parameters.enumerated() {
            let n = p.value.count
            p.grad.scalars.withUnsafeBufferPointer { g in
                firstMoments[index].withUnsafeMutableBufferPointer { m in
                    secondMoments[index].withUnsafeMutableBufferPointer { v in
                        p.value.scalars.withUnsafeMutableBufferPointer { theta in
                            parallelFor(n, work: n) { range in
                                for k in range {
                                    let gk = g[k] + wd * theta[k]
                                    m[k] = b1 * m[k] + (1 - b1) * gk
                                    v[k] = b2 * v[k] + (1 - b2) * gk * gk
                                    let mHat = m[k] / correction1
                                    let vHat = v[k] / correction2
                                    theta[k] -= lr * mHat / (vHat.squareRoot() + eps)
                                }
                            }
                        }
                    }
                }
            }
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
