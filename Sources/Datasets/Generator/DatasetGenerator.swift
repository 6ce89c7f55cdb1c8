import DeblurCore
import DeblurIO
import Deconvolution
import Foundation

/// Synthesizes blurred datasets: the engine of `deblur synth`, and an in-memory source of
/// training pairs (`makeItem(index:)`).
///
/// Item `i` draws everything from `SeededRandom(seed: settings.seed, stream: i)`, in this
/// order: a kernel draw (the trajectory seed, or the seed that picks a kernel file), a
/// uniform for the noise σ, a sharp-image draw (the dead-leaves seed, or the seed that picks
/// a source image), two uniforms for the crop position, and the noise seed. So an item
/// depends on (settings, seed, index) alone, and any shard split gives the same files.
/// With `imageOrder == .cycle` the source image comes instead from pass ⌊i / N⌋'s permutation
/// of the N images, itself drawn from `SeededRandom(seed: settings.seed, stream: cycleStream +
/// pass)`; the item's own draws are the same, so its kernel, crop and noise do not change.
///
/// The `valid` protocol (Levin et al. 2009, Sun et al. 2013): a sharp crop larger by the
/// PSF size − 1 is blurred and only the valid part is kept; `sharp` is its matching centre
/// crop, so the blurred image carries real boundary effects a restorer has to handle.
///
/// ```swift
/// var settings = SynthesisSettings()
/// settings.count = 10_000
/// let generator = try DatasetGenerator(settings: settings)
/// let pair = try generator.makeItem(index: 42)   // pair.sharp, pair.blurred, pair.psf
/// ```
public struct DatasetGenerator: Sendable {
    /// The validated settings.
    public let settings: SynthesisSettings
    /// Usable source images (absolute paths, sorted), for `.images`.
    public let imageFiles: [String]
    /// Usable kernels (file name without extension, PSF), sorted by file name, for `.folder`.
    public let kernels: [(name: String, psf: PSF)]
    /// Files left out by a folder scan with `skipBad`, with the reason.
    public let skipped: [(path: String, reason: String)]

