import Foundation

/// The structural-dissimilarity loss `L = 1 − SSIM(p, t)`, differentiable, with the SSIM of
/// Wang et al. (2004) exactly as the Evaluation module and scikit-image compute it:
/// an 11 × 11 Gaussian window of σ = 1.5, `C₁ = (0.01)²`, `C₂ = (0.03)²` (data range 1),
/// population covariances, averaged over the windows lying fully inside each plane, then
/// over planes (samples × channels).
///
/// `SSIM = (2μₚμₜ + C₁)(2σₚₜ + C₂) / ((μₚ² + μₜ² + C₁)(σₚ² + σₜ² + C₂))` per window. Its gradient
/// is the adjoint (full correlation with the same window) of the per-window partial
/// derivatives with respect to `μₚ`, `E[p²]` and `E[pt]`.
///
/// scikit-image: `1 − structural_similarity(p, t, data_range=1, gaussian_weights=True,
/// sigma=1.5, use_sample_covariance=False)`. Zhao et al. (2017), "Loss functions for image
/// restoration with neural networks".
public struct SSIMLoss: Loss {
    /// Window side (default 11) and Gaussian σ (default 1.5).
    public let window: Int
    public let sigma: Double

    public init(window: Int = 11, sigma: Double = 1.5) {
        precondition(window >= 1 && window % 2 == 1 && sigma > 0, "SSIM window must be odd and σ positive, got \(window), \(sigma)")
        self.window = window; self.sigma = sigma
    }

    public var name: String { "ssim" }

    /// The normalized 1-D Gaussian window.
    var taps: [Double] {
        let r = window / 2
        let raw: [Double] = (0..<window).map { i -> Double in
            let d = Double(i - r)
            return exp(-d * d / (2 * sigma * sigma))
        }
        let s = raw.reduce(0, +)
        return raw.map { $0 / s }
    }

    public func evaluate(prediction: Tensor, target: Tensor, gradient: inout Tensor) -> Double {
        checkShapes(name, prediction, target, gradient: &gradient)
        let h = prediction.height, w = prediction.width
        precondition(h >= window && w >= window, "SSIM loss needs planes of at least \(window)×\(window), got \(h)×\(w)")
        let planes = prediction.batch * prediction.channels
        let vh = h - window + 1, vw = w - window + 1, valid = vh * vw
        let g = taps, k = window
        let c1 = 0.0001, c2 = 0.0009
        // Buffers per call (one step), never per pixel.
        var sources = [[Double]](repeating: [Double](repeating: 0, count: h * w), count: 5)
        var means = [[Double]](repeating: [Double](repeating: 0, count: valid), count: 5)
        var rowPass = [Double](repeating: 0, count: h * vw)
        var total = 0.0
        let scale = -1.0 / Double(valid * planes)

        // Valid separable filtering: rows, then columns.
        func filter(_ src: [Double], into dst: inout [Double]) {
            for y in 0..<h {
                for x in 0..<vw {
                    var s = 0.0
                    for i in 0..<k { s += g[i] * src[y * w + x + i] }
                    rowPass[y * vw + x] = s
                }
            }
            for y in 0..<vh {
                for x in 0..<vw {
                    var s = 0.0
                    for i in 0..<k { s += g[i] * rowPass[(y + i) * vw + x] }
                    dst[y * vw + x] = s
                }
            }
        }
        // Adjoint of `filter`: spreads each valid value back over its window.
        func spread(_ src: [Double], into dst: inout [Double]) {
            for i in rowPass.indices { rowPass[i] = 0 }
            for y in 0..<vh {
                for x in 0..<vw {
                    let v = src[y * vw + x]
                    for i in 0..<k { rowPass[(y + i) * vw + x] += g[i] * v }
                }
            }
            for i in dst.indices { dst[i] = 0 }
            for y in 0..<h {
                for x in 0..<vw {
                    let v = rowPass[y * vw + x]
                    for i in 0..<k { dst[y * w + x + i] += g[i] * v }
                }
            }
        }

        var dMean = [Double](repeating: 0, count: valid), dSquare = dMean, dCross = dMean
        var back = [Double](repeating: 0, count: h * w)
        for plane in 0..<planes {
            let base = plane * h * w
            for i in 0..<(h * w) {
                let p = Double(prediction.data[base + i]), t = Double(target.data[base + i])
                sources[0][i] = p; sources[1][i] = t; sources[2][i] = p * p; sources[3][i] = t * t; sources[4][i] = p * t
            }
            for q in 0..<5 { filter(sources[q], into: &means[q]) }
            for i in 0..<valid {
                let mp = means[0][i], mt = means[1][i]
                let vp = means[2][i] - mp * mp, vt = means[3][i] - mt * mt, cov = means[4][i] - mp * mt
                let a1 = 2 * mp * mt + c1, a2 = 2 * cov + c2
                let b1 = mp * mp + mt * mt + c1, b2 = vp + vt + c2
                let s = a1 * a2 / (b1 * b2)
                total += s
                let dCov = 2 * s / a2, dVar = -s / b2
                dMean[i] = scale * (s * (2 * mt / a1 - 2 * mp / b1) - dCov * mt - 2 * dVar * mp)
                dSquare[i] = scale * dVar
                dCross[i] = scale * dCov
            }
            spread(dMean, into: &back)
            for i in 0..<(h * w) { sources[0][i] = back[i] }
            spread(dSquare, into: &back)
            for i in 0..<(h * w) { sources[0][i] += 2 * Double(prediction.data[base + i]) * back[i] }
            spread(dCross, into: &back)
            for i in 0..<(h * w) {
                sources[0][i] += sources[1][i] * back[i]
                gradient.data[base + i] = Float(sources[0][i])
            }
        }
        return 1 - total / Double(valid * planes)
    }
}
