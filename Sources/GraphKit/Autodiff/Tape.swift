/// A trainable tensor that lives across steps: its value, and the gradient
/// accumulated into it by `Tape.backward(from:)` until an optimiser clears it.
public final class Parameter {
    /// A name for logs and error messages, such as `"user_embedding"`.
    public let name: String
    /// The current value.
    public var value: Tensor
    private var storedGrad: Tensor?

    /// A parameter starting at `value`, with a zero gradient.
    public init(_ value: Tensor, name: String = "parameter") {
        self.name = name
        self.value = value
    }

    /// The gradient accumulated since the last `zeroGrad()` (zeros before any).
    public var grad: Tensor {
        get { storedGrad ?? Tensor.zeros(like: value) }
        set {
            precondition(newValue.rows == value.rows && newValue.cols == value.cols,
                         "Parameter \(name): gradient \(newValue.shapeDescription) for value \(value.shapeDescription)")
            storedGrad = newValue
        }
    }

    /// Adds `g` to the gradient; the first gradient after `zeroGrad()` is taken as is, without a copy.
    func accumulate(_ g: Tensor) {
        if storedGrad == nil { grad = g } else { storedGrad!.add(g) }
    }

    /// Sets the gradient to zero.
    public func zeroGrad() {
        storedGrad = nil
    }
}

/// Gradients of the nodes of one tape during a backward pass.
///
/// A node's gradient is a whole tensor, or, while only row lookups have sent
/// one back, a `RowGradient`; it becomes a whole tensor when its pullback runs
/// or a whole tensor is added to it. Contributions are combined in the order
/// they arrive, so the bits are those of adding whole zero-filled tables.
public struct Gradients {
    var slots: [Tensor?]
    var rowSlots: [Int: RowGradient] = [:]
    let requiresGrad: [Bool]

    init(count: Int, requiresGrad: [Bool]) {
        slots = [Tensor?](repeating: nil, count: count)
        self.requiresGrad = requiresGrad
    }

    /// True when node `id` needs a gradient, so a pullback may skip work for constants.
    public func needs(_ id: Int) -> Bool { requiresGrad[id] }

    /// Adds `g` into the gradient of node `id` (ignored for constants).
    public mutating func accumulate(_ g: Tensor, into id: Int) {
        guard requiresGrad[id] else { return }
        if let rows = rowSlots.removeValue(forKey: id) {
            var sum = g
            rows.add(into: &sum)
            slots[id] = sum
        } else if slots[id] == nil {
            slots[id] = g
        } else {
            slots[id]!.add(g)
        }
    }

    /// Adds a gradient that is zero outside `g.rows` into node `id` (ignored for
    /// constants), touching only those rows.
    public mutating func accumulate(_ g: RowGradient, into id: Int) {
        guard requiresGrad[id] else { return }
        if slots[id] != nil {
            g.add(into: &slots[id]!)
        } else if let rows = rowSlots[id] {
            rowSlots[id] = rows.adding(g)
        } else {
            rowSlots[id] = g
        }
    }

    /// Takes node `id`'s gradient out, as a whole tensor; nil when none arrived.
    mutating func take(_ id: Int) -> Tensor? {
        if let rows = rowSlots.removeValue(forKey: id) { return rows.dense() }
        defer { slots[id] = nil }
        return slots[id]
    }
}

/// A pullback: given the gradient of an op's output, adds the gradients of its inputs.
public typealias Pullback = (_ gradient: Tensor, _ gradients: inout Gradients) -> Void

/// The record of one forward computation, for reverse-mode differentiation.
///
/// Every op appends its output and a pullback closure. Nodes are appended in
/// the order they are computed, which is a topological order, so `backward`
/// walks the tape once in reverse. A tape made with `recording: false` (see
/// `Tape.noGrad`) keeps values only and records no pullbacks, for evaluation.
public final class Tape {
    /// False on a no-grad tape, which records no pullbacks.
    public let isRecording: Bool
    var values: [Tensor] = []
    var pullbacks: [Pullback?] = []
    var requiresGrad: [Bool] = []
    var parameterOfNode: [Int: Parameter] = [:]
    var nodeOfParameter: [ObjectIdentifier: Int] = [:]
    /// True once `backwardReleasing(from:)` has let the values go.
    public private(set) var isReleased = false

    /// A new, empty tape. With `recording: false` nothing is recorded for backward.
    public init(recording: Bool = true) {
        _ = AllocationTuning.applied
        self.isRecording = recording
    }

    /// A tape for evaluation: values only, no pullbacks, no gradients.
    public static func noGrad() -> Tape { Tape(recording: false) }

    /// Number of nodes recorded so far.
    public var count: Int { values.count }

    /// A node holding `value`, with no gradient.
    public func constant(_ value: Tensor) -> Variable {
        values.append(value)
        pullbacks.append(nil)
        requiresGrad.append(false)
        return Variable(id: values.count - 1, tape: self)
    }

