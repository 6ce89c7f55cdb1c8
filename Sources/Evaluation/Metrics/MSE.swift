import DeblurCore

/// Mean squared error between a reference and an image of the same geometry.
///
/// `MSE = (1 / N) Σᵢ (xᵢ − yᵢ)²` over all `N = channels · height · width` samples,
/// accumulated in Float64 in fixed chunks so the result does not depend on the core count.
///
/// - Parameters:
///   - reference: the ground truth (e.g. the sharp image), values nominally in [0, 1].
///   - image: the image scored against it; same channels, height and width.
/// - Returns: the MSE in squared data units (0 for identical images).
/// - Throws: `EvaluationError.sizeMismatch` when the geometries differ,
///   `EvaluationError.imageTooSmall` for empty images, `EvaluationError.invalidValue` naming
///   the image and the count of its NaN or infinite samples (which scored NaN or ∞).
///
/// MATLAB `immse(X, Y)`; scikit-image `metrics.mean_squared_error(x, y)`.
public func mse(_ reference: Image, _ image: Image) throws -> Double {
    try checkSameGeometry(reference, image)
    let error = sumOfSquaredDifferences(reference, image) / Double(reference.count)
    // Finite samples give a finite sum in Float64 (at most (2·3.4e38)² per sample), so only a
    // non-finite result needs the samples scanned: valid images pay nothing for the check.
    if !error.isFinite { try checkFinite(reference, image) }
    return error
}

/// Throws `EvaluationError.invalidValue` naming `reference` or `image` and the count of its NaN
/// and ±∞ samples: scored, one NaN made MSE, PSNR and SSIM NaN, one ∞ a PSNR of −∞.
func checkFinite(_ reference: Image, _ image: Image) throws {
    try checkFinite(reference, named: "reference")
    try checkFinite(image, named: "image")
}

/// Throws `EvaluationError.invalidValue` naming the image as `name` ("image ds/blurred/000001.tif")
/// with the count of its NaN and ±∞ samples, when it has any.
public func checkFinite(_ image: Image, named name: String) throws {
    let bad = image.nonFiniteCount
    guard bad == 0 else {
        throw EvaluationError.invalidValue(name: name, value: "with \(bad) NaN or infinite sample\(bad == 1 ? "" : "s")", expected: "finite values")
    }
}

/// Throws unless both images have the same channels, height and width and are not empty.
func checkSameGeometry(_ reference: Image, _ image: Image, what: String = "image") throws {
    guard reference.channels == image.channels, reference.height == image.height, reference.width == image.width else {
        throw EvaluationError.sizeMismatch(what: what, expected: geometry(reference) + " (the reference)", actual: geometry(image))
    }
    guard !reference.isEmpty else {
        throw EvaluationError.imageTooSmall(what: what, size: geometry(reference), needed: "1 pixel")
    }
}

/// Σ (xᵢ − yᵢ)² in Float64, split into fixed 64 Ki-sample chunks summed in order, so both
/// cores stream the images (the cost is memory bandwidth) and the result is reproducible.
func sumOfSquaredDifferences(_ a: Image, _ b: Image) -> Double {
    let n = a.count
    let chunk = 1 << 16
    let chunks = (n + chunk - 1) / chunk
    var partial = [Double](repeating: 0, count: chunks)
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            partial.withUnsafeMutableBufferPointer { out in
                let threads = n >= 1 << 18 ? ProcessorInfo.cores : 1
                parallelFor(chunks, threads: threads) { k in
                    let start = k * chunk, end = min(n, start + chunk)
                    // Four independent accumulators let the loop vectorize without reassociation.
                    var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
                    var i = start
                    while i + 4 <= end {
                        // Subtract in Float64: a Float32 difference would round before squaring.
                        let d0 = Double(pa[i]) - Double(pb[i]), d1 = Double(pa[i + 1]) - Double(pb[i + 1])
                        let d2 = Double(pa[i + 2]) - Double(pb[i + 2]), d3 = Double(pa[i + 3]) - Double(pb[i + 3])
                        s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3
                        i += 4
                    }
                    while i < end { let d = Double(pa[i]) - Double(pb[i]); s0 += d * d; i += 1 }
                    out[k] = (s0 + s1) + (s2 + s3)
                }
            }
        }
    }
    return partial.reduce(0, +)
}
