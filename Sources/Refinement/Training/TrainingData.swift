import DeblurCore
import DeblurIO
import Deconvolution
import Datasets
import Foundation

/// Settings of the on-the-fly synthetic training data: dead-leaves images, random
/// camera-shake trajectories, Gaussian noise in a range, `valid` boundaries (Levin et al. 2009
/// protocol), then the base method.
public struct SyntheticDataSettings: Sendable, Codable, Equatable {
    /// Side of each synthetic blurred image (default 128).
    public var imageSize: Int = 128
    /// Images generated for training (default 256) and validation (default 16).
    public var trainingImages: Int = 256
    public var validationImages: Int = 16
    /// PSF sizes drawn uniformly from these odd values (default 13…31).
    public var psfSizes: [Int] = [13, 17, 21, 25, 31]
    /// Noise σ drawn uniformly in this range (default 0.005…0.03).
    public var noiseMin: Double = 0.005
    public var noiseMax: Double = 0.03
    /// Each image draws its dead leaves' texture amplitude uniformly in [0, `textureMax`) and
    /// its background defocus σ in [0, `defocusMax`) (both 0 by default: flat, all in focus).
    /// Texture and out-of-focus regions bring the statistics closer to photographs.
    public var textureMax: Double = 0
    public var defocusMax: Double = 0
    /// Each image draws its dead leaves' fine-grain amplitude uniformly in [0, `grainMax`) (0: none).
    public var grainMax: Double = 0
    /// Octaves of grain correlation length every image's leaves use (`DeadLeaves.grainOctaves`; 1: fine only).
    public var grainOctaves: Int = 1
    /// Fraction of every image's grained leaves whose grain is drawn out into strands (`DeadLeaves.strandFraction`).
    public var strandFraction: Double = 0
    /// Each image draws its dead leaves' shading amplitude uniformly in [0, `shadingMax`) (0: none).
    public var shadingMax: Double = 0
    /// Fraction of every image's leaves that are ellipses, rectangles or triangles (0: disks only).
    public var shapeFraction: Double = 0
    /// Fraction of every image's leaves filled with a periodic motif (0: none).
    public var patternFraction: Double = 0
    /// Each image draws a lens blur σ (px, over the finished image) uniformly in [0, `lensBlurMax`) (0: none).
    public var lensBlurMax: Double = 0
    /// Every image's disk radii, in pixels (`DeadLeaves.minRadius` / `maxRadius`; 1…100 by default).
    public var minRadius: Double = 1
    public var maxRadius: Double = 100
    /// Each image's contrast is scaled by a factor drawn log-uniformly in [`contrastMin`, 1]
    /// around a random level (1: unchanged), so faint edges and low-contrast scenes are seen at
    /// every noise level, not only as a high noise level over full-contrast leaves.
    public var contrastMin: Double = 1
    /// Denoiser data only: images that are also blurred (a trajectory PSF of a side from
    /// `psfSizes`, `valid` boundary, noise σ uniform in `unrolledNoise`) and restored by a
    /// plug-and-play splitting; each of its steps' data-step outputs is a sample with that step's
    /// level as its noise (0: none, only images plus white noise).
    public var unrolledImages: Int = 0
    /// The observation noise range of the unrolled images: the range the splitting serves.
    public var unrolledNoise: ClosedRange<Double> = 0.005...0.03
    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        imageSize = try c.decode(Int.self, forKey: .imageSize)
        trainingImages = try c.decode(Int.self, forKey: .trainingImages)
        validationImages = try c.decode(Int.self, forKey: .validationImages)
        psfSizes = try c.decode([Int].self, forKey: .psfSizes)
        noiseMin = try c.decode(Double.self, forKey: .noiseMin)
        noiseMax = try c.decode(Double.self, forKey: .noiseMax)
        textureMax = try c.decodeIfPresent(Double.self, forKey: .textureMax) ?? 0
        defocusMax = try c.decodeIfPresent(Double.self, forKey: .defocusMax) ?? 0
        grainMax = try c.decodeIfPresent(Double.self, forKey: .grainMax) ?? 0
        grainOctaves = try c.decodeIfPresent(Int.self, forKey: .grainOctaves) ?? 1
        strandFraction = try c.decodeIfPresent(Double.self, forKey: .strandFraction) ?? 0
        shadingMax = try c.decodeIfPresent(Double.self, forKey: .shadingMax) ?? 0
        shapeFraction = try c.decodeIfPresent(Double.self, forKey: .shapeFraction) ?? 0
        patternFraction = try c.decodeIfPresent(Double.self, forKey: .patternFraction) ?? 0
        lensBlurMax = try c.decodeIfPresent(Double.self, forKey: .lensBlurMax) ?? 0
        contrastMin = try c.decodeIfPresent(Double.self, forKey: .contrastMin) ?? 1
        minRadius = try c.decodeIfPresent(Double.self, forKey: .minRadius) ?? 1
        maxRadius = try c.decodeIfPresent(Double.self, forKey: .maxRadius) ?? 100
        unrolledImages = try c.decodeIfPresent(Int.self, forKey: .unrolledImages) ?? 0
        unrolledNoise = try c.decodeIfPresent(ClosedRange<Double>.self, forKey: .unrolledNoise) ?? 0.005...0.03
    }
}

