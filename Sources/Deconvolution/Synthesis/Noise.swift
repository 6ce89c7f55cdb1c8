import DeblurCore

/// The noise added after blurring; all fields optional and combinable.
///
/// Applied in the order of a camera: photon (Poisson) noise on the signal, then additive
/// Gaussian read noise, then quantization by the converter.
public struct NoiseModel: Sendable, Equatable, Codable {
    /// Additive Gaussian σ on the [0, 1] scale (0: none).
    public var gaussianSigma: Double = 0
    /// Poisson noise at this peak photon count (nil: none): a value of 1 collects `peak`
    /// photons on average. Smaller peaks are noisier.
    public var poissonPeak: Double? = nil
    /// Quantize to 8 or 16 bits with clipping to [0, 1] (nil: none).
    public var quantizeBits: Int? = nil
    public init(gaussianSigma: Double = 0, poissonPeak: Double? = nil, quantizeBits: Int? = nil) {
        self.gaussianSigma = gaussianSigma; self.poissonPeak = poissonPeak; self.quantizeBits = quantizeBits
    }

    /// The largest Gaussian σ `validate` accepts (ten times the [0, 1] range): the bound that
    /// `synth`, `train --noise-range` and `demo` check their options against.
    public static let maximumGaussianSigma: Double = 10

    /// True when the model changes nothing.
    public var isNone: Bool { gaussianSigma == 0 && poissonPeak == nil && quantizeBits == nil }

    /// Checks every field; throws naming the first one out of its domain.
    public func validate() throws {
        guard gaussianSigma.isFinite && gaussianSigma >= 0 && gaussianSigma <= Self.maximumGaussianSigma else {
            throw DeconvolutionError.invalidParameter(name: "noise sigma", value: "\(gaussianSigma)",
                                                      expected: "a finite σ in [0, \(Int(Self.maximumGaussianSigma))] on the [0, 1] scale")
        }
        if let peak = poissonPeak, !(peak.isFinite && peak > 0 && peak <= 1e9) {
            throw DeconvolutionError.invalidParameter(name: "Poisson peak", value: "\(peak)", expected: "a photon count in (0, 1e9]")
        }
        if let bits = quantizeBits, bits != 8 && bits != 16 {
            throw DeconvolutionError.invalidParameter(name: "quantization", value: "\(bits) bits", expected: "8 or 16 bits")
        }
    }
}

/// Adds noise drawn from `rng`: Poisson first (on the signal), then Gaussian, then quantization.
///
/// `y = Q(P(peak·max(x, 0)) / peak + σ·n)`, with `P` a Poisson draw per sample, `n ~ N(0, 1)`,
/// and `Q(v) = round(clamp(v, 0, 1)·(2^b − 1)) / (2^b − 1)`. Without quantization nothing is
/// clamped: Gaussian noise may take samples below 0 or above 1. The Poisson stage leaves NaN,
/// +∞ and samples past 10¹⁵ photons as they are. Samples are visited in
/// planar order; each stage draws one value per sample (Poisson draws may use several
/// uniforms), so results depend on `rng` alone.
///
/// The Gaussian stage is scikit-image's `random_noise(x, mode='gaussian', var=σ², clip=False)`;
/// MATLAB's `imnoise(x, 'gaussian', 0, σ²)` clips a double image to [0, 1], which only
/// `quantizeBits` does here. Neither library's Poisson mode takes a peak: `random_noise` uses
/// the power of two at or above the image's number of distinct values, `imnoise` 10¹² (beyond
/// the 10⁹ allowed here, and beyond Float's resolution).
/// - Throws: `DeconvolutionError.invalidParameter` for a model out of its domain
///   (negative or NaN σ, peak ≤ 0, bits other than 8 or 16).
public func addNoise(_ image: Image, _ noise: NoiseModel, rng: inout SeededRandom) throws -> Image {
    try noise.validate()
    var out = image
    out.withUnsafeMutableBufferPointer { p in
        if let peak = noise.poissonPeak {
            for i in p.indices {
                let lambda = Double(max(p[i], 0)) * peak
                // Past 1e15 counts the noise (√λ / λ < 3e-8) is below Float's resolution, and a
                // count past Int.max would not fit: the sample stays as it is. So do NaN and +∞,
                // which were drawn as a mean of 0: an infinitely bright sample came out black.
                if !lambda.isFinite || lambda > 1e15 { continue }
                p[i] = Float(Double(rng.poisson(lambda)) / peak)
            }
        }
        if noise.gaussianSigma > 0 {
            let sigma = noise.gaussianSigma
            for i in p.indices { p[i] += Float(sigma * rng.gaussian()) }
        }
        if let bits = noise.quantizeBits {
            let levels = (1 << bits) - 1
            for i in p.indices { p[i] = quantized(p[i], levels: levels) }
        }
    }
    return out
}

/// The level `k / levels` nearest to `value` clamped to [0, 1], as `nearestLevel` rounds
/// (among the samples the Float32 rounding used before put one level off: `Float(0.5 / 255)`,
/// quantized to 0 instead of 1/255).
@inline(__always)
func quantized(_ value: Float, levels: Int) -> Float {
    Float(nearestLevel(value, levels: Double(levels))) / Float(levels)
}
