import DeblurCore
import Foundation

/// Richardson–Lucy deconvolution, the maximum-likelihood estimate under Poisson noise,
/// with the options of MATLAB's `deconvlucy` and scikit-image's `richardson_lucy`.
///
///     xₖ₊₁ = xₖ · Hᵀ( y / H xₖ ) / Hᵀ 1
///
/// `H` is convolution by the PSF, `Hᵀ` correlation by it. On circular data `Hᵀ 1 = 1` and
/// the iterates are the textbook ones; with `boundary: .masked` the data term covers the
/// observed window only and `Hᵀ 1` becomes `Hᵀ M` (Bertero & Boccacci 2005), so the
/// estimate lives on the observation extended by the PSF radius and no border is assumed.
/// Iterates stay non-negative and, on circular data, keep the observation's flux.
///
/// - Parameters (all `var`, with defaults):
///   - iterations: the maximum number of iterations (default 30, ≥ 1).
///   - acceleration: Biggs–Andrews vector extrapolation, as `deconvlucy` always does
///     (default `false`: textbook iterates, as scikit-image).
///   - damping: `deconvlucy`'s DAMPAR, in image units: pixels whose fit is within this many
///     noise standard deviations are no longer updated (default 0: no damping).
///   - boundary: see `BoundaryHandling` (default `.masked`).
///   - initialization: `.observed` (MATLAB, default) or `.constant` (scikit-image's 0.5; the
///     iterates from the first on do not depend on the constant).
///   - clip: clamp the result to at most 1, as scikit-image's `clip=True` does (its output is
///     clipped to [−1, 1] after the last iteration; RL's iterates are never negative). The
///     iterations themselves are not changed; estimates passed to an observer are clamped
///     the same way. Default `false`.
///   - tolerance: stop once the relative change `‖xₖ − xₖ₋₁‖ / ‖xₖ₋₁‖` falls below it
///     (default 0: run all iterations).
///
/// Division by a vanishing re-blurred value is guarded (denominator ≥ 1e-6) and negative
/// observed samples (noise) count as 0, so no NaN can appear. Color images are restored per
/// channel. Cost per iteration: two circular convolutions of the padded size through
/// `FusedConvolution` (each one row r2c pass, one cache-blocked column pass doing the forward
/// column transforms, the OTF product and the inverse ones, and one row c2r pass), with the
/// ratio `y / H x` and the update fused into the inverse row passes; no allocation inside the loop.
///
/// - Throws: `DeconvolutionError` for zero iterations, a negative damping, NaN/∞ pixels or
///   a PSF larger than the image.
///
/// References: W. H. Richardson, J. Opt. Soc. Am. 62, 1972; L. B. Lucy, Astron. J. 79, 1974;
/// D. S. C. Biggs, M. Andrews, Appl. Opt. 36, 1997; M. Bertero, P. Boccacci, A&A 437, 2005.
public struct RichardsonLucy: Restorer {
    /// The start image of the iteration.
    public enum Initialization: String, Sendable, CaseIterable, Codable {
        /// The observation itself (negative samples set to 0), as MATLAB's `deconvlucy`.
        case observed
        /// A constant 0.5, as scikit-image's `richardson_lucy`.
        case constant
    }

    public var iterations: Int
    public var acceleration: Bool
    public var damping: Float
    public var boundary: BoundaryHandling
    public var initialization: Initialization
    public var clip: Bool
    public var tolerance: Double

    public init(iterations: Int = 30, acceleration: Bool = false, damping: Float = 0,
                boundary: BoundaryHandling = .masked, initialization: Initialization = .observed,
                clip: Bool = false, tolerance: Double = 0) {
        self.iterations = iterations
        self.acceleration = acceleration
        self.damping = damping
        self.boundary = boundary
        self.initialization = initialization
        self.clip = clip
        self.tolerance = tolerance
    }

    public var name: String {
        "rl(iterations=\(iterations)\(acceleration ? ",acceleration" : "")\(damping > 0 ? ",damping=\(damping)" : ""),boundary=\(boundary.rawValue))"
    }

    var settings: RichardsonLucySettings {
        RichardsonLucySettings(iterations: iterations, acceleration: acceleration, damping: damping,
                               boundary: boundary, initialization: initialization, clip: clip,
                               tolerance: tolerance, tvLambda: 0)
    }

    public func checkSettings() throws { try settings.validate() }

    public func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image {
        try settings.restore(blurred, psf: psf, observer: observer)
    }
}

