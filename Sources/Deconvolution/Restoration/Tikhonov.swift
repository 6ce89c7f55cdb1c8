import DeblurCore

/// Tikhonov-regularized inverse filter (constrained least squares), the minimizer of
///
///     ‖k ⊛ x − y‖² + λ ‖R x‖²   ⇒   X = conj(H) · Y / ( |H|² + λ |R(f)|² )
///
/// with `R` the 5-point Laplacian `[0 1 0; 1 −4 1; 0 1 0]` by default — MATLAB's
/// `deconvreg(I, psf, [], λ)` and scikit-image's `restoration.wiener(image, psf, balance=λ)`
/// on circular data — or the gradient (`|D(f)|²`) or the identity.
///
/// - Parameters:
///   - lambda: regularization weight λ ≥ 0 (default 0.002; 0 is the plain inverse filter,
///     an error when the OTF vanishes).
///   - regularizer: `.laplacian` (default), `.gradient` or `.identity`.
///   - boundary: `masked` (default: `(KᵀMK + λRᵀR) x = KᵀM y` on the observation extended by
///     the PSF, `iterations` preconditioned CG steps, Reeves 2005), `circular`, `reflect` or `taper`.
///   - iterations: CG steps of `masked` (default 30; one FFT pair each), ignored otherwise.
/// - Throws: `DeconvolutionError` for a negative λ, NaN/∞ pixels, a PSF larger than the image,
///   or a vanishing OTF with λ = 0.
///
/// Reference: A. N. Tikhonov, 1963; B. R. Hunt, "The application of constrained least squares
/// estimation to image restoration by digital computer", IEEE Trans. Comput. C-22, 1973.
public struct Tikhonov: Restorer {
    /// The operator whose energy λ penalizes.
    public enum Regularizer: String, Sendable, CaseIterable, Codable {
        case laplacian, gradient, identity
    }

    public var lambda: Float
    public var regularizer: Regularizer
    public var boundary: BoundaryHandling
    /// Conjugate-gradient steps of the `masked` boundary (ignored otherwise; default 30).
    public var iterations: Int
    /// Called after each CG step of `masked` with the step and the relative preconditioned
    /// residual, channels one after the other. Unlike an observer it costs nothing: no
    /// estimate is formed (an observer's costs each step an inverse FFT), so progress displays
    /// use it. Not called by the one-shot boundaries.
    public var stepProgress: (@Sendable (_ step: Int, _ residual: Double) -> Void)?

    public init(lambda: Float = 0.002, regularizer: Regularizer = .laplacian, boundary: BoundaryHandling = .masked,
                iterations: Int = 30) {
        self.lambda = lambda
        self.regularizer = regularizer
        self.boundary = boundary
        self.iterations = iterations
    }

    public var name: String {
        "tikhonov(lambda=\(lambda),\(regularizer.rawValue),boundary=\(boundary.rawValue)\(boundary == .masked ? ",iterations=\(iterations)" : ""))"
    }

    public func checkSettings() throws {
        guard lambda >= 0 && lambda.isFinite else {
            throw DeconvolutionError.invalidParameter(name: "lambda", value: String(lambda), expected: "a finite value ≥ 0")
        }
        try checkMaskedSettings(boundary: boundary, iterations: iterations, regularized: lambda > 0)
    }

    public func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image {
        try checkSettings()
        let r: SpectralRegularizer
        switch regularizer {
        case .laplacian: r = SpectralRegularizer(laplacian: lambda)
        case .gradient: r = SpectralRegularizer(gradient: lambda)
        case .identity: r = SpectralRegularizer(constant: lambda)
        }
        return try applyLinearFilter(blurred, psf: psf, boundary: boundary, maskedIterations: iterations, observer: observer,
                                     stepProgress: stepProgress) { _ in r }
    }
}
