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

    /// `output ← f(conv(input))`; `output` is reshaped as needed (its storage reused).
    ///
    /// - Parameters:
    ///   - second: optional second input whose channels follow `input`'s (a U-Net skip
    ///     connection): the layer then reads `concat(input, second)` without materializing it,
    ///     and `inChannels` must equal the two channel counts' sum.
    ///   - activation: applied to each chunk of output while it is still in cache (default
    ///     none), saving a pass over the whole output.
    public func forward(_ input: Tensor, _ second: Tensor? = nil, into output: inout Tensor, parameters: [Float],
                        scratch: Scratch, activation: LeakyReLU? = nil) {
        let secondChannels = second?.channels ?? 0
        precondition(input.channels + secondChannels == inChannels,
                     "Conv2D expects \(inChannels) input channels, got \(input.channels) + \(secondChannels)")
        if let second {
            precondition(second.batch == input.batch && second.height == input.height && second.width == input.width,
                         "Conv2D's second input \(second.shape) must match \(input.shape) outside channels")
        }
        checkShapes(input, parameters: parameters.count)
        let (oh, ow) = outputSize(height: input.height, width: input.width)
        output.reshape(batch: input.batch, channels: outChannels, height: oh, width: ow)
        parameters.withUnsafeBufferPointer { p in
            input.data.withUnsafeBufferPointer { x in
                (second?.data ?? []).withUnsafeBufferPointer { x2 in
                    output.data.withUnsafeMutableBufferPointer { y in
                        let source = ConvSource(x.baseAddress!, channels: input.channels,
                                                second: x2.baseAddress, secondChannels: secondChannels)
                        forward(source, batch: input.batch, height: input.height, width: input.width,
                                y.baseAddress!, parameters: p.baseAddress!, scratch: scratch, activation: activation)
                    }
                }
            }
        }
    }

    /// The checks the array entry points make before handing raw pointers on: parameters (and
    /// gradients) too short for `offset + parameterCount` were read and written past their end
    /// (garbage outputs, corrupted memory), and a kernel larger than the padded input made a
    /// negative output size.
    func checkShapes(_ input: Tensor, parameters: Int, gradients: Int? = nil, outputGradient: Tensor? = nil) {
        let needed = biasOffset + outChannels
        precondition(parameters >= needed, "Conv2D at offset \(offset) needs \(needed) parameters, got \(parameters)")
        if let gradients { precondition(gradients >= needed, "Conv2D at offset \(offset) needs \(needed) gradients, got \(gradients)") }
        let k = geometry.kernel, p = geometry.padding
        precondition((input.height == 0 || input.height + 2 * p >= k) && (input.width == 0 || input.width + 2 * p >= k),
                     "Conv2D's \(k)×\(k) kernel (padding \(p)) does not fit in the \(input.height)×\(input.width) input")
        if let dy = outputGradient {
            let (oh, ow) = outputSize(height: input.height, width: input.width)
            precondition(dy.shape == [input.batch, outChannels, oh, ow], "Conv2D's output gradient is \(dy.shape), expected \([input.batch, outChannels, oh, ow])")
        }
    }

    @usableFromInline
    func forward(_ x: UnsafePointer<Float>, batch: Int, height: Int, width: Int, _ y: UnsafeMutablePointer<Float>,
                 parameters: UnsafePointer<Float>, scratch: Scratch) {
        forward(ConvSource(x, channels: inChannels), batch: batch, height: height, width: width, y,
                parameters: parameters, scratch: scratch, activation: nil)
    }

    /// The forward product chunk by chunk, each chunk (im2col, one `sgemm`, bias and
    /// activation) on one core with a single-threaded `sgemm`.
    ///
    /// Why not one OpenBLAS product split over the cores: with 32–128 output channels each
    /// product is short, OpenBLAS's per-call thread hand-off and the serial im2col between
    /// calls left the second core idle; independent chunks keep both cores in their own
    /// caches. Results do not depend on the worker count (every chunk is one serial product).
    ///
    /// `winograd` overrides the choice of algorithm (`usesWinograd`), for tests.
    func forward(_ source: ConvSource, batch: Int, height: Int, width: Int, _ y: UnsafeMutablePointer<Float>,
                 parameters: UnsafePointer<Float>, scratch: Scratch, activation: LeakyReLU?, workers: Int? = nil,
                 winograd: Bool? = nil) {
        if winograd ?? usesWinograd {
            precondition(Winograd.applies(to: geometry), "Winograd needs a 3×3, stride 1, padding 1 convolution, got \(geometry)")
            winogradForward(source, batch: batch, height: height, width: width, y, parameters: parameters, scratch: scratch,
                            activation: activation, workers: workers ?? BLAS.threads)
            return
        }
        let (oh, ow) = outputSize(height: height, width: width)
        let pixels = oh * ow, rows = fanIn
        let w = parameters + offset, b = parameters + biasOffset
        let pointwise = geometry.isPointwise && source.second == nil
        let chunk = chunkLength(rows: rows, pixels: pixels)
        let chunksPerImage = (pixels + chunk - 1) / chunk
        let tasks = batch * chunksPerImage
        let workers = max(1, min(workers ?? BLAS.threads, tasks))
        // Per worker: the column chunk, then a contiguous `outChannels × chunk` product.
        let columnStride = (pointwise ? 0 : rows * chunk) + outChannels * chunk
        let columns = scratch.floats(workers * columnStride)
        let inputSize = height * width
        let outChannels = outChannels, geometry = geometry
        let slope = activation?.slope
        func run(_ task: Int, _ worker: Int) {
            let n = task / chunksPerImage, first = (task - n * chunksPerImage) * chunk
            let count = min(chunk, pixels - first)
            let yn = y + n * outChannels * pixels + first
            // The product goes to a contiguous buffer, not straight into `y`: `y`'s rows are
            // `pixels` apart, a power of two at the U-Net's sizes, so the kernel's output
            // tile would map to one cache set; the bias/activation pass then copies it out.
            let product = columns + worker * columnStride + (pointwise ? 0 : rows * chunk)
            if pointwise {
                sgemm(transposeA: false, transposeB: false, m: outChannels, n: count, k: rows,
                      w, lda: rows, source.first + n * inChannels * inputSize + first, ldb: pixels, beta: 0, product, ldc: count)
            } else {
                let cols = columns + worker * columnStride
                let firstRows = source.channels * geometry.kernel * geometry.kernel
                im2col(source.first + n * source.channels * inputSize, channels: 0..<source.channels, height: height, width: width,
                       geometry: geometry, first: first, count: count, into: cols)
                if let second = source.second {
                    im2col(second + n * source.secondChannels * inputSize, channels: 0..<source.secondChannels, height: height,
                           width: width, geometry: geometry, first: first, count: count, into: cols + firstRows * count)
                }
                sgemm(transposeA: false, transposeB: false, m: outChannels, n: count, k: rows,
                      w, lda: rows, cols, ldb: count, beta: 0, product, ldc: count)
            }
            for o in 0..<outChannels {
                let row = yn + o * pixels, from = product + o * count, bias = b[o]
                if let slope {
                    for i in 0..<count { let v = from[i] + bias; row[i] = v > 0 ? v : slope * v }
                } else {
                    for i in 0..<count { row[i] = from[i] + bias }
                }
            }
        }
        // Single-threaded products even for one worker: OpenBLAS's threaded path blocks the
        // sum differently, and results must not depend on the thread count.
        BLAS.serially {
            // Workers take interleaved tasks: neighbouring chunks run at the same time, so
            // the input rows they share stay in the shared cache.
            parallelFor(workers, threads: workers) { worker in
                var task = worker
                while task < tasks { run(task, worker); task += workers }
            }
        }
    }

    /// Backpropagates `outputGradient` (∂L/∂y): adds ∂L/∂w and ∂L/∂b into `gradients` (same
    /// layout as `parameters`) and, when `inputGradient` is given, writes ∂L/∂x into it.
    /// With `second` (as in `forward`), ∂L/∂x covers the concatenated channels, `input`'s first.
    public func backward(input: Tensor, _ second: Tensor? = nil, outputGradient: Tensor, inputGradient: UnsafeMutablePointer<Float>?,
                         parameters: [Float], gradients: inout [Float], scratch: Scratch) {
        let secondChannels = second?.channels ?? 0
        precondition(input.channels + secondChannels == inChannels,
                     "Conv2D expects \(inChannels) input channels, got \(input.channels) + \(secondChannels)")
        checkShapes(input, parameters: parameters.count, gradients: gradients.count, outputGradient: outputGradient)
        parameters.withUnsafeBufferPointer { p in
            gradients.withUnsafeMutableBufferPointer { g in
                input.data.withUnsafeBufferPointer { x in
                    (second?.data ?? []).withUnsafeBufferPointer { x2 in
                        outputGradient.data.withUnsafeBufferPointer { dy in
                            let source = ConvSource(x.baseAddress!, channels: input.channels,
                                                    second: x2.baseAddress, secondChannels: secondChannels)
                            backward(source, batch: input.batch, height: input.height, width: input.width,
                                     outputGradient: dy.baseAddress!, inputGradient: inputGradient,
                                     parameters: p.baseAddress!, gradients: g.baseAddress!, scratch: scratch)
                        }
                    }
                }
            }
        }
    }

    @usableFromInline
    func backward(_ x: UnsafePointer<Float>, batch: Int, height: Int, width: Int,
                  outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>?,
                  parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>, scratch: Scratch) {
        backward(ConvSource(x, channels: inChannels), batch: batch, height: height, width: width, outputGradient: dy,
                 inputGradient: dx, parameters: parameters, gradients: gradients, scratch: scratch)
    }

    func backward(_ source: ConvSource, batch: Int, height: Int, width: Int,
                  outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>?,
                  parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>, scratch: Scratch,
                  workers: Int? = nil, winograd: Bool? = nil) {
        let (oh, ow) = outputSize(height: height, width: width)
        let pixels = oh * ow, rows = fanIn
        let w = parameters + offset
        if winograd ?? usesWinograd {
            precondition(Winograd.applies(to: geometry), "Winograd needs a 3×3, stride 1, padding 1 convolution, got \(geometry)")
            let db = gradients + biasOffset
            for n in 0..<batch {
                for o in 0..<outChannels {
                    var s: Float = 0
                    let row = dy + (n * outChannels + o) * pixels
                    for i in 0..<pixels { s += row[i] }
                    db[o] += s
                }
            }
            winogradBackward(source, batch: batch, height: height, width: width, outputGradient: dy, inputGradient: dx,
                             parameters: parameters, gradients: gradients, scratch: scratch, workers: workers ?? BLAS.threads)
            return
        }
        let inputSize = inChannels * height * width
        let chunk = chunkLength(rows: rows, pixels: pixels)
        let pointwise = geometry.isPointwise && source.second == nil
        let plane = height * width, firstRows = source.channels * geometry.kernel * geometry.kernel
        let outChannels = outChannels, inChannels = inChannels, geometry = geometry, offset = offset, biasOffset = biasOffset
        backwardOverImages(batch: batch, workers: workers ?? BLAS.threads, parameters: offset ..< offset + parameterCount,
                           gradients: gradients, scratch: scratch, scratchFloats: pointwise ? 0 : rows * chunk) { n, g, columns in
            let dw = g + offset, db = g + biasOffset
            let xn = source.first + n * source.channels * plane, dyn = dy + n * outChannels * pixels
            for o in 0..<outChannels {
                var s: Float = 0
                let row = dyn + o * pixels
                for i in 0..<pixels { s += row[i] }
                db[o] += s
            }
            if pointwise {
                // dW += dY · Xᵀ ; dX = Wᵀ · dY
                sgemm(transposeA: false, transposeB: true, m: outChannels, n: rows, k: pixels,
                      dyn, lda: pixels, xn, ldb: pixels, beta: 1, dw, ldc: rows)
                if let dx {
                    sgemm(transposeA: true, transposeB: false, m: rows, n: pixels, k: outChannels,
                          w, lda: rows, dyn, ldb: pixels, beta: 0, dx + n * inputSize, ldc: pixels)
                }
                return
            }
            if let dx { (dx + n * inputSize).update(repeating: 0, count: inputSize) }
            var first = 0
            while first < pixels {
                let count = min(chunk, pixels - first)
                im2col(xn, channels: 0..<source.channels, height: height, width: width, geometry: geometry,
                       first: first, count: count, into: columns)
                if let second = source.second {
                    im2col(second + n * source.secondChannels * plane, channels: 0..<source.secondChannels, height: height,
                           width: width, geometry: geometry, first: first, count: count, into: columns + firstRows * count)
                }
                sgemm(transposeA: false, transposeB: true, m: outChannels, n: rows, k: count,
                      dyn + first, lda: pixels, columns, ldb: count, beta: 1, dw, ldc: rows)
                if let dx {
                    // The column buffer is free again: reuse it for ∂L/∂columns.
                    sgemm(transposeA: true, transposeB: false, m: rows, n: count, k: outChannels,
                          w, lda: rows, dyn + first, ldb: pixels, beta: 0, columns, ldc: count)
                    col2im(columns, channels: 0..<inChannels, height: height, width: width, geometry: geometry,
                           first: first, count: count, addingInto: dx + n * inputSize)
                }
                first += count
            }
        }
    }
}
