import DeblurCore
import Foundation

/// The `masked` boundary of the hyper-Laplacian method: unknown boundaries, the data term on
/// the observed window only,
///
///     minimize  (λ/2) ‖M (k ⊛ x) − y‖² + Σₚ |∂ₓx(p)|^α + |∂ᵧx(p)|^α
///
/// with x on the observation extended by the PSF size − 1 (to a fast FFT size). The blur is
/// split off as its own variable, `u = k ⊛ x` (Almeida & Figueiredo 2013; Matakos, Ramani &
/// Fessler 2013), enforced by ADMM with a scaled dual `d` and penalty `μ`, while the gradients
/// keep Krishnan & Fergus' half-quadratic splitting and β continuation:
/// - w-step: the hyper-Laplacian shrinkage of `∇x` (`HyperLaplacianSolver.shrinkGradients`);
/// - x-step, one FFT solve: `X = (conj(K) F[u − d] + (β/μ) F[Dᵀw]) / (|K|² + (β/μ) |D|²)`;
/// - u-step, per pixel: `u = (λ M y + μ v) / (λ M + μ)` with `v = k ⊛ x + d` (outside the
///   window `u = v`: no data);
/// - dual: `d ← d + k ⊛ x − u`.
///
/// Cost per inner iteration: two forward and two inverse real FFTs (the x-step's two
/// right-hand sides, `x` and `k ⊛ x`), the shrinkage and three pointwise passes; no allocation.
///
/// References: M. S. C. Almeida, M. A. T. Figueiredo, "Deconvolving images with unknown
/// boundaries using the alternating direction method of multipliers", IEEE TIP 22(8), 2013;
/// A. Matakos, S. Ramani, J. A. Fessler, "Accelerated edge-preserving image restoration
/// without boundary artifacts", IEEE TIP 22(5), 2013.
final class MaskedHyperLaplacianSolver {
    let core: HyperLaplacianSolver
    var domain: RestorationDomain { core.domain }
    /// The observation embedded with zeros outside the window, `u`, the dual `d`, `k ⊛ x`.
    let observed: FFTBuffer, u: FFTBuffer, d: FFTBuffer, kx: FFTBuffer

    init(domain: RestorationDomain, psf: PSF) {
        precondition(domain.boundary == .masked)
        core = HyperLaplacianSolver(domain: domain, psf: psf)
        observed = core.plan.makeRealBuffer(); u = core.plan.makeRealBuffer()
        d = core.plan.makeRealBuffer(); kx = core.plan.makeRealBuffer()
    }

    /// The ADMM penalty μ relative to λ. μ = λ makes the x-step's ratio β/μ the same as the
    /// circular method's β/λ, and the u-step an even blend of data and model.
    static let penaltyRatio: Float = 1

