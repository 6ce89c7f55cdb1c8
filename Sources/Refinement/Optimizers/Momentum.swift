/// SGD with heavy-ball momentum, optionally Nesterov's look-ahead form:
/// `v ← μv + g`, then `θ ← θ − η·v`, or with Nesterov `θ ← θ − η·(g + μv)`.
///
/// PyTorch `torch.optim.SGD(params, lr, momentum=μ, nesterov=...)` (same formulation).
/// Polyak (1964); Sutskever et al. (2013).
public struct Momentum: Optimizer {
    public var learningRate: Float
    /// μ (default 0.9).
    public let momentum: Float
    public let nesterov: Bool
    public var step = 0
    var velocity: [Float]
    public var state: [[Float]] {
        get { [velocity] }
        set { precondition(newValue.count == 1 && newValue[0].count == velocity.count, "Momentum state mismatch"); velocity = newValue[0] }
    }

    public init(parameterCount: Int, learningRate: Float = 0.01, momentum: Float = 0.9, nesterov: Bool = false) {
        self.learningRate = learningRate; self.momentum = momentum; self.nesterov = nesterov
        velocity = [Float](repeating: 0, count: parameterCount)
    }

    public mutating func update(_ parameters: inout [Float], along gradients: [Float]) {
        checkUpdate(parameters, gradients, state: velocity.count)
        let lr = learningRate, mu = momentum, nesterov = self.nesterov
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { g in
                velocity.withUnsafeMutableBufferPointer { v in
                    for i in p.indices {
                        v[i] = mu * v[i] + g[i]
                        p[i] -= lr * (nesterov ? g[i] + mu * v[i] : v[i])
                    }
                }
            }
        }
        step += 1
    }
}
