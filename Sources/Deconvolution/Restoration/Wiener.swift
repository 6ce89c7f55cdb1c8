import DeblurCore
import Foundation

/// Wiener deconvolution, the linear minimum-mean-square-error filter
///
///     X = conj(H) · Y / ( |H|² + NSR(f) )
///
/// with the noise-to-signal power ratio given three ways (`Wiener.NoiseToSignal`):
/// - `.ratio(nsr)`: a scalar, exactly MATLAB's `deconvwnr(I, psf, nsr)` on circular data
///   (scikit-image's `wiener` with an identity regularizer and `balance = nsr`);
/// - `.noiseSigma(σ)`: `NSR = σ² / max(var(y) − σ², 10⁻⁸)`, MATLAB's documented recipe
///   `noise_var / var(I(:))` with the noise removed from the signal power (y the observation
///   as given, also with `taper`: the tapered border's lower variance is not signal lost);
/// - `.automatic`: σ estimated from the image (`estimateNoiseSigma`, MAD of the finest Haar
///   diagonal band) and a natural-image signal spectrum `S(f) ∝ 1 / |D(f)|²` (the 1/f² power
///   law of natural images, Field 1987) whose scale g is fitted to the observation's spectrum
///   where the blur passes the signal (`|H|² > 1/4`): `NSR(f) = σ² |D(f)|² / g` (Helstrom 1967).
///
/// - Parameters:
///   - noiseToSignal: see above (the `nsr:` initializer gives `.ratio`; default 0.01).
///   - boundary: `masked` (default: unknown boundaries, `(KᵀMK + NSR) x = KᵀM y` on the
///     observation extended by the PSF, solved by `iterations` preconditioned CG steps —
///     `MaskedLinearSolver`, Reeves 2005), `circular`, `reflect` (symmetric padding by the PSF
///     size to a fast FFT size) or `taper` (MATLAB `edgetaper`).
///   - iterations: CG steps of `masked` (default 30; one FFT pair each), ignored otherwise.
/// - Throws: `DeconvolutionError` for a negative NSR or σ, NaN/∞ pixels, a PSF larger than the
///   image, or a PSF whose OTF vanishes while NSR is 0.
///
/// Cost: one forward and one inverse real FFT of the padded size per channel, plus the OTF;
/// `masked`: one FFT pair per CG step on the extended domain.
/// Reference: N. Wiener, 1949; C. W. Helstrom, J. Opt. Soc. Am. 57, 1967.
public struct Wiener: Restorer {
    /// How the noise-to-signal power ratio is obtained.
    public enum NoiseToSignal: Sendable, Equatable {
        case ratio(Float)
        case noiseSigma(Float)
        case automatic
    }

    public var noiseToSignal: NoiseToSignal
    public var boundary: BoundaryHandling
    /// Conjugate-gradient steps of the `masked` boundary (ignored otherwise; default 30).
    public var iterations: Int
    /// Called after each CG step of `masked` with the step and the relative preconditioned
    /// residual, channels one after the other. Unlike an observer it costs nothing: no
    /// estimate is formed (an observer's costs each step an inverse FFT), so progress displays
    /// use it. Not called by the one-shot boundaries.
    public var stepProgress: (@Sendable (_ step: Int, _ residual: Double) -> Void)?

    public init(noiseToSignal: NoiseToSignal, boundary: BoundaryHandling = .masked, iterations: Int = 30) {
        self.noiseToSignal = noiseToSignal
        self.boundary = boundary
        self.iterations = iterations
    }

    /// A scalar noise-to-signal ratio (`deconvwnr(I, psf, nsr)`); default 0.01.
    public init(nsr: Float = 0.01, boundary: BoundaryHandling = .masked, iterations: Int = 30) {
        self.init(noiseToSignal: .ratio(nsr), boundary: boundary, iterations: iterations)
    }

    public var name: String {
        let tail = boundary == .masked ? "boundary=masked,iterations=\(iterations))" : "boundary=\(boundary.rawValue))"
        switch noiseToSignal {
        case .ratio(let nsr): return "wiener(nsr=\(nsr),\(tail)"
        case .noiseSigma(let sigma): return "wiener(noise-sigma=\(sigma),\(tail)"
        case .automatic: return "wiener(nsr=auto,\(tail)"
        }
    }

