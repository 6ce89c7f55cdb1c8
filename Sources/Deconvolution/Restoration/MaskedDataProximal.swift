import DeblurCore
import Foundation

/// The data step of plug-and-play splitting with the `masked` boundary (unknown boundaries):
///
///     x = argmin  ‖M (k ⊛ x − y)‖² + α ‖x − z‖²   ⇔   (Kᵀ M K + α I) x = Kᵀ M y + α z
///
/// on the observation extended by the PSF size − 1 (to a fast FFT size), `M` the observed
/// window. Written as `x = z + e`, the correction solves `(Kᵀ M K + α I) e = Kᵀ M (y − K z)`
/// by conjugate gradients preconditioned by the circulant `|K|² + α` — the operator itself
/// when M = 1, so only the border effects are left to CG (Reeves 2005), and `e` is small once
/// `z` explains the observation, which later steps of a plug-and-play loop make so.
///
/// A prior (a learned denoiser, say) owns the other half of the splitting; this type only
/// knows the data. It works on whole extended-domain planes (`paddedHeight × paddedWidth`),
/// because the prior must also fill the margin no observed pixel sees alone.
///
/// The plan, the OTF and the embedded observation are made once; each `solve` allocates its
/// result, three CG vectors and a spectrum, and frees the last four before it returns, so a
/// prior running between solves has that memory (four planes of the extended domain, ~280 MB
/// at 4096²). No CG iteration allocates.
///
/// Reference: S. J. Reeves, "Fast image restoration without boundary artifacts", IEEE TIP
/// 14(10), 2005; K. Zhang et al., "Plug-and-play image restoration with deep denoiser prior",
/// IEEE TPAMI 44(10), 2022 (the splitting).
public final class MaskedDataProximal {
    /// The observed window's size, and the extended domain the unknowns live on.
    public let height: Int, width: Int
    public let paddedHeight: Int, paddedWidth: Int
    let domain: RestorationDomain
    let plan: FFTPlan2D
    let otf: FFTBuffer
    let observation: Image
    /// `y` embedded with zeros outside the window.
    let observed: FFTBuffer

    /// - Throws: `DeconvolutionError.invalidInput` for a non-finite or multi-channel
    ///   observation, or a PSF larger than it.
    public init(observation: Image, psf: PSF) throws {
        guard observation.channels == 1 else {
            throw DeconvolutionError.invalidInput("the data step takes one channel, got \(observation.channels)")
        }
        try observation.requireFinite("blurred image")
        domain = try RestorationDomain(height: observation.height, width: observation.width, psf: psf, boundary: .masked)
        height = domain.height; width = domain.width
        paddedHeight = domain.paddedHeight; paddedWidth = domain.paddedWidth
        plan = FFT.plan(height: paddedHeight, width: paddedWidth)
        otf = psf.otf(height: paddedHeight, width: paddedWidth, plan: plan)
        self.observation = observation
        let observed = plan.makeRealBuffer(), domain = domain
        observation.withUnsafeBufferPointer { domain.embed($0, into: observed.pointer, extend: false) }
        self.observed = observed
    }

    /// The observation reflected into the margin, on the extended domain: a start with no
    /// artificial edge at the window.
    public func start() -> Image {
        var out = Image(height: paddedHeight, width: paddedWidth)
        out.withUnsafeMutableBufferPointer { o in
            observation.withUnsafeBufferPointer { domain.embed($0, into: o.baseAddress!, extend: true) }
        }
        return out
    }

    /// The observed window of an extended-domain plane.
    public func window(_ x: Image) -> Image {
        precondition(x.height == paddedHeight && x.width == paddedWidth && x.channels == 1, "not an extended-domain plane")
        var out = Image(height: height, width: width)
        x.withUnsafeBufferPointer { src in out.withUnsafeMutableBufferPointer { domain.extract(src.baseAddress!, into: $0.baseAddress!) } }
        return out
    }

    /// Solves the data step for the prior estimate `z` (extended domain) and weight `α > 0`
    /// (the solution is built in `z`'s storage when the caller gives it up with `consume`),
    /// stopping after `maxIterations` CG steps or when the residual has fallen by `tolerance`.
    /// Returns the extended-domain solution; `iterationsRun` (if given) receives the CG steps taken.
    public func solve(prior z: consuming Image, alpha: Float, maxIterations: Int = 50, tolerance: Double = 1e-4,
                      iterationsRun: ((Int) -> Void)? = nil) -> Image {
        solve(prior: z, alpha: alpha, observed: observed.pointer, maxIterations: maxIterations, tolerance: tolerance, iterationsRun: iterationsRun)
    }

    /// The data step's derivative with respect to its prior, applied to `g` (extended domain):
    /// `α (Kᵀ M K + α I)⁻¹ g`. The operator is symmetric, so this is also the transpose that
    /// carries a gradient ∂L/∂x back to ∂L/∂z when the step is trained through. It is the data
    /// step with a zero observation, solved by the same preconditioned CG.
    public func priorDerivative(_ g: consuming Image, alpha: Float, maxIterations: Int = 50, tolerance: Double = 1e-4) -> Image {
        solve(prior: g, alpha: alpha, observed: nil, maxIterations: maxIterations, tolerance: tolerance, iterationsRun: nil)
    }

