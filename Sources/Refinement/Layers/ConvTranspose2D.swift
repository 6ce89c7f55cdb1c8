import DeblurCore

/// A transposed convolution ("deconvolution", learned upsampling) with bias: the
/// input-gradient of a `Conv2D` with the same geometry, plus a bias.
///
/// `Y = col2im(Wᵀ · X) + b`, sharing `Conv2D`'s im2col/col2im and `cblas_sgemm`.
///
/// Shapes: input `N × inChannels × H × W`, output `N × outChannels × H' × W'` with
/// `H' = (H − 1)·s − 2p + k` (stride 2, kernel 2 doubles the size). Weights
/// `inChannels × outChannels × k × k` then bias `outChannels` at `offset` (PyTorch
/// `nn.ConvTranspose2d` and ONNX `ConvTranspose` order).
public struct ConvTranspose2D: Sendable, Equatable, Codable {
    public let inChannels: Int
    public let outChannels: Int
    public let geometry: ConvGeometry
    public let offset: Int

    public init(inChannels: Int, outChannels: Int, geometry: ConvGeometry, offset: Int = 0) {
        precondition(inChannels > 0 && outChannels > 0, "ConvTranspose2D needs positive channel counts, got \(inChannels) → \(outChannels)")
        self.inChannels = inChannels; self.outChannels = outChannels; self.geometry = geometry; self.offset = offset
    }

    /// Rows of the column matrix, `outChannels · k²`.
    var columnRows: Int { outChannels * geometry.kernel * geometry.kernel }
    public var weightCount: Int { inChannels * columnRows }
    public var biasOffset: Int { offset + weightCount }
    public var parameterCount: Int { weightCount + outChannels }
    /// Multiply–adds per input pixel.
    public var multiplyAddsPerInputPixel: Int { inChannels * columnRows }

    /// He initialization with fan-in `inChannels · k² / stride²` (the inputs reaching one output).
    public func initialize(_ parameters: inout [Float], rng: inout SeededRandom) {
        let k = geometry.kernel, s = geometry.stride
        let fanIn = max(1, inChannels * k * k / (s * s))
        let std = (2.0 / Double(fanIn)).squareRoot()
        for i in 0..<weightCount { parameters[offset + i] = Float(rng.gaussian() * std) }
        for i in 0..<outChannels { parameters[biasOffset + i] = 0 }
    }

