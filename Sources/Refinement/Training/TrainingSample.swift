import DeblurCore

/// One training or validation image: the base method's estimate, the blurred observation,
/// the sharp target (all one channel, same size) and the noise σ.
public struct TrainingSample: Sendable {
    public var estimate: Image
    public var blurred: Image
    public var sharp: Image
    public var noiseSigma: Double

    public init(estimate: Image, blurred: Image, sharp: Image, noiseSigma: Double) {
        precondition(estimate.channels == 1 && blurred.channels == 1 && sharp.channels == 1, "training samples are one-channel")
        precondition(estimate.height == sharp.height && estimate.width == sharp.width && blurred.height == sharp.height && blurred.width == sharp.width,
                     "estimate \(estimate.height)×\(estimate.width), blurred \(blurred.height)×\(blurred.width), sharp \(sharp.height)×\(sharp.width) differ")
        self.estimate = estimate; self.blurred = blurred; self.sharp = sharp; self.noiseSigma = noiseSigma
    }
}

/// The eight symmetries of the square (4 rotations × optional flip) used for augmentation.
/// A patch and its target get the same one, so the blur they encode stays consistent.
public struct DihedralTransform: Sendable, Equatable {
    /// 0…7: rotation `code % 4` quarter turns, flipped when `code ≥ 4`.
    public let code: Int
    public init(_ code: Int) {
        precondition((0..<8).contains(code), "DihedralTransform code must be 0…7, got \(code)")
        self.code = code
    }

    /// The source coordinate `(y, x)` in a `size × size` patch for output `(i, j)`.
    @inlinable
    func source(_ i: Int, _ j: Int, size n: Int) -> (Int, Int) {
        var (y, x) = (i, j)
        if code >= 4 { x = n - 1 - x }
        switch code % 4 {
        case 1: return (x, n - 1 - y)
        case 2: return (n - 1 - y, n - 1 - x)
        case 3: return (n - 1 - x, y)
        default: return (y, x)
        }
    }
}