    /// Validates the settings and scans the image and kernel folders.
    /// - Parameters:
    ///   - skipBad: leave unreadable or too small files out (listed in `skipped`)
    ///     instead of failing on the first one.
    ///   - bankDirectory: the folder meant by `kernelDirectory == "bank"` (the shipped bank's
    ///     `tif/`, `KernelBank.directory` + `tif`), so that `dataset.json` records "bank"
    ///     rather than a machine-specific path.
    /// - Throws: `DatasetsError` naming the setting or file.
    public init(settings: SynthesisSettings, skipBad: Bool = false, bankDirectory: String? = nil) throws {
        try settings.validate()
        self.settings = settings
        var skipped = [(path: String, reason: String)]()
        var kernels = [(name: String, psf: PSF)]()
        if settings.kernelSource == .folder, var directory = settings.kernelDirectory {
            if directory == "bank" {
                guard let bankDirectory else {
                    throw DatasetsError.invalidSetting(name: "kernel directory", value: "bank", expected: "a folder (the shipped bank is known to the deblur command and to KernelBank)")
                }
                directory = bankDirectory
            }
            for path in try Self.listFiles(directory, what: "PSF files (.tif, .tiff, .png)") {
                guard ImageFormat(path: path) != nil else {
                    if skipBad { skipped.append((path, "not a .tif/.tiff/.png file")); continue }
                    throw DatasetsError.badSource(path: path, reason: "not a PSF file: expected .tif, .tiff or .png (or use --skip-bad)")
                }
                do {
                    kernels.append((((path as NSString).lastPathComponent as NSString).deletingPathExtension, try ImageIO.readPSF(path)))
                } catch {
                    if skipBad { skipped.append((path, "\(error)")); continue }
                    throw DatasetsError.badSource(path: path, reason: "\(error)")
                }
            }
            guard !kernels.isEmpty else { throw DatasetsError.emptyFolder(path: directory, expected: "PSF files (.tif, .tiff, .png)") }
        }
        self.kernels = kernels
        let kernelHeight = settings.kernelSource == .trajectories ? settings.trajectorySize : kernels.map(\.psf.height).max()!
        let kernelWidth = settings.kernelSource == .trajectories ? settings.trajectorySize : kernels.map(\.psf.width).max()!
        // Under a same-size boundary a PSF larger than the item gave items every method refuses
        // ("PSF of 33×33 is larger than the image of 32×32"): a dataset no comparison can use.
        // (`valid` blurs a crop grown by the PSF; whole images have sizes of their own.)
        if settings.boundary != .valid && !(settings.sharpSource == .images && settings.wholeImages)
            && (kernelHeight > settings.height || kernelWidth > settings.width) {
            throw DatasetsError.invalidSetting(
                name: "PSF size", value: "\(kernelHeight)×\(kernelWidth)",
                expected: "at most the item size \(settings.height)×\(settings.width) with boundary \(settings.boundary.rawValue) (no method restores an image smaller than its PSF): smaller kernels, larger items, or boundary valid")
        }
        var images = [String]()
        if settings.sharpSource == .images, let directory = settings.imagesDirectory {
            let grow = settings.boundary == .valid
            let needHeight = settings.wholeImages ? (grow ? kernelHeight : 1) : settings.height + (grow ? kernelHeight - 1 : 0)
            let needWidth = settings.wholeImages ? (grow ? kernelWidth : 1) : settings.width + (grow ? kernelWidth - 1 : 0)
            for path in try Self.listFiles(directory, what: "PNG or TIFF images") {
                do {
                    guard ImageFormat(path: path) != nil else {
                        throw DatasetsError.badSource(path: path, reason: "not an image file: expected .png, .tif or .tiff")
                    }
                    let image: Image
                    do { image = try ImageIO.read(path) } catch { throw DatasetsError.badSource(path: path, reason: "\(error)") }
                    guard image.height >= needHeight && image.width >= needWidth else {
                        throw DatasetsError.badSource(path: path, reason: "it is \(image.height)×\(image.width), smaller than the \(needHeight)×\(needWidth) crop the settings need")
                    }
                    // The sharp image is clipped to [0, 1] before it is stored, which would turn
                    // a float TIFF's NaN and ∞ silently into black or white.
                    guard image.isFinite else {
                        throw DatasetsError.badSource(path: path, reason: "it contains \(image.nonFiniteCount) NaN or infinite samples, expected finite values")
                    }
                    images.append(path)
                } catch let error as DatasetsError {
                    if skipBad, case let .badSource(p, reason) = error { skipped.append((p, reason)); continue }
                    throw error
                }
            }
            guard !images.isEmpty else { throw DatasetsError.emptyFolder(path: directory, expected: "PNG or TIFF images of at least \(needHeight)×\(needWidth)") }
        }
        self.imageFiles = images
        self.skipped = skipped
    }