/// Everything the RL family shares (RL and RL-TV differ only in `tvLambda`).
struct RichardsonLucySettings {
    var iterations: Int
    var acceleration: Bool
    var damping: Float
    var boundary: BoundaryHandling
    var initialization: RichardsonLucy.Initialization
    var clip: Bool
    var tolerance: Double
    var tvLambda: Float

    func validate() throws {
        guard iterations >= 1 && iterations <= ClassicalMethods.maximumIterations else {
            throw DeconvolutionError.invalidParameter(name: "iterations", value: String(iterations), expected: "an integer from 1 to \(ClassicalMethods.maximumIterations)")
        }
        guard damping >= 0 && damping.isFinite else {
            throw DeconvolutionError.invalidParameter(name: "damping", value: String(damping), expected: "a finite value ≥ 0")
        }
        // |div(∇x / |∇x|)| ≤ 4, so 1 − λ div stays positive only for λ < 1/4; beyond, the
        // clamped denominator multiplies pixels by up to 1000 per iteration (λ = 1 gave values
        // of 300 on a constant 0.5 image), which is divergence, not a restoration.
        guard tvLambda >= 0 && tvLambda < 0.25 else {
            throw DeconvolutionError.invalidParameter(name: "lambda", value: String(tvLambda),
                                                      expected: "a value in [0, 0.25) for rl-tv (larger λ diverges; 0.002 is usual)")
        }
        guard tolerance >= 0 && tolerance.isFinite else {
            throw DeconvolutionError.invalidParameter(name: "tolerance", value: String(tolerance), expected: "a finite value ≥ 0")
        }
    }

    func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image {
        try validate()
        try blurred.requireFinite("blurred image")
        let input = boundary == .taper ? try edgeTapered(blurred, psf: psf) : blurred
        let domain = try RestorationDomain(height: blurred.height, width: blurred.width, psf: psf, boundary: boundary)
        let solver = RichardsonLucySolver(domain: domain, psf: psf, settings: self)
        var planes = [Image]()
        for c in 0..<blurred.channels {
            // Gray images go through without copies: at 2048² every plane copy is 16 MB of peak memory.
            let plane = input.channels == 1 ? input : input.channel(c)
            planes.append(solver.run(plane, channel: c, channels: blurred.channels, observer: observer))
        }
        return planes.count == 1 ? planes[0] : Image.merge(planes)
    }
}

/// The buffers and transforms of one RL run, allocated once and reused for every channel
/// and every iteration.
///
/// Both convolutions of an iteration go through `FusedConvolution`: the ratio `y / H x` is
/// the epilogue of the first one and the multiplicative update the epilogue of the second,
/// each applied to a chunk of rows right after its inverse row transforms, so an iteration
/// sweeps the padded plane about half as often as transforms plus separate pointwise passes.
final class RichardsonLucySolver {
    let domain: RestorationDomain
    let settings: RichardsonLucySettings
    let engine: FusedConvolution
    /// The OTF in the engine's layout, scaled by 1 / (padded pixel count), so
    /// `engine.convolve` is `k ⊛ x` with no normalization pass.
    let otf: FFTBuffer
    let spectrum: FFTBuffer
    /// `1 / Hᵀ M` on the estimate's support, 0 outside it (nil when `Hᵀ M = 1`).
    let inverseNormalizer: FFTBuffer?
    let observed: FFTBuffer
    var x: FFTBuffer
    let work: FFTBuffer
    let tv: FFTBuffer?
    /// Per-row partial sums of the update's reductions, 4 × padded rows (no allocation per
    /// iteration; rows are written by whichever worker runs their epilogue).
    let partials: UnsafeMutablePointer<Double>
    /// Pixels of the padded plane.
    let count: Int

