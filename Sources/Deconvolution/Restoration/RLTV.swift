import DeblurCore
import Foundation

/// Richardson–Lucy with total-variation regularization (RL-TV), the edge-preserving member
/// of the RL family (DeconvolutionLab2's `RLTV`).
///
///     xₖ₊₁ = xₖ · Hᵀ( y / H xₖ ) / ( Hᵀ 1 − λ · div( ∇xₖ / |∇xₖ| ) )
///
/// The divergence uses forward differences for ∇ and backward ones for div, with
/// `|∇x| = √(∂ₓx² + ∂ᵧx² + ε²)`, ε = 10⁻³. The denominator is kept ≥ 10⁻³ · Hᵀ1 so a
/// too large λ slows the iteration down instead of producing negative values.
///
/// - Parameters:
///   - iterations: maximum iterations (default 30, ≥ 1).
///   - lambda: TV weight λ in image units (default 0.002, Dey et al.'s value; 0 gives RL),
///     below 1/4 (where 1 − λ div could reach 0 and the iteration diverge).
///   - boundary: see `BoundaryHandling` (default `.masked`).
///   - initialization, clip, tolerance: as `RichardsonLucy`.
/// - Throws: `DeconvolutionError` for λ outside [0, 1/4), zero iterations, NaN/∞ pixels or a PSF
///   larger than the image.
///
/// Reference: N. Dey, L. Blanc-Féraud, C. Zimmer et al., "Richardson–Lucy algorithm with total
/// variation regularization for 3D confocal microscope deconvolution", Microsc. Res. Tech. 69, 2006.
public struct RLTV: Restorer {
    public var iterations: Int
    public var lambda: Float
    public var boundary: BoundaryHandling
    public var initialization: RichardsonLucy.Initialization
    public var clip: Bool
    public var tolerance: Double

    public init(iterations: Int = 30, lambda: Float = 0.002, boundary: BoundaryHandling = .masked,
                initialization: RichardsonLucy.Initialization = .observed, clip: Bool = false, tolerance: Double = 0) {
        self.iterations = iterations
        self.lambda = lambda
        self.boundary = boundary
        self.initialization = initialization
        self.clip = clip
        self.tolerance = tolerance
    }

    public var name: String { "rl-tv(iterations=\(iterations),lambda=\(lambda),boundary=\(boundary.rawValue))" }

    var settings: RichardsonLucySettings {
        RichardsonLucySettings(iterations: iterations, acceleration: false, damping: 0,
                               boundary: boundary, initialization: initialization, clip: clip,
                               tolerance: tolerance, tvLambda: lambda)
    }

    public func checkSettings() throws { try settings.validate() }

    public func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image {
        try settings.restore(blurred, psf: psf, observer: observer)
    }
}

extension RichardsonLucySolver {
    /// `out ← div(∇x / |∇x|)` on the periodic padded domain, using `work` as scratch (it is
    /// free until the RL correction is computed).
    func totalVariationDivergence(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let h = domain.paddedHeight, w = domain.paddedWidth
        let ny = work.pointer
        let epsilonSquared: Float = 1e-6
        // Pass 1: the normalized forward-difference gradient, x-part into `out`, y-part into `work`.
        parallelFor(h) { row in
            let down = row + 1 == h ? 0 : row + 1
            let r = x + row * w, d = x + down * w, o = out + row * w, n = ny + row * w
            // Interior columns without the wrap-around branch, so the loop vectorizes (square
            // root and division included); the last column wraps to the first.
            for col in 0 ..< w - 1 {
                let here = r[col], gx = r[col + 1] - here, gy = d[col] - here
                let inverse = 1 / (gx * gx + gy * gy + epsilonSquared).squareRoot()
                o[col] = gx * inverse
                n[col] = gy * inverse
            }
            let here = r[w - 1], gx = r[0] - here, gy = d[w - 1] - here
            let inverse = 1 / (gx * gx + gy * gy + epsilonSquared).squareRoot()
            o[w - 1] = gx * inverse
            n[w - 1] = gy * inverse
        }
        // Pass 2: backward-difference divergence, in place; columns right to left so the left
        // neighbour is still the gradient when it is read.
        parallelFor(h) { row in
            let up = row == 0 ? h - 1 : row - 1
            let r = out + row * w, n = ny + row * w, nUp = ny + up * w
            let wrapped = r[w - 1]
            var col = w - 1
            while col > 0 {
                r[col] = r[col] - r[col - 1] + n[col] - nUp[col]
                col -= 1
            }
            r[0] = r[0] - wrapped + n[0] - nUp[0]
        }
    }
}
