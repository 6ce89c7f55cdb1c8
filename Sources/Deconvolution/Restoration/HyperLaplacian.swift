import DeblurCore
import Foundation

/// Deconvolution with a hyper-Laplacian gradient prior (Krishnan & Fergus 2009), the
/// strongest classical baseline here; α = 1 is anisotropic total variation.
///
///     minimize  (λ/2) ‖k ⊛ x − y‖² + Σₚ |∂ₓx(p)|^α + |∂ᵧx(p)|^α
///
/// solved by half-quadratic splitting: auxiliary gradients w with a coupling weight β that
/// grows geometrically from `betaStart` by `betaRate` while below `betaMax`; for each β,
/// - w-step, per pixel: `w = argmin |w|^α + (β/2)(w − ∇x)²` (soft threshold for α = 1,
///   Newton on the stationarity condition from |v| otherwise — the same minimizer as the
///   paper's analytic root for α = 2/3);
/// - x-step, one FFT solve: `X = (conj(K) Y + (β/λ) F[Dᵀw]) / (|K|² + (β/λ) |D|²)`.
///
/// - Parameters:
///   - alpha: the prior's exponent, in (0, 1] (default 2/3; 1 gives TV).
///   - lambda: data weight λ > 0, or nil (default) to tie it to the noise level:
///     `λ = 1 / (τ(α) σ̂²)` with σ̂ from `estimatePatchNoiseSigma` (floored at 0.002, about 8-bit
///     quantization) and `τ(α) = 5 · 5^(3(α − 2/3))` (5 for α = 2/3, 25 for α = 1), tuned once
///     on synthetic scenes with σ from 0.005 to 0.02 (Docs/Methods.md).
///   - betaStart, betaRate, betaMax: the continuation (defaults 1, 2√2, 256 as K&F), at most
///     `ClassicalMethods.maximumIterations` β steps.
///   - innerIterations: w/x alternations per β (default 1 as K&F; 5 with `masked`).
///   - boundary: `masked` (default: unknown boundaries, the data term on the observed window
///     only, `MaskedHyperLaplacianSolver`), `circular`, `reflect` or `taper`.
/// - Throws: `DeconvolutionError` for α ∉ (0, 1], λ ≤ 0, bad continuation settings, NaN/∞
///   pixels or a PSF larger than the image.
///
/// Cost per outer iteration: one forward and one inverse real FFT plus two pointwise passes
/// per inner iteration (`masked`: two of each, on the smaller extended domain).
/// The observer is called after each β (outer iteration).
/// Reference: D. Krishnan, R. Fergus, "Fast Image Deconvolution using Hyper-Laplacian
/// Priors", NIPS 2009.
public struct HyperLaplacian: Restorer {
    public var alpha: Float
    public var lambda: Float?
    public var betaStart: Float
    public var betaRate: Float
    public var betaMax: Float
    public var innerIterations: Int
    public var boundary: BoundaryHandling

    /// τ in `λ = 1 / (τ σ̂²)` for the automatic λ: 5 for α = 2/3, 25 for α = 1.
    public static func priorWeight(alpha: Float) -> Double { 5 * pow(5, 3 * (Double(alpha) - 2.0 / 3.0)) }

    public init(alpha: Float = 2.0 / 3.0, lambda: Float? = nil, betaStart: Float = 1, betaRate: Float = 2 * Float(2).squareRoot(),
                betaMax: Float = 256, innerIterations: Int? = nil, boundary: BoundaryHandling = .masked) {
        self.alpha = alpha
        self.lambda = lambda
        self.betaStart = betaStart
        self.betaRate = betaRate
        self.betaMax = betaMax
        self.innerIterations = innerIterations ?? Self.defaultInnerIterations(boundary: boundary)
        self.boundary = boundary
    }

    public var name: String {
        "hyper-laplacian(alpha=\(String(format: "%.3g", alpha)),lambda=\(lambda.map { String($0) } ?? "auto"),inner=\(innerIterations),boundary=\(boundary.rawValue))"
    }

    /// The inner iterations per β when none are given: 1 (K&F) on the FFT boundaries; 5 for
    /// `masked`, whose ADMM dual on `u = k ⊛ x` needs a few steps per β to settle
    /// (Docs/Methods.md: 15.7, 16.4, 16.6, 16.9 dB for 1, 3, 5, 10 on long motion blur).
    public static func defaultInnerIterations(boundary: BoundaryHandling) -> Int { boundary == .masked ? 5 : 1 }

    /// The number of outer iterations (β values) the continuation runs.
    public var outerIterations: Int {
        var beta = betaStart, n = 0
        while beta < betaMax { n += 1; beta *= betaRate }
        return n
    }

