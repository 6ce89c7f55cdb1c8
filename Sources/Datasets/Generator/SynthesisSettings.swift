import DeblurCore
import Deconvolution

/// Everything that determines a synthetic dataset. Recorded in `dataset.json`; two runs with
/// equal settings write identical files, whatever the shard split or machine.
public struct SynthesisSettings: Sendable, Equatable, Codable {
    /// Where sharp images come from.
    public enum SharpSource: String, Sendable, Codable, CaseIterable {
        /// Procedural dead-leaves images (`deadLeaves`).
        case deadLeaves = "dead-leaves"
        /// Random crops (or whole images) from `imagesDirectory`.
        case images
    }

    /// The order in which items use the photographs of `imagesDirectory`.
    public enum ImageOrder: String, Sendable, Codable, CaseIterable {
        /// Each item draws a photograph at random from its own stream, with replacement: some
        /// photographs appear more often than others.
        case random
        /// Passes over the photographs, each pass in a seeded random permutation of its own:
        /// with N photographs item `i` uses photograph `permutation[i / N][i mod N]`, so every
        /// photograph appears ⌊count / N⌋ or ⌈count / N⌉ times.
        case cycle
    }

    /// Where PSFs come from.
    public enum KernelSource: String, Sendable, Codable, CaseIterable {
        /// A fresh Boracchi–Foi trajectory per item (`trajectorySize`, `trajectory`).
        case trajectories
        /// A kernel drawn per item from the PSF files in `kernelDirectory`.
        case folder
    }

    /// Number of items (ids 000000 … count − 1).
    public var count: Int = 100
    /// Sharp and blurred image height in pixels (ignored with `wholeImages`).
    public var height: Int = 256
    /// Sharp and blurred image width in pixels (ignored with `wholeImages`).
    public var width: Int = 256
    /// The dataset seed; item `i` draws from `SeededRandom(seed: seed, stream: i)`.
    public var seed: UInt64 = 0
    /// Where sharp images come from (default dead leaves).
    public var sharpSource: SharpSource = .deadLeaves
    /// The dead-leaves model for `.deadLeaves`.
    public var deadLeaves = DeadLeaves()
    /// Folder of PNG/TIFF images for `.images` (file names sorted; dot files ignored).
    public var imagesDirectory: String? = nil
    /// Use whole images instead of random crops (`.images` only).
    public var wholeImages = false
    /// Which photograph each item uses (`.images` only; default `.random`).
    public var imageOrder: ImageOrder = .random
    /// Where PSFs come from (default a fresh trajectory per item).
    public var kernelSource: KernelSource = .trajectories
    /// Folder of PSF files for `.folder`, or `bank` for the shipped bank (resolved by the
    /// `bankDirectory` given to `DatasetGenerator`, so dataset.json stays machine-independent).
    public var kernelDirectory: String? = nil
    /// Side of the trajectory PSFs in pixels (odd).
    public var trajectorySize = 31
    /// The trajectory model's parameters (defaults: Boracchi & Foi's).
    public var trajectory = TrajectoryParameters()
    /// Gaussian noise σ on the [0, 1] scale, drawn uniformly in [min, max] per item.
    public var noiseSigmaMin = 0.01
    public var noiseSigmaMax = 0.01
    /// Poisson noise at this peak photon count (nil: none).
    public var poissonPeak: Double? = nil
    /// Quantize blurred images to 8 or 16 bits (nil: 32-bit float TIFF).
    public var quantizeBits: Int? = nil
    /// Boundary protocol; `valid` blurs a larger crop and keeps the valid part.
    public var boundary: BlurBoundary = .valid
    /// Bits per sample of the sharp PNGs, 8 or 16. The sharp image is put on this grid
    /// before blurring, so the stored file is exactly the image that was blurred.
    public var sharpBits = 8

    public init() {}

    enum CodingKeys: String, CodingKey {
        case count, height, width, seed, sharpSource, deadLeaves, imagesDirectory, wholeImages, imageOrder, kernelSource,
             kernelDirectory, trajectorySize, trajectory, noiseSigmaMin, noiseSigmaMax, poissonPeak, quantizeBits, boundary, sharpBits
    }

