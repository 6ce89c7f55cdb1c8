import DeblurCore

/// Blends the borders of `image` into a circularly blurred copy of itself, so that a
/// periodic deconvolution sees no jump at the wrap-around (MATLAB's `edgetaper(I, psf)`).
///
///     J = α · I + (1 − α) · (I ⊛ k),   α(y, x) = (1 − βᵧ(y)) · (1 − βₓ(x)),
///
/// where βₙ is the circular autocorrelation of the PSF's projection on axis n, normalized
/// to 1 at lag 0: J equals the blurred copy on the outermost rows and columns and the
/// image itself once a PSF width inside. Color images are tapered per channel.
///
/// - Parameters:
///   - image: the blurred observation (any channel count), at least as large as the PSF.
///   - psf: the blur kernel.
/// - Returns: the tapered image, same geometry.
/// - Throws: `DeconvolutionError.invalidInput` when the PSF is larger than the image.
///
/// Reference: MATLAB Image Processing Toolbox, `edgetaper`; R. L. Lagendijk, J. Biemond,
/// "Iterative Identification and Restoration of Images", 1991.
public func edgeTapered(_ image: Image, psf: PSF) throws -> Image {
    guard psf.height <= image.height && psf.width <= image.width else {
        throw DeconvolutionError.invalidInput(
            "PSF of \(psf.height)×\(psf.width) is larger than the image of \(image.height)×\(image.width): expected a PSF no larger than the image")
    }
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
                        plane[i] = a * plane[i] + (1 - a) * b[i]
                    }
                }
            }
        }
    }
    return out
}

/// `1 − β(i)` for i in 0..<length, β the circular autocorrelation of `projection` at that
/// length, normalized to 1 at lag 0.
private func taperWeights(_ projection: [Double], length: Int) -> [Float] {
    var z = [Double](repeating: 0, count: length)
    for lag in 0..<length {
        var s = 0.0
        for i in projection.indices {
            let j = (i + lag) % length
            if j < projection.count { s += projection[i] * projection[j] }
        }
        z[lag] = s
    }
    let peak = z[0] > 0 ? z[0] : 1
    return z.map { Float(1 - $0 / peak) }
}
