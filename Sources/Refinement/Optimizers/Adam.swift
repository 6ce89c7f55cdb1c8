import Foundation

/// Adam with bias correction and optional decoupled weight decay (AdamW):
/// `m ← β₁m + (1 − β₁)g`, `v ← β₂v + (1 − β₂)g²`,
/// `θ ← θ − η·( m̂ / (√v̂ + ε) + λθ )` with `m̂ = m/(1 − β₁ᵗ)`, `v̂ = v/(1 − β₂ᵗ)`.
///
/// PyTorch `torch.optim.AdamW(params, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=λ)`
/// (`λ = 0` is `torch.optim.Adam`). Kingma & Ba (2015); Loshchilov & Hutter (2019).
public struct Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float
    /// Decoupled weight decay λ (default 0).
    public let weightDecay: Float
    public var step = 0
    var first: [Float], second: [Float]
    public var state: [[Float]] {
        get { [first, second] }
        set {
            precondition(newValue.count == 2 && newValue[0].count == first.count && newValue[1].count == second.count, "Adam state mismatch")
            first = newValue[0]; second = newValue[1]
        }
    }

    public init(parameterCount: Int, learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999,
                epsilon: Float = 1e-8, weightDecay: Float = 0) {
        self.learningRate = learningRate; self.beta1 = beta1; self.beta2 = beta2
        self.epsilon = epsilon; self.weightDecay = weightDecay
        first = [Float](repeating: 0, count: parameterCount)
        second = first
    }

    public mutating func update(_ parameters: inout [Float], along gradients: [Float]) {
        checkUpdate(parameters, gradients, state: first.count)
        step += 1
        let b1 = beta1, b2 = beta2, eps = epsilon, lr = learningRate, decay = weightDecay
        let c1 = Float(1 - pow(Double(b1), Double(step))), c2 = Float(1 - pow(Double(b2), Double(step)))
        parameters.withUnsafeMutableBufferPointer { p in
            gradients.withUnsafeBufferPointer { g in
                first.withUnsafeMutableBufferPointer { m in
                    second.withUnsafeMutableBufferPointer { v in
                        for i in p.indices {
                            m[i] = b1 * m[i] + (1 - b1) * g[i]
                            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                            let mHat = m[i] / c1, vHat = v[i] / c2
                            p[i] -= lr * (mHat / (vHat.squareRoot() + eps) + decay * p[i])
                        }
                    }
                }
            }
        }
    }
}
