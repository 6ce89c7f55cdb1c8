/// The Charbonnier loss, a smooth L1: `L = (1/M) Σ √((p − t)² + ε²)`,
/// `∂L/∂p = (p − t) / (M √((p − t)² + ε²))`; `ε = 0` is the plain L1 loss (subgradient 0 at 0).
///
/// PyTorch `nn.L1Loss()` for ε = 0. Charbonnier et al. (1994); Lai et al. (2017, LapSRN).
public struct CharbonnierLoss: Loss {
    /// Smoothing ε on the [0, 1] intensity scale (default 1e-3; 0 gives L1).
    public let epsilon: Float

    public init(epsilon: Float = 1e-3) {
        precondition(epsilon >= 0, "Charbonnier ε must be ≥ 0, got \(epsilon)")
        self.epsilon = epsilon
    }

    /// The plain mean absolute error.
    public static let l1 = CharbonnierLoss(epsilon: 0)

    public var name: String { epsilon == 0 ? "l1" : "charbonnier" }

    public func evaluate(prediction: Tensor, target: Tensor, gradient: inout Tensor) -> Double {
        checkShapes(name, prediction, target, gradient: &gradient)
        let m = prediction.count
        guard m > 0 else { return 0 }
        let inverse = 1 / Float(m), e2 = epsilon * epsilon
        var sum = 0.0
        prediction.data.withUnsafeBufferPointer { p in
            target.data.withUnsafeBufferPointer { t in
                gradient.data.withUnsafeMutableBufferPointer { g in
                    for i in 0..<m {
                        let d = p[i] - t[i]
                        let r = (d * d + e2).squareRoot()
                        sum += Double(r)
                        g[i] = r > 0 ? inverse * d / r : 0
                    }
                }
            }
        }
        return sum / Double(m)
    }
}