extension SyntheticDataSettings {
    /// Throws unless the largest leaves any image may draw are valid: checked once, as
    /// DeadLeaves.validate words it, rather than failing a precondition inside a worker.
    func validateLeaves() throws {
        var largest = DeadLeaves()
        largest.textureAmplitude = textureMax; largest.defocusSigma = defocusMax; largest.grainAmplitude = grainMax
        largest.shadingAmplitude = shadingMax; largest.shapeFraction = shapeFraction; largest.grainOctaves = grainOctaves; largest.strandFraction = strandFraction
        largest.patternFraction = patternFraction; largest.lensSigma = lensBlurMax
        largest.minRadius = minRadius; largest.maxRadius = maxRadius
        try largest.validate()
        guard contrastMin > 0 && contrastMin <= 1 else {
            throw RefinementError.invalidSetting(name: "contrast", value: "\(contrastMin)", expected: "a number in (0, 1]")
        }
    }

    /// One image's leaves; each amount is drawn only when enabled, so that flat-leaves data
    /// keeps the bytes of earlier versions.
    func drawLeaves(_ rng: inout SeededRandom) -> DeadLeaves {
        var leaves = DeadLeaves()
        if textureMax > 0 { leaves.textureAmplitude = rng.uniform(0, textureMax) }
        if defocusMax > 0 { leaves.defocusSigma = rng.uniform(0, defocusMax) }
        if grainMax > 0 { leaves.grainAmplitude = rng.uniform(0, grainMax) }
        if shadingMax > 0 { leaves.shadingAmplitude = rng.uniform(0, shadingMax) }
        if lensBlurMax > 0 { leaves.lensSigma = rng.uniform(0, lensBlurMax) }
        leaves.shapeFraction = shapeFraction; leaves.grainOctaves = grainOctaves; leaves.strandFraction = strandFraction; leaves.patternFraction = patternFraction
        leaves.minRadius = minRadius; leaves.maxRadius = maxRadius
        return leaves
    }

