import DeblurCore

/// The residual U-Net refiner (Ronneberger et al. 2015; residual output as in Zhang et al.
/// 2017, DnCNN): it predicts a correction that is added to the classical estimate.
///
/// ```
/// inputs (estimate, blurred, noise σ) ─ conv3×3·relu ×c ──────────────────── concat ─ conv3×3·relu ×c ─ conv1×1 ─ + estimate
///                                         └ maxpool ─ conv3×3·relu ×c ─ concat ─ … ─ convT2×2 ┘
///                                                          └ maxpool ─ (bottleneck) ┘
/// ```
///
/// Shapes: input `N × inputs.count × H × W` (channel 0 the estimate, `H`, `W` multiples of
/// `2^depth`), output `N × 1 × H × W`. All weights live in one flat `parameters` vector
/// (layer after layer, each `weights` then `bias`, PyTorch order), which optimizers, model
/// files and the ONNX exporter share.
public struct UNet: Sendable {
    public let architecture: RefinerArchitecture
    /// Every weight and bias, in layer order.
    public var parameters: [Float]

    public let encoder: [[Conv2D]]
    public let bottleneck: [Conv2D]
    /// Upsampling of decoder level `l` (from level `l + 1`).
    public let up: [ConvTranspose2D]
    public let decoder: [[Conv2D]]
    public let head: Conv2D
    public let pool = MaxPool2D(size: 2)
    public let activation: LeakyReLU

    /// A network with He-initialized weights drawn from `seed`.
    public init(architecture: RefinerArchitecture = .standard, seed: UInt64 = 0) {
        self.init(architecture: architecture, parameters: nil)
        var rng = SeededRandom(seed: seed, stream: 0x554E_4554)
        for level in encoder { for conv in level { conv.initialize(&parameters, rng: &rng) } }
        for conv in bottleneck { conv.initialize(&parameters, rng: &rng) }
        for l in (0..<architecture.depth).reversed() {
            up[l].initialize(&parameters, rng: &rng)
            for conv in decoder[l] { conv.initialize(&parameters, rng: &rng) }
        }
        // A zero head makes the untrained network the identity on the estimate.
        head.initialize(&parameters, rng: &rng)
        for i in 0..<head.parameterCount { parameters[head.offset + i] = 0 }
    }

    /// A network over given weights (`parameters.count` must equal `parameterCount`), or zeros.
    public init(architecture: RefinerArchitecture, parameters: [Float]?) {
        precondition(architecture.problem == nil, "invalid architecture: \(architecture.problem!)")
        self.architecture = architecture
        activation = LeakyReLU(slope: architecture.leakySlope)
        let w = architecture.width, c = architecture.convolutionsPerLevel, d = architecture.depth
        let conv3 = ConvGeometry(kernel: 3, stride: 1, padding: 1)
        var offset = 0
        func conv(_ i: Int, _ o: Int, _ g: ConvGeometry = conv3) -> Conv2D {
            let layer = Conv2D(inChannels: i, outChannels: o, geometry: g, offset: offset)
            offset += layer.parameterCount
            return layer
        }
        var encoder: [[Conv2D]] = []
        var channels = architecture.inputs.count
        for l in 0..<d {
            let width = w << l
            encoder.append((0..<c).map { j in conv(j == 0 ? channels : width, width) })
            channels = width
        }
        let bottleneckWidth = w << d
        bottleneck = (0..<c).map { j in conv(j == 0 ? channels : bottleneckWidth, bottleneckWidth) }
        var up = [ConvTranspose2D?](repeating: nil, count: d)
        var decoder = [[Conv2D]](repeating: [], count: d)
        for l in (0..<d).reversed() {
            let width = w << l
            let t = ConvTranspose2D(inChannels: width * 2, outChannels: width, geometry: ConvGeometry(kernel: 2, stride: 2), offset: offset)
            offset += t.parameterCount
            up[l] = t
            decoder[l] = (0..<c).map { j in conv(j == 0 ? 2 * width : width, width) }
        }
        head = conv(d == 0 ? bottleneckWidth : w, 1, ConvGeometry(kernel: 1))
        self.encoder = encoder
        self.up = up.map { $0! }
        self.decoder = decoder
        if let parameters {
            precondition(parameters.count == offset, "UNet needs \(offset) parameters, got \(parameters.count)")
            self.parameters = parameters
        } else {
            self.parameters = [Float](repeating: 0, count: offset)
        }
    }

    /// Number of weights and biases.
    public var parameterCount: Int { parameters.count }

    /// Multiply–adds of one forward pass per input pixel (for GFLOP/s figures).
    public var multiplyAddsPerPixel: Double {
        var total = 0.0
        for l in 0..<architecture.depth {
            let scale = 1.0 / Double(1 << (2 * l))
            total += encoder[l].reduce(0) { $0 + Double($1.multiplyAddsPerPixel) } * scale
            total += decoder[l].reduce(0) { $0 + Double($1.multiplyAddsPerPixel) } * scale
            total += Double(up[l].multiplyAddsPerInputPixel) * scale / 4
        }
        total += bottleneck.reduce(0) { $0 + Double($1.multiplyAddsPerPixel) } / Double(1 << (2 * architecture.depth))
        return total + Double(head.multiplyAddsPerPixel)
    }

