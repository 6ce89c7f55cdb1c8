import DeblurCore
import Foundation

/// The `masked` boundary for the quadratic methods (Wiener, Tikhonov): the minimizer of
///
///     ‖M (k ⊛ x − y)‖² + xᵀ R x   ⇔   (Kᵀ M K + R) x = Kᵀ M y
///
/// with x on the observation extended by the PSF size − 1 (to a fast FFT size), `M` the
/// observed window and `R` the method's (circulant) regularizer `R(f)`. The system is solved
/// by conjugate gradients preconditioned by the circulant `|K(f)|² + R(f)` — the operator
/// itself when M = 1, so only the border effects are left for CG to resolve (Reeves 2005).
///
/// Every vector lives in the half-spectrum domain: `p`'s transform is a linear combination of
/// known spectra, and `A p` is `conj(K) · F[M · F⁻¹[K P]] + R P`, so one iteration costs one
/// inverse and one forward real FFT plus pointwise passes. Inner products use Parseval on the
/// half-spectrum (columns 0 and N/2 counted once, the others twice); the common 1/N cancels
/// in CG's step sizes.
///
/// The estimate is cropped back to the observed window. The plans, the OTF and the estimate
/// and product buffers are made once per call and reused for every channel; the residual,
/// direction and preconditioner once per channel. No iteration allocates.
///
/// Reference: S. J. Reeves, "Fast image restoration without boundary artifacts",
/// IEEE Trans. Image Process. 14(10), 2005.
final class MaskedLinearSolver {
    let domain: RestorationDomain
    let plan: FFTPlan2D
    let otf: FFTBuffer
    let gradientPower: (rows: [Float], columns: [Float])
    /// In-place transforms: the masking step runs on `A p`'s own buffer, so no separate
    /// real-domain buffer is needed.
    let inPlace: InPlaceFFTPlan2D
    /// Spectra: the estimate and `A p` (which doubles as the buffer of every real-domain step:
    /// it is rebuilt after every use). The residual, search direction and preconditioner are
    /// allocated per solve and released before the output is: on a 4096² image each spectrum
    /// is ~70 MB.
    let xs: FFTBuffer, qs: FFTBuffer
    var scratch: FFTBuffer { qs }
    /// Per-row partial sums of the reductions (no allocation inside the iterations).
    var partials: [Double]
    /// Half-spectrum Parseval weights per column (1 or 2).
    let columnWeights: [Double]
    /// The relative preconditioned residual `√(rᵀC⁻¹r / r₀ᵀC⁻¹r₀)` at which CG stops before
    /// its step count: 10⁻⁹, far below what a Float estimate can show.
    static let convergedResidual = 1e-9

    init(domain: RestorationDomain, psf: PSF) {
        precondition(domain.boundary == .masked)
        self.domain = domain
        plan = FFT.plan(height: domain.paddedHeight, width: domain.paddedWidth)
        otf = psf.otf(height: domain.paddedHeight, width: domain.paddedWidth, plan: plan)
        gradientPower = SpectralOps.gradientPower(height: domain.paddedHeight, width: domain.paddedWidth)
        inPlace = FFT.inPlacePlan(height: domain.paddedHeight, width: domain.paddedWidth)
        xs = inPlace.makeBuffer(); qs = inPlace.makeBuffer()
        partials = [Double](repeating: 0, count: domain.paddedHeight)
        let pw = domain.paddedWidth, sw = plan.spectrumWidth
        columnWeights = (0..<sw).map { v in v == 0 || (pw % 2 == 0 && v == pw / 2) ? 1 : 2 }
    }

    /// The context a regularizer sees: the observation reflected into the margin (so its
    /// spectrum has no artificial edge) and the OTF on the extended domain.
    func context(for plane: Image) -> FilterContext {
        plane.withUnsafeBufferPointer { domain.embed($0, into: scratch.pointer, extend: true, rowStride: inPlace.rowStride) }
        inPlace.forward(scratch)
        return FilterContext(plane: plane, observed: plane, spectrum: scratch.pointer, otf: otf.pointer,
                             rowPower: gradientPower.rows, columnPower: gradientPower.columns,
                             height: domain.paddedHeight, spectrumWidth: plan.spectrumWidth, pixelCount: plan.realCount)
    }

    /// Whether the preconditioner `|K|² + R` is positive at every frequency.
    func isInvertible(_ r: SpectralRegularizer) -> Bool {
        let sw = plan.spectrumWidth, k = otf.pointer
        for row in 0..<domain.paddedHeight {
            let rp = gradientPower.rows[row]
            for v in 0..<sw {
                let i = 2 * (row * sw + v), d2 = rp + gradientPower.columns[v]
                if !(k[i] * k[i] + k[i + 1] * k[i + 1] + r.constant + r.gradient * d2 + r.laplacian * d2 * d2 > 1e-10) { return false }
            }
        }
        return true
    }

