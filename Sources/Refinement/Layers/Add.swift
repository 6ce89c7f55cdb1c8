/// Elementwise addition of two tensors of equal shape (the residual connection).
///
/// `y = a + b` (PyTorch `a + b`, ONNX `Add`); its gradient passes unchanged to both inputs.
/// The refiner adds the network's correction to the classical estimate with it.
public enum Add {
    /// `output ← a + b`.
    public static func forward(_ a: Tensor, _ b: Tensor, into output: inout Tensor) {
        precondition(a.hasShape(of: b), "Add needs equal shapes, got \(a.shape) and \(b.shape)")
        output.reshape(batch: a.batch, channels: a.channels, height: a.height, width: a.width)
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                output.data.withUnsafeMutableBufferPointer { po in
                    for i in po.indices { po[i] = pa[i] + pb[i] }
                }
            }
        }
    }
}