    init(domain: RestorationDomain, psf: PSF, settings: RichardsonLucySettings) {
        self.domain = domain
        self.settings = settings
        let engine = FusedConvolution.engine(height: domain.paddedHeight, width: domain.paddedWidth)
        self.engine = engine
        count = engine.realCount
        // Shared through the cache: repeated runs with one PSF skip its placement and transform.
        let otf = engine.otf(psf)
        self.otf = otf
        let spectrum = engine.makeSpectrumBuffer()
        self.spectrum = spectrum
        observed = FFTBuffer(count: count)
        x = FFTBuffer(count: count)
        let work = FFTBuffer(count: count)
        self.work = work
        tv = settings.tvLambda > 0 ? FFTBuffer(count: count) : nil
        partials = .allocate(capacity: 4 * domain.paddedHeight)
        partials.initialize(repeating: 0, count: 4 * domain.paddedHeight)
        if domain.boundary == .masked {
            // Hᵀ M: how much of each scene pixel's light lands in the observed window.
            let n = FFTBuffer(count: count), mask = work.pointer, pw = domain.paddedWidth
            mask.update(repeating: 0, count: count)
            for y in domain.top ..< domain.top + domain.height {
                (mask + y * pw + domain.left).update(repeating: 1, count: domain.width)
            }
            let p = n.pointer
            engine.convolve(mask, into: p, otf: otf, conjugate: true, spectrum: spectrum) { rows in
                for i in rows.lowerBound * pw ..< rows.upperBound * pw { p[i] = p[i] > 1e-4 ? 1 / p[i] : 0 }
            }
            inverseNormalizer = n
        } else {
            inverseNormalizer = nil
        }
    }

    deinit { partials.deallocate() }

    /// Restores one plane; returns the observed window of the final estimate.
    func run(_ plane: Image, channel: Int, channels: Int, observer: IterationObserver?) -> Image {
        let start = monotonicSeconds()
        let count = self.count
        plane.withUnsafeBufferPointer { domain.embed($0, into: observed.pointer) }
        // Negative samples (noise) would make the ratio, hence the estimate, negative.
        let y = observed.pointer
        for i in 0..<count where y[i] < 0 { y[i] = 0 }

        let support = inverseNormalizer?.pointer
        switch settings.initialization {
        case .observed:
            if domain.boundary == .masked {
                // Unobserved margin: start from the reflected observation, the best guess there.
                plane.withUnsafeBufferPointer { domain.embed($0, into: x.pointer, extend: true) }
                for i in 0..<count { x.pointer[i] = max(x.pointer[i], 0) }
            } else {
                x.pointer.update(from: y, count: count)
            }
        case .constant:
            x.pointer.update(repeating: 0.5, count: count)
        }
        if let support { for i in 0..<count where support[i] == 0 { x.pointer[i] = 0 } }

        let accelerated = settings.acceleration
        // Biggs–Andrews state: previous iterate and the last two update directions.
        let previous = accelerated ? FFTBuffer(count: count) : nil
        var gradient1 = accelerated ? FFTBuffer(count: count) : nil
        var gradient2 = accelerated ? FFTBuffer(count: count) : nil
        let prediction = accelerated ? FFTBuffer(count: count) : nil
        var nextX = accelerated ? FFTBuffer(count: count) : nil
        var lambdaNumerator = 0.0, lambdaDenominator = 0.0
        let measure = observer != nil || settings.tolerance > 0

        var result = Image(height: domain.height, width: domain.width)
        // Whether `spectrum` already holds the row transforms of this iteration's x: the plain
        // update chains them onto its own rows (see `backProject`), saving a sweep of the plane.
        var rowsReady = false
        for k in 1...settings.iterations {
            // The point the RL step is taken from: xₖ, or its Biggs–Andrews extrapolation.
            var base = x
            if accelerated, let previous, let prediction {
                let lambda = k > 2 && lambdaDenominator > 0 ? Float(min(max(lambdaNumerator / lambdaDenominator, 0), 1)) : 0
                let xp = x.pointer, pp = previous.pointer, yp = prediction.pointer
                parallelFor(domain.paddedHeight) { [pw = domain.paddedWidth] row in
                    for i in row * pw ..< (row + 1) * pw { yp[i] = max(xp[i] + lambda * (xp[i] - pp[i]), 0) }
                }
                base = prediction
            }
            if let tv { totalVariationDivergence(base.pointer, into: tv.pointer) }
            if !rowsReady { engine.rowTransforms(base.pointer, spectrum.pointer) }
            reblurRatio()   // work ← y / H base; spectrum ← the row transforms of work
            let change: Double
            if accelerated, let previous, let g1 = gradient1, let g2 = gradient2, let next = nextX {
                // work ← Hᵀ work, each chunk of rows followed by the extrapolated step.
                let b = base.pointer, o = next.pointer, old = x.pointer, g = (g1.pointer, g2.pointer)
                backProject(then: { rows in self.update(rows: rows, base: b, into: o, old: old, gradient: g) })
                change = relativeChange()
                lambdaNumerator = partialSum(1); lambdaDenominator = partialSum(2)
                previous.pointer.update(from: x.pointer, count: count)
                swap(&x, &nextX!)
                swap(&gradient1, &gradient2)
            } else {
                // work ← Hᵀ work, each chunk of rows followed by x ← x · work / Hᵀ M and, unless
                // this is the last iteration, by the next iteration's row transforms of x. RL-TV
                // cannot chain: its next divergence needs neighbouring rows of the whole new x.
                let chain = tv == nil && k < settings.iterations
                backProject(then: { rows in self.plainUpdate(rows: rows, measure: measure) },
                            thenForward: chain ? x.pointer : nil)
                rowsReady = chain
                change = measure ? relativeChange() : .infinity
            }
            let last = k == settings.iterations || change < settings.tolerance
            if let observer {
                extract(into: &result)
                let state = IterationState(iteration: k, relativeChange: change, elapsed: monotonicSeconds() - start, estimate: result)
                if !observer(state) { break }
            }
            if last { break }
        }
        extract(into: &result)
        return result
    }

