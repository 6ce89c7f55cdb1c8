import DeblurCore

/// The regularizer of a one-shot linear deconvolution filter
/// `X = conj(H) · Y / (|H|² + R(f))`, with `R(f) = constant + gradient · |D(f)|² + laplacian · |L(f)|²`
/// (`|D|²` the forward-difference gradient's power, `L` the 5-point Laplacian's response).
struct SpectralRegularizer {
    var constant: Float = 0
    var gradient: Float = 0
    var laplacian: Float = 0
}

/// What a regularizer may look at: the channel and its spectrum on the working domain.
struct FilterContext {
    /// The channel as filtered (with `taper`, after `edgeTapered`).
    let plane: Image
    /// The channel as observed, before any taper: its variance is the signal power of
    /// `noise-sigma`, and its noise is what `nsr=auto` estimates; the taper's blurred border
    /// would lower both.
    let observed: Image
    /// The observation's half-spectrum `Y` and the OTF `H`, interleaved, `height × spectrumWidth`.
    let spectrum: UnsafePointer<Float>
    let otf: UnsafePointer<Float>
    /// `|D|² = rowPower[u] + columnPower[v]`.
    let rowPower: [Float]
    let columnPower: [Float]
    let height: Int
    let spectrumWidth: Int
    /// Pixels of the working domain (the unnormalized FFT's `E|N(f)|² = pixelCount · σ²`).
    let pixelCount: Int
}

/// The settings a masked linear filter needs whatever the image: CG steps, and some
/// regularization (the unobserved margin is fixed by it alone).
func checkMaskedSettings(boundary: BoundaryHandling, iterations: Int, regularized: Bool) throws {
    guard boundary == .masked else { return }
    guard iterations >= 1 && iterations <= ClassicalMethods.maximumIterations else {
        throw DeconvolutionError.invalidParameter(name: "iterations", value: String(iterations), expected: "an integer from 1 to \(ClassicalMethods.maximumIterations)")
    }
    guard regularized else {
        throw DeconvolutionError.invalidParameter(
            name: "regularization", value: "0",
            expected: "nsr > 0 (or lambda > 0) with boundary masked: the unobserved margin is determined by the regularizer alone")
    }
}