    /// Output height and width for an input of `height × width`.
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        let g = geometry
        return ((height - 1) * g.stride - 2 * g.padding + g.kernel, (width - 1) * g.stride - 2 * g.padding + g.kernel)
    }

    /// The checks the array entry points make before handing raw pointers on: parameters (and
    /// gradients) too short for `offset + parameterCount` were read and written past their end.
    func checkShapes(_ input: Tensor, parameters: Int, gradients: Int? = nil, outputGradient: Tensor? = nil) {
        let needed = biasOffset + outChannels
        precondition(parameters >= needed, "ConvTranspose2D at offset \(offset) needs \(needed) parameters, got \(parameters)")
        if let gradients { precondition(gradients >= needed, "ConvTranspose2D at offset \(offset) needs \(needed) gradients, got \(gradients)") }
        if let dy = outputGradient {
            let (oh, ow) = outputSize(height: input.height, width: input.width)
            precondition(dy.shape == [input.batch, outChannels, oh, ow], "ConvTranspose2D's output gradient is \(dy.shape), expected \([input.batch, outChannels, oh, ow])")
        }
    }

    /// `output ← convTranspose(input)`; `output` is reshaped as needed.
    public func forward(_ input: Tensor, into output: inout Tensor, parameters: [Float], scratch: Scratch) {
        precondition(input.channels == inChannels, "ConvTranspose2D expects \(inChannels) input channels, got \(input.channels)")
        checkShapes(input, parameters: parameters.count)
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
        let pixels = height * width, outPixels = oh * ow, rows = columnRows
        let w = parameters + offset, b = parameters + biasOffset
        let chunk = chunkLength(rows: rows, pixels: pixels)
        if geometry.kernel <= geometry.stride && geometry.padding == 0 {
            // Windows do not overlap (the U-Net's 2×2 stride 2): chunks of input pixels write
            // disjoint outputs, so the cores take whole chunks with single-threaded products,
            // as in `Conv2D.forward` (which also keeps OpenBLAS's threads parked between layers).
            let chunksPerImage = (pixels + chunk - 1) / chunk, tasks = batch * chunksPerImage
            let workers = max(1, min(BLAS.threads, tasks))
            let columns = scratch.floats(workers * rows * chunk)
            let inChannels = inChannels, outChannels = outChannels, geometry = geometry
            // Windows as large as the stride tile the output: each output takes exactly one
            // product, written as `bias + product` in one pass (the bias fill and the adding
            // scatter gave the same sum; `valgrind --tool=callgrind` on `deblur refine`).
            let tiling = geometry.kernel == geometry.stride
            if !tiling {
                for n in 0..<batch {
                    let yn = y + n * outChannels * outPixels
                    for o in 0..<outChannels { (yn + o * outPixels).update(repeating: b[o], count: outPixels) }
                }
            }
            BLAS.serially {
                parallelFor(workers, threads: workers) { worker in
                    let cols = columns + worker * rows * chunk
                    var task = worker
                    while task < tasks {
                        let n = task / chunksPerImage, first = (task - n * chunksPerImage) * chunk
                        let count = min(chunk, pixels - first)
                        sgemm(transposeA: true, transposeB: false, m: rows, n: count, k: inChannels,
                              w, lda: rows, x + n * inChannels * pixels + first, ldb: pixels, beta: 0, cols, ldc: count)
                        if tiling {
                            Self.placeTiles(cols, channels: outChannels, inputHeight: height, inputWidth: width, side: geometry.kernel,
                                            first: first, count: count,
                                            bias: b, into: y + n * outChannels * outPixels)
                        } else {
                            col2im(cols, channels: 0..<outChannels, height: oh, width: ow, geometry: geometry,
                                   first: first, count: count, addingInto: y + n * outChannels * outPixels)
                        }
                        task += workers
                    }
                }
            }
            return
        }
        let columns = scratch.floats(rows * chunk)
        for n in 0..<batch {
            let xn = x + n * inChannels * pixels, yn = y + n * outChannels * outPixels
            for o in 0..<outChannels { (yn + o * outPixels).update(repeating: b[o], count: outPixels) }
            var first = 0
            while first < pixels {
                let count = min(chunk, pixels - first)
                sgemm(transposeA: true, transposeB: false, m: rows, n: count, k: inChannels,
                      w, lda: rows, xn + first, ldb: pixels, beta: 0, columns, ldc: count)
                col2im(columns, channels: outChannels, height: oh, width: ow, geometry: geometry,
                       first: first, count: count, addingInto: yn)
                first += count
            }
        }
    }

    /// `y[o][iy·k + ky][ix·k + kx] = bias[o] + columns[(o·k + ky)·k + kx][p − first]` for the
    /// input pixels `p = iy·width + ix` in `first ..< first + count`: the stride-`k`, `k × k`
    /// transposed convolution's output for those pixels (no padding, `y` `k·width` wide).
    static func placeTiles(_ columns: UnsafePointer<Float>, channels: Int, inputHeight height: Int, inputWidth width: Int, side k: Int,
                           first: Int, count: Int, bias: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let ow = width * k, end = first + count
        for o in 0..<channels {
            let plane = y + o * height * k * ow, b = bias[o]
            for ky in 0..<k {
                for kx in 0..<k {
                    var src = columns + ((o * k + ky) * k + kx) * count
                    var p = first
                    while p < end {
                        let iy = p / width, ix0 = p - iy * width
                        let run = min(width - ix0, end - p)
                        let row = plane + (iy * k + ky) * ow + kx + ix0 * k
                        for j in 0..<run { row[j * k] = b + src[j] }
                        src += run
                        p += run
                    }
                }
            }
        }
    }

    /// Backpropagates ∂L/∂y: adds ∂L/∂w, ∂L/∂b into `gradients`, writes ∂L/∂x into `inputGradient` if given.
    public func backward(input: Tensor, outputGradient: Tensor, inputGradient: UnsafeMutablePointer<Float>?,
                         parameters: [Float], gradients: inout [Float], scratch: Scratch) {
        precondition(input.channels == inChannels, "ConvTranspose2D expects \(inChannels) input channels, got \(input.channels)")
        checkShapes(input, parameters: parameters.count, gradients: gradients.count, outputGradient: outputGradient)
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
        let pixels = height * width, outPixels = oh * ow, rows = columnRows
        let w = parameters + offset
        let chunk = chunkLength(rows: rows, pixels: pixels)
        let inChannels = inChannels, outChannels = outChannels, geometry = geometry, offset = offset, biasOffset = biasOffset
        backwardOverImages(batch: batch, workers: BLAS.threads, parameters: offset ..< offset + parameterCount,
                           gradients: gradients, scratch: scratch, scratchFloats: rows * chunk) { n, g, columns in
            let dw = g + offset, db = g + biasOffset
            let xn = x + n * inChannels * pixels, dyn = dy + n * outChannels * outPixels
            for o in 0..<outChannels {
                var s: Float = 0
                let plane = dyn + o * outPixels
                for i in 0..<outPixels { s += plane[i] }
                db[o] += s
            }
            var first = 0
            while first < pixels {
                let count = min(chunk, pixels - first)
                im2col(dyn, channels: 0..<outChannels, height: oh, width: ow, geometry: geometry,
                       first: first, count: count, into: columns)
                sgemm(transposeA: false, transposeB: true, m: inChannels, n: rows, k: count,
                      xn + first, lda: pixels, columns, ldb: count, beta: 1, dw, ldc: rows)
                if let dx {
                    sgemm(transposeA: false, transposeB: false, m: inChannels, n: count, k: rows,
                          w, lda: rows, columns, ldb: count, beta: 0, dx + n * inChannels * pixels + first, ldc: pixels)
                }
                first += count
            }
        }
    }
}
