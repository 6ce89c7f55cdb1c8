import DeblurCore
import DeblurIO
import Deconvolution
import Foundation

/// One blurred training scene of end-to-end plug-and-play training: the observation (`valid`
/// boundary), the sharp window it covers, its PSF and noise σ.
public struct BlurredScene: Sendable {
    public var blurred: Image
    public var sharp: Image
    public var psf: PSF
    public var noiseSigma: Double

    public init(blurred: Image, sharp: Image, psf: PSF, noiseSigma: Double) {
        self.blurred = blurred; self.sharp = sharp; self.psf = psf; self.noiseSigma = noiseSigma
    }
}

/// The network's input tile for an extended-domain plane, exactly as `TiledInference` builds it
/// for one whole tile (reflect padding by the network's margin, and up to the pooling grid),
/// kept as a gather table so the gradient can be scattered back (its transpose).
struct WholeTile {
    let height: Int, width: Int
    let tileHeight: Int, tileWidth: Int, margin: Int
    /// Source pixel (in the plane) of every tile pixel.
    let source: [Int32]

    init(height h: Int, width w: Int, network: UNet) {
        let m = network.architecture.sizeMultiple
        margin = TiledInference().effectiveMargin(for: network)
        height = h; width = w
        tileHeight = (h + m - 1) / m * m + 2 * margin
        tileWidth = (w + m - 1) / m * m + 2 * margin
        var source = [Int32](repeating: 0, count: tileHeight * tileWidth)
        let margin = margin, tileWidth = tileWidth
        for y in 0..<tileHeight {
            let sy = PaddingMode.reflect.sourceIndex(y - margin, count: h)!
            for x in 0..<tileWidth { source[y * tileWidth + x] = Int32(sy * w + PaddingMode.reflect.sourceIndex(x - margin, count: w)!) }
        }
        self.source = source
    }

    /// `tensor` ← the network input for `plane` at noise level `level` (the planes of `inputs`).
    func gather(_ plane: Image, level: Float, inputs: [RefinerInput], into tensor: inout Tensor) {
        let count = tileHeight * tileWidth
        tensor.reshape(batch: 1, channels: inputs.count, height: tileHeight, width: tileWidth)
        tensor.data.withUnsafeMutableBufferPointer { dst in
            plane.withUnsafeBufferPointer { src in
                source.withUnsafeBufferPointer { s in
                    for (c, input) in inputs.enumerated() {
                        let out = dst.baseAddress! + c * count
                        if input == .noise { out.update(repeating: level, count: count) } else { for i in 0..<count { out[i] = src[Int(s[i])] } }
                    }
                }
            }
        }
    }

    /// The core of a one-channel tile output, as a plane.
    func core(_ output: Tensor) -> Image {
        var plane = Image(height: height, width: width)
        output.data.withUnsafeBufferPointer { src in
            plane.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height { for x in 0..<width { dst[y * width + x] = src[(margin + y) * tileWidth + margin + x] } }
            }
        }
        return plane
    }

    /// The transpose of `core`: a plane's gradient placed in a zero tile.
    func expand(_ gradient: Image, into tensor: inout Tensor) {
        tensor.reshape(batch: 1, channels: 1, height: tileHeight, width: tileWidth)
        tensor.fill(0)
        tensor.data.withUnsafeMutableBufferPointer { dst in
            gradient.withUnsafeBufferPointer { src in
                for y in 0..<height { for x in 0..<width { dst[(margin + y) * tileWidth + margin + x] = src[y * width + x] } }
            }
        }
    }

    /// The transpose of `gather` for the estimate plane (channel 0 of the tile): every tile
    /// pixel's gradient added to the plane pixel it was copied from.
    func scatter(_ tileGradient: UnsafePointer<Float>) -> Image {
        var plane = Image(height: height, width: width)
        plane.withUnsafeMutableBufferPointer { dst in
            source.withUnsafeBufferPointer { s in for i in 0..<s.count { dst[Int(s[i])] += tileGradient[i] } }
        }
        return plane
    }
}