    /// One image's sharp leaves at this size, with its contrast drawn when `contrastMin` < 1
    /// (no draw otherwise, so earlier data keeps its bytes).
    func render(_ leaves: DeadLeaves, height: Int, width: Int, rng: inout SeededRandom) -> Image {
        var image = leaves.generate(height: height, width: width, seed: rng.next())
        guard contrastMin < 1 else { return image }
        let c = Float(exp(rng.uniform(log(contrastMin), 0)))
        let level = Float(rng.uniform(Double(c) / 2, 1 - Double(c) / 2))
        image.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = level + c * (p[i] - 0.5) } }
        return image
    }

    /// The generator settings `description` leaves out at their defaults (so headers of data
    /// made without them keep their bytes), with those defaults.
    static let omittedDefaults: [String: JSONValue] = [
        "texture_max": .number(0), "defocus_max": .number(0), "grain_max": .number(0), "shading_max": .number(0),
        "shape_fraction": .number(0), "pattern_fraction": .number(0), "lens_blur_max": .number(0),
        "contrast_min": .number(1), "grain_octaves": .number(1), "strand_fraction": .number(0), "min_radius": .number(1), "max_radius": .number(100),
        "unrolled_images": .number(0),
    ]

    /// The model header's description of data made with these settings.
    func description(generator: String) -> [String: JSONValue] {
        var description: [String: JSONValue] = [
            "source": .string("synthetic"), "generator": .string(generator),
            "image_size": .number(Double(imageSize)), "training_images": .number(Double(trainingImages)),
            "validation_images": .number(Double(validationImages)),
            "noise_min": .number(noiseMin), "noise_max": .number(noiseMax),
        ]
        if textureMax > 0 { description["texture_max"] = .number(textureMax) }
        if defocusMax > 0 { description["defocus_max"] = .number(defocusMax) }
        if grainMax > 0 { description["grain_max"] = .number(grainMax) }
        if shadingMax > 0 { description["shading_max"] = .number(shadingMax) }
        if shapeFraction > 0 { description["shape_fraction"] = .number(shapeFraction) }
        if patternFraction > 0 { description["pattern_fraction"] = .number(patternFraction) }
        if lensBlurMax > 0 { description["lens_blur_max"] = .number(lensBlurMax) }
        if contrastMin < 1 { description["contrast_min"] = .number(contrastMin) }
        if grainOctaves != 1 { description["grain_octaves"] = .number(Double(grainOctaves)) }
        if strandFraction > 0 { description["strand_fraction"] = .number(strandFraction) }
        if minRadius != 1 || maxRadius != 100 {
            description["min_radius"] = .number(minRadius); description["max_radius"] = .number(maxRadius)
        }
        if unrolledImages > 0 {
            description["unrolled_images"] = .number(Double(unrolledImages))
            description["unrolled_noise_min"] = .number(unrolledNoise.lowerBound)
            description["unrolled_noise_max"] = .number(unrolledNoise.upperBound)
            description["psf_sizes"] = .array(psfSizes.map { .number(Double($0)) })
        }
        return description
    }
}

/// Training data: samples for training and held-out validation.
public struct TrainingData: Sendable {
    public var training: [TrainingSample]
    public var validation: [TrainingSample]
    /// A description for the model header (`"synthetic dead leaves …"` or the dataset path).
    public var description: [String: JSONValue]
    /// What the network learns; `.denoise` data holds clean training images, and the sampler
    /// adds fresh noise with σ drawn from `addedNoise` to every patch.
    public var task: RefinerTask
    public var addedNoise: ClosedRange<Double>?

    public init(training: [TrainingSample], validation: [TrainingSample], description: [String: JSONValue],
                task: RefinerTask = .refine, addedNoise: ClosedRange<Double>? = nil) {
        self.training = training; self.validation = validation; self.description = description
        self.task = task; self.addedNoise = addedNoise
    }

    /// Denoiser data, deterministic from `seed`: clean dead-leaves training images (noise is
    /// drawn per patch while training, so no two batches repeat it) and validation images
    /// with Gaussian noise of σ uniform in the settings' noise range, fixed once. No blur, no
    /// base method. With `settings.unrolledImages` > 0 and a `splitting`, that many more images
    /// are blurred, restored by it, and give one sample per step: its data-step output, carrying
    /// its own noise (σ = the step's level), and the sharp image as the target.
    public static func syntheticDenoising(_ settings: SyntheticDataSettings, seed: UInt64, splitting: PlugAndPlayRestorer? = nil,
                                          progress: (@Sendable () -> Void)? = nil) throws -> TrainingData {
        try settings.validateLeaves()
        guard settings.unrolledImages == 0 || splitting != nil else {
            throw RefinementError.invalidSetting(name: "unrolled images", value: "\(settings.unrolledImages)", expected: "0 without a denoiser to unroll")
        }
        let images = settings.trainingImages + settings.validationImages
        let total = images + settings.unrolledImages
        var samples = [Result<[TrainingSample], Error>?](repeating: nil, count: total)
        let lock = NSLock()
        func synthesize() {
            samples.withUnsafeMutableBufferPointer { out in
                let out = out
                parallelFor(total) { i in
                    let r = Result { () throws -> [TrainingSample] in
                        if i >= images { return try unrolledSamples(i - images, settings: settings, splitting: splitting!, seed: seed) }
                        var rng = SeededRandom(seed: seed, stream: 0x444E_0000 + UInt64(i))
                        let leaves = settings.drawLeaves(&rng)
                        let n = settings.imageSize
                        let sharp = settings.render(leaves, height: n, width: n, rng: &rng)
                        guard i >= settings.trainingImages else { return [TrainingSample(estimate: sharp, blurred: sharp, sharp: sharp, noiseSigma: 0)] }
                        // Unclipped, like the noise the sampler adds and the noise a deconvolution leaves.
                        let sigma = rng.uniform(settings.noiseMin, settings.noiseMax)
                        var noisy = sharp
                        noisy.withUnsafeMutableBufferPointer { p in for k in 0..<p.count { p[k] += Float(sigma * rng.gaussian()) } }
                        return [TrainingSample(estimate: noisy, blurred: noisy, sharp: sharp, noiseSigma: sigma)]
                    }
                    lock.lock(); out[i] = r; lock.unlock()
                    progress?()
                }
            }
        }
        // The items own the cores: each splitting runs its FFTs and network on one thread.
        if settings.unrolledImages > 0 { BLAS.withThreads(1, synthesize) } else { synthesize() }
        let all = try samples.map { try $0!.get() }
        let training = all[0..<settings.trainingImages].flatMap { $0 } + all[images...].flatMap { $0 }
        return TrainingData(training: training, validation: all[settings.trainingImages..<images].flatMap { $0 },
                            description: settings.description(generator: "dead leaves + gaussian noise (denoising)"), task: .denoise, addedNoise: settings.noiseMin...settings.noiseMax)
    }

