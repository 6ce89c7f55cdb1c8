/// AdaGrad: per-parameter step sizes shrinking with the accumulated squared gradient,
/// `s ← s + g²`, `θ ← θ − η·g / (√s + ε)`.
///
/// PyTorch `torch.optim.Adagrad(params, lr, eps=1e-10)`. Duchi, Hazan & Singer (2011).
public struct AdaGrad: Optimizer {
    public var learningRate: Float
    public let epsilon: Float
    public var step = 0
    var squares: [Float]
    public var state: [[Float]] {
        get { [squares] }
        set { precondition(newValue.count == 1 && newValue[0].count == squares.count, "AdaGrad state mismatch"); squares = newValue[0] }
    }

    public init(parameterCount: Int, learningRate: Float = 0.01, epsilon: Float = 1e-10) {
        self.learningRate = learningRate; self.epsilon = epsilon
        squares = [Float](repeating: 0, count: parameterCount)
    }

    public mutating func update(_ parameters: inout [Float], along gradients: [Float]) {
        checkUpdate(parameters, gradients, state: squares.count)
        let lr = learningRate, eps = epsilon
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { g in
                squares.withUnsafeMutableBufferPointer { s in
                    for i in p.indices {
                        s[i] += g[i] * g[i]
                        p[i] -= lr * g[i] / (s[i].squareRoot() + eps)
                    }
                }
            }
        }
        step += 1
    }
}
