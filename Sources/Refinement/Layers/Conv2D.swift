import DeblurCore

/// A 2-D convolution (cross-correlation, as in every deep-learning framework) with bias.
///
/// `y[n, o] = b[o] + Σ_c w[o, c] ⋆ x[n, c]`, computed as `Y = W · im2col(X)` with one
/// `cblas_sgemm` per image and chunk of output pixels.
///
/// Shapes: input `N × inChannels × H × W`, output `N × outChannels × H' × W'` with
/// `H' = ⌊(H + 2p − k)/s⌋ + 1`. Weights `outChannels × inChannels × k × k` then bias
/// `outChannels`, stored at `offset` in the model's flat parameter vector (PyTorch `Conv2d`
/// and ONNX `Conv` order). PyTorch: `nn.Conv2d(in, out, k, stride, padding)`.
public struct Conv2D: Sendable, Equatable, Codable {
    public let inChannels: Int
    public let outChannels: Int
    public let geometry: ConvGeometry
    /// Where the weights start in the flat parameter vector.
    public let offset: Int

    public init(inChannels: Int, outChannels: Int, geometry: ConvGeometry, offset: Int = 0) {
        precondition(inChannels > 0 && outChannels > 0, "Conv2D needs positive channel counts, got \(inChannels) → \(outChannels)")
        self.inChannels = inChannels; self.outChannels = outChannels; self.geometry = geometry; self.offset = offset
    }

    /// Weights per output channel, `inChannels · k²` (the im2col row count).
    public var fanIn: Int { inChannels * geometry.kernel * geometry.kernel }
    public var weightCount: Int { outChannels * fanIn }
    public var biasOffset: Int { offset + weightCount }
    /// Weights plus biases.
    public var parameterCount: Int { weightCount + outChannels }
    /// Multiply–adds per output pixel.
    public var multiplyAddsPerPixel: Int { outChannels * fanIn }

    /// He et al. (2015) initialization: weights `N(0, 2 / fanIn)`, biases 0.
    public func initialize(_ parameters: inout [Float], rng: inout SeededRandom) {
        let std = (2.0 / Double(fanIn)).squareRoot()
        for i in 0..<weightCount { parameters[offset + i] = Float(rng.gaussian() * std) }
        for i in 0..<outChannels { parameters[biasOffset + i] = 0 }
    }