extension PlugAndPlayRestorer {
    /// The splitting run on `scene` with `network` in place of the model's, the loss of its
    /// output against the sharp image, and the gradient of that loss with respect to the
    /// network's weights through every step (added into `gradients`): the splitting trained
    /// end to end, as FDN (Kruse et al. 2017) and USRNet (Zhang et al. 2020) train theirs, with
    /// one network shared by all steps, as it is used.
    ///
    /// The forward pass is `restore`'s (same schedule, data step, per-step symmetries and input
    /// tile) without collaborative steps: the network alone is the prior. Backward, a step's gradient goes through the network (its input's gradient,
    /// residual included) and then through the data step, whose derivative with respect to its
    /// prior is `α (Kᵀ M K + α I)⁻¹` (`MaskedDataProximal.priorDerivative`): one more CG solve.
    /// `workspaces` holds one per step (each keeps its step's activations until the backward
    /// pass); the noise level is the scene's true σ. Returns the loss and the output window.
    func endToEndGradient(network: UNet, scene: BlurredScene, loss: any Loss, workspaces: [UNetWorkspace],
                          gradients: inout [Float], tolerance: Double = Self.dataTolerance) throws -> (loss: Double, output: Image) {
        precondition(workspaces.count >= iterations, "one workspace per step")
        let data = try MaskedDataProximal(observation: scene.blurred, psf: scene.psf)
        let sigma = Self.floored(scene.noiseSigma)
        let levels = schedule(noiseSigma: sigma)
        let inputs = network.architecture.inputs
        var tiles: [WholeTile] = []
        var tensor = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        let z = split(data, sigma: sigma, workspace: workspaces[0], tolerance: tolerance, prior: { x, level, k in
            let symmetry = symmetry(step: k)
            let turned = Self.transform(x, symmetry)
            let tile = tiles.last.flatMap { $0.height == turned.height && $0.width == turned.width ? $0 : nil }
                ?? WholeTile(height: turned.height, width: turned.width, network: network)
            tiles.append(tile)
            tile.gather(turned, level: Float(level), inputs: inputs, into: &tensor)
            return Self.transform(tile.core(network.forward(tensor, workspace: workspaces[k])), symmetry, inverse: true)
        })
        let output = data.window(z)
        var lossGradient = Tensor(batch: 0, channels: 0, height: 0, width: 0)
        let value = loss.evaluate(prediction: Tensor(output), target: Tensor(scene.sharp), gradient: &lossGradient)
        var gz = data.embedWindow(lossGradient.image())
        var inputGradient = [Float]()
        for k in levels.indices.reversed() {
            let symmetry = symmetry(step: k)
            let tile = tiles[k]
            tile.expand(Self.transform(gz, symmetry), into: &tensor)
            inputGradient.removeAll(keepingCapacity: true)
            inputGradient.append(contentsOf: repeatElement(0, count: inputs.count * tile.tileHeight * tile.tileWidth))
            inputGradient.withUnsafeMutableBufferPointer { g in
                network.backward(tensor, workspace: workspaces[k], gradients: &gradients, inputGradient: g.baseAddress!)
            }
            guard k > 0 else { break }
            let gx = Self.transform(inputGradient.withUnsafeBufferPointer { tile.scatter($0.baseAddress!) }, symmetry, inverse: true)
            gz = data.priorDerivative(gx, alpha: alpha(sigma: sigma, level: levels[k]), tolerance: tolerance)
        }
        return (value, output)
    }
}

/// What `Trainer` needs to train a denoiser end to end through the plug-and-play splitting:
/// the splitting's settings, the scene generator, and fixed validation scenes.
public struct EndToEndTraining: Sendable {
    public var splitting: PlugAndPlayRestorer
    public var settings: SyntheticDataSettings
    public var seed: UInt64
    public var validation: [BlurredScene]
    /// Threads a step's scenes are spread over (capped by the batch); `nil` takes `BLAS.threads`
    /// when the step is made. The gradient sums are added in thread order, so the weights depend
    /// on the count; setting it here keeps a run's count whatever else changes the global one.
    public var threads: Int?

    /// Validation scenes (`settings.validationImages`) are drawn from their own streams of `seed`.
    /// - Throws: `RefinementError.invalidSetting` for a splitting with collaborative steps: the
    ///   gradient follows the network's passes and the data steps only, so validation must too.
    public init(splitting: PlugAndPlayRestorer, settings: SyntheticDataSettings, seed: UInt64) throws {
        guard splitting.collaborativeSteps == 0 else {
            throw RefinementError.invalidSetting(name: "collaborative steps", value: "\(splitting.collaborativeSteps)", expected: "0 when training end to end")
        }
        try settings.validateLeaves()
        self.splitting = splitting; self.settings = settings; self.seed = seed
        validation = try (0..<settings.validationImages).map { i in try Self.scene(settings, seed: seed, stream: 0x4532_4556_0000_0000 + UInt64(i)) }
    }

    /// Training scene `index` (image `j` of step `s` is `s · batch + j`): fresh for every step,
    /// so no scene repeats, and the same for the same seed.
    public func trainingScene(_ index: Int) throws -> BlurredScene {
        try Self.scene(settings, seed: seed, stream: 0x4532_4500_0000_0000 + UInt64(index))
    }

    static func scene(_ settings: SyntheticDataSettings, seed: UInt64, stream: UInt64) throws -> BlurredScene {
        var rng = SeededRandom(seed: seed, stream: stream)
        let s = try TrainingData.blurredScene(settings, noise: settings.unrolledNoise, rng: &rng)
        return BlurredScene(blurred: s.blurred, sharp: s.sharp, psf: s.psf, noiseSigma: s.sigma)
    }

    /// The header's description of the data.
    public var description: [String: JSONValue] {
        var d = settings.description(generator: "dead leaves + trajectory PSFs + gaussian noise, valid boundary, plug-and-play end to end")
        d["end_to_end"] = .bool(true)
        d["psf_sizes"] = .array(settings.psfSizes.map { .number(Double($0)) })
        d["scene_noise_min"] = .number(settings.unrolledNoise.lowerBound)
        d["scene_noise_max"] = .number(settings.unrolledNoise.upperBound)
        d["iterations"] = .number(Double(splitting.iterations))
        d["lambda"] = .number(splitting.lambda)
        d["sigma_start"] = .number(splitting.sigmaStart)
        return d
    }
}