    /// The data weight used for `plane`: the given λ, or `1 / (τ σ̂²)`.
    public func effectiveLambda(for plane: Image) -> Float {
        if let lambda { return lambda }
        let sigma = max(estimatePatchNoiseSigma(plane), 2e-3)
        return Float(1 / (Self.priorWeight(alpha: alpha) * sigma * sigma))
    }

    /// The objective `(λ/2)‖k ⊛ x − y‖² + Σ |∇x|^α` on periodic data, for tests and traces.
    public static func objective(_ x: Image, observed: Image, psf: PSF, alpha: Float, lambda: Float) -> Double {
        var reblurred = x.pixels
        reblurred.withUnsafeMutableBufferPointer { circularConvolve($0.baseAddress!, height: x.height, width: x.width, psf: psf) }
        var data = 0.0
        for i in 0..<x.count { let d = Double(reblurred[i] - observed.pixels[i]); data += d * d }
        return Double(lambda) / 2 * data + priorEnergy(x, alpha: alpha)
    }

    /// The prior `Σ |∂ₓx|^α + |∂ᵧx|^α` with periodic forward differences, in Float64.
    static func priorEnergy(_ x: Image, alpha: Float) -> Double {
        var prior = 0.0
        let h = x.height, w = x.width
        for y in 0..<h {
            for c in 0..<w {
                let v = x[y, c]
                prior += pow(Double(abs(x[y, (c + 1) % w] - v)), Double(alpha))
                prior += pow(Double(abs(x[(y + 1) % h, c] - v)), Double(alpha))
            }
        }
        return prior
    }

    public func checkSettings() throws {
        guard alpha > 0 && alpha <= 1 else {
            throw DeconvolutionError.invalidParameter(name: "alpha", value: String(alpha), expected: "a value in (0, 1] (2/3 or 1 are usual)")
        }
        if let lambda, !(lambda > 0 && lambda.isFinite) {
            throw DeconvolutionError.invalidParameter(name: "lambda", value: String(lambda), expected: "a finite value > 0")
        }
        guard innerIterations <= ClassicalMethods.maximumIterations else {
            throw DeconvolutionError.invalidParameter(name: "inner-iterations", value: String(innerIterations), expected: "an integer from 1 to \(ClassicalMethods.maximumIterations)")
        }
        // betaMax below betaStart would run no continuation step at all and return the start.
        guard betaStart > 0, betaRate > 1, betaMax.isFinite, betaMax >= betaStart, innerIterations >= 1 else {
            throw DeconvolutionError.invalidParameter(
                name: "continuation", value: "betaStart=\(betaStart) betaRate=\(betaRate) betaMax=\(betaMax) inner=\(innerIterations)",
                expected: "betaStart > 0, betaRate > 1, a finite betaMax ≥ betaStart and innerIterations ≥ 1")
        }
        // Counted with a stop, not by `outerIterations`: betaRate 1.0001 up to a betaMax of 3e38
        // is 880 000 β steps, a restoration that ran for hours without a word.
        var beta = betaStart, steps = 0
        while beta < betaMax && steps <= ClassicalMethods.maximumIterations { steps += 1; beta *= betaRate }
        guard steps <= ClassicalMethods.maximumIterations else {
            throw DeconvolutionError.invalidParameter(
                name: "continuation", value: "betaStart=\(betaStart) betaRate=\(betaRate) betaMax=\(betaMax)",
                expected: "at most \(ClassicalMethods.maximumIterations) β steps from betaStart to betaMax (a larger betaRate or a smaller betaMax)")
        }
    }

    public func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image {
        try checkSettings()
        try blurred.requireFinite("blurred image")
        if boundary == .masked {
            let domain = try RestorationDomain(height: blurred.height, width: blurred.width, psf: psf, boundary: .masked)
            let solver = MaskedHyperLaplacianSolver(domain: domain, psf: psf)
            var planes = [Image]()
            for c in 0..<blurred.channels {
                let plane = blurred.channel(c)
                planes.append(solver.run(plane, settings: self, lambda: effectiveLambda(for: plane), observer: observer))
            }
            return Image.merge(planes)
        }
        let input = boundary == .taper ? try edgeTapered(blurred, psf: psf) : blurred
        let domain = try RestorationDomain(height: blurred.height, width: blurred.width, psf: psf, boundary: boundary)
        let solver = HyperLaplacianSolver(domain: domain, psf: psf)
        var planes = [Image]()
        for c in 0..<blurred.channels {
            // λ = 1/(τ σ̂²) follows the noise of the observation as given, not of its tapered
            // border, which the taper's blur has partly smoothed.
            let lambda = effectiveLambda(for: boundary == .taper ? blurred.channel(c) : input.channel(c))
            planes.append(solver.run(input.channel(c), settings: self, lambda: lambda, observer: observer))
        }
        return Image.merge(planes)
    }
}

