/// A planar Float32 image: `channels × height × width`, row-major within each plane.
///
/// Values are nominally in [0, 1] (see Docs/FileFormats.md). `Image` is a value type:
/// copies share storage until one of them is mutated (copy-on-write through `[Float]`).
///
/// Layout: pixel `(c, y, x)` is at `pixels[(c * height + y) * width + x]`.
public struct Image: Sendable, Equatable {
    public let channels: Int
    public let height: Int
    public let width: Int
    /// The samples, planar: all of channel 0, then channel 1, …
    public var pixels: [Float]

    /// An image filled with `value`.
    public init(channels: Int = 1, height: Int, width: Int, value: Float = 0) {
        precondition(channels > 0 && height >= 0 && width >= 0,
                     "Image size must be non-negative with at least one channel, got \(channels)×\(height)×\(width)")
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = [Float](repeating: value, count: channels * height * width)
    }

    /// An image over existing planar samples; `pixels.count` must equal `channels·height·width`.
    public init(channels: Int = 1, height: Int, width: Int, pixels: [Float]) {
        precondition(channels > 0 && height >= 0 && width >= 0,
                     "Image size must be non-negative with at least one channel, got \(channels)×\(height)×\(width)")
        precondition(pixels.count == channels * height * width,
                     "Image \(channels)×\(height)×\(width) needs \(channels * height * width) samples, got \(pixels.count)")
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
    }

    /// An image whose sample `(c, y, x)` is `body(c, y, x)`.
    public init(channels: Int = 1, height: Int, width: Int, _ body: (Int, Int, Int) -> Float) {
        var pixels = [Float]()
        pixels.reserveCapacity(channels * height * width)
        for c in 0..<channels {
            for y in 0..<height {
                for x in 0..<width { pixels.append(body(c, y, x)) }
            }
        }
        self.init(channels: channels, height: height, width: width, pixels: pixels)
    }

    /// Samples in one channel plane.
    @inlinable public var planeSize: Int { height * width }
    /// Total number of samples.
    @inlinable public var count: Int { channels * height * width }
    /// True when the image holds no samples.
    @inlinable public var isEmpty: Bool { count == 0 }

    @inlinable
    public subscript(c: Int, y: Int, x: Int) -> Float {
        get { pixels[(c * height + y) * width + x] }
        set { pixels[(c * height + y) * width + x] = newValue }
    }

    /// Gray images: `image[y, x]` is channel 0.
    @inlinable
    public subscript(y: Int, x: Int) -> Float {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }

    /// Read access to all samples as one contiguous buffer, for hot loops.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try pixels.withUnsafeBufferPointer(body)
    }

    /// Write access to all samples as one contiguous buffer, for hot loops.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        try pixels.withUnsafeMutableBufferPointer(body)
    }

    /// The samples of one channel as a new one-channel image.
    public func channel(_ c: Int) -> Image {
        precondition(c >= 0 && c < channels, "channel \(c) out of range 0..<\(channels)")
        let n = planeSize
        return Image(channels: 1, height: height, width: width, pixels: Array(pixels[c * n ..< (c + 1) * n]))
    }

    /// Splits into one-channel images, in channel order.
    public func splitChannels() -> [Image] { (0..<channels).map(channel) }

    /// Stacks one-channel (or multi-channel) images of equal size along the channel axis.
    public static func merge(_ planes: [Image]) -> Image {
        precondition(!planes.isEmpty, "merge needs at least one image")
        let h = planes[0].height, w = planes[0].width
        precondition(planes.allSatisfy { $0.height == h && $0.width == w },
                     "merge needs images of equal size, got \(planes.map { "\($0.height)×\($0.width)" })")
        var pixels = [Float]()
        pixels.reserveCapacity(planes.reduce(0) { $0 + $1.count })
        for p in planes { pixels.append(contentsOf: p.pixels) }
        return Image(channels: planes.reduce(0) { $0 + $1.channels }, height: h, width: w, pixels: pixels)
    }

    /// Applies `body` to each channel independently and merges the results, the convention
    /// for color images in every per-channel method.
    public func mapChannels(_ body: (Image) throws -> Image) rethrows -> Image {
        if channels == 1 { return try body(self) }
        return Image.merge(try splitChannels().map(body))
    }

    /// The Rec. 601 luma weights of R, G and B that `luminance()` applies, in its order.
    public static let lumaWeights: [Float] = [0.299, 0.587, 0.114]

    /// Rec. 601 luma `0.299 R + 0.587 G + 0.114 B` (MATLAB's `rgb2gray`, scikit-image's
    /// `rgb2gray` uses Rec. 709 weights 0.2125/0.7154/0.0721: see Docs/FileFormats.md).
    /// A one-channel image is returned unchanged; other channel counts are a precondition failure.
    public func luminance() -> Image {
        if channels == 1 { return self }
        precondition(channels == 3, "luminance needs 1 or 3 channels, got \(channels)")
        let n = planeSize
        var out = [Float](repeating: 0, count: n)
        let r = Image.lumaWeights[0], g = Image.lumaWeights[1], b = Image.lumaWeights[2]
        pixels.withUnsafeBufferPointer { p in
            for i in 0..<n {
                out[i] = r * p[i] + g * p[n + i] + b * p[2 * n + i]
            }
        }
        return Image(channels: 1, height: height, width: width, pixels: out)
    }

    /// Minimum, maximum and mean (accumulated in Float64) of the finite samples; NaN when there
    /// are none. NaN and ±∞ are left out of all three alike: one NaN made the mean NaN while
    /// the range was still that of the others.
    /// An empty image has none either: it gave (0, 0, 0), the figures of a black image.
    public func statistics() -> (min: Float, max: Float, mean: Double) {
        var lo = Float.infinity, hi = -Float.infinity, sum = 0.0, count = 0
        pixels.withUnsafeBufferPointer { p in
            for v in p where v.isFinite {
                // `min` alone passes NaN over but not ±∞, which would then stand for the range.
                sum += Double(v); count += 1
                lo = Swift.min(lo, v); hi = Swift.max(hi, v)
            }
        }
        return count == 0 ? (.nan, .nan, .nan) : (lo, hi, sum / Double(count))
    }

    /// The finite sample farthest outside [0, 1] when the samples leave [−0.5, 1.5], the sign of
    /// an image in other units (a float TIFF of 0–255 or photon counts); nil otherwise.
    public func farOutsideUnitRange() -> Float? {
        let (low, high, _) = statistics()
        guard low.isFinite, high.isFinite, high > 1.5 || low < -0.5 else { return nil }
        return low < -0.5 && -low > high ? low : high
    }

    /// The median of the finite samples (the mean of the middle two for an even count; 0 for
    /// none): what tells an image's units when its edges may ring far past them.
    public func medianSample() -> Float {
        let sorted = pixels.filter(\.isFinite).sorted(), n = sorted.count
        guard n > 0 else { return 0 }
        // Halved before the sum: two samples of 3e38 summed to +∞ ("median sample is inf").
        return n % 2 == 1 ? sorted[n / 2] : sorted[n / 2 - 1] / 2 + sorted[n / 2] / 2
    }

    /// `medianSample()` when it lies outside `range`, else nil. The median of an image on
    /// [0, 1] is never computed: it can pass `range.upperBound` only when at least half the
    /// finite samples do (and below likewise), which one counting pass rules out, where the
    /// median itself copies and sorts every sample (a 4096² RGB image: 0.6 GB and 5 s).
    public func medianSample(outside range: ClosedRange<Float>) -> Float? {
        var finite = 0, above = 0, below = 0
        for sample in pixels where sample.isFinite {
            finite += 1
            if sample > range.upperBound { above += 1 } else if sample < range.lowerBound { below += 1 }
        }
        // Past the upper bound the median needs its upper middle sample there: at least n / 2
        // of them for an even count, (n + 1) / 2 for an odd one; the lower bound alike.
        guard 2 * above >= finite || 2 * below >= finite else { return nil }
        let middle = medianSample()
        return range.contains(middle) ? nil : middle
    }

    /// Every sample multiplied by `factor`: a change of units (an image of 0–255 onto [0, 1]).
    public func scaled(by factor: Float) -> Image {
        var copy = self
        copy.withUnsafeMutableBufferPointer { samples in
            for i in samples.indices { samples[i] *= factor }
        }
        return copy
    }

    /// True when every sample is finite (no NaN, no ±∞).
    public var isFinite: Bool { pixels.allSatisfy { $0.isFinite } }

    /// The number of NaN and ±∞ samples.
    public var nonFiniteCount: Int { pixels.reduce(0) { $0 + ($1.isFinite ? 0 : 1) } }
}
