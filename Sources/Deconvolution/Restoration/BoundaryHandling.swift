import DeblurCore
import Foundation

/// How a restorer treats the border of the observed image, which real data never makes
/// periodic (the common failure of naive FFT deconvolution: ringing from the edges).
///
/// | mode | working domain | MATLAB / scikit-image |
/// | --- | --- | --- |
/// | `circular` | the image itself, taken as periodic | `deconvwnr(I, psf, nsr)` on raw data; `skimage.restoration.wiener` |
/// | `reflect` | the image padded by half-sample symmetric reflection (at least the PSF size on each side) to a fast FFT size; the result is cropped | `padarray(I, m, 'symmetric')` before deconvolving |
/// | `taper` | the image with its borders blended into a blurred copy, taken as periodic | `deconvwnr(edgetaper(I, psf), psf, nsr)` |
/// | `masked` | the image extended by the PSF size − 1; the data term covers the observed window only (iterative for every method: RL's `Hᵀ M` normalization, CG on the masked normal equations for Wiener/Tikhonov, ADMM on `u = k ⊛ x` for the hyper-Laplacian) | DeconvolutionLab2's boundary-free RL; Bertero & Boccacci (2005); Reeves (2005); Almeida & Figueiredo (2013) |
///
/// `masked` is the exact model of `valid`-protocol data (the observation is the valid part of
/// a convolution of a larger scene): no border assumption is made at all. It is every
/// method's default.
///
/// References: M. Bertero, P. Boccacci, "A simple method for the reduction of boundary effects
/// in the Richardson–Lucy approach to image deconvolution", A&A 437, 2005; S. J. Reeves, "Fast
/// image restoration without boundary artifacts", IEEE TIP 14(10), 2005; M. S. C. Almeida,
/// M. A. T. Figueiredo, "Deconvolving images with unknown boundaries using the alternating
/// direction method of multipliers", IEEE TIP 22(8), 2013.
public enum BoundaryHandling: String, Sendable, CaseIterable, Codable {
    case circular, reflect, taper, masked
}

extension PSF {
    /// Throws the refusal every restorer (and `edgeTapered`) gives a PSF of `height × width`
    /// larger than an image of `imageHeight × imageWidth`, from the two sizes alone: like
    /// `PSF.checkSize`, it lets a PSF file's header be refused before its pixels are decoded.
    /// - Throws: `DeconvolutionError.invalidInput` naming both sizes.
    public static func checkFits(height: Int, width: Int, imageHeight: Int, imageWidth: Int) throws {
        guard height <= imageHeight && width <= imageWidth else {
            throw DeconvolutionError.invalidInput(
                "PSF of \(height)×\(width) is larger than the image of \(imageHeight)×\(imageWidth): expected a PSF no larger than the image")
        }
    }
}

/// The working domain of one restoration: the padded FFT size and where the observed window
/// sits inside it. Internal: each restorer builds one per call and reuses it for every channel.
struct RestorationDomain {
    /// Observed image size.
    let height: Int, width: Int
    /// FFT size of the working domain.
    let paddedHeight: Int, paddedWidth: Int
    /// Offset of the observed window inside the working domain.
    let top: Int, left: Int
    let boundary: BoundaryHandling

    var paddedCount: Int { paddedHeight * paddedWidth }

    /// The domain for an observation of `height × width` deconvolved by `psf`.
    /// - Throws: `DeconvolutionError.invalidInput` when the PSF is larger than the image.
    init(height: Int, width: Int, psf: PSF, boundary: BoundaryHandling) throws {
        try PSF.checkFits(height: psf.height, width: psf.width, imageHeight: height, imageWidth: width)
        self.height = height
        self.width = width
        self.boundary = boundary
        switch boundary {
        case .circular, .taper:
            // MATLAB's convention: the FFT size is the image size (FFTW handles any size).
            paddedHeight = height; paddedWidth = width; top = 0; left = 0
        case .reflect:
            // At least a PSF size of reflection on each side, so the seam where the padded
            // domain wraps around lies a full PSF width away from every observed pixel.
            paddedHeight = FFT.preferredSize(height + 2 * psf.height)
            paddedWidth = FFT.preferredSize(width + 2 * psf.width)
            top = (paddedHeight - height) / 2
            left = (paddedWidth - width) / 2
        case .masked:
            // The unknown scene covers the observation extended by the PSF radius on each
            // side; any larger FFT domain only adds pixels no observation depends on.
            paddedHeight = FFT.preferredSize(height + psf.height - 1)
            paddedWidth = FFT.preferredSize(width + psf.width - 1)
            top = psf.centerY
            left = psf.centerX
        }
    }