    /// Runs the network on `input` (`N × inputs × H × W`), keeping activations in `workspace`
    /// for `backward`; returns the refined estimate `N × 1 × H × W` (a view of the workspace).
    @discardableResult
    public func forward(_ input: Tensor, workspace ws: UNetWorkspace) -> Tensor {
        let a = architecture
        precondition(input.channels == a.inputs.count, "UNet expects \(a.inputs.count) input planes \(a.inputs.map(\.rawValue)), got \(input.channels)")
        precondition(input.height % a.sizeMultiple == 0 && input.width % a.sizeMultiple == 0,
                     "UNet input \(input.height)×\(input.width) must be a multiple of \(a.sizeMultiple)")
        ws.prepare(for: a)
        // Copy into the kept buffer rather than share storage: the caller refills its input
        // tensor every step, and sharing would make that refill reallocate (copy-on-write).
        ws.input.tensor.reshape(batch: input.batch, channels: input.channels, height: input.height, width: input.width)
        ws.input.tensor.data.withUnsafeMutableBufferPointer { d in _ = d.update(fromContentsOf: input.data) }
        let scratch = ws.scratch
        var current = ws.input
        func convolve(_ conv: Conv2D, _ from: Slot, _ to: Slot) {
            conv.forward(from.tensor, into: &to.tensor, parameters: parameters, scratch: scratch, activation: activation)
        }
        for l in 0..<a.depth {
            for (j, conv) in encoder[l].enumerated() { convolve(conv, current, ws.encoder[l][j]); current = ws.encoder[l][j] }
            pool.forward(current.tensor, into: &ws.pooled[l].tensor, winners: &ws.winners[l])
            current = ws.pooled[l]
        }
        for (j, conv) in bottleneck.enumerated() { convolve(conv, current, ws.bottleneck[j]); current = ws.bottleneck[j] }
        for l in (0..<a.depth).reversed() {
            up[l].forward(current.tensor, into: &ws.upsampled[l].tensor, parameters: parameters, scratch: scratch)
            // The first decoder convolution reads concat(upsampled, skip) straight from the two
            // buffers (its im2col or Winograd transform reads both), so the concatenation is never copied.
            let skip = ws.encoder[l][a.convolutionsPerLevel - 1].tensor
            decoder[l][0].forward(ws.upsampled[l].tensor, skip, into: &ws.decoder[l][0].tensor, parameters: parameters,
                                  scratch: scratch, activation: activation)
            current = ws.decoder[l][0]
            for (j, conv) in decoder[l].enumerated().dropFirst() { convolve(conv, current, ws.decoder[l][j]); current = ws.decoder[l][j] }
        }
        head.forward(current.tensor, into: &ws.head.tensor, parameters: parameters, scratch: scratch)
        // Residual: prediction = estimate (input channel 0) + correction.
        let h = ws.head.tensor
        ws.prediction.tensor.reshape(batch: h.batch, channels: 1, height: h.height, width: h.width)
        let plane = h.planeSize, inputSize = input.sampleSize
        input.data.withUnsafeBufferPointer { x in
            h.data.withUnsafeBufferPointer { c in
                ws.prediction.tensor.data.withUnsafeMutableBufferPointer { y in
                    for n in 0..<h.batch {
                        for i in 0..<plane { y[n * plane + i] = x[n * inputSize + i] + c[n * plane + i] }
                    }
                }
            }
        }
        return ws.prediction.tensor
    }

