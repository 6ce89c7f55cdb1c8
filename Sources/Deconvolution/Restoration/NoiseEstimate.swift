import DeblurCore

/// Estimates the standard deviation of additive white Gaussian noise in an image from the
/// median absolute deviation of its finest Haar diagonal band (Donoho's estimator):
///
///     σ̂ = median |HH₁| / 0.6745,   HH₁(i, j) = (x₂ᵢ,₂ⱼ − x₂ᵢ,₂ⱼ₊₁ − x₂ᵢ₊₁,₂ⱼ + x₂ᵢ₊₁,₂ⱼ₊₁) / 2
///
/// The orthonormal diagonal detail keeps white noise's σ and is nearly zero on smooth or
/// blurred content, so the median ignores the few edges. Color images: the mean of the
/// channels' estimates. Images smaller than 2 × 2 give 0; NaN or infinite samples give NaN.
///
/// - Parameter image: the (blurred, noisy) observation, values on the [0, 1] scale.
/// - Returns: σ̂ on the same scale.
///
/// scikit-image's `estimate_sigma` is the same estimator on the db2 wavelet's diagonal band
/// with exact zeros left out: up to 3 % apart on pure noise, 12 % on a smooth image
/// (Tests/References/noise_estimators.py).
/// Reference: D. L. Donoho, I. M. Johnstone, "Ideal spatial adaptation by wavelet shrinkage",
/// Biometrika 81, 1994.
public func estimateNoiseSigma(_ image: Image) -> Double {
    // A NaN has no place in the sorted band: the median came out of an arbitrary order (a
    // third of the true σ with 15 % of the samples NaN), a plausible number for garbage.
    guard image.isFinite else { return .nan }
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

/// Estimates the standard deviation of additive white Gaussian noise from the covariance of the
/// image's `patch × patch` patches (Chen, Zhu & Heng 2015):
///
///     λ₁ ≥ … ≥ λᵣ  the eigenvalues of the patches' covariance (r = patch²);
///     σ̂² = mean(λᵢ … λᵣ) for the first i where that mean is at most their median
///
/// (The paper's test is equality, as many eigenvalues above the mean as below it, which can
/// stop one step off: 6 % low on pure noise of σ = 0.1 where this reads within 0.2 %.)
///
/// White noise adds σ² to every eigenvalue, and image structure lives in a few leading ones:
/// the smallest eigenvalues whose mean is not pulled above their median by structure are
/// noise alone. Unlike the Haar-band median (`estimateNoiseSigma`), texture does not leak into
/// the estimate: on the blurred photographs of Docs/Results.md it reads 1.05 / 1.01 / 1.01 /
/// 1.00 × the true σ at 0.5 / 1 / 2 / 3 % (the Haar median: 1.27 / 1.10 / 1.04 / 1.02, up to
/// 2.7 × on one textured crop). Color images: the mean of the channels' estimates. At most
/// 2¹⁴ patches are used, at positions drawn from a fixed seed (a quarter of a 256² image's:
/// the estimates move by under 5 %, at a quarter of the time); images smaller than a patch
/// fall back to the Haar median. NaN or infinite samples give NaN. `patch` below 2 is a
/// precondition failure (a 1 × 1 patch has one eigenvalue, the whole image's variance).
///
/// Reference: G. Chen, F. Zhu, P. A. Heng, "An efficient statistical method for image noise
/// level estimation", ICCV 2015.
public func estimatePatchNoiseSigma(_ image: Image, patch: Int = 7) -> Double {
    precondition(patch >= 2, "patch must be at least 2")
    guard image.height >= patch && image.width >= patch else { return estimateNoiseSigma(image) }
    var total = 0.0
    for c in 0..<image.channels {
        let raw = symmetricEigenvalues(patchCovariance(image, channel: c, patch: patch), order: patch * patch)
        guard raw.allSatisfy(\.isFinite) else { return .nan }
        total += noiseVariance(eigenvalues: raw.sorted(by: >).map { max($0, 0) }).squareRoot()
    }
    return total / Double(image.channels)
}

/// The selection rule of `estimatePatchNoiseSigma`: the mean of the longest tail of
/// `eigenvalues` (sorted descending, not empty) whose mean is at most its median, the median
/// of an even count being the mean of the middle pair.
func noiseVariance(eigenvalues: [Double]) -> Double {
    let r = eigenvalues.count
    for i in 0..<r {
        let tail = eigenvalues[i...]
        let mean = tail.reduce(0, +) / Double(tail.count)
        let n = tail.count, mid = i + n / 2
        let median = n % 2 == 1 ? eigenvalues[mid] : (eigenvalues[mid - 1] + eigenvalues[mid]) / 2
        if mean <= median { return mean }
    }
    return eigenvalues[r - 1]
}

/// The covariance (row-major `patch² × patch²`) of one channel's patches: all of them, or 2¹⁴
/// at positions drawn from a fixed seed when there are more. Random positions, not a regular
/// grid: a grid whose step divides a periodic texture's period (a tiled test image) reads the
/// same few patches over and over, whose covariance has no noise floor.
func patchCovariance(_ image: Image, channel c: Int, patch p: Int) -> [Double] {
    let ny = image.height - p + 1, nx = image.width - p + 1, r = p * p
    let limit = 1 << 14, all = ny * nx <= limit
    let count = all ? ny * nx : limit
    var rng = SeededRandom(seed: 0x7A7C4)
    var sum = [Double](repeating: 0, count: r), products = [Double](repeating: 0, count: r * r)
    var v = [Double](repeating: 0, count: r)
    image.withUnsafeBufferPointer { pixels in
        sum.withUnsafeMutableBufferPointer { s in products.withUnsafeMutableBufferPointer { q in v.withUnsafeMutableBufferPointer { v in
            let base = c * image.height * image.width, w = image.width
            for k in 0..<count {
                let position = all ? k : rng.integer(below: ny * nx)
                let y = position / nx, x = position % nx
                for dy in 0..<p {
                    for dx in 0..<p { v[dy * p + dx] = Double(pixels[base + (y + dy) * w + x + dx]) }
                }
                for a in 0..<r {
                    let va = v[a]
                    s[a] += va
                    for b in a..<r { q[a * r + b] += va * v[b] }
                }
            }
        } } }
    }
    let n = Double(count)
    for a in 0..<r {
        for b in a..<r {
            let cov = products[a * r + b] / n - sum[a] / n * (sum[b] / n)
            products[a * r + b] = cov; products[b * r + a] = cov
        }
    }
    return products
}

/// Eigenvalues of a symmetric `order × order` matrix (row-major) by cyclic Jacobi rotations,
/// accurate to the matrix's own rounding for the small, well-conditioned covariances here.
func symmetricEigenvalues(_ matrix: [Double], order n: Int) -> [Double] {
    var a = matrix
    let scale = a.reduce(0) { $0 + $1 * $1 }
    // A non-finite entry would never converge: report it rather than sweep 100 times.
    guard scale.isFinite else { return [Double](repeating: .nan, count: n) }
    guard scale > 0 else { return [Double](repeating: 0, count: n) }
    for _ in 0..<100 {
        var off = 0.0
        for i in 0..<n { for j in (i + 1)..<n { off += a[i * n + j] * a[i * n + j] } }
        if off <= 1e-30 * scale { break }
        for i in 0..<n {
            for j in (i + 1)..<n {
                let aij = a[i * n + j]
                if aij == 0 { continue }
                // The rotation that zeroes (i, j): t = tan θ, the smaller root of t² + 2θt − 1 = 0.
                let theta = (a[j * n + j] - a[i * n + i]) / (2 * aij)
                let t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
                let cs = 1 / (t * t + 1).squareRoot(), sn = t * cs
                for k in 0..<n {
                    let aki = a[k * n + i], akj = a[k * n + j]
                    a[k * n + i] = cs * aki - sn * akj; a[k * n + j] = sn * aki + cs * akj
                }
                for k in 0..<n {
                    let aik = a[i * n + k], ajk = a[j * n + k]
                    a[i * n + k] = cs * aik - sn * ajk; a[j * n + k] = sn * aik + cs * ajk
                }
            }
        }
    }
    return (0..<n).map { a[$0 * n + $0] }
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

/// Population variance of a plane (divided by n; Float64 accumulation).
func variance(_ plane: Image) -> Double {
    var s = 0.0, s2 = 0.0
    for v in plane.pixels { s += Double(v); s2 += Double(v) * Double(v) }
    let n = Double(max(1, plane.count))
    return max(0, s2 / n - (s / n) * (s / n))
}
