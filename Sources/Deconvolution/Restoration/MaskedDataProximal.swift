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
/// Buffers and plans are made once; `solve` allocates only its result.
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
    /// The CG vectors (real domain) and one spectrum of scratch.
    let e: FFTBuffer, r: FFTBuffer, p: FFTBuffer, q: FFTBuffer, s: FFTBuffer, spectrum: FFTBuffer

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
        e = plan.makeRealBuffer(); r = plan.makeRealBuffer(); p = plan.makeRealBuffer()
        q = plan.makeRealBuffer(); s = plan.makeRealBuffer(); spectrum = plan.makeSpectrumBuffer()
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

    /// Solves the data step for the prior estimate `z` (extended domain) and weight `α > 0`,
    /// stopping after `maxIterations` CG steps or when the residual has fallen by `tolerance`.
    /// Returns the extended-domain solution; `iterationsRun` (if given) receives the CG steps taken.
    public func solve(prior z: Image, alpha: Float, maxIterations: Int = 50, tolerance: Double = 1e-4,
                      iterationsRun: ((Int) -> Void)? = nil) -> Image {
        precondition(z.height == paddedHeight && z.width == paddedWidth && z.channels == 1, "the prior must be an extended-domain plane")
        precondition(alpha > 0 && alpha.isFinite, "α must be positive")
        let n = plan.realCount
        let ep = e.pointer, rp = r.pointer, pp = p.pointer, qp = q.pointer, sp = s.pointer, y = observed.pointer
        // r₀ = Kᵀ M (y − K z), with e₀ = 0.
        z.withUnsafeBufferPointer { rp.update(from: $0.baseAddress!, count: n) }
        convolve(rp, conjugate: false)
        mask { i, inside in rp[i] = inside ? y[i] - rp[i] : 0 }
        convolve(rp, conjugate: true)
        ep.update(repeating: 0, count: n)
        applyPreconditioner(rp, into: sp, alpha: alpha)
        pp.update(from: sp, count: n)
        var rs = dot(rp, sp)
        let initial = rs
        var steps = 0
        if initial > 0 {
            while steps < maxIterations {
                steps += 1
                apply(pp, into: qp, alpha: alpha)
                let pq = dot(pp, qp)
                guard pq > 0 else { break }
                let a = Float(rs / pq)
                for i in 0..<n { ep[i] += a * pp[i]; rp[i] -= a * qp[i] }
                applyPreconditioner(rp, into: sp, alpha: alpha)
                let next = dot(rp, sp)
                if next <= tolerance * tolerance * initial { break }
                let b = Float(next / rs)
                rs = next
                for i in 0..<n { pp[i] = sp[i] + b * pp[i] }
            }
        }
        iterationsRun?(steps)
        var out = z
        out.withUnsafeMutableBufferPointer { o in for i in 0..<n { o[i] += ep[i] } }
        return out
    }

    /// `out ← (Kᵀ M K + α) v`; `v` is left unchanged.
    private func apply(_ v: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>, alpha: Float) {
        out.update(from: v, count: plan.realCount)
        convolve(out, conjugate: false)
        mask { i, inside in if !inside { out[i] = 0 } }
        convolve(out, conjugate: true)
        for i in 0..<plan.realCount { out[i] += alpha * v[i] }
    }

    /// `out ← F⁻¹[F[v] / (|K|² + α)]`.
    private func applyPreconditioner(_ v: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>, alpha: Float) {
        plan.forward(v, spectrum.pointer)
        let k = otf.pointer, f = spectrum.pointer, scale = 1 / Float(plan.realCount)
        for i in stride(from: 0, to: plan.spectrumCount, by: 2) {
            let w = scale / (k[i] * k[i] + k[i + 1] * k[i + 1] + alpha)
            f[i] *= w; f[i + 1] *= w
        }
        plan.inverse(spectrum.pointer, out)
    }

    /// `v ← k ⊛ v` (or the correlation `kᵀ`) on the periodic extended domain, in place.
    private func convolve(_ v: UnsafeMutablePointer<Float>, conjugate: Bool) {
        plan.forward(v, spectrum.pointer)
        SpectralOps.multiply(spectrum.pointer, by: otf.pointer, conjugate: conjugate, plan: plan)
        plan.inverse(spectrum.pointer, v)
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
