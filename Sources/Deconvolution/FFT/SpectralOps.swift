import DeblurCore
import Foundation

/// Pointwise kernels on half-spectra and real planes, split over rows on all cores.
///
/// They run between FFTW calls, never inside them, so FFTW's threads and these workers
/// never compete (one component owns parallelism at a time).
enum SpectralOps {
    /// `spectrum ← spectrum · otf` (or `· conj(otf)`), both interleaved half-spectra of `plan`.
    static func multiply(_ spectrum: UnsafeMutablePointer<Float>, by otf: UnsafePointer<Float>,
                         conjugate: Bool, plan: FFTPlan2D) {
        let rowFloats = 2 * plan.spectrumWidth
        let sign: Float = conjugate ? -1 : 1
        parallelFor(plan.height) { row in
            let a = spectrum + row * rowFloats, h = otf + row * rowFloats
            var i = 0
            while i < rowFloats {
                let ar = a[i], ai = a[i + 1], hr = h[i], hi = sign * h[i + 1]
                a[i] = ar * hr - ai * hi
                a[i + 1] = ar * hi + ai * hr
                i += 2
            }
        }
    }

    /// Scales every float of a buffer by `factor`.
    static func scale(_ buffer: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        for i in 0..<count { buffer[i] *= factor }
    }

    /// The separable factors of `|D(u, v)|²`, the forward-difference gradient's power on a
    /// periodic `height × width` grid: `|D|² = rows[u] + columns[v]` with
    /// `rows[u] = 4 sin²(π u / height)` and `columns[v] = 4 sin²(π v / width)` for the half-spectrum
    /// columns `v < width / 2 + 1`. The Laplacian's squared response is `|D|⁴`.
    static func gradientPower(height: Int, width: Int) -> (rows: [Float], columns: [Float]) {
        let rows = (0..<height).map { u -> Float in let s = Float(sinPi(Double(u) / Double(height))); return 4 * s * s }
        let columns = (0..<(width / 2 + 1)).map { v -> Float in let s = Float(sinPi(Double(v) / Double(width))); return 4 * s * s }
        return (rows, columns)
    }

    private static func sinPi(_ x: Double) -> Double { sin(Double.pi * x) }
}

/// Circular convolution of one plane by a PSF at the plane's own size, in place
/// (`imfilter(I, psf, 'circular', 'conv')`).
func circularConvolve(_ plane: UnsafeMutablePointer<Float>, height: Int, width: Int, psf: PSF) {
    let plan = FFT.plan(height: height, width: width)
    let otf = psf.otf(height: height, width: width, plan: plan)
    let real = plan.makeRealBuffer(), spectrum = plan.makeSpectrumBuffer()
    real.pointer.update(from: plane, count: plan.realCount)
    plan.forward(real, spectrum)
    SpectralOps.multiply(spectrum.pointer, by: otf.pointer, conjugate: false, plan: plan)
    plan.inverse(spectrum, real)
    let s = 1 / Float(plan.realCount)
    for i in 0..<plan.realCount { plane[i] = real.pointer[i] * s }
}
