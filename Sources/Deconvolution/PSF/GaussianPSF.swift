import DeblurCore
import Foundation

extension PSF {
    /// An isotropic Gaussian: `h(x, y) ∝ exp(−(x² + y²) / (2σ²))` sampled at integer offsets
    /// from the centre, normalized to sum 1 (MATLAB's `fspecial('gaussian', size, sigma)`).
    ///
    /// - Parameters:
    ///   - sigma: standard deviation in pixels, > 0.
    ///   - size: odd side length in pixels; default `2·⌈3σ⌉ + 1` (±3σ).
    /// - Throws: `DeconvolutionError.invalidParameter` for σ ≤ 0, NaN, an even or
    ///   non-positive size, or a size above 4095.
    /// - Reference: MATLAB Image Processing Toolbox, `fspecial` ('gaussian').
    public static func gaussian(sigma: Double, size: Int? = nil) throws -> PSF {
        guard sigma.isFinite, sigma > 0, sigma <= 1000 else {
            throw DeconvolutionError.invalidParameter(name: "gaussian sigma", value: "\(sigma)", expected: "a finite standard deviation in pixels in (0, 1000]")
        }
        let side = size ?? 2 * Int((3 * sigma).rounded(.up)) + 1
        guard side > 0, side % 2 == 1, side <= 4095 else {
            throw DeconvolutionError.invalidParameter(name: "gaussian size", value: "\(side)", expected: "an odd size between 1 and 4095")
        }
        let c = side / 2
        let scale = -1 / (2 * sigma * sigma)
        let kernel = Image(height: side, width: side) { _, y, x in
            let dy = Double(y - c), dx = Double(x - c), r2 = dx * dx + dy * dy
            // exp(0) is 1 whatever σ; written out so that a σ whose square underflows (scale
            // −∞) gives the identity rather than 0 · ∞ = NaN. Samples below eps times the peak
            // (1) are 0, as fspecial's `h(h < eps*max(h(:))) = 0`: σ = 0.1 kept 1.9e-22 and
            // subnormal 3.8e-44 around the centre, where MATLAB's kernel is the identity.
            if r2 == 0 { return 1 }
            let h = exp(r2 * scale)
            return h < Double.ulpOfOne ? 0 : Float(h)
        }
        return try PSF(kernel, source: "gaussian(sigma: \(sigma))")
    }
}
