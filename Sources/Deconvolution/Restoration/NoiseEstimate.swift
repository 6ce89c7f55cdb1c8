import DeblurCore

/// Estimates the standard deviation of additive white Gaussian noise in an image from the
/// median absolute deviation of its finest Haar diagonal band (Donoho's estimator):
///
///     σ̂ = median |HH₁| / 0.6745,   HH₁(i, j) = (x₂ᵢ,₂ⱼ − x₂ᵢ,₂ⱼ₊₁ − x₂ᵢ₊₁,₂ⱼ + x₂ᵢ₊₁,₂ⱼ₊₁) / 2
///
/// The orthonormal diagonal detail keeps white noise's σ and is nearly zero on smooth or
/// blurred content, so the median ignores the few edges. Color images: the mean of the
/// channels' estimates. Images smaller than 2 × 2 give 0.
///
/// - Parameter image: the (blurred, noisy) observation, values on the [0, 1] scale.
/// - Returns: σ̂ on the same scale.
///
/// Equivalent: scikit-image's `estimate_sigma` (which uses the db1 wavelet, the same band).
/// Reference: D. L. Donoho, I. M. Johnstone, "Ideal spatial adaptation by wavelet shrinkage",
/// Biometrika 81, 1994.
public func estimateNoiseSigma(_ image: Image) -> Double {
    let h = image.height / 2, w = image.width / 2
    guard h > 0 && w > 0 else { return 0 }
    var total = 0.0
    for c in 0..<image.channels {
        var band = [Float](repeating: 0, count: h * w)
        image.withUnsafeBufferPointer { p in
            let base = c * image.height * image.width, W = image.width
            for i in 0..<h {
                for j in 0..<w {
                    let a = p[base + 2 * i * W + 2 * j], b = p[base + 2 * i * W + 2 * j + 1]
                    let d = p[base + (2 * i + 1) * W + 2 * j], e = p[base + (2 * i + 1) * W + 2 * j + 1]
                    band[i * w + j] = abs(a - b - d + e) / 2
                }
            }
        }
        band.sort()
        let n = band.count
        let median = n % 2 == 1 ? Double(band[n / 2]) : (Double(band[n / 2 - 1]) + Double(band[n / 2])) / 2
        total += median / 0.6745
    }
    return total / Double(image.channels)
}

/// Mean squared forward-difference gradient per pixel, `mean(∂ₓx² + ∂ᵧx²)` (interior pairs only).
func meanGradientEnergy(_ plane: Image) -> Double {
    let h = plane.height, w = plane.width
    var s = 0.0, n = 0
    plane.withUnsafeBufferPointer { p in
        for y in 0..<h {
            for x in 0..<w {
                let v = p[y * w + x]
                if x + 1 < w { let d = Double(p[y * w + x + 1] - v); s += d * d }
                if y + 1 < h { let d = Double(p[(y + 1) * w + x] - v); s += d * d }
            }
        }
        n = (w - 1) * h + (h - 1) * w
    }
    // Two directions were summed per pixel: report the per-pixel energy of both together.
    return n > 0 ? 2 * s / Double(n) : 0
}

/// Sample variance of a plane (Float64 accumulation).
func variance(_ plane: Image) -> Double {
    var s = 0.0, s2 = 0.0
    for v in plane.pixels { s += Double(v); s2 += Double(v) * Double(v) }
    let n = Double(max(1, plane.count))
    return max(0, s2 / n - (s / n) * (s / n))
}