    /// Regular files of a folder (or links to them), sorted by name, dot files left out. A named
    /// pipe, socket or device in the folder is passed over like a subfolder: opening a pipe
    /// nobody writes to would wait forever, and none of them can hold an image read as a folder's
    /// member.
    static func listFiles(_ directory: String, what: String) throws -> [String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw DatasetsError.fileError(path: directory, reason: "cannot list the folder of \(what)")
        }
        var files = [String]()
        for name in names.sorted() where !name.hasPrefix(".") {
            let path = (directory as NSString).appendingPathComponent(name)
            var status = stat()
            if stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG { files.append(path) }
        }
        return files
    }

    /// The per-item random choices, drawn before any heavy work so that the manifest of a
    /// skipped item costs nothing.
    struct Plan {
        let index: Int
        let kernelDraw: UInt64
        let noiseSigma: Double
        let sharpDraw: UInt64
        let cropU: Double, cropV: Double
        let noiseSeed: UInt64
    }

    func plan(_ index: Int) -> Plan {
        var rng = SeededRandom(seed: settings.seed, stream: UInt64(index))
        let kernelDraw = rng.next()
        let sigma = settings.noiseSigmaMin + (settings.noiseSigmaMax - settings.noiseSigmaMin) * rng.uniform()
        let sharpDraw = rng.next()
        let u = rng.uniform(), v = rng.uniform()
        return Plan(index: index, kernelDraw: kernelDraw, noiseSigma: sigma, sharpDraw: sharpDraw, cropU: u, cropV: v, noiseSeed: rng.next())
    }

    private func kernelChoice(_ plan: Plan) -> (name: String, index: Int?) {
        switch settings.kernelSource {
        case .trajectories: return ("trajectory-\(plan.kernelDraw)", nil)
        case .folder:
            var pick = SeededRandom(seed: plan.kernelDraw)
            let i = pick.integer(below: kernels.count)
            return (kernels[i].name, i)
        }
    }

    /// The first stream of the `.cycle` permutations, one per pass: far above the item
    /// streams (at most 10⁸ items), so no permutation shares an item's sequence.
    static let cycleStream: UInt64 = 0x4359_434C_0000_0000  // "CYCL"

    /// The index in `imageFiles` of the source image of `plan`'s item.
    func imageIndex(_ plan: Plan) -> Int {
        let n = imageFiles.count
        switch settings.imageOrder {
        case .random:
            var pick = SeededRandom(seed: plan.sharpDraw)
            return pick.integer(below: n)
        case .cycle:
            // Fisher–Yates from the front: position k is final after k + 1 swaps, so the pass's
            // permutation is drawn only as far as this item.
            var rng = SeededRandom(seed: settings.seed, stream: Self.cycleStream &+ UInt64(plan.index / n))
            var order = Array(0..<n)
            let position = plan.index % n
            for k in 0...position {
                order.swapAt(k, k + rng.integer(below: n - k))
            }
            return order[position]
        }
    }

    private func noiseModel(_ plan: Plan) -> NoiseModel {
        NoiseModel(gaussianSigma: plan.noiseSigma, poissonPeak: settings.poissonPeak, quantizeBits: settings.quantizeBits)
    }

    /// The manifest line of item `index`, without generating it. A negative index is a
    /// precondition failure (`makeItem` throws for it).
    public func manifestEntry(index: Int) -> DatasetItem {
        let plan = plan(index)
        let id = SyntheticItem.id(index: index, count: settings.count)
        let paths = SyntheticItem.paths(id: id, quantizeBits: settings.quantizeBits)
        return DatasetItem(id: id, sharp: paths.sharp, blurred: paths.blurred, psf: paths.psf, noiseSigma: plan.noiseSigma,
                           boundary: settings.boundary.rawValue, seed: UInt64(index), kernel: kernelChoice(plan).name,
                           poissonPeak: settings.poissonPeak,
                           source: settings.sharpSource == .images ? (imageFiles[imageIndex(plan)] as NSString).lastPathComponent : nil)
    }

    /// Generates item `index` in memory (sharp, blurred, PSF, noise), exactly as
    /// `deblur synth` would write it. Thread-safe; uses one thread.
    /// - Throws: `DatasetsError.invalidSetting` for a negative index, `DatasetsError` when a
    ///   source image cannot be read.
    public func makeItem(index: Int) throws -> SyntheticItem {
        try makeItem(index: index, convolver: Self.makeConvolver())
    }

    /// The convolution workspace items are made with: one thread, and always the direct
    /// spatial path, so that files never depend on FFTW's plan choice (plans chosen by timing
    /// round differently, and shards on other machines would not match bit for bit). The
    /// direct path skips zero taps, which makes sparse trajectory kernels cheap.
    public static func makeConvolver() -> Convolver {
        let convolver = Convolver(threads: 1)
        convolver.directTapLimit = .max
        return convolver
    }

    /// `makeItem(index:)` reusing a convolution workspace (one per thread, from `makeConvolver()`).
    public func makeItem(index: Int, convolver: Convolver) throws -> SyntheticItem {
        var timing = StageTimes()
        return try makeItem(index: index, convolver: convolver, timing: &timing)
    }

    func makeItem(index: Int, convolver: Convolver, timing: inout StageTimes) throws -> SyntheticItem {
        // Thrown, not a precondition: a script's index (a loop from -1, a parsed argument) trapped.
        guard index >= 0 else {
            throw DatasetsError.invalidSetting(name: "item index", value: "\(index)", expected: "an integer ≥ 0")
        }
        let plan = plan(index)
        var clock = monotonicSeconds()
        func lap(_ stage: inout Double) { let now = monotonicSeconds(); stage += now - clock; clock = now }

        let choice = kernelChoice(plan)
        let psf: PSF
        if let i = choice.index {
            psf = kernels[i].psf
        } else {
            psf = try PSF.trajectory(size: settings.trajectorySize, seed: plan.kernelDraw, parameters: settings.trajectory)
        }
        lap(&timing.psf)

        let valid = settings.boundary == .valid
        let growY = valid ? psf.height - 1 : 0, growX = valid ? psf.width - 1 : 0
        var source: Image
        switch settings.sharpSource {
        case .deadLeaves:
            source = settings.deadLeaves.generate(height: settings.height + growY, width: settings.width + growX, seed: plan.sharpDraw)
        case .images:
            let path = imageFiles[imageIndex(plan)]
            let image: Image
            do { image = try ImageIO.read(path) } catch { throw DatasetsError.badSource(path: path, reason: "\(error)") }
            if settings.wholeImages {
                source = image
            } else {
                let h = settings.height + growY, w = settings.width + growX
                guard image.height >= h && image.width >= w else {
                    throw DatasetsError.badSource(path: path, reason: "it is \(image.height)×\(image.width), smaller than the \(h)×\(w) crop")
                }
                let top = min(image.height - h, Int(plan.cropU * Double(image.height - h + 1)))
                let left = min(image.width - w, Int(plan.cropV * Double(image.width - w + 1)))
                source = image.cropped(top: top, left: left, height: h, width: w)
            }
        }
        // The sharp image is stored as an 8- or 16-bit PNG: quantize first so that the stored
        // file is exactly the image that was blurred.
        let levels = Float((1 << settings.sharpBits) - 1)
        source.withUnsafeMutableBufferPointer { p in
            for i in p.indices {
                let v = p[i]
                p[i] = ((v >= 0 ? (v <= 1 ? v : 1) : 0) * levels).rounded(.toNearestOrEven) / levels
            }
        }
        lap(&timing.sharp)

        var blurred = try convolver.blur(source, psf: psf, boundary: settings.boundary)
        let sharp = valid ? source.cropped(top: psf.centerY, left: psf.centerX, height: blurred.height, width: blurred.width) : source
        lap(&timing.blur)

        let noise = noiseModel(plan)
        var noiseRandom = SeededRandom(seed: plan.noiseSeed)
        blurred = try addNoise(blurred, noise, rng: &noiseRandom)
        lap(&timing.noise)

        return SyntheticItem(index: index, id: SyntheticItem.id(index: index, count: settings.count), sharp: sharp, blurred: blurred, psf: psf,
                             kernelName: choice.name, noise: noise)
    }
}

/// Seconds spent per stage, summed over items (and threads): making the PSF, the sharp
/// image (generation or reading and cropping), the blur, the noise, and writing the files.
public struct StageTimes: Sendable, Equatable {
    public var psf = 0.0, sharp = 0.0, blur = 0.0, noise = 0.0, write = 0.0
    public init() {}
    mutating func add(_ other: StageTimes) {
        psf += other.psf; sharp += other.sharp; blur += other.blur; noise += other.noise; write += other.write
    }
}