    /// An observed-window plane placed on the extended domain, zero outside: the transpose of
    /// `window`.
    public func embedWindow(_ plane: Image) -> Image {
        precondition(plane.height == height && plane.width == width && plane.channels == 1, "not an observed-window plane")
        var out = Image(height: paddedHeight, width: paddedWidth)
        out.withUnsafeMutableBufferPointer { o in plane.withUnsafeBufferPointer { domain.embed($0, into: o.baseAddress!, extend: false) } }
        return out
    }

    /// The CG solve; a nil `y` stands for a zero observation.
    private func solve(prior z: consuming Image, alpha: Float, observed y: UnsafeMutablePointer<Float>?, maxIterations: Int, tolerance: Double,
                       iterationsRun: ((Int) -> Void)?) -> Image {
        precondition(z.height == paddedHeight && z.width == paddedWidth && z.channels == 1, "the prior must be an extended-domain plane")
        precondition(alpha > 0 && alpha.isFinite, "α must be positive")
        let n = plan.realCount
        // The residual r, direction p, and q, which holds A p and then C⁻¹ r: A p is dead once
        // r is updated, so the preconditioned residual can take its place.
        let r = plan.makeRealBuffer(), p = plan.makeRealBuffer(), q = plan.makeRealBuffer(), spectrum = plan.makeSpectrumBuffer()
        let rp = r.pointer, pp = p.pointer, qp = q.pointer, f = spectrum.pointer
        // r₀ = Kᵀ M (y − K z), with x₀ = z.
        z.withUnsafeBufferPointer { rp.update(from: $0.baseAddress!, count: n) }
        convolve(rp, conjugate: false, spectrum: f)
        if let y { mask { i, inside in rp[i] = inside ? y[i] - rp[i] : 0 } } else { mask { i, inside in rp[i] = inside ? -rp[i] : 0 } }
        convolve(rp, conjugate: true, spectrum: f)
        applyPreconditioner(rp, into: qp, alpha: alpha, spectrum: f)
        pp.update(from: qp, count: n)
        var rs = dot(rp, qp)
        let initial = rs
        var steps = 0
        // Consumed, so a caller that hands over its prior (`consume z`) is not copied.
        var x = consume z
        x.withUnsafeMutableBufferPointer { xb in
            let xp = xb.baseAddress!
            guard initial > 0 else { return }
            while steps < maxIterations {
                steps += 1
                apply(pp, into: qp, alpha: alpha, spectrum: f)
                let pq = dot(pp, qp)
                guard pq > 0 else { break }
                let a = Float(rs / pq)
                for i in 0..<n { xp[i] += a * pp[i]; rp[i] -= a * qp[i] }
                applyPreconditioner(rp, into: qp, alpha: alpha, spectrum: f)
                let next = dot(rp, qp)
                if next <= tolerance * tolerance * initial { break }
                let b = Float(next / rs)
                rs = next
                for i in 0..<n { pp[i] = qp[i] + b * pp[i] }
            }
        }
        iterationsRun?(steps)
        return x
    }

    /// `out ← (Kᵀ M K + α) v`; `v` is left unchanged.
    private func apply(_ v: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>, alpha: Float,
                       spectrum: UnsafeMutablePointer<Float>) {
        out.update(from: v, count: plan.realCount)
        convolve(out, conjugate: false, spectrum: spectrum)
        mask { i, inside in if !inside { out[i] = 0 } }
        convolve(out, conjugate: true, spectrum: spectrum)
        for i in 0..<plan.realCount { out[i] += alpha * v[i] }
    }

    /// `out ← F⁻¹[F[v] / (|K|² + α)]`.
    private func applyPreconditioner(_ v: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>, alpha: Float,
                                     spectrum f: UnsafeMutablePointer<Float>) {
        plan.forward(v, f)
        let k = otf.pointer, scale = 1 / Float(plan.realCount)
        for i in stride(from: 0, to: plan.spectrumCount, by: 2) {
            let w = scale / (k[i] * k[i] + k[i + 1] * k[i + 1] + alpha)
            f[i] *= w; f[i + 1] *= w
        }
        plan.inverse(f, out)
    }

    /// `v ← k ⊛ v` (or the correlation `kᵀ`) on the periodic extended domain, in place.
    private func convolve(_ v: UnsafeMutablePointer<Float>, conjugate: Bool, spectrum: UnsafeMutablePointer<Float>) {
        plan.forward(v, spectrum)
        SpectralOps.multiply(spectrum, by: otf.pointer, conjugate: conjugate, plan: plan)
        plan.inverse(spectrum, v)
        SpectralOps.scale(v, count: plan.realCount, by: 1 / Float(plan.realCount))
    }

    /// Calls `body(index, inside the observed window)` for every extended-domain pixel.
    private func mask(_ body: (Int, Bool) -> Void) {
        let top = domain.top, left = domain.left
        for row in 0..<paddedHeight {
            let rowInside = row >= top && row < top + height
            for col in 0..<paddedWidth {
                body(row * paddedWidth + col, rowInside && col >= left && col < left + width)
            }
        }
    }

    private func dot(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>) -> Double {
        var sum = 0.0
        for i in 0..<plan.realCount { sum += Double(a[i]) * Double(b[i]) }
        return sum
    }
}