    /// Unrolled image `index`: dead leaves blurred like the refiner's data, then one sample per
    /// splitting step (the step's input to the network on the observed window, the sharp window).
    static func unrolledSamples(_ index: Int, settings: SyntheticDataSettings, splitting: PlugAndPlayRestorer, seed: UInt64) throws -> [TrainingSample] {
        var rng = SeededRandom(seed: seed, stream: 0x554E_524C_0000 + UInt64(index))
        let scene = try blurredScene(settings, noise: settings.unrolledNoise, rng: &rng)
        return try splitting.dataStepOutputs(scene.blurred, psf: scene.psf, noiseSigma: scene.sigma).map {
            TrainingSample(estimate: $0.input, blurred: scene.blurred, sharp: scene.sharp, noiseSigma: $0.level)
        }
    }

    /// One image's dead leaves seen through a random trajectory PSF with `valid` boundaries and
    /// Gaussian noise of σ uniform in `noise`: the blurred image, the sharp window it covers.
    static func blurredScene(_ settings: SyntheticDataSettings, noise: ClosedRange<Double>, rng: inout SeededRandom) throws
        -> (blurred: Image, sharp: Image, psf: PSF, sigma: Double) {
        let psfSize = settings.psfSizes[rng.integer(below: settings.psfSizes.count)]
        let psf = try PSF.trajectory(size: psfSize, seed: rng.next())
        let n = settings.imageSize
        let leaves = settings.drawLeaves(&rng)
        let sharpLarge = settings.render(leaves, height: n + psfSize - 1, width: n + psfSize - 1, rng: &rng)
        let sigma = rng.uniform(noise.lowerBound, noise.upperBound)
        let blurred = try addNoise(try blur(sharpLarge, psf: psf, boundary: .valid), NoiseModel(gaussianSigma: sigma), rng: &rng)
        return (blurred, sharpLarge.centerCropped(height: blurred.height, width: blurred.width), psf, sigma)
    }

    /// Generates synthetic data deterministically from `seed` (item `i` from stream `i`), in
    /// parallel over items; `progress` is called once per finished item.
    public static func synthetic(_ settings: SyntheticDataSettings, base: any Restorer, seed: UInt64,
                                 progress: (@Sendable () -> Void)? = nil) throws -> TrainingData {
        try settings.validateLeaves()
        let total = settings.trainingImages + settings.validationImages
        var results = [Result<TrainingSample, Error>?](repeating: nil, count: total)
        let lock = NSLock()
        // The items own the cores: each base restore runs its FFTs on one thread.
        FFT.serially {
            results.withUnsafeMutableBufferPointer { out in
                let out = out
                parallelFor(total) { i in
                    let r = Result { try syntheticSample(i, settings: settings, base: base, seed: seed) }
                    lock.lock(); out[i] = r; lock.unlock()
                    progress?()
                }
            }
        }
        let samples = try results.map { try $0!.get() }
        var description = settings.description(generator: "dead leaves + trajectory PSFs + gaussian noise, valid boundary")
        description["psf_sizes"] = .array(settings.psfSizes.map { .number(Double($0)) })
        return TrainingData(training: Array(samples[0..<settings.trainingImages]), validation: Array(samples[settings.trainingImages...]),
                            description: description)
    }

