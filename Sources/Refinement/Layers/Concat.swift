/// Concatenation along the channel axis (U-Net skip connections).
///
/// `N × C₁ × H × W` and `N × C₂ × H × W` → `N × (C₁ + C₂) × H × W`, first input's channels
/// first (PyTorch `torch.cat([a, b], 1)`, ONNX `Concat(axis = 1)`). Backward splits the
/// gradient back into the two parts.
public enum Concat {
    /// `output ← [a, b]` along channels.
    public static func forward(_ a: Tensor, _ b: Tensor, into output: inout Tensor) {
        precondition(a.batch == b.batch && a.height == b.height && a.width == b.width,
                     "Concat needs equal batch and size, got \(a.shape) and \(b.shape)")
        output.reshape(batch: a.batch, channels: a.channels + b.channels, height: a.height, width: a.width)
        let sa = a.sampleSize, sb = b.sampleSize
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                output.data.withUnsafeMutableBufferPointer { po in
                    for n in 0..<a.batch {
                        let o = po.baseAddress! + n * (sa + sb)
                        o.update(from: pa.baseAddress! + n * sa, count: sa)
                        (o + sa).update(from: pb.baseAddress! + n * sb, count: sb)
                    }
                }
            }
        }
    }

    /// Splits ∂L/∂output into the gradients of the first `firstChannels` channels and the rest.
    /// Either destination may be nil when that input needs no gradient; `addFirst`/`addSecond`
    /// accumulate instead of overwriting (for inputs that also feed other layers).
    public static func backward(_ gradient: Tensor, firstChannels: Int,
                                first: UnsafeMutablePointer<Float>?, addFirst: Bool = false,
                                second: UnsafeMutablePointer<Float>?, addSecond: Bool = false) {
        // Past the gradient's channels the second part's size came out negative: a crash in memory.
        precondition(firstChannels >= 0 && firstChannels <= gradient.channels,
                     "Concat backward: first part of \(firstChannels) channels, the gradient has \(gradient.channels)")
        let sa = firstChannels * gradient.planeSize
        let sb = gradient.sampleSize - sa
        gradient.data.withUnsafeBufferPointer { g in
            for n in 0..<gradient.batch {
                let src = g.baseAddress! + n * (sa + sb)
                if let first {
                    let d = first + n * sa
                    if addFirst { for i in 0..<sa { d[i] += src[i] } } else { d.update(from: src, count: sa) }
                }
                if let second {
                    let d = second + n * sb
                    if addSecond { for i in 0..<sb { d[i] += src[sa + i] } } else { d.update(from: src + sa, count: sb) }
                }
            }
        }
    }
}