    /// Writes the observed `plane` into `buffer` (`paddedCount` floats) at the window,
    /// extended by reflection for `reflect` (or when `extend` says so) and by zeros otherwise.
    ///
    /// For `reflect` the reflection fades (raised cosine) to the plane's mean towards the middle
    /// of the padding, where the domain wraps around: a plain reflection leaves a jump at that
    /// seam, and a weakly regularized inverse spreads its ringing over the whole image.
    func embed(_ plane: UnsafeBufferPointer<Float>, into buffer: UnsafeMutablePointer<Float>, extend: Bool? = nil,
               rowStride: Int? = nil) {
        let pw = paddedWidth, w = width, h = height, t = top, l = left, stride = rowStride ?? paddedWidth
        let extend = extend ?? (boundary == .reflect)
        let fade = extend && boundary == .reflect
        var mean: Float = 0
        if fade {
            // Row sums on both cores (a serial pass over the plane was ~8 % of a 1024² Wiener).
            var rowSums = [Double](repeating: 0, count: h)
            rowSums.withUnsafeMutableBufferPointer { sums in
                parallelFor(h) { y in
                    var rowSum: Double = 0
                    for v in UnsafeBufferPointer(rebasing: plane[y * w ..< (y + 1) * w]) { rowSum += Double(v) }
                    sums[y] = rowSum
                }
            }
            mean = Float(rowSums.reduce(0, +) / Double(max(1, plane.count)))
        }
        let rowWeights = fade ? Self.fadeWeights(length: paddedHeight, start: t, count: h) : []
        let columnWeights = fade ? Self.fadeWeights(length: pw, start: l, count: w) : []
        parallelFor(paddedHeight) { py in
            let row = buffer + py * stride
            let sy = extend ? PaddingMode.reflect.sourceIndex(py - t, count: h) : (py - t >= 0 && py - t < h ? py - t : nil)
            guard let sy else {
                row.update(repeating: 0, count: pw)
                return
            }
            let src = plane.baseAddress! + sy * w
            // The window is a plain copy; only the padding columns need the reflection
            // (and the fade: every weight inside the window is 1).
            let lo = min(max(l, 0), pw), hi = min(max(l + w, lo), pw)
            (row + lo).update(from: src + (lo - l), count: hi - lo)
            @inline(__always) func pad(_ px: Int) {
                if extend, let sx = PaddingMode.reflect.sourceIndex(px - l, count: w) {
                    row[px] = src[sx]
                } else {
                    row[px] = 0
                }
            }
            for px in 0..<lo { pad(px) }
            for px in hi..<pw { pad(px) }
            if fade {
                let wy = rowWeights[py]
                @inline(__always) func blend(_ px: Int) {
                    let weight = wy * columnWeights[px]
                    if weight < 1 { row[px] = mean + weight * (row[px] - mean) }
                }
                if wy < 1 {
                    for px in 0..<pw { blend(px) }
                } else {
                    for px in 0..<lo { blend(px) }
                    for px in hi..<pw { blend(px) }
                }
            }
        }
    }

    /// 1 on the window `start ..< start + count`, falling as a raised cosine to 0 at the middle
    /// of the padding on each side (the periodic seam).
    static func fadeWeights(length: Int, start: Int, count: Int) -> [Float] {
        let padding = length - count
        guard padding > 0 else { return [Float](repeating: 1, count: length) }
        // Distance from the window, measured around the periodic domain.
        let half = Double(padding) / 2
        return (0..<length).map { i -> Float in
            if i >= start && i < start + count { return 1 }
            let after = i >= start + count ? i - (start + count) + 1 : i + length - (start + count) + 1
            let before = i < start ? start - i : start + length - i
            let distance = Double(min(after, before))
            return Float(0.5 * (1 + cos(Double.pi * min(distance / (half + 0.5), 1))))
        }
    }

    /// Copies the observed window of `buffer` into `plane` (`height · width` floats).
    func extract(_ buffer: UnsafePointer<Float>, into plane: UnsafeMutablePointer<Float>, rowStride: Int? = nil) {
        let stride = rowStride ?? paddedWidth, w = width, t = top, l = left
        for y in 0..<height {
            (plane + y * w).update(from: buffer + (t + y) * stride + l, count: w)
        }
    }
}

extension Image {
    /// Throws unless every sample is finite: NaN or ±∞ would silently spread over the whole
    /// image through the FFT.
    func requireFinite(_ what: String = "image") throws {
        guard isFinite else {
            throw DeconvolutionError.invalidInput("the \(what) contains NaN or infinite samples: expected finite values")
        }
    }
}
