/// A point-spread function: one channel, odd width and height, non-negative, finite,
/// summing to 1, its centre at `(height / 2, width / 2)`.
///
/// The initializer checks and normalizes; every `PSF` value therefore satisfies the
/// conventions of Docs/FileFormats.md and algorithms may rely on them.
public struct PSF: Sendable, Equatable {
    /// The kernel, summing to 1.
    public let image: Image

    /// Validates `kernel` and divides it by its sum.
    /// - Throws: `CoreError.invalidPSF` naming the rule broken (`source` names the file or origin).
    public init(_ kernel: Image, source: String = "PSF") throws {
        guard kernel.channels == 1 else {
            throw CoreError.invalidPSF(source: source, reason: "has \(kernel.channels) channels, expected 1")
        }
        try Self.checkSize(height: kernel.height, width: kernel.width, source: source)
        var sum = 0.0
        for v in kernel.pixels {
            guard v.isFinite else { throw CoreError.invalidPSF(source: source, reason: "contains \(v), expected finite values") }
            guard v >= 0 else { throw CoreError.invalidPSF(source: source, reason: "contains the negative value \(v), expected values ≥ 0 (`deblur psf import` or `PSF.importing` clips them)") }
            sum += Double(v)
        }
        guard sum > 0 else { throw CoreError.invalidPSF(source: source, reason: "sums to 0, expected a positive sum") }
        var normalized = kernel
        let scale = Float(1 / sum)
        normalized.withUnsafeMutableBufferPointer { p in
            if scale.isFinite {
                for i in p.indices { p[i] *= scale }
            } else {
                // A sum below Float's range (a kernel stored at 1e-40): 1 / sum would be ∞.
                for i in p.indices { p[i] = Float(Double(p[i]) / sum) }
            }
        }
        self.image = normalized
    }

    /// Checks the size rule of `init` alone (odd width and height), so that a file's header can
    /// be refused before its pixels are read (`ImageIO.readPSF`).
    /// - Throws: `CoreError.invalidPSF`, with the message `init` gives.
    public static func checkSize(height: Int, width: Int, source: String = "PSF") throws {
        guard height % 2 == 1, width % 2 == 1 else {
            throw CoreError.invalidPSF(source: source, reason: "is \(height)×\(width), expected odd width and height (`deblur psf import` or `PSF.importing` pads it)")
        }
    }

    /// The identity PSF of size 1 × 1.
    public static let identity = try! PSF(Image(height: 1, width: 1, value: 1))

    public var height: Int { image.height }
    public var width: Int { image.width }
    /// The centre sample's row, `height / 2`.
    public var centerY: Int { image.height / 2 }
    /// The centre sample's column, `width / 2`.
    public var centerX: Int { image.width / 2 }

    @inlinable public subscript(y: Int, x: Int) -> Float { image[y, x] }

    /// How far the blur reaches, in pixels: the larger side of the bounding box of the samples
    /// at or above 1 % of the peak. A horizontal linear motion of 13 px gives 13, a Gaussian of
    /// σ = 2 px 13 (its samples reach 1 % of the peak 6 px from the centre), the identity 1.
    /// The file's own size says less: the bank's kernels and fresh trajectories sit in windows
    /// larger than the walk. `deblur compare` groups items by it.
    public var support: Int {
        image.withUnsafeBufferPointer { p in
            let threshold = (p.max() ?? 0) * 0.01
            var top = height, bottom = -1, left = width, right = -1
            for y in 0..<height {
                for x in 0..<width where p[y * width + x] >= threshold {
                    top = min(top, y); bottom = max(bottom, y); left = min(left, x); right = max(right, x)
                }
            }
            return max(bottom - top + 1, right - left + 1)
        }
    }
}

/// What `PSF.importing` changed to bring a kernel from elsewhere under the conventions.
public struct PSFImport: Sendable {
    /// The kernel as imported: odd-sized, non-negative, summing to 1.
    public var psf: PSF
    /// Negative samples set to 0 (a blind estimate's ringing), and their magnitude as a share
    /// of the positive samples' sum (≥ 0: 0.01 when they took away 1 % of the mass).
    public var clippedNegatives: Int
    public var clippedFraction: Double
    /// Zero rows and columns added on each side.
    public var top: Int, bottom: Int, left: Int, right: Int
}

extension PSF {
    /// A kernel from another source (a published dataset, a blind estimate, a PNG drawn at any
    /// scale) made to follow the conventions instead of being refused: a color kernel becomes
    /// its luma, negative samples become 0, and an even side gets a zero row (column) at the
    /// bottom (right), which keeps the centre of MATLAB's `conv2(…, 'same')` and
    /// `scipy.ndimage.convolve`, sample `n / 2` counted from 0, so the blur it describes is not shifted. With `centroid` the
    /// kernel is instead padded so that its centre of mass, rounded, becomes the centre sample:
    /// the convention of blind-deblurring benchmarks that align estimates before scoring.
    /// - Throws: `CoreError.invalidPSF` for a non-finite sample or a kernel with no positive mass.
    public static func importing(_ kernel: Image, centroid: Bool = false, source: String = "PSF") throws -> PSFImport {
        guard kernel.channels == 1 || kernel.channels == 3 else {
            throw CoreError.invalidPSF(source: source, reason: "has \(kernel.channels) channels, expected 1 (gray) or 3 (color, taken as its luma)")
        }
        var k = kernel.luminance()
        var negatives = 0, negativeSum = 0.0, positiveSum = 0.0
        var massY = 0.0, massX = 0.0
        for y in 0..<k.height {
            for x in 0..<k.width {
                let v = k[y, x]
                guard v.isFinite else { throw CoreError.invalidPSF(source: source, reason: "contains \(v), expected finite values") }
                if v < 0 { negatives += 1; negativeSum += Double(v) }
                if v > 0 { positiveSum += Double(v); massY += Double(y) * Double(v); massX += Double(x) * Double(v) }
            }
        }
        guard positiveSum > 0 else { throw CoreError.invalidPSF(source: source, reason: "has no positive value, expected a positive sum") }
        if negatives > 0 { k.withUnsafeMutableBufferPointer { p in for i in p.indices where p[i] < 0 { p[i] = 0 } } }
        // Rows above and below the centre sample `c`, both made `m` with zeros.
        func sides(_ n: Int, centre c: Int) -> (before: Int, after: Int) {
            let m = max(c, n - 1 - c)
            return (m - c, m - (n - 1 - c))
        }
        let (top, bottom) = centroid ? sides(k.height, centre: Int((massY / positiveSum).rounded())) : (0, 1 - k.height % 2)
        let (left, right) = centroid ? sides(k.width, centre: Int((massX / positiveSum).rounded())) : (0, 1 - k.width % 2)
        if top + bottom + left + right > 0 { k = k.padded(top: top, bottom: bottom, left: left, right: right, mode: .zero) }
        return PSFImport(psf: try PSF(k, source: source), clippedNegatives: negatives, clippedFraction: negatives > 0 ? -negativeSum / positiveSum : 0,
                         top: top, bottom: bottom, left: left, right: right)
    }
}
