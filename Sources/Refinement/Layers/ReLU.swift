import DeblurCore

/// The leaky rectifier `y = x` for `x > 0`, `y = slope·x` otherwise; `slope = 0` is ReLU.
///
/// Applied in place on a layer's output; backward needs only that output (the sign of `y`
/// is the sign of `x` for `slope ≥ 0`). PyTorch `nn.LeakyReLU(slope)` / `nn.ReLU()`, ONNX
/// `LeakyRelu(alpha = slope)` / `Relu`. Maas et al. (2013).
public struct LeakyReLU: Sendable, Equatable, Codable {
    public let slope: Float

    public init(slope: Float = 0.01) {
        precondition(slope >= 0 && slope < 1, "LeakyReLU needs a slope in [0, 1), got \(slope)")
        self.slope = slope
    }

    /// The plain rectifier `max(x, 0)` (Nair & Hinton 2010).
    public static let relu = LeakyReLU(slope: 0)

    /// `x ← f(x)` over every sample.
    public func forward(_ x: inout Tensor) {
        let a = slope
        x.data.withUnsafeMutableBufferPointer { p in
            for i in p.indices { let v = p[i]; p[i] = v > 0 ? v : a * v }
        }
    }

    /// `g ← g · f′` where `output` is this layer's forward output.
    public func backward(output: Tensor, gradient g: inout Tensor) {
        precondition(output.count == g.count, "LeakyReLU backward: \(output.count) outputs vs \(g.count) gradients")
        let a = slope
        output.data.withUnsafeBufferPointer { y in
            g.data.withUnsafeMutableBufferPointer { d in
                // Blocks on both cores once the pass is large enough (it was ~5 % of a
                // training step on one core); a select rather than a branch, so it vectorizes.
                let count = d.count, blocks = count >= 1 << 16 ? ProcessorInfo.cores : 1
                parallelFor(blocks, threads: blocks) { b in
                    for i in (count * b / blocks) ..< (count * (b + 1) / blocks) {
                        let v = d[i]
                        d[i] = y[i] > 0 ? v : a * v
                    }
                }
            }
        }
    }
}