/// Buffers and transforms of one hyper-Laplacian run, reused for every channel and β.
final class HyperLaplacianSolver {
    let domain: RestorationDomain
    let plan: FFTPlan2D
    let otf: FFTBuffer
    /// `conj(K) · Y / N` for the current channel.
    let dataTerm: FFTBuffer
    let spectrum: FFTBuffer
    let x: FFTBuffer, wx: FFTBuffer, wy: FFTBuffer
    let gradientPower: (rows: [Float], columns: [Float])

    /// The x-step's weight of the prior against the data, β/λ (β/μ when masked), capped.
    /// Past 10²⁰ the data term's |K|² ≤ 1 is below Float's precision against β/λ·|D|² at
    /// every non-zero frequency of any domain up to 2¹⁶ a side (|D|² ≥ 4 sin²(π/2¹⁶) ≈ 10⁻⁸),
    /// so the solve already is the flat-mean limit; uncapped, a λ near Float's least normal
    /// overflows β/λ to infinity and 0 · ∞ at the zero frequency made the image NaN.
    static func priorRatio(beta: Float, lambda: Float) -> Float {
        min(beta / lambda, 1e20)
    }

    init(domain: RestorationDomain, psf: PSF) {
        self.domain = domain
        plan = FFT.plan(height: domain.paddedHeight, width: domain.paddedWidth)
        otf = psf.otf(height: domain.paddedHeight, width: domain.paddedWidth, plan: plan)
        dataTerm = plan.makeSpectrumBuffer()
        spectrum = plan.makeSpectrumBuffer()
        x = plan.makeRealBuffer(); wx = plan.makeRealBuffer(); wy = plan.makeRealBuffer()
        gradientPower = SpectralOps.gradientPower(height: domain.paddedHeight, width: domain.paddedWidth)
    }

    func run(_ plane: Image, settings: HyperLaplacian, lambda: Float, observer: IterationObserver?) -> Image {
        let start = monotonicSeconds()
        let count = plan.realCount, ph = domain.paddedHeight, pw = domain.paddedWidth, sw = plan.spectrumWidth
        plane.withUnsafeBufferPointer { domain.embed($0, into: x.pointer) }
        plan.forward(x, dataTerm)
        SpectralOps.multiply(dataTerm.pointer, by: otf.pointer, conjugate: true, plan: plan)
        var result = Image(height: domain.height, width: domain.width)
        var previous = [Float](repeating: 0, count: count)
        var beta = settings.betaStart
        var iteration = 0
        let scale = 1 / Float(count)
        while beta < settings.betaMax {
            iteration += 1
            previous.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: x.pointer, count: count) }
            for _ in 0..<settings.innerIterations {
                shrinkGradients(alpha: settings.alpha, beta: beta)
                // x-step: F[Dᵀw] into the spectrum, then the closed-form solve per bin.
                let xs = x.pointer, gx = wx.pointer, gy = wy.pointer
                parallelFor(ph) { row in
                    let up = row == 0 ? ph - 1 : row - 1
                    for col in 0..<pw {
                        let left = col == 0 ? pw - 1 : col - 1, i = row * pw + col
                        xs[i] = gx[row * pw + left] - gx[i] + gy[up * pw + col] - gy[i]
                    }
                }
                plan.forward(x, spectrum)
                let ratio = Self.priorRatio(beta: beta, lambda: lambda)
                let s = spectrum.pointer, k = otf.pointer, b = dataTerm.pointer
                gradientPower.columns.withUnsafeBufferPointer { columns in
                    parallelFor(ph) { [rows = gradientPower.rows] row in
                        let rowPower = rows[row]
                        for v in 0..<sw {
                            let i = 2 * (row * sw + v)
                            let g = scale / (k[i] * k[i] + k[i + 1] * k[i + 1] + ratio * (rowPower + columns[v]))
                            s[i] = (b[i] + ratio * s[i]) * g
                            s[i + 1] = (b[i + 1] + ratio * s[i + 1]) * g
                        }
                    }
                }
                plan.inverse(spectrum, x)
            }
            beta *= settings.betaRate
            if let observer {
                let change = IterationState.relativeChange(x.pointer, from: previous, count: count)
                result.withUnsafeMutableBufferPointer { domain.extract(x.pointer, into: $0.baseAddress!) }
                if !observer(IterationState(iteration: iteration, relativeChange: change, elapsed: monotonicSeconds() - start, estimate: result)) { break }
            }
        }
        result.withUnsafeMutableBufferPointer { domain.extract(x.pointer, into: $0.baseAddress!) }
        return result
    }

    /// w ← argmin |w|^α + (β/2)(w − ∇x)², per pixel and direction.
    ///
    /// α = 1 is a branch-free soft threshold. Otherwise, as Krishnan & Fergus do, the scalar
    /// minimizer is tabulated once per β (`ShrinkageTable`) and interpolated; the exact
    /// solver runs only outside the table and next to the threshold where w jumps from 0.
    func shrinkGradients(alpha: Float, beta: Float) {
        let ph = domain.paddedHeight, pw = domain.paddedWidth
        let xs = x.pointer, gx = wx.pointer, gy = wy.pointer
        if alpha == 1 {
            let t = 1 / beta
            parallelFor(ph) { row in
                let down = row + 1 == ph ? 0 : row + 1
                for col in 0..<pw {
                    let right = col + 1 == pw ? 0 : col + 1, i = row * pw + col
                    let vx = xs[row * pw + right] - xs[i], vy = xs[down * pw + col] - xs[i]
                    gx[i] = vx - min(max(vx, -t), t)
                    gy[i] = vy - min(max(vy, -t), t)
                }
            }
            return
        }
        let table = ShrinkageTable(alpha: alpha, beta: beta)
        table.values.withUnsafeBufferPointer { values in
            parallelFor(ph) { row in
                let down = row + 1 == ph ? 0 : row + 1
                for col in 0..<pw {
                    let right = col + 1 == pw ? 0 : col + 1, i = row * pw + col
                    gx[i] = table.lookup(xs[row * pw + right] - xs[i], values)
                    gy[i] = table.lookup(xs[down * pw + col] - xs[i], values)
                }
            }
        }
    }
}