    /// The observed window of the current estimate, clamped to 1 with `clip`: scikit-image
    /// clips its output, not the iterates (clipping every iterate changed 30 iterations on a
    /// bright image by up to 0.14).
    func extract(into result: inout Image) {
        result.withUnsafeMutableBufferPointer { out in
            domain.extract(x.pointer, into: out.baseAddress!)
            if settings.clip { for i in out.indices { out[i] = min(out[i], 1) } }
        }
    }

    /// `work ← ratio(y, H base)` on the observed window (masked) or everywhere, 0 elsewhere: the
    /// first convolution, from `spectrum` holding the row transforms of `base`, with the ratio as
    /// its row epilogue; the same pass leaves the row transforms of `work` in `spectrum`.
    func reblurRatio() {
        let a = work.pointer, y = observed.pointer
        let pw = domain.paddedWidth, masked = domain.boundary == .masked
        let rowRange = masked ? domain.top ..< domain.top + domain.height : 0 ..< domain.paddedHeight
        let lo = masked ? domain.left : 0, hi = masked ? domain.left + domain.width : pw
        let dampingThreshold = Double(settings.damping) * Double(settings.damping) / 2
        engine.convolveRowSpectrum(spectrum, into: a, otf: otf, conjugate: false, epilogue: { rows in
            for row in rows {
                let r = a + row * pw, o = y + row * pw
                guard rowRange.contains(row) else { r.update(repeating: 0, count: pw); continue }
                if lo > 0 { r.update(repeating: 0, count: lo) }
                if hi < pw { (r + hi).update(repeating: 0, count: pw - hi) }
                if dampingThreshold == 0 {
                    // The hot loop: branch-free so it vectorizes.
                    for px in lo..<hi { r[px] = o[px] / max(r[px], 1e-6) }
                    continue
                }
                for px in lo..<hi {
                    let reblurred = max(r[px], 1e-6), observed = o[px]
                    let ratio = observed / reblurred
                    // deconvlucy's damping: where the Poisson deviance is below DAMPAR²/2 the
                    // ratio is pulled towards 1 by a smooth step, stopping noise amplification.
                    // In Double, as deconvlucy: where the fit is good its terms cancel to about
                    // (Hx − y)²/2y, and in Float32 their rounding (~10⁻⁷·y) over a DAMPAR²/2 of
                    // 5·10⁻⁵ moved the step: 30 iterations on a rippled 16 × 20 image ended
                    // 5–8·10⁻⁵ from deconvlucy's (1.7·10⁻³ accelerated), 2·10⁻⁶ in Double.
                    let observed64 = Double(observed), reblurred64 = Double(reblurred)
                    let deviance = observed > 0 ? observed64 * log(observed64 / reblurred64) + reblurred64 - observed64 : reblurred64
                    // The deviance is ≥ 0 but can round below it; over a small DAMPAR²/2 a
                    // negative one made g hugely negative, g⁹ infinite, x NaN.
                    let g = Float(min(max(deviance, 0) / dampingThreshold, 1))
                    let g9 = powf(g, 9)
                    r[px] = 1 + g9 * (10 - 9 * g) * (ratio - 1)
                }
            }
        }, thenForward: a)
    }

    /// `work ← Hᵀ work` (correlation with the PSF) from `spectrum` holding the row transforms of
    /// `work`, `epilogue` run on each chunk of finished rows, then the row transforms of `next`
    /// (if given) chained into `spectrum`.
    func backProject(then epilogue: (Range<Int>) -> Void, thenForward next: UnsafeMutablePointer<Float>? = nil) {
        engine.convolveRowSpectrum(spectrum, into: work.pointer, otf: otf, conjugate: true, epilogue: epilogue, thenForward: next)
    }