    public func checkSettings() throws {
        let regularized: Bool
        switch noiseToSignal {
        case .ratio(let nsr):
            guard nsr >= 0 && nsr.isFinite else {
                throw DeconvolutionError.invalidParameter(name: "nsr", value: String(nsr), expected: "a finite value ≥ 0")
            }
            regularized = nsr > 0
        case .noiseSigma(let sigma):
            guard sigma >= 0 && sigma.isFinite else {
                throw DeconvolutionError.invalidParameter(name: "noise-sigma", value: String(sigma), expected: "a finite value ≥ 0")
            }
            // σ² / (variance − σ²) is 0 for σ = 0 on any image.
            regularized = sigma > 0
        case .automatic:
            // The estimate is floored above 0.
            regularized = true
        }
        try checkMaskedSettings(boundary: boundary, iterations: iterations, regularized: regularized)
    }

    public func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image {
        try checkSettings()
        let mode = noiseToSignal
        return try applyLinearFilter(blurred, psf: psf, boundary: boundary, maskedIterations: iterations, observer: observer,
                                     stepProgress: stepProgress) { context in
            switch mode {
            case .ratio(let nsr):
                return SpectralRegularizer(constant: nsr)
            case .noiseSigma(let sigma):
                let noise = Double(sigma) * Double(sigma)
                return SpectralRegularizer(constant: Float(noise / max(variance(context.observed) - noise, 1e-8)))
            case .automatic:
                // σ̂ is floored: even 8-bit quantization leaves σ ≈ 0.001 of noise. It stays the
                // Haar median, not the patch estimate the other auto settings use: its bias on
                // texture acts as extra regularization this linear filter needs (with the
                // patch estimate it lost 0.33 / 0.19 dB on the photographs at σ = 0.5 / 1 %).
                // It reads the observation as given: the taper's blurred border holds less
                // noise than the data. The signal scale is fitted to the spectrum filtered.
                let sigma = max(estimateNoiseSigma(context.observed), 1e-3)
                let signal = Wiener.sharpGradientEnergy(context, noiseSigma: sigma)
                return SpectralRegularizer(gradient: Float(sigma * sigma / signal))
            }
        }
    }

    /// The scale g of the signal model `E|X(f)|² = N g / |D(f)|²` (g: the sharp image's mean
    /// gradient energy per pixel), fitted where the blur passes the signal well (`|H|² > 1/4`):
    /// there `|Y|² ≈ |H|² N g / |D|² + N σ²`, so each bin gives `(|Y|² − N σ²) |D|² / (|H|² N)`.
    /// Their median, divided by ln 2 (the median of an exponential variable over its mean), is
    /// robust to the few bins dominated by a strong edge or by noise.
    static func sharpGradientEnergy(_ c: FilterContext, noiseSigma sigma: Double) -> Double {
        var samples = [Double]()
        samples.reserveCapacity(c.height * c.spectrumWidth / 4)
        let noisePower = Double(c.pixelCount) * sigma * sigma
        for u in 0..<c.height {
            for v in 0..<c.spectrumWidth {
                let i = 2 * (u * c.spectrumWidth + v)
                let d2 = Double(c.rowPower[u] + c.columnPower[v])
                let h2 = Double(c.otf[i] * c.otf[i] + c.otf[i + 1] * c.otf[i + 1])
                guard d2 > 0, h2 > 0.25 else { continue }
                let y2 = Double(c.spectrum[i] * c.spectrum[i] + c.spectrum[i + 1] * c.spectrum[i + 1])
                samples.append(max(y2 - noisePower, 0) * d2 / (h2 * Double(c.pixelCount)))
            }
        }
        guard !samples.isEmpty else { return max(meanGradientEnergy(c.plane), 1e-8) }
        let k = samples.count / 2
        samples.withUnsafeMutableBufferPointer { b in
            // Partial selection would do; a sort of ≤ N/4 doubles is a few ms at 1024².
            b.sort()
        }
        // Blur only lowers gradient energy (|H| ≤ 1), so the observation's own, less the 4σ² the
        // noise adds, bounds g from below. The median alone fails on a sparse spectrum: a
        // sinusoidal grating leaves most bins at the noise floor, the median at 0, g at 10⁻⁸,
        // and the filter erased the grating (11 dB with the identity PSF).
        let observed = meanGradientEnergy(c.plane) - 4 * sigma * sigma
        return max(samples[k] / log(2.0), observed, 1e-8)
    }
}