    /// The node for `parameter`; its gradient flows into `parameter.grad` on backward.
    /// Watching the same parameter twice on one tape gives the same node.
    public func watch(_ parameter: Parameter) -> Variable {
        let key = ObjectIdentifier(parameter)
        if let id = nodeOfParameter[key] { return Variable(id: id, tape: self) }
        values.append(parameter.value)
        pullbacks.append(nil)
        requiresGrad.append(isRecording)
        let id = values.count - 1
        nodeOfParameter[key] = id
        parameterOfNode[id] = parameter
        return Variable(id: id, tape: self)
    }

    /// Appends the output of an op on `inputs`, with the pullback that maps the
    /// output's gradient to the inputs'. This is the one place ops are recorded.
    public func record(_ value: Tensor, inputs: [Variable], pullback: @escaping Pullback) -> Variable {
        for input in inputs {
            precondition(input.tape === self, "Tape: an op mixes variables from two tapes")
        }
        let needs = isRecording && inputs.contains { requiresGrad[$0.id] }
        values.append(value)
        pullbacks.append(needs ? pullback : nil)
        requiresGrad.append(needs)
        return Variable(id: values.count - 1, tape: self)
    }

    /// True when node `id` needs a gradient.
    func needsGrad(_ id: Int) -> Bool { requiresGrad[id] }

    /// Reverse-mode pass from a 1 × 1 `loss`: adds d loss / d p into `p.grad`
    /// for every watched parameter p.
    public func backward(from loss: Variable) {
        precondition(loss.rows == 1 && loss.cols == 1,
                     "backward: the loss must be 1x1, got \(loss.shapeDescription); pass a seed for other outputs")
        backward(from: loss, seed: Tensor(scalar: 1))
    }

    /// `backward(from:)` for a tape that is dropped right after: each node's
    /// value and pullback are let go once its pullback has run, so a step's
    /// peak memory is its forward values, not those plus all their gradients.
    /// The tape cannot be read or walked again.
    public func backwardReleasing(from loss: Variable) {
        precondition(loss.rows == 1 && loss.cols == 1,
                     "backward: the loss must be 1x1, got \(loss.shapeDescription); pass a seed for other outputs")
        backward(seeds: [(loss, Tensor(scalar: 1))], releasing: true)
    }

    /// Reverse-mode pass from any output with a given upstream gradient `seed`
    /// (a vector–Jacobian product): adds seedᵀ · d output / d p into `p.grad`.
    public func backward(from output: Variable, seed: Tensor) {
        backward(seeds: [(output, seed)])
    }

    /// Reverse-mode pass from several outputs at once, each with its upstream
    /// gradient: the sum of the vector–Jacobian products, in one walk of the tape.
    public func backward(seeds: [(output: Variable, gradient: Tensor)]) {
        backward(seeds: seeds, releasing: false)
    }

    private func backward(seeds: [(output: Variable, gradient: Tensor)], releasing: Bool) {
        precondition(!isReleased, "backward: this tape's values were released by backwardReleasing(from:)")
        precondition(isRecording, "backward: this tape was made with recording off (no-grad)")
        precondition(!seeds.isEmpty, "backward: no outputs")
        var grads = Gradients(count: values.count, requiresGrad: requiresGrad)
        for (output, seed) in seeds {
            precondition(output.tape === self, "backward: an output belongs to another tape")
            let value = values[output.id]
            precondition(value.rows == seed.rows && value.cols == seed.cols,
                         "backward: seed \(seed.shapeDescription) for output \(value.shapeDescription)")
            grads.accumulate(seed, into: output.id)
        }
        let last = seeds.map(\.output.id).max()!
        for id in stride(from: last, through: 0, by: -1) {
            guard let g = grads.take(id) else { continue }
            if let pullback = pullbacks[id] {
                pullback(g, &grads)
            } else if let parameter = parameterOfNode[id] {
                parameter.accumulate(g)
            }
            // Pullbacks read only their inputs' values (lower ids), so this node's are done with.
            if releasing { (values[id], pullbacks[id]) = (Tensor(rows: 0, cols: 0), nil) }
        }
        if releasing { isReleased = true }
    }
}

/// A node on a tape: the output of an op, a constant or a watched parameter.
public struct Variable {
    /// Position on the tape.
    public let id: Int
    /// The tape this node lives on.
    public let tape: Tape

    /// The forward value.
    public var value: Tensor {
        precondition(!tape.isReleased, "Variable: its tape's values were released by backwardReleasing(from:)")
        return tape.values[id]
    }
    /// Number of rows of the value.
    public var rows: Int { tape.values[id].rows }
    /// Number of columns of the value.
    public var cols: Int { tape.values[id].cols }
    /// The shape as `rows x cols`, for messages.
    public var shapeDescription: String { tape.values[id].shapeDescription }
    /// True when gradients flow into this node.
    public var requiresGrad: Bool { tape.needsGrad(id) }
}
