/// Mean squared error `L = (1/M) Σ (p − t)²`, `∂L/∂p = 2(p − t)/M`.
///
/// PyTorch `nn.MSELoss()`; scikit-image `mean_squared_error`.
public struct MSELoss: Loss {
    public init() {}
    public var name: String { "mse" }

    public func evaluate(prediction: Tensor, target: Tensor, gradient: inout Tensor) -> Double {
        checkShapes(name, prediction, target, gradient: &gradient)
        let m = prediction.count
        guard m > 0 else { return 0 }
        let scale = Float(2) / Float(m)
        var sum = 0.0
        prediction.data.withUnsafeBufferPointer { p in
            target.data.withUnsafeBufferPointer { t in
                gradient.data.withUnsafeMutableBufferPointer { g in
                    for i in 0..<m {
                        let d = p[i] - t[i]
                        sum += Double(d * d)
                        g[i] = scale * d
                    }
                }
            }
        }
        return sum / Double(m)
    }
}