    /// Output height and width for an input of `height × width`.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        (geometry.outputLength(height), geometry.outputLength(width))
    }

    /// `output ← conv(input)`; `output` is reshaped as needed (its storage reused).
    public func forward(_ input: Tensor, into output: inout Tensor, parameters: [Float], scratch: Scratch) {
        precondition(input.channels == inChannels, "Conv2D expects \(inChannels) input channels, got \(input.channels)")
        let (oh, ow) = outputSize(height: input.height, width: input.width)
        output.reshape(batch: input.batch, channels: outChannels, height: oh, width: ow)
        parameters.withUnsafeBufferPointer { p in
            input.data.withUnsafeBufferPointer { x in
                output.data.withUnsafeMutableBufferPointer { y in
                    forward(x.baseAddress!, batch: input.batch, height: input.height, width: input.width,
                            y.baseAddress!, parameters: p.baseAddress!, scratch: scratch)
                }
            }
        }
    }

    @usableFromInline
    func forward(_ x: UnsafePointer<Float>, batch: Int, height: Int, width: Int, _ y: UnsafeMutablePointer<Float>,
                 parameters: UnsafePointer<Float>, scratch: Scratch) {
        let (oh, ow) = outputSize(height: height, width: width)
        let pixels = oh * ow, rows = fanIn
        let w = parameters + offset, b = parameters + biasOffset
        let chunk = chunkLength(rows: rows, pixels: pixels)
        let columns = geometry.isPointwise ? nil : scratch.floats(rows * chunk)
        for n in 0..<batch {
            let xn = x + n * inChannels * height * width, yn = y + n * outChannels * pixels
            for o in 0..<outChannels { (yn + o * pixels).update(repeating: b[o], count: pixels) }
            if geometry.isPointwise {
                sgemm(transposeA: false, transposeB: false, m: outChannels, n: pixels, k: rows,
                      w, lda: rows, xn, ldb: pixels, beta: 1, yn, ldc: pixels)
                continue
            }
            var first = 0
            while first < pixels {
                let count = min(chunk, pixels - first)
                im2col(xn, channels: inChannels, height: height, width: width, geometry: geometry,
                       first: first, count: count, into: columns!)
                sgemm(transposeA: false, transposeB: false, m: outChannels, n: count, k: rows,
                      w, lda: rows, columns!, ldb: count, beta: 1, yn + first, ldc: pixels)
                first += count
            }
        }
    }

    /// Backpropagates `outputGradient` (∂L/∂y): adds ∂L/∂w and ∂L/∂b into `gradients` (same
    /// layout as `parameters`) and, when `inputGradient` is given, writes ∂L/∂x into it.
    public func backward(input: Tensor, outputGradient: Tensor, inputGradient: UnsafeMutablePointer<Float>?,
                         parameters: [Float], gradients: inout [Float], scratch: Scratch) {
        parameters.withUnsafeBufferPointer { p in
            gradients.withUnsafeMutableBufferPointer { g in
                input.data.withUnsafeBufferPointer { x in
                    outputGradient.data.withUnsafeBufferPointer { dy in
                        backward(x.baseAddress!, batch: input.batch, height: input.height, width: input.width,
                                 outputGradient: dy.baseAddress!, inputGradient: inputGradient,
                                 parameters: p.baseAddress!, gradients: g.baseAddress!, scratch: scratch)
                    }
                }
            }
        }
    }

    @usableFromInline
    func backward(_ x: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
                  outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>?,
                  parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>, scratch: Scratch) {
        let (oh, ow) = outputSize(height: height, width: width)
        let pixels = oh * ow, rows = fanIn
        let w = parameters + offset
        let dw = gradients + offset, db = gradients + biasOffset
        let inputSize = inChannels * height * width
        if let dx { dx.update(repeating: 0, count: batch * inputSize) }
        let chunk = chunkLength(rows: rows, pixels: pixels)
        let columns = geometry.isPointwise ? nil : scratch.floats(rows * chunk)
        for n in 0..<batch {
            let xn = x + n * inputSize, dyn = dy + n * outChannels * pixels
            for o in 0..<outChannels {
                var s: Float = 0
                let row = dyn + o * pixels
                for i in 0..<pixels { s += row[i] }
                db[o] += s
            }
            if geometry.isPointwise {
                // dW += dY · Xᵀ ; dX = Wᵀ · dY
                sgemm(transposeA: false, transposeB: true, m: outChannels, n: rows, k: pixels,
                      dyn, lda: pixels, xn, ldb: pixels, beta: 1, dw, ldc: rows)
                if let dx {
                    sgemm(transposeA: true, transposeB: false, m: rows, n: pixels, k: outChannels,
                          w, lda: rows, dyn, ldb: pixels, beta: 0, dx + n * inputSize, ldc: pixels)
                }
                continue
            }
            var first = 0
            while first < pixels {
                let count = min(chunk, pixels - first)
                im2col(xn, channels: inChannels, height: height, width: width, geometry: geometry,
                       first: first, count: count, into: columns!)
                sgemm(transposeA: false, transposeB: true, m: outChannels, n: rows, k: count,
                      dyn + first, lda: pixels, columns!, ldb: count, beta: 1, dw, ldc: rows)
                if let dx {
                    // The column buffer is free again: reuse it for ∂L/∂columns.
                    sgemm(transposeA: true, transposeB: false, m: rows, n: count, k: outChannels,
                          w, lda: rows, dyn + first, ldb: pixels, beta: 0, columns!, ldc: count)
                    col2im(columns!, channels: inChannels, height: height, width: width, geometry: geometry,
                           first: first, count: count, addingInto: dx + n * inputSize)
                }
                first += count
            }
        }
    }
}