    /// Runs `iterations` CG steps for one plane (x₀ = 0), fewer once the relative residual is
    /// below `convergedResidual`; `residuals` (if given) receives the
    /// relative preconditioned residual `√(rᵀC⁻¹r / r₀ᵀC⁻¹r₀)` after each step, and `estimates`
    /// the whole iterate on the extended domain (`paddedHeight × paddedWidth`; one extra inverse
    /// FFT per step, for tests and observers), returning false to stop there. Returns the
    /// observed window.
    func run(_ plane: Image, regularizer r: SpectralRegularizer, iterations: Int,
             residuals: ((Int, Double) -> Void)? = nil,
             estimates: ((Int, UnsafeBufferPointer<Float>) -> Bool)? = nil) -> Image {
        let n = plan.realCount
        let x = xs.pointer
        // The solve is for x − m with m the observation's mean (the PSF keeps a constant, so
        // y − m is its blur): a flat NSR then shrinks towards the mean, not towards black,
        // which in the unobserved margin would darken the borders. R annihilates constants
        // for the gradient and Laplacian regularizers, so for them this changes nothing.
        // b = Kᵀ M (y − m) with x₀ = 0, so r₀ = b.
        var sum = 0.0
        plane.withUnsafeBufferPointer { b in for v in b { sum += Double(v) } }
        let mean = Float(sum / Double(max(1, plane.count)))
        let top = domain.top, left = domain.left, h = domain.height, w = domain.width, rowStride = inPlace.rowStride
        x.update(repeating: 0, count: plan.spectrumCount)
        let scale = 1 / Float(n)
        // The residual, direction and preconditioner live only while CG runs.
        do {
            let rs = inPlace.makeBuffer(), ps = inPlace.makeBuffer(), inverseC = FFTBuffer(count: plan.spectrumCount / 2)
            computePreconditioner(into: inverseC.pointer, regularizer: r)
            plane.withUnsafeBufferPointer { domain.embed($0, into: rs.pointer, extend: false, rowStride: rowStride) }
            for row in top ..< top + h {
                let line = rs.pointer + row * rowStride + left
                for col in 0..<w { line[col] -= mean }
            }
            inPlace.forward(rs)
            SpectralOps.multiply(rs.pointer, by: otf.pointer, conjugate: true, plan: plan)
            iterate(residual: rs.pointer, direction: ps.pointer, inverseC: inverseC.pointer, regularizer: r,
                    iterations: iterations, mean: mean, residuals: residuals, estimates: estimates)
        }
        inPlace.inverse(xs)
        var out = Image(height: domain.height, width: domain.width)
        out.withUnsafeMutableBufferPointer { o in
            domain.extract(xs.pointer, into: o.baseAddress!, rowStride: rowStride)
            for i in 0..<o.count { o[i] = o[i] * scale + mean }
        }
        return out
    }

