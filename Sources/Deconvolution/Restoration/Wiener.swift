import DeblurCore

/// Wiener deconvolution, the linear minimum-mean-square-error filter
///
///     X = conj(H) · Y / ( |H|² + NSR(f) )
///
/// with the noise-to-signal power ratio given three ways (`Wiener.NoiseToSignal`):
/// - `.ratio(nsr)`: a scalar, exactly MATLAB's `deconvwnr(I, psf, nsr)` on circular data
///   (scikit-image's `wiener` with an identity regularizer and `balance = nsr`);
/// - `.noiseSigma(σ)`: `NSR = σ² / max(var(y) − σ², 10⁻⁸)`, MATLAB's documented recipe
///   `noise_var / var(I(:))` with the noise removed from the signal power;
/// - `.automatic`: σ estimated from the image (`estimateNoiseSigma`, MAD of the finest Haar
///   diagonal band) and a natural-image signal spectrum `S(f) ∝ 1 / |D(f)|²` whose scale is the
///   observation's mean gradient energy g: `NSR(f) = σ² |D(f)|² / g` (Helstrom 1967; the 1/f²
///   power law of natural images, Field 1987).
///
/// - Parameters:
///   - noiseToSignal: see above (the `nsr:` initializer gives `.ratio`; default 0.01).
///   - boundary: `circular`, `reflect` (default: symmetric padding by the PSF size to a fast
///     FFT size) or `taper` (MATLAB `edgetaper`). `masked` is an error (not a linear filter).
/// - Throws: `DeconvolutionError` for a negative NSR or σ, NaN/∞ pixels, a PSF larger than the
///   image, or a PSF whose OTF vanishes while NSR is 0.
///
/// Cost: one forward and one inverse real FFT of the padded size per channel, plus the OTF.
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

    public init(noiseToSignal: NoiseToSignal, boundary: BoundaryHandling = .reflect) {
        self.noiseToSignal = noiseToSignal
        self.boundary = boundary
    }

    /// A scalar noise-to-signal ratio (`deconvwnr(I, psf, nsr)`); default 0.01.
    public init(nsr: Float = 0.01, boundary: BoundaryHandling = .reflect) {
        self.init(noiseToSignal: .ratio(nsr), boundary: boundary)
    }

    public var name: String {
        switch noiseToSignal {
        case .ratio(let nsr): return "wiener(nsr=\(nsr),boundary=\(boundary.rawValue))"
        case .noiseSigma(let sigma): return "wiener(noise-sigma=\(sigma),boundary=\(boundary.rawValue))"
        case .automatic: return "wiener(nsr=auto,boundary=\(boundary.rawValue))"
        }
    }

    public func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image {
        switch noiseToSignal {
        case .ratio(let nsr):
            guard nsr >= 0 && nsr.isFinite else {
                throw DeconvolutionError.invalidParameter(name: "nsr", value: String(nsr), expected: "a finite value ≥ 0")
            }
        case .noiseSigma(let sigma):
            guard sigma >= 0 && sigma.isFinite else {
                throw DeconvolutionError.invalidParameter(name: "noise-sigma", value: String(sigma), expected: "a finite value ≥ 0")
            }
        case .automatic: break
        }
        let mode = noiseToSignal
        return try applyLinearFilter(blurred, psf: psf, boundary: boundary) { plane in
            switch mode {
            case .ratio(let nsr):
                return SpectralRegularizer(constant: nsr)
            case .noiseSigma(let sigma):
                let noise = Double(sigma) * Double(sigma)
                return SpectralRegularizer(constant: Float(noise / max(variance(plane) - noise, 1e-8)))
            case .automatic:
                let sigma = estimateNoiseSigma(plane)
                // The observation's gradients include the noise's (4σ² per pixel for two
                // directions of forward differences); what remains is signal.
                let signal = max(meanGradientEnergy(plane) - 4 * sigma * sigma, 1e-8)
                // σ̂ is floored: even 8-bit quantization leaves σ ≈ 0.001 of noise.
                let noise = max(sigma, 1e-3)
                return SpectralRegularizer(gradient: Float(noise * noise / signal))
            }
        }
    }
}
