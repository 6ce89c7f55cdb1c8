/// Plain stochastic gradient descent, `θ ← θ − η·g`.
///
/// PyTorch `torch.optim.SGD(params, lr)`. Robbins & Monro (1951).
public struct SGD: Optimizer {
    public var learningRate: Float
    public var step = 0
    public var state: [[Float]] { get { [] } set {} }

    /// - Parameter learningRate: η (default 0.01).
    public init(learningRate: Float = 0.01) { self.learningRate = learningRate }

    public mutating func update(_ parameters: inout [Float], along gradients: [Float]) {
        checkUpdate(parameters, gradients)
        let lr = learningRate
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { g in for i in p.indices { p[i] -= lr * g[i] } }
        }
        step += 1
    }
}
