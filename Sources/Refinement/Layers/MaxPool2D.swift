import DeblurCore

/// Max pooling over non-overlapping `size × size` windows (stride = size, no padding).
///
/// `y[n, c, i, j] = max_{0 ≤ a, b < size} x[n, c, i·size + a, j·size + b]`; trailing rows and
/// columns that do not fill a window are dropped (PyTorch `nn.MaxPool2d(size)`, ONNX
/// `MaxPool` with `kernel_shape = strides = [size, size]`). Backward routes each gradient
/// to the winning input (first maximum on ties), whose index `forward` records.
public struct MaxPool2D: Sendable, Equatable, Codable {
    public let size: Int

    public init(size: Int = 2) {
        precondition(size >= 1, "MaxPool2D needs size ≥ 1, got \(size)")
        self.size = size
    }

    /// `output ← maxpool(input)`; `winners` receives each output's input index within its plane.
    public func forward(_ input: Tensor, into output: inout Tensor, winners: inout [Int32]) {
        let oh = input.height / size, ow = input.width / size
        output.reshape(batch: input.batch, channels: input.channels, height: oh, width: ow)
        let planes = input.batch * input.channels
        if winners.count != output.count { winners = [Int32](repeating: 0, count: output.count) }
        let h = input.height, w = input.width, s = size
        input.data.withUnsafeBufferPointer { x in
            output.data.withUnsafeMutableBufferPointer { y in
                winners.withUnsafeMutableBufferPointer { arg in
                    // Planes are independent; split them over the cores when there is enough work
                    // (no product runs meanwhile).
                    let threads = planes * oh * ow >= 1 << 16 ? BLAS.threads : 1
                    parallelFor(planes, threads: threads) { plane in
                        let xp = x.baseAddress! + plane * h * w
                        let base = plane * oh * ow
                        if s == 2 {
                            // The U-Net's windows, unrolled: the same comparisons in the same
                            // order as the general loop below (first maximum on ties), at half its
                            // instructions (`valgrind --tool=callgrind` on `deblur refine`).
                            for i in 0..<oh {
                                let top = 2 * i * w, row0 = xp + top, row1 = row0 + w
                                let out = y.baseAddress! + base + i * ow, winner = arg.baseAddress! + base + i * ow
                                for j in 0..<ow {
                                    let c = 2 * j
                                    var value = row0[c], best = top + c
                                    if row0[c + 1] > value { value = row0[c + 1]; best = top + c + 1 }
                                    if row1[c] > value { value = row1[c]; best = top + w + c }
                                    if row1[c + 1] > value { value = row1[c + 1]; best = top + w + c + 1 }
                                    out[j] = value
                                    winner[j] = Int32(best)
                                }
                            }
                            return
                        }
                        for i in 0..<oh {
                            for j in 0..<ow {
                                var best = i * s * w + j * s
                                var value = xp[best]
                                for a in 0..<s {
                                    for b in 0..<s {
                                        let index = (i * s + a) * w + j * s + b
                                        if xp[index] > value { value = xp[index]; best = index }
                                    }
                                }
                                y[base + i * ow + j] = value
                                arg[base + i * ow + j] = Int32(best)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Writes ∂L/∂x (shape of the forward input) from ∂L/∂y and the recorded winners.
    public func backward(outputGradient: Tensor, winners: [Int32], inputHeight: Int, inputWidth: Int,
                         into inputGradient: inout Tensor) {
        inputGradient.reshape(batch: outputGradient.batch, channels: outputGradient.channels, height: inputHeight, width: inputWidth)
        inputGradient.fill(0)
        let planes = outputGradient.batch * outputGradient.channels
        let outPlane = outputGradient.planeSize, inPlane = inputHeight * inputWidth
        outputGradient.data.withUnsafeBufferPointer { dy in
            inputGradient.data.withUnsafeMutableBufferPointer { dx in
                winners.withUnsafeBufferPointer { arg in
                    for plane in 0..<planes {
                        for i in 0..<outPlane {
                            dx[plane * inPlane + Int(arg[plane * outPlane + i])] += dy[plane * outPlane + i]
                        }
                    }
                }
            }
        }
    }
}
