import DeblurCore

// API CONTRACT (stub): the synthesis helper replaces these bodies.

/// How a blur treats the image border.
public enum BlurBoundary: String, Sendable, CaseIterable, Codable {
    /// Periodic: the image wraps around.
    case circular
    /// Pad by half-sample symmetric reflection, convolve, crop.
    case reflect
    /// Pad by repeating the edge, convolve, crop.
    case replicate
    /// Only the fully covered part: output smaller by the PSF size − 1.
    case valid
}

/// Convolves every channel of `image` with `psf` (`conv2` / `scipy.signal.fftconvolve`).
public func blur(_ image: Image, psf: PSF, boundary: BlurBoundary) throws -> Image {
    throw DeconvolutionError.invalidInput("blur not implemented yet")
}

/// The noise added after blurring; all fields optional and combinable.
public struct NoiseModel: Sendable, Equatable, Codable {
    /// Additive Gaussian σ on the [0, 1] scale (0: none).
    public var gaussianSigma: Double = 0
    /// Poisson noise at this peak photon count (nil: none).
    public var poissonPeak: Double? = nil
    /// Quantize to 8 or 16 bits with clipping (nil: none).
    public var quantizeBits: Int? = nil
    public init(gaussianSigma: Double = 0, poissonPeak: Double? = nil, quantizeBits: Int? = nil) {
        self.gaussianSigma = gaussianSigma; self.poissonPeak = poissonPeak; self.quantizeBits = quantizeBits
    }
}

/// Adds noise drawn from `rng`: Poisson first (on the signal), then Gaussian, then quantization.
public func addNoise(_ image: Image, _ noise: NoiseModel, rng: inout SeededRandom) throws -> Image {
    throw DeconvolutionError.invalidInput("addNoise not implemented yet")
}