    /// Decodes settings recorded before `imageOrder` existed as `.random`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        count = try c.decode(Int.self, forKey: .count)
        height = try c.decode(Int.self, forKey: .height)
        width = try c.decode(Int.self, forKey: .width)
        seed = try c.decode(UInt64.self, forKey: .seed)
        sharpSource = try c.decode(SharpSource.self, forKey: .sharpSource)
        deadLeaves = try c.decode(DeadLeaves.self, forKey: .deadLeaves)
        imagesDirectory = try c.decodeIfPresent(String.self, forKey: .imagesDirectory)
        wholeImages = try c.decode(Bool.self, forKey: .wholeImages)
        imageOrder = try c.decodeIfPresent(ImageOrder.self, forKey: .imageOrder) ?? .random
        kernelSource = try c.decode(KernelSource.self, forKey: .kernelSource)
        kernelDirectory = try c.decodeIfPresent(String.self, forKey: .kernelDirectory)
        trajectorySize = try c.decode(Int.self, forKey: .trajectorySize)
        trajectory = try c.decode(TrajectoryParameters.self, forKey: .trajectory)
        noiseSigmaMin = try c.decode(Double.self, forKey: .noiseSigmaMin)
        noiseSigmaMax = try c.decode(Double.self, forKey: .noiseSigmaMax)
        poissonPeak = try c.decodeIfPresent(Double.self, forKey: .poissonPeak)
        quantizeBits = try c.decodeIfPresent(Int.self, forKey: .quantizeBits)
        boundary = try c.decode(BlurBoundary.self, forKey: .boundary)
        sharpBits = try c.decode(Int.self, forKey: .sharpBits)
    }

    /// Leaves `imageOrder` out when it is `.random`, so that `dataset.json` of the default
    /// settings is the one written before the option existed, and such datasets resume.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(count, forKey: .count); try c.encode(height, forKey: .height); try c.encode(width, forKey: .width)
        try c.encode(seed, forKey: .seed)
        try c.encode(sharpSource, forKey: .sharpSource); try c.encode(deadLeaves, forKey: .deadLeaves)
        try c.encodeIfPresent(imagesDirectory, forKey: .imagesDirectory); try c.encode(wholeImages, forKey: .wholeImages)
        if imageOrder != .random { try c.encode(imageOrder, forKey: .imageOrder) }
        try c.encode(kernelSource, forKey: .kernelSource); try c.encodeIfPresent(kernelDirectory, forKey: .kernelDirectory)
        try c.encode(trajectorySize, forKey: .trajectorySize); try c.encode(trajectory, forKey: .trajectory)
        try c.encode(noiseSigmaMin, forKey: .noiseSigmaMin); try c.encode(noiseSigmaMax, forKey: .noiseSigmaMax)
        try c.encodeIfPresent(poissonPeak, forKey: .poissonPeak); try c.encodeIfPresent(quantizeBits, forKey: .quantizeBits)
        try c.encode(boundary, forKey: .boundary); try c.encode(sharpBits, forKey: .sharpBits)
    }

    /// The `dataset.json` keys whose values these settings never read: the dead-leaves settings
    /// of photographs, the item size of whole photographs, the trajectory settings of kernels
    /// from files. A resumed run does not compare them, so a dataset made while `deblur synth`
    /// still accepted (and recorded) such options without using them, `--images DIR --texture
    /// 0.2`, resumes under the same command without them; its items are the same bytes.
    public var unreadKeys: Set<String> {
        var keys: Set<String> = []
        if sharpSource == .images {
            keys.insert("dead_leaves")
            if wholeImages { keys.formUnion(["height", "width"]) }
        }
        if kernelSource == .folder { keys.formUnion(["trajectory_size", "trajectory"]) }
        return keys
    }

    /// The most items one dataset may hold; `demo --items` is checked against it too.
    public static let maximumCount = 100_000_000

    /// Checks every field; throws naming the first one out of its domain.
    public func validate() throws {
        guard count >= 1 && count <= Self.maximumCount else {
            throw DatasetsError.invalidSetting(name: "item count", value: "\(count)", expected: "1 to \(Self.maximumCount) items")
        }
        guard height >= 1 && width >= 1 && height <= 16384 && width <= 16384 else {
            throw DatasetsError.invalidSetting(name: "image size", value: "\(height)×\(width)", expected: "1 to 16384 pixels per side")
        }
        guard noiseSigmaMin.isFinite, noiseSigmaMax.isFinite, noiseSigmaMin >= 0, noiseSigmaMax >= noiseSigmaMin else {
            throw DatasetsError.invalidSetting(name: "noise sigma range", value: "\(noiseSigmaMin)…\(noiseSigmaMax)", expected: "0 ≤ min ≤ max, finite")
        }
        try reportingAsDatasetsError {
            try NoiseModel(gaussianSigma: noiseSigmaMax, poissonPeak: poissonPeak, quantizeBits: quantizeBits).validate()
        }
        guard sharpBits == 8 || sharpBits == 16 else {
            throw DatasetsError.invalidSetting(name: "sharp image depth", value: "\(sharpBits) bits", expected: "8 or 16 bits")
        }
        switch sharpSource {
        case .deadLeaves: try deadLeaves.validate()
        case .images:
            guard imagesDirectory != nil else {
                throw DatasetsError.invalidSetting(name: "sharp source", value: "images", expected: "an images directory")
            }
        }
        guard imageOrder == .random || sharpSource == .images else {
            throw DatasetsError.invalidSetting(name: "image order", value: imageOrder.rawValue, expected: "random with dead leaves (an order applies to a folder of images)")
        }
        switch kernelSource {
        case .trajectories:
            guard trajectorySize >= 3, trajectorySize % 2 == 1, trajectorySize <= 1023 else {
                throw DatasetsError.invalidSetting(name: "trajectory size", value: "\(trajectorySize)", expected: "an odd size between 3 and 1023")
            }
            try reportingAsDatasetsError { try trajectory.validate() }
        case .folder:
            guard kernelDirectory != nil else {
                throw DatasetsError.invalidSetting(name: "kernel source", value: "folder", expected: "a kernel directory")
            }
        }
    }
}

