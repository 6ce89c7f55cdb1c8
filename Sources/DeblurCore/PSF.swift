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
        guard kernel.height % 2 == 1, kernel.width % 2 == 1 else {
            throw CoreError.invalidPSF(source: source, reason: "is \(kernel.height)×\(kernel.width), expected odd width and height")
        }
        var sum = 0.0
        for v in kernel.pixels {
            guard v.isFinite else { throw CoreError.invalidPSF(source: source, reason: "contains \(v), expected finite values") }
            guard v >= 0 else { throw CoreError.invalidPSF(source: source, reason: "contains the negative value \(v), expected values ≥ 0") }
            sum += Double(v)
        }
        guard sum > 0 else { throw CoreError.invalidPSF(source: source, reason: "sums to 0, expected a positive sum") }
        var normalized = kernel
        let scale = Float(1 / sum)
        normalized.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] *= scale } }
        self.image = normalized
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
}