    /// CG steps from x = 0 with `res` = b: updates `xs`; `p` is scratch for the direction.
    private func iterate(residual res: UnsafeMutablePointer<Float>, direction p: UnsafeMutablePointer<Float>,
                         inverseC c: UnsafePointer<Float>, regularizer r: SpectralRegularizer, iterations: Int, mean: Float,
                         residuals: ((Int, Double) -> Void)?, estimates: ((Int, UnsafeBufferPointer<Float>) -> Bool)?) {
        let ph = domain.paddedHeight, sw = plan.spectrumWidth, n = plan.realCount, pw = domain.paddedWidth
        let rowStride = inPlace.rowStride
        let top = domain.top, left = domain.left, h = domain.height, w = domain.width
        let k = otf.pointer, x = xs.pointer, q = qs.pointer
        let rows = gradientPower.rows
        p.update(repeating: 0, count: plan.spectrumCount)
        var rz = updateDirection(residual: res, direction: p, inverseC: c, gamma: 0)
        let rz0 = rz
        // Spectra that overflowed single precision (samples far outside [0, 1]: about 1e35 on a
        // small image) leave nothing to solve with. Stopping would return the mean image as if
        // it were the solution; a NaN estimate is refused downstream, as a one-shot filter's
        // overflowed transform is.
        guard rz.isFinite else { x.update(repeating: .nan, count: plan.spectrumCount); return }
        // Converged far below Float's resolution: stop. Single-precision CG run on past this
        // point breaks down (step sizes from underflowing products, or a residual recurrence
        // that drifts and then grows): 1000–3000 steps gave NaN before 2026-11-27.
        let converged = rz0 * Self.convergedResidual * Self.convergedResidual
        let scale = 1 / Float(n)
        for iteration in 1...max(1, iterations) {
            guard rz > 0 && rz > converged else { break }
            // q ← A p = conj(K) F[M F⁻¹[K P] / N] + R P: the one FFT pair of the iteration.
            let s = scratch.pointer
            parallelFor(ph) { row in
                for i in stride(from: 2 * row * sw, to: 2 * (row + 1) * sw, by: 2) {
                    s[i] = (p[i] * k[i] - p[i + 1] * k[i + 1]) * scale
                    s[i + 1] = (p[i] * k[i + 1] + p[i + 1] * k[i]) * scale
                }
            }
            inPlace.inverse(scratch)
            parallelFor(ph) { row in
                let line = s + row * rowStride
                guard row >= top && row < top + h else { line.update(repeating: 0, count: pw); return }
                if left > 0 { line.update(repeating: 0, count: left) }
                if left + w < pw { (line + left + w).update(repeating: 0, count: pw - left - w) }
            }
            inPlace.forward(qs)
            let pq = reduceRows { row in
                let rp = rows[row]
                var acc = 0.0
                for v in 0..<sw {
                    let i = 2 * (row * sw + v), d2 = rp + self.gradientPower.columns[v]
                    let reg = r.constant + r.gradient * d2 + r.laplacian * d2 * d2
                    let qr = q[i] * k[i] + q[i + 1] * k[i + 1] + reg * p[i]
                    let qi = q[i + 1] * k[i] - q[i] * k[i + 1] + reg * p[i + 1]
                    q[i] = qr; q[i + 1] = qi
                    acc += self.columnWeights[v] * (Double(p[i]) * Double(qr) + Double(p[i + 1]) * Double(qi))
                }
                return acc
            }
            guard pq.isFinite else { x.update(repeating: .nan, count: plan.spectrumCount); return }
            guard pq > 0 else { break }
            let alpha = Float(rz / pq)
            // x ← x + α p, r ← r − α q, fused with the new ⟨r, C⁻¹ r⟩.
            let rzNew = reduceRows { row in
                var acc = 0.0
                for v in 0..<sw {
                    let j = row * sw + v, i = 2 * j
                    x[i] += alpha * p[i]; x[i + 1] += alpha * p[i + 1]
                    res[i] -= alpha * q[i]; res[i + 1] -= alpha * q[i + 1]
                    acc += self.columnWeights[v] * (Double(res[i]) * Double(res[i]) + Double(res[i + 1]) * Double(res[i + 1])) * Double(c[j])
                }
                return acc
            }
            guard rzNew.isFinite else { x.update(repeating: .nan, count: plan.spectrumCount); return }
            rz = updateDirection(residual: res, direction: p, inverseC: c, gamma: Float(rzNew / rz))
            residuals?(iteration, (rz / rz0).squareRoot())
            if let estimates {
                // The iterate, scaled row by row on all cores (done serially over the packed
                // plane, this pass took ~7 % of an observed 1024² solve), then rows packed to
                // `paddedWidth` (moving each row left is safe in increasing order); the buffer
                // is rebuilt at the next step.
                scratch.pointer.update(from: x, count: plan.spectrumCount)
                inPlace.inverse(scratch)
                parallelFor(ph) { row in
                    let line = s + row * rowStride
                    for col in 0..<pw { line[col] = line[col] * scale + mean }
                }
                for row in 1..<ph { (s + row * pw).update(from: s + row * rowStride, count: pw) }
                if !estimates(iteration, UnsafeBufferPointer(start: s, count: n)) { break }
            }
        }
    }

    /// `c ← 1 / (|K|² + R)` per half-spectrum bin, the preconditioner. Stored for the solve
    /// (half a spectrum) rather than recomputed in the two passes that read it: recomputing
    /// made a 2048² masked Wiener ~25 % slower.
    private func computePreconditioner(into c: UnsafeMutablePointer<Float>, regularizer r: SpectralRegularizer) {
        let sw = plan.spectrumWidth, k = otf.pointer, rows = gradientPower.rows
        gradientPower.columns.withUnsafeBufferPointer { columns in
            parallelFor(domain.paddedHeight) { row in
                let rp = rows[row]
                for v in 0..<sw {
                    let i = 2 * (row * sw + v), d2 = rp + columns[v]
                    c[row * sw + v] = 1 / (k[i] * k[i] + k[i + 1] * k[i + 1] + r.constant + r.gradient * d2 + r.laplacian * d2 * d2)
                }
            }
        }
    }

    /// `p ← C⁻¹ r + γ p`; returns `⟨r, C⁻¹ r⟩`.
    private func updateDirection(residual res: UnsafeMutablePointer<Float>, direction p: UnsafeMutablePointer<Float>,
                                 inverseC c: UnsafePointer<Float>, gamma: Float) -> Double {
        let sw = plan.spectrumWidth
        return reduceRows { row in
            var acc = 0.0
            for v in 0..<sw {
                let j = row * sw + v, i = 2 * j
                let zr = res[i] * c[j], zi = res[i + 1] * c[j]
                acc += self.columnWeights[v] * (Double(res[i]) * Double(zr) + Double(res[i + 1]) * Double(zi))
                p[i] = zr + gamma * p[i]
                p[i + 1] = zi + gamma * p[i + 1]
            }
            return acc
        }
    }

    /// Σ over rows of `body(row)`, the rows split over the cores; the partial sums go to a
    /// preallocated array, so a reduction allocates nothing.
    private func reduceRows(_ body: (Int) -> Double) -> Double {
        let rows = domain.paddedHeight
        return partials.withUnsafeMutableBufferPointer { sums in
            parallelFor(rows) { row in sums[row] = body(row) }
            var total = 0.0
            for row in 0..<rows { total += sums[row] }
            return total
        }
    }
}
