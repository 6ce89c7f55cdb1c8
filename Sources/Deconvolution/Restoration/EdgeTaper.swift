import DeblurCore

/// Blends the borders of `image` into a circularly blurred copy of itself, so that a
/// periodic deconvolution sees no jump at the wrap-around: MATLAB's `edgetaper(I, psf)`.
///
///     J = clamp(α · I + (1 − α) · (I ⊛ k), min I, max I),   α(y, x) = (1 − βᵧ(y)) · (1 − βₓ(x)),
///
/// where βₙ is the circular autocorrelation of the PSF's projection on axis n at the image's
/// length − 1, normalized to 1 at lag 0, with its lag-0 value repeated at the end (edgetaper's
/// `z([1:end 1])`): α is symmetric, J equals the blurred copy on all four outermost rows and
/// columns and the image itself once a PSF width inside. An axis along which the PSF is one
/// pixel wide is not tapered, and the result stays within the image's range (over all
/// channels), as in MATLAB. Color images are tapered per channel.
///
/// - Parameters:
///   - image: the blurred observation (any channel count), at least as large as the PSF.
///   - psf: the blur kernel.
/// - Returns: the tapered image, same geometry.
/// - Throws: `DeconvolutionError.invalidInput` when the PSF is larger than the image or the
///   image has NaN or infinite samples.
///
/// Reference: MATLAB Image Processing Toolbox, `edgetaper`; R. L. Lagendijk, J. Biemond,
/// "Iterative Identification and Restoration of Images", 1991.
public func edgeTapered(_ image: Image, psf: PSF) throws -> Image {
    try PSF.checkFits(height: psf.height, width: psf.width, imageHeight: image.height, imageWidth: image.width)
    // One NaN made the clamping range NaN, and with it every sample of every channel.
    try image.requireFinite()
    let h = image.height, w = image.width
    var rowProjection = [Double](repeating: 0, count: psf.height)
    var columnProjection = [Double](repeating: 0, count: psf.width)
    for y in 0..<psf.height {
        for x in 0..<psf.width {
            rowProjection[y] += Double(psf[y, x]); columnProjection[x] += Double(psf[y, x])
        }
    }
    let alphaY = taperWeights(rowProjection, length: h)
    let alphaX = taperWeights(columnProjection, length: w)
    let low = image.pixels.min() ?? 0, high = image.pixels.max() ?? 0
    var out = image
    var blurred = [Float](repeating: 0, count: h * w)
    out.withUnsafeMutableBufferPointer { pixels in
        for c in 0..<image.channels {
            let plane = pixels.baseAddress! + c * h * w
            blurred.withUnsafeMutableBufferPointer { b in
                b.baseAddress!.update(from: plane, count: h * w)
                circularConvolve(b.baseAddress!, height: h, width: w, psf: psf)
                for y in 0..<h {
                    for x in 0..<w {
                        let a = alphaY[y] * alphaX[x], i = y * w + x
                        plane[i] = min(max(a * plane[i] + (1 - a) * b[i], low), high)
                    }
                }
            }
        }
    }
    return out
}

/// `1 − β(i)` for i in 0..<length: β the circular autocorrelation of `projection` at
/// length − 1 (longer projections truncated, as `fftn(PSFproj, length − 1)` does), normalized
/// to 1 at lag 0, then its lag-0 value appended, so both ends weigh 0. A period of `length`
/// instead left the last row or column at 1 − β(1), most of the original image, and the seam
/// across the wrap-around in place. A projection of one sample tapers nothing.
private func taperWeights(_ projection: [Double], length: Int) -> [Float] {
    guard projection.count > 1 else { return [Float](repeating: 1, count: length) }
    // The PSF fits in the image, so length ≥ 2 here.
    let period = length - 1
    let p = Array(projection.prefix(period))
    var z = [Double](repeating: 0, count: length)
    for lag in 0..<period {
        var s = 0.0
        for i in p.indices {
            let j = (i + lag) % period
            if j < p.count { s += p[i] * p[j] }
        }
        z[lag] = s
    }
    z[period] = z[0]
    let peak = z.max() ?? 0
    return z.map { Float(1 - (peak > 0 ? $0 / peak : 0)) }
}