/// Runs a check of the Deconvolution module and throws its invalid parameter as this module's
/// invalid setting with the same name, value and expectation: wrapping the whole message in
/// another (`invalid noise : expected invalid quantization …`) said everything twice, and
/// `synth` should print what `blur` prints for the same flag.
private func reportingAsDatasetsError(_ check: () throws -> Void) throws {
    do { try check() } catch let DeconvolutionError.invalidParameter(name, value, expected) {
        throw DatasetsError.invalidSetting(name: name, value: value, expected: expected)
    }
}

/// One shard of a dataset: items whose index `i` satisfies `i mod count == index − 1`.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    /// 1-based shard number K.
    public let index: Int
    /// Number of shards N.
    public let count: Int

    /// The whole dataset in one shard.
    public static let all = Shard(uncheckedIndex: 1, count: 1)

    private init(uncheckedIndex: Int, count: Int) { self.index = uncheckedIndex; self.count = count }

    /// Shard `K` of `N`, `1 ≤ K ≤ N`.
    public init(_ index: Int, of count: Int) throws {
        guard count >= 1, index >= 1, index <= count else {
            throw DatasetsError.invalidSetting(name: "shard", value: "\(index)/\(count)", expected: "K/N with 1 ≤ K ≤ N")
        }
        self.index = index; self.count = count
    }

    /// Parses `K/N`.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw DatasetsError.invalidSetting(name: "shard", value: "'\(text)'", expected: "K/N, e.g. 3/8")
        }
        try self.init(k, of: n)
    }

    /// Whether item `i` belongs to this shard.
    public func contains(_ i: Int) -> Bool { i % count == index - 1 }

    /// The items file this shard writes: `items.jsonl` for one shard, else `items-K-of-N.jsonl`.
    public var itemsFileName: String { count == 1 ? "items.jsonl" : "items-\(index)-of-\(count).jsonl" }

    public var description: String { "\(index)/\(count)" }
}