    static func syntheticSample(_ index: Int, settings: SyntheticDataSettings, base: any Restorer, seed: UInt64) throws -> TrainingSample {
        var rng = SeededRandom(seed: seed, stream: 0x5359_4E00 + UInt64(index))
        let scene = try blurredScene(settings, noise: settings.noiseMin...settings.noiseMax, rng: &rng)
        return TrainingSample(estimate: try base.restore(scene.blurred, psf: scene.psf), blurred: scene.blurred, sharp: scene.sharp, noiseSigma: scene.sigma)
    }

    /// Loads a dataset directory (`deblur synth`'s layout), runs the base method on every item (in
    /// parallel), and holds out every tenth item (index ≡ 9 mod 10) for validation. Color
    /// items become one sample per channel. With `patch`, a training item smaller than a
    /// `patch × patch` square is refused by its file before the base method runs on the rest
    /// (`PatchSampler` would refuse it later, with no name).
    public static func dataset(_ directory: String, base: any Restorer, patch: Int? = nil,
                               progress: (@Sendable () -> Void)? = nil) throws -> TrainingData {
        try dataset(try Dataset.load(directory), base: base, patch: patch, progress: progress)
    }

    /// `dataset(_:base:patch:progress:)` for a dataset already loaded; `progress` is called once
    /// per item, from the worker that restored it.
    public static func dataset(_ dataset: Dataset, base: any Restorer, patch: Int? = nil,
                               progress: (@Sendable () -> Void)? = nil) throws -> TrainingData {
        let directory = dataset.directory
        guard !dataset.items.isEmpty else { throw RefinementError.invalidData("dataset \(directory) has no items") }
        let count = dataset.items.count
        func isValidation(_ i: Int) -> Bool {
            count >= 2 && i % 10 == 9 || (count < 10 && i == count - 1 && count >= 2)
        }
        var results = [Result<[TrainingSample], Error>?](repeating: nil, count: dataset.items.count)
        let lock = NSLock()
        // The items own the cores: each base restore runs its FFTs on one thread.
        FFT.serially {
            results.withUnsafeMutableBufferPointer { out in
                let out = out
                parallelFor(dataset.items.count) { i in
                    let item = dataset.items[i]
                    let r = Result { () throws -> [TrainingSample] in
                        let blurred = try ImageIO.read(dataset.path(item.blurred))
                        let sharp = try ImageIO.read(dataset.path(item.sharp))
                        let psf = try ImageIO.readPSF(dataset.path(item.psf))
                        guard blurred.height == sharp.height && blurred.width == sharp.width && blurred.channels == sharp.channels else {
                            throw RefinementError.invalidData("dataset \(directory) item \(item.id): blurred \(blurred.channels)×\(blurred.height)×\(blurred.width) and sharp \(sharp.channels)×\(sharp.height)×\(sharp.width) differ")
                        }
                        if let patch, !isValidation(i), sharp.height < patch || sharp.width < patch {
                            throw RefinementError.invalidData("dataset \(directory) item \(item.id) (\(item.sharp)) is \(sharp.height)×\(sharp.width), smaller than the \(patch)×\(patch) training patch")
                        }
                        do {
                            return try (0..<blurred.channels).map { c in
                                let y = blurred.channel(c)
                                return TrainingSample(estimate: try base.restore(y, psf: psf), blurred: y, sharp: sharp.channel(c), noiseSigma: item.noiseSigma)
                            }
                        } catch {
                            // The base method's message says what is wrong, not with which file.
                            throw RefinementError.invalidData("dataset \(directory) item \(item.id) (\(item.blurred)): \(error)")
                        }
                    }
                    lock.lock(); out[i] = r; lock.unlock()
                    progress?()
                }
            }
        }
        var training: [TrainingSample] = [], validation: [TrainingSample] = []
        for (i, r) in results.enumerated() {
            let samples = try r!.get()
            if isValidation(i) {
                validation += samples
            } else {
                training += samples
            }
        }
        return TrainingData(training: training, validation: validation,
                            description: ["source": .string("dataset"), "dataset": .string(directory), "items": .number(Double(dataset.items.count))])
    }
}