    /// The accelerated step on `rows`: `out ← max(base · work / Hᵀ M, 0)`, with the relative change against `old` and the Biggs–Andrews sums per row.
    func update(rows: Range<Int>, base: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>,
                old previous: UnsafeMutablePointer<Float>, gradient: (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)) {
        let pw = domain.paddedWidth, totalRows = domain.paddedHeight
        let c = work.pointer, n = inverseNormalizer?.pointer, s = partials
        let (g1, g2) = gradient
        for row in rows {
            var changeSquared = 0.0, oldSquared = 0.0, cross = 0.0, gradientSquared = 0.0
            for i in row * pw ..< (row + 1) * pw {
                let value = max(base[i] * c[i] * (n?[i] ?? 1), 0)
                let before = previous[i]
                let d = Double(value - before)
                changeSquared += d * d
                oldSquared += Double(before) * Double(before)
                // g2 holds the direction of the step before, g1 receives this one.
                let g = value - base[i]
                cross += Double(g) * Double(g1[i])
                gradientSquared += Double(g1[i]) * Double(g1[i])
                g2[i] = g
                out[i] = value
            }
            s[row] = changeSquared
            s[totalRows + row] = cross
            s[2 * totalRows + row] = gradientSquared
            s[3 * totalRows + row] = oldSquared
        }
    }

    /// `x ← max(x · work · (1 / Hᵀ M), 0)` on `rows`, the plain RL step, with
    /// the relative change's partial sums only when `measure` (they cost a third of the pass).
    func plainUpdate(rows: Range<Int>, measure: Bool) {
        let pw = domain.paddedWidth, totalRows = domain.paddedHeight
        let xs = x.pointer, c = work.pointer, n = inverseNormalizer?.pointer, s = partials
        let t = tv?.pointer, lambda = settings.tvLambda
        for row in rows {
            let range = row * pw ..< (row + 1) * pw
            var changeSquared: Float = 0, oldSquared: Float = 0
            if let t {
                // RL-TV (Dey et al. 2006): x ← x · Hᵀ(y / Hx) / (1 − λ div), the denominator
                // kept ≥ 10⁻³ so a large λ slows down, not flips sign. With `.masked` it is
                // scaled by Hᵀ M, the TV term included: λ div against Hᵀ M alone made the
                // unobserved margin (Hᵀ M down to 10⁻⁴) swing by up to 1000× per iteration.
                for i in range {
                    let inverseNormalizer = n?[i] ?? 1
                    let old = xs[i]
                    let value = inverseNormalizer > 0 ? max(old * c[i] * inverseNormalizer / max(1 - lambda * t[i], 1e-3), 0) : 0
                    let d = value - old
                    changeSquared += d * d; oldSquared += old * old; xs[i] = value
                }
            } else {
                switch (n, measure) {
                case (let n?, false):
                    for i in range { xs[i] = max(xs[i] * c[i] * n[i], 0) }
                case (nil, false):
                    for i in range { xs[i] = max(xs[i] * c[i], 0) }
                case (let n?, true):
                    for i in range {
                        let old = xs[i], value = max(old * c[i] * n[i], 0), d = value - old
                        changeSquared += d * d; oldSquared += old * old; xs[i] = value
                    }
                case (nil, true):
                    for i in range {
                        let old = xs[i], value = max(old * c[i], 0), d = value - old
                        changeSquared += d * d; oldSquared += old * old; xs[i] = value
                    }
                }
            }
            // Float within a row (≤ a few thousand terms), Double across rows.
            s[row] = Double(changeSquared)
            s[3 * totalRows + row] = Double(oldSquared)
        }
    }

    /// `‖xₖ − xₖ₋₁‖ / ‖xₖ₋₁‖` from the last update's partial sums (0 when `xₖ₋₁ = 0`).
    func relativeChange() -> Double {
        let old = partialSum(3)
        return old > 0 ? (partialSum(0) / old).squareRoot() : 0
    }

    /// The sum over rows of reduction `k` of the last update.
    func partialSum(_ k: Int) -> Double {
        let rows = domain.paddedHeight
        var total = 0.0
        for row in 0..<rows { total += partials[k * rows + row] }
        return total
    }
}
