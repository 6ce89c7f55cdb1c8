/// A training objective comparing a prediction with its target.
///
/// `evaluate` returns the loss (averaged over every sample of the batch) and writes
/// `∂L/∂prediction` into `gradient` (reshaped to the prediction's shape).
public protocol Loss: Sendable {
    /// A short label for logs (`"mse"`, `"0.8*l1+0.2*ssim"`).
    var name: String { get }
    /// The loss value; `gradient ← ∂L/∂prediction`.
    func evaluate(prediction: Tensor, target: Tensor, gradient: inout Tensor) -> Double
}

extension Loss {
    /// The loss value alone.
    public func value(prediction: Tensor, target: Tensor) -> Double {
        var g = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        return evaluate(prediction: prediction, target: target, gradient: &g)
    }
}

@inline(__always)
func checkShapes(_ name: String, _ p: Tensor, _ t: Tensor, gradient: inout Tensor) {
    precondition(p.hasShape(of: t), "\(name): prediction \(p.shape) and target \(t.shape) differ")
    gradient.reshape(batch: p.batch, channels: p.channels, height: p.height, width: p.width)
}