/// Draws training batches: random patches of random samples with a random dihedral
/// transform, from a generator seeded by `(seed, step)` alone, so a resumed run draws exactly
/// the batches of an uninterrupted one.
public struct PatchSampler: Sendable {
    public let samples: [TrainingSample]
    public let inputs: [RefinerInput]
    public let patch: Int
    public let batch: Int
    public let seed: UInt64
    /// When set, every patch of a clean sample (noise σ 0) gets fresh Gaussian noise in its
    /// estimate plane, of σ drawn uniformly from this range, and its noise plane holds that σ
    /// (denoiser training); a sample with a σ of its own (an unrolled step's input) keeps its
    /// estimate and σ.
    public let addedNoise: ClosedRange<Double>?

    public init(samples: [TrainingSample], inputs: [RefinerInput], patch: Int, batch: Int, seed: UInt64,
                addedNoise: ClosedRange<Double>? = nil) throws {
        guard !samples.isEmpty else { throw RefinementError.invalidData("no training samples") }
        // Trainer checks its options first; a script building a sampler itself got empty
        // batches from patch 0 and a trap from a negative size.
        guard patch >= 1 else { throw RefinementError.invalidSetting(name: "patch", value: "\(patch)", expected: "an integer ≥ 1") }
        guard batch >= 1 else { throw RefinementError.invalidSetting(name: "batch", value: "\(batch)", expected: "an integer ≥ 1") }
        if let addedNoise, !(addedNoise.lowerBound >= 0 && addedNoise.upperBound.isFinite) {
            throw RefinementError.invalidSetting(name: "noise range", value: "\(addedNoise.lowerBound):\(addedNoise.upperBound)", expected: "finite σ ≥ 0")
        }
        for s in samples where s.sharp.height < patch || s.sharp.width < patch {
            throw RefinementError.invalidData("a training image is \(s.sharp.height)×\(s.sharp.width), smaller than the \(patch)×\(patch) patch")
        }
        self.samples = samples; self.inputs = inputs; self.patch = patch; self.batch = batch; self.seed = seed
        self.addedNoise = addedNoise
    }

    /// Fills `input` (`batch × inputs × patch × patch`) and `target` (`batch × 1 × patch × patch`) for `step`.
    public func fill(step: Int, input: inout Tensor, target: inout Tensor) {
        let p = patch, planes = inputs.count
        input.reshape(batch: batch, channels: planes, height: p, width: p)
        target.reshape(batch: batch, channels: 1, height: p, width: p)
        var rng = SeededRandom(seed: seed, stream: 0x5041_5443_0000 + UInt64(step))
        for n in 0..<batch {
            let s = samples[rng.integer(below: samples.count)]
            let top = rng.integer(below: s.sharp.height - p + 1), left = rng.integer(below: s.sharp.width - p + 1)
            let transform = DihedralTransform(rng.integer(below: 8))
            let w = s.sharp.width
            // Drawn for every patch, so data without unrolled samples keeps its batches.
            let drawn = addedNoise.map { rng.uniform($0.lowerBound, $0.upperBound) }
            let adds = drawn != nil && s.noiseSigma == 0
            let sigma = adds ? drawn! : s.noiseSigma
            let sources: [Image?] = inputs.map { $0 == .estimate ? s.estimate : $0 == .blurred ? s.blurred : nil }
            input.data.withUnsafeMutableBufferPointer { dst in
                for (c, source) in sources.enumerated() {
                    let base = (n * planes + c) * p * p
                    if let source {
                        source.withUnsafeBufferPointer { src in
                            for i in 0..<p { for j in 0..<p {
                                let (y, x) = transform.source(i, j, size: p)
                                dst[base + i * p + j] = src[(top + y) * w + left + x]
                            } }
                        }
                    } else {
                        for k in 0..<(p * p) { dst[base + k] = Float(sigma) }
                    }
                }
                if adds, let c = inputs.firstIndex(of: .estimate) {
                    let base = (n * planes + c) * p * p
                    for k in 0..<(p * p) { dst[base + k] += Float(sigma * rng.gaussian()) }
                }
            }
            target.data.withUnsafeMutableBufferPointer { dst in
                s.sharp.withUnsafeBufferPointer { src in
                    for i in 0..<p { for j in 0..<p {
                        let (y, x) = transform.source(i, j, size: p)
                        dst[n * p * p + i * p + j] = src[(top + y) * w + left + x]
                    } }
                }
            }
        }
    }
}