/// The scalar shrinkage `w(v) = argmin |w|^α + (β/2)(w − v)²` tabulated on |v| ∈ [0, range]
/// (odd symmetry gives v < 0), linearly interpolated: Krishnan & Fergus' lookup table.
struct ShrinkageTable {
    let alpha: Float, beta: Float
    let step: Float
    let inverseStep: Float
    let values: [Float]

    /// Covers |v| ≤ 2 (gradients of [0, 1] images and their overshoot) in steps of 1/8192.
    init(alpha: Float, beta: Float, range: Float = 2, stepsPerUnit: Int = 8192) {
        self.alpha = alpha
        self.beta = beta
        step = 1 / Float(stepsPerUnit)
        inverseStep = Float(stepsPerUnit)
        let count = Int(range * Float(stepsPerUnit)) + 2
        values = (0..<count).map { shrink(Float($0) / Float(stepsPerUnit), alpha: alpha, beta: beta) }
    }

    @inline(__always) @usableFromInline
    func lookup(_ v: Float, _ values: UnsafeBufferPointer<Float>) -> Float {
        let t = abs(v) * inverseStep
        // Compared as a float first: Int(t) traps for t ≥ 2⁶³ (or NaN), which a huge sample
        // in a float TIFF reaches.
        guard t < Float(values.count - 1) else { return shrink(v, alpha: alpha, beta: beta) }
        let k = Int(t)
        let a = values[k], b = values[k + 1]
        // Across the jump from 0 to the non-zero branch interpolation would invent a value.
        if (a == 0) != (b == 0) { return shrink(v, alpha: alpha, beta: beta) }
        let fraction = t - Float(k)
        let w = a + fraction * (b - a)
        return v < 0 ? -w : w
    }
}

/// The minimizer of `|w|^α + (β/2)(w − v)²` for α in (0, 1].
@inline(__always)
func shrink(_ v: Float, alpha: Float, beta: Float) -> Float {
    let t = abs(v)
    if alpha == 1 {
        return t > 1 / beta ? (v > 0 ? t - 1 / beta : 1 / beta - t) : 0
    }
    if t == 0 { return 0 }
    // Stationarity g(w) = α w^(α−1) + β (w − t) = 0 on (0, t]: g is convex there, so Newton
    // from w = t (where g > 0) descends monotonically onto the larger root, the local
    // minimizer, when one exists.
    var w = t
    for _ in 0..<8 {
        let p = alpha == 2.0 / 3.0 ? 1 / cbrtf(w) : powf(w, alpha - 1)
        let g = alpha * p + beta * (w - t)
        let slope = alpha * (alpha - 1) * p / w + beta
        if slope <= 0 { return 0 }
        let next = w - g / slope
        if next <= 0 { return 0 }
        // Quadratic convergence: once the step is at float resolution, more steps change nothing.
        let converged = abs(next - w) <= 1e-6 * next
        w = next
        if converged { break }
    }
    // The root is a minimizer only if it beats w = 0.
    let atRoot = powf(w, alpha) + beta / 2 * (w - t) * (w - t)
    let atZero = beta / 2 * t * t
    return atRoot < atZero ? (v > 0 ? w : -w) : 0
}