    func run(_ plane: Image, settings: HyperLaplacian, lambda: Float, observer: IterationObserver?) -> Image {
        let start = monotonicSeconds()
        let plan = core.plan
        let count = plan.realCount, ph = domain.paddedHeight, pw = domain.paddedWidth, sw = plan.spectrumWidth
        let h = domain.height, w = domain.width
        let x = core.x.pointer, gx = core.wx.pointer, gy = core.wy.pointer
        let y = observed.pointer, dp = d.pointer, kp = kx.pointer
        let k = core.otf.pointer, g = core.spectrum.pointer, t = core.dataTerm.pointer
        let mu = lambda * Self.penaltyRatio
        let scale = 1 / Float(count)

        plane.withUnsafeBufferPointer { domain.embed($0, into: y, extend: false) }
        // Start from the observation reflected into the margin: the best guess there, and
        // no artificial edge at the window.
        plane.withUnsafeBufferPointer { domain.embed($0, into: x, extend: true) }
        convolve(x, into: kp)
        dp.update(repeating: 0, count: count)
        dataStep(lambda: lambda, mu: mu)

        var result = Image(height: h, width: w)
        var previous = [Float](repeating: 0, count: count)
        var beta = settings.betaStart
        var iteration = 0
        while beta < settings.betaMax {
            iteration += 1
            previous.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: x, count: count) }
            for _ in 0..<settings.innerIterations {
                core.shrinkGradients(alpha: settings.alpha, beta: beta)
                // kx holds t = u − d, the x-step's data right-hand side (left there by dataStep).
                plan.forward(kx, core.dataTerm)
                // Dᵀw into x, transformed.
                parallelFor(ph) { row in
                    let above = row == 0 ? ph - 1 : row - 1
                    for col in 0..<pw {
                        let before = col == 0 ? pw - 1 : col - 1, i = row * pw + col
                        x[i] = gx[row * pw + before] - gx[i] + gy[above * pw + col] - gy[i]
                    }
                }
                plan.forward(core.x, core.spectrum)
                // X into the spectrum, K X into the data spectrum, both scaled by 1/N.
                let ratio = HyperLaplacianSolver.priorRatio(beta: beta, lambda: mu)
                core.gradientPower.columns.withUnsafeBufferPointer { columns in
                    parallelFor(ph) { [rows = core.gradientPower.rows] row in
                        let rowPower = rows[row]
                        for v in 0..<sw {
                            let i = 2 * (row * sw + v)
                            let kr = k[i], ki = k[i + 1]
                            let s = scale / (kr * kr + ki * ki + ratio * (rowPower + columns[v]))
                            let xr = (kr * t[i] + ki * t[i + 1] + ratio * g[i]) * s
                            let xi = (kr * t[i + 1] - ki * t[i] + ratio * g[i + 1]) * s
                            g[i] = xr; g[i + 1] = xi
                            t[i] = kr * xr - ki * xi
                            t[i + 1] = kr * xi + ki * xr
                        }
                    }
                }
                plan.inverse(core.spectrum, core.x)
                plan.inverse(core.dataTerm, kx)
                dataStep(lambda: lambda, mu: mu)
            }
            beta *= settings.betaRate
            if let observer {
                let change = IterationState.relativeChange(x, from: previous, count: count)
                result.withUnsafeMutableBufferPointer { domain.extract(x, into: $0.baseAddress!) }
                if !observer(IterationState(iteration: iteration, relativeChange: change, elapsed: monotonicSeconds() - start, estimate: result)) { break }
            }
        }
        result.withUnsafeMutableBufferPointer { domain.extract(x, into: $0.baseAddress!) }
        return result
    }

    /// The u-step and the dual update, fused: `v = k ⊛ x + d`, `u = (λ M y + μ v) / (λ M + μ)`,
    /// `d ← v − u` (that is, `d + k ⊛ x − u`); then `kx ← u − d`, the next x-step's right-hand
    /// side (k ⊛ x is not needed again before the x-step recomputes it).
    private func dataStep(lambda: Float, mu: Float) {
        let ph = domain.paddedHeight, pw = domain.paddedWidth
        let top = domain.top, left = domain.left, h = domain.height, w = domain.width
        let y = observed.pointer, up = u.pointer, dp = d.pointer, kp = kx.pointer
        let a = lambda / (lambda + mu), b = mu / (lambda + mu)
        parallelFor(ph) { row in
            let inside = row >= top && row < top + h
            for col in 0..<pw {
                let i = row * pw + col
                let v = kp[i] + dp[i]
                let ui = inside && col >= left && col < left + w ? a * y[i] + b * v : v
                let di = v - ui
                up[i] = ui
                dp[i] = di
                kp[i] = ui - di
            }
        }
    }

    /// `out ← k ⊛ source` on the periodic extended domain (uses the core's data spectrum).
    private func convolve(_ source: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let plan = core.plan
        plan.forward(source, core.dataTerm.pointer)
        SpectralOps.multiply(core.dataTerm.pointer, by: core.otf.pointer, conjugate: false, plan: plan)
        plan.inverse(core.dataTerm.pointer, out)
        SpectralOps.scale(out, count: plan.realCount, by: 1 / Float(plan.realCount))
    }
}