/// Applies `conj(H) / (|H|² + R)` to every channel on the boundary's working domain; the
/// machinery Wiener, Tikhonov and the automatic Wiener share. Internal.
///
/// `regularizer(context)` chooses R per channel after the forward transform (the automatic
/// Wiener estimates the noise and the signal spectrum per channel). Throws when `|H|² + R` vanishes at some frequency (a PSF whose OTF
/// has zeros, and no regularization). `masked` solves the masked normal equations by
/// `maskedIterations` preconditioned CG steps instead (`MaskedLinearSolver`). Callers check
/// their settings first (`checkMaskedSettings`); the regularizer, which may depend on the
/// image, is checked here. `observer` sees each CG step of `masked` (channels one after the
/// other), and `stepProgress` counts them with their residual; the one-shot filters have no
/// steps to report.
func applyLinearFilter(_ blurred: Image, psf: PSF, boundary: BoundaryHandling, maskedIterations: Int = 30,
                       observer: IterationObserver? = nil, stepProgress: (@Sendable (Int, Double) -> Void)? = nil,
                       regularizer: (FilterContext) throws -> SpectralRegularizer) throws -> Image {
    try blurred.requireFinite("blurred image")
    if boundary == .masked {
        let domain = try RestorationDomain(height: blurred.height, width: blurred.width, psf: psf, boundary: .masked)
        let solver = MaskedLinearSolver(domain: domain, psf: psf)
        var planes = [Image]()
        for c in 0..<blurred.channels {
            let plane = blurred.channels == 1 ? blurred : blurred.channel(c)
            let r = try regularizer(solver.context(for: plane))
            // Pixels of the extended domain that no observation sees are fixed by R alone.
            guard r.constant > 0 || r.gradient > 0 || r.laplacian > 0 else {
                throw DeconvolutionError.invalidParameter(
                    name: "regularization", value: "0",
                    expected: "nsr > 0 (or lambda > 0) with boundary masked: the unobserved margin is determined by the regularizer alone")
            }
            guard solver.isInvertible(r) else {
                throw DeconvolutionError.invalidInput(
                    "the PSF's transfer function vanishes at some frequency and the regularization is 0: expected nsr > 0 (or lambda > 0)")
            }
            planes.append(solver.run(plane, regularizer: r, iterations: maskedIterations, residuals: stepProgress,
                                     estimates: observer.map { observe(with: $0, domain: domain, start: monotonicSeconds()) }))
        }
        return planes.count == 1 ? planes[0] : Image.merge(planes)
    }
    let input = boundary == .taper ? try edgeTapered(blurred, psf: psf) : blurred
    let domain = try RestorationDomain(height: blurred.height, width: blurred.width, psf: psf, boundary: boundary)
    let plan = FFT.plan(height: domain.paddedHeight, width: domain.paddedWidth)
    let otf = OTFCache.otf(psf, height: domain.paddedHeight, width: domain.paddedWidth, plan: plan)
    let real = BufferPool.take(plan.realCount), spectrum = BufferPool.take(plan.spectrumCount)
    defer { BufferPool.give(real); BufferPool.give(spectrum) }
    let ph = domain.paddedHeight, sw = plan.spectrumWidth
    let power = SpectralOps.gradientPower(height: ph, width: domain.paddedWidth)
    let scale = 1 / Float(plan.realCount)
    var planes = [Image]()
    for c in 0..<blurred.channels {
        let plane = input.channels == 1 ? input : input.channel(c)
        let observed = boundary == .taper ? (blurred.channels == 1 ? blurred : blurred.channel(c)) : plane
        plane.withUnsafeBufferPointer { domain.embed($0, into: real.pointer) }
        plan.forward(real, spectrum)
        let r = try regularizer(FilterContext(plane: plane, observed: observed, spectrum: spectrum.pointer, otf: otf.pointer,
                                              rowPower: power.rows, columnPower: power.columns, height: ph,
                                              spectrumWidth: sw, pixelCount: plan.realCount))
        var vanished = [Bool](repeating: false, count: ph)
        let s = spectrum.pointer, h = otf.pointer
        power.columns.withUnsafeBufferPointer { columns in
            vanished.withUnsafeMutableBufferPointer { flags in
                parallelFor(ph) { row in
                    var bad = false
                    let rowPower = power.rows[row]
                    for v in 0..<sw {
                        let i = 2 * (row * sw + v)
                        let hr = h[i], hi = h[i + 1], d2 = rowPower + columns[v]
                        let denominator = hr * hr + hi * hi + r.constant + r.gradient * d2 + r.laplacian * d2 * d2
                        // Below this the filter's gain exceeds ~10⁵: the OTF vanishes there.
                        if !(denominator > 1e-10) { bad = true; s[i] = 0; s[i + 1] = 0; continue }
                        let g = scale / denominator
                        let yr = s[i], yi = s[i + 1]
                        s[i] = (hr * yr + hi * yi) * g
                        s[i + 1] = (hr * yi - hi * yr) * g
                    }
                    flags[row] = bad
                }
            }
        }
        if vanished.contains(true) {
            throw DeconvolutionError.invalidInput(
                "the PSF's transfer function vanishes at some frequency and the regularization is 0: expected nsr > 0 (or lambda > 0)")
        }
        plan.inverse(spectrum, real)
        var out = Image(height: blurred.height, width: blurred.width)
        out.withUnsafeMutableBufferPointer { domain.extract(real.pointer, into: $0.baseAddress!) }
        planes.append(out)
    }
    return planes.count == 1 ? planes[0] : Image.merge(planes)
}

/// Turns a CG step's iterate on the extended domain into the `IterationState` of the observed
/// window. Only an observed solve pays for the copy and the inverse transform that feeds it, as
/// the iterative methods' observers do. The estimate is one image per solve, overwritten in
/// place (an observer that keeps one gets its own copy on the next write), and the relative
/// change is summed while copying, against the values being overwritten, in the order
/// `IterationState.relativeChange` sums them.
private func observe(with observer: @escaping IterationObserver, domain: RestorationDomain,
                     start: Double) -> (Int, UnsafeBufferPointer<Float>) -> Bool {
    var estimate = Image(height: domain.height, width: domain.width)
    var hasPrevious = false
    return { iteration, x in
        var changeSquared = 0.0, oldSquared = 0.0
        estimate.withUnsafeMutableBufferPointer { e in
            for row in 0..<domain.height {
                let line = x.baseAddress! + (domain.top + row) * domain.paddedWidth + domain.left
                let out = e.baseAddress! + row * domain.width
                for col in 0..<domain.width {
                    let old = out[col], new = line[col]
                    let d = Double(new - old)
                    changeSquared += d * d
                    oldSquared += Double(old) * Double(old)
                    out[col] = new
                }
            }
        }
        let change = hasPrevious && oldSquared > 0 ? (changeSquared / oldSquared).squareRoot() : 0
        hasPrevious = true
        return observer(IterationState(iteration: iteration, relativeChange: change,
                                       elapsed: monotonicSeconds() - start, estimate: estimate))
    }
}