    /// Backpropagates ∂L/∂prediction through the activations of the last `forward` on
    /// `workspace`, adding ∂L/∂parameters into `gradients` (same layout as `parameters`).
    /// With `inputGradient` it also writes ∂L/∂input (the input's shape, residual path
    /// included) there: what a network inside a longer computation (plug-and-play trained end
    /// to end) hands on to the step before it.
    public func backward(_ predictionGradient: Tensor, workspace ws: UNetWorkspace, gradients: inout [Float],
                         inputGradient: UnsafeMutablePointer<Float>? = nil) {
        let a = architecture
        precondition(gradients.count == parameters.count, "gradients must have \(parameters.count) entries, got \(gradients.count)")
        precondition(predictionGradient.hasShape(of: ws.prediction.tensor), "prediction gradient shape \(predictionGradient.shape) ≠ \(ws.prediction.tensor.shape)")
        let scratch = ws.scratch
        var g = ws.gradientA, spare = ws.gradientB
        // Conv backward writing ∂L/∂input into `spare`, which then becomes the current gradient.
        // With `second`, the input is concat(input, second) and ∂L/∂input covers both.
        func convBackward(_ conv: Conv2D, input: Slot, second: Slot? = nil, output: Slot?, needInput: Bool) {
            if let output { activation.backward(output: output.tensor, gradient: &g.tensor) }
            let x = input.tensor
            spare.tensor.reshape(batch: x.batch, channels: conv.inChannels, height: x.height, width: x.width)
            spare.tensor.data.withUnsafeMutableBufferPointer { dx in
                conv.backward(input: x, second?.tensor, outputGradient: g.tensor, inputGradient: needInput ? dx.baseAddress! : nil,
                              parameters: parameters, gradients: &gradients, scratch: scratch)
            }
            swap(&g, &spare)
        }
        g.tensor.reshape(batch: predictionGradient.batch, channels: 1, height: predictionGradient.height, width: predictionGradient.width)
        g.tensor.data.withUnsafeMutableBufferPointer { d in _ = d.update(fromContentsOf: predictionGradient.data) }
        let lastDecoder = a.depth == 0 ? ws.bottleneck[a.convolutionsPerLevel - 1] : ws.decoder[0][a.convolutionsPerLevel - 1]
        convBackward(head, input: lastDecoder, output: nil, needInput: true)
        for l in 0..<a.depth {
            for j in (0..<a.convolutionsPerLevel).reversed() {
                if j == 0 {
                    convBackward(decoder[l][j], input: ws.upsampled[l], second: ws.encoder[l][a.convolutionsPerLevel - 1],
                                 output: ws.decoder[l][j], needInput: true)
                } else {
                    convBackward(decoder[l][j], input: ws.decoder[l][j - 1], output: ws.decoder[l][j], needInput: true)
                }
            }
            // Split the concat gradient: upsampled part → `spare`, skip part → skipGradients[l].
            let up = ws.upsampled[l].tensor, skip = ws.encoder[l][a.convolutionsPerLevel - 1].tensor
            spare.tensor.reshape(batch: up.batch, channels: up.channels, height: up.height, width: up.width)
            ws.skipGradients[l].tensor.reshape(batch: skip.batch, channels: skip.channels, height: skip.height, width: skip.width)
            spare.tensor.data.withUnsafeMutableBufferPointer { du in
                ws.skipGradients[l].tensor.data.withUnsafeMutableBufferPointer { ds in
                    Concat.backward(g.tensor, firstChannels: up.channels, first: du.baseAddress!, second: ds.baseAddress!)
                }
            }
            swap(&g, &spare)
            let below = l == a.depth - 1 ? ws.bottleneck[a.convolutionsPerLevel - 1] : ws.decoder[l + 1][a.convolutionsPerLevel - 1]
            let x = below.tensor
            spare.tensor.reshape(batch: x.batch, channels: x.channels, height: x.height, width: x.width)
            spare.tensor.data.withUnsafeMutableBufferPointer { dx in
                self.up[l].backward(input: x, outputGradient: g.tensor, inputGradient: dx.baseAddress!,
                                    parameters: parameters, gradients: &gradients, scratch: scratch)
            }
            swap(&g, &spare)
        }
        for j in (0..<a.convolutionsPerLevel).reversed() {
            let input = j == 0 ? (a.depth == 0 ? ws.input : ws.pooled[a.depth - 1]) : ws.bottleneck[j - 1]
            convBackward(bottleneck[j], input: input, output: ws.bottleneck[j], needInput: a.depth > 0 || j > 0 || inputGradient != nil)
        }
        for l in (0..<a.depth).reversed() {
            let skip = ws.encoder[l][a.convolutionsPerLevel - 1].tensor
            pool.backward(outputGradient: g.tensor, winners: ws.winners[l], inputHeight: skip.height, inputWidth: skip.width, into: &spare.tensor)
            swap(&g, &spare)
            ws.skipGradients[l].tensor.data.withUnsafeBufferPointer { s in
                g.tensor.data.withUnsafeMutableBufferPointer { d in for i in d.indices { d[i] += s[i] } }
            }
            for j in (0..<a.convolutionsPerLevel).reversed() {
                let input = j == 0 ? (l == 0 ? ws.input : ws.pooled[l - 1]) : ws.encoder[l][j - 1]
                convBackward(encoder[l][j], input: input, output: ws.encoder[l][j], needInput: !(l == 0 && j == 0) || inputGradient != nil)
            }
        }
        guard let inputGradient else { return }
        // `g` now holds ∂L/∂input through the convolutions; the residual adds ∂L/∂prediction to
        // the estimate's plane.
        let x = ws.input.tensor, plane = x.planeSize
        g.tensor.data.withUnsafeBufferPointer { d in inputGradient.update(from: d.baseAddress!, count: x.count) }
        predictionGradient.data.withUnsafeBufferPointer { p in
            for n in 0..<x.batch {
                let dst = inputGradient + n * x.sampleSize
                for i in 0..<plane { dst[i] += p[n * plane + i] }
            }
        }
    }

    /// The refined estimate for one input (convenience; allocates a workspace).
    public func callAsFunction(_ input: Tensor) -> Tensor {
        forward(input, workspace: UNetWorkspace())
    }
}
