import DeblurCore

/// How a blur treats the image border.
public enum BlurBoundary: String, Sendable, CaseIterable, Codable {
    /// Periodic: the image wraps around.
    case circular
    /// Pad by half-sample symmetric reflection, convolve, crop.
    case reflect
    /// Pad by repeating the edge, convolve, crop.
    case replicate
    /// Only the fully covered part: output smaller by the PSF size − 1.
    case valid

    /// Throws the refusal `blur` gives a PSF of `psfHeight × psfWidth` that does not fit in an
    /// image of `imageHeight × imageWidth` for this boundary (only `valid` needs it to fit), from
    /// the sizes alone: a PSF file's header can be refused before its pixels are decoded.
    /// - Throws: `DeconvolutionError.invalidInput` naming both sizes.
    public func checkFits(psfHeight: Int, psfWidth: Int, imageHeight: Int, imageWidth: Int) throws {
        guard self != .valid || (imageHeight >= psfHeight && imageWidth >= psfWidth) else {
            throw DeconvolutionError.invalidInput("valid blur needs an image at least as large as the PSF: image \(imageHeight)×\(imageWidth), PSF \(psfHeight)×\(psfWidth)")
        }
    }

    /// The padding that turns this boundary into a `valid` convolution, or nil for `valid`.
    var padding: PaddingMode? {
        switch self {
        case .circular: return .circular
        case .reflect: return .reflect
        case .replicate: return .replicate
        case .valid: return nil
        }
    }
}

/// Convolves every channel of `image` with `psf`:
/// `y(p) = Σ_q h(q) x(p − q)`, the PSF's centre `(h/2, w/2)` at offset 0.
///
/// `circular`, `reflect` and `replicate` return an image of the input's size (MATLAB's
/// `imfilter(x, rot90(h, 2), 'circular' | 'symmetric' | 'replicate', 'conv')`); `valid`
/// returns the part that needs no samples outside the image, smaller by the PSF size − 1
/// (`conv2(x, h, 'valid')`, `scipy.signal.fftconvolve(x, h, mode='valid')`).
///
/// Every mode is computed as the `valid` convolution of the image padded by the PSF's
/// half-size in the boundary's padding mode, through FFTW real transforms at
/// `FFT.fastSize` sizes, or directly in space for PSFs of at most
/// `Convolver.directLimit` non-zero taps, where that is faster. Uses `FFT.threads` threads.
///
/// - Throws: `DeconvolutionError.invalidInput` for an empty image, NaN or infinite samples
///   (with their count), or for `valid` when the image is smaller than the PSF.
/// - Complexity: O(P·Q·log(P·Q)) per channel for the padded size P × Q.
public func blur(_ image: Image, psf: PSF, boundary: BlurBoundary) throws -> Image {
    try Convolver(threads: FFT.threads).blur(image, psf: psf, boundary: boundary)
}

/// A reusable convolution workspace: keeps its FFTW buffers between calls of the same size,
/// so a loop blurring many equally sized images allocates nothing but the results.
///
/// Not thread-safe: give each worker thread its own `Convolver` (with `threads: 1`).
public final class Convolver {
    /// PSFs with at most this many non-zero taps are convolved directly in space. The direct
    /// loop costs one multiply–add per non-zero tap and pixel, vectorized along rows (about
    /// 20 G multiply–adds/s on one core here), and skips zero taps, so sparse kernels such as
    /// motion lines and camera-shake trajectories are cheap; the FFT path costs three
    /// transforms of the padded size (≈ 3 ms for 288 × 288 on one core). The crossover at
    /// 256 × 256 is several hundred taps; 256 is a conservative choice.
    public static let directLimit = 256

    /// Threads used inside one convolution (FFTW's, or rows of the direct path).
    public let threads: Int
    /// PSFs with at most this many non-zero taps take the direct path (default `directLimit`).
    /// `Int.max` makes every result independent of FFTW's plan choice (FFTW_MEASURE picks
    /// plans by timing, and different plans round differently), so results are bit-for-bit
    /// reproducible: the dataset generator uses it.
    public var directTapLimit = Convolver.directLimit
    private var plan: FFTPlan2D?
    private var real: FFTBuffer?
    private var spectrum: FFTBuffer?
    private var kernelSpectrum: FFTBuffer?

    /// A workspace using `threads` threads per convolution (default `FFT.threads`).
    public init(threads: Int = FFT.threads) { self.threads = max(1, threads) }

    /// `blur(_:psf:boundary:)` through this workspace.
    public func blur(_ image: Image, psf: PSF, boundary: BlurBoundary) throws -> Image {
        guard !image.isEmpty else {
            throw DeconvolutionError.invalidInput("cannot blur an empty \(image.height)×\(image.width) image")
        }
        // Each NaN or ∞ would spread over a PSF-sized patch of the output (through the FFT path,
        // over more), a blurred image no method can restore; `deblur blur` refused it, Swift did not.
        let nonFinite = image.nonFiniteCount
        guard nonFinite == 0 else {
            throw DeconvolutionError.invalidInput("cannot blur an image with \(nonFinite) NaN or infinite sample\(nonFinite == 1 ? "" : "s"): expected finite values")
        }
        let source: Image
        if let mode = boundary.padding {
            source = image.padded(top: psf.centerY, bottom: psf.height - 1 - psf.centerY,
                                  left: psf.centerX, right: psf.width - 1 - psf.centerX, mode: mode)
        } else {
            try boundary.checkFits(psfHeight: psf.height, psfWidth: psf.width, imageHeight: image.height, imageWidth: image.width)
            source = image
        }
        return convolveValid(source, psf)
    }

    /// `conv2(x, h, 'valid')` for every channel.
    func convolveValid(_ input: Image, _ psf: PSF) -> Image {
        let kh = psf.height, kw = psf.width
        let oh = input.height - kh + 1, ow = input.width - kw + 1
        var output = Image(channels: input.channels, height: oh, width: ow)
        let nonZero = psf.image.pixels.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        if nonZero <= directTapLimit {
            convolveDirect(input, psf, into: &output)
        } else {
            convolveFFT(input, psf, into: &output)
        }
        return output
    }

    private func convolveDirect(_ input: Image, _ psf: PSF, into output: inout Image) {
        let kh = psf.height, kw = psf.width, ih = input.height, iw = input.width
        let oh = output.height, ow = output.width
        // The non-zero taps of the flipped kernel as (offset in the input, weight), so the
        // inner loop walks input rows forwards and skips the zeros of sparse kernels.
        var offsets = [Int](), weights = [Float]()
        psf.image.withUnsafeBufferPointer { k in
            for i in 0..<kh {
                for j in 0..<kw where k[(kh - 1 - i) * kw + (kw - 1 - j)] != 0 {
                    offsets.append(i * iw + j)
                    weights.append(k[(kh - 1 - i) * kw + (kw - 1 - j)])
                }
            }
        }
        let taps = offsets.count
        input.withUnsafeBufferPointer { src in
            offsets.withUnsafeBufferPointer { o in
                weights.withUnsafeBufferPointer { w in
                    output.withUnsafeMutableBufferPointer { dst in
                        let dstBase = dst.baseAddress!, srcBase = src.baseAddress!
                        parallelFor(input.channels * oh, threads: threads) { row in
                            let c = row / oh, y = row % oh
                            let out = dstBase + (c * oh + y) * ow
                            let line = srcBase + (c * ih + y) * iw
                            for x in 0..<ow { out[x] = 0 }
                            // Four taps per pass over the output row: a quarter of the loads
                            // and stores of the row, which dominate one tap per pass.
                            var t = 0
                            while t + 4 <= taps {
                                let s0 = line + o[t], s1 = line + o[t + 1], s2 = line + o[t + 2], s3 = line + o[t + 3]
                                let w0 = w[t], w1 = w[t + 1], w2 = w[t + 2], w3 = w[t + 3]
                                for x in 0..<ow { out[x] += w0 * s0[x] + w1 * s1[x] + w2 * s2[x] + w3 * s3[x] }
                                t += 4
                            }
                            while t < taps {
                                let s0 = line + o[t], w0 = w[t]
                                for x in 0..<ow { out[x] += w0 * s0[x] }
                                t += 1
                            }
                        }
                    }
                }
            }
        }
    }

    private func convolveFFT(_ input: Image, _ psf: PSF, into output: inout Image) {
        let ih = input.height, iw = input.width
        let kh = psf.height, kw = psf.width
        // Linear convolution needs no more than the input's size: wrap-around only reaches
        // the first kh − 1 rows and kw − 1 columns, which the valid part excludes.
        let ph = FFT.fastSize(ih), pw = FFT.fastSize(iw)
        let plan = preparePlan(height: ph, width: pw)
        let real = self.real!, spectrum = self.spectrum!, kernelSpectrum = self.kernelSpectrum!
        let r = real.pointer, s = spectrum.pointer, ks = kernelSpectrum.pointer

        // Kernel at the origin, not centred: output (y, x) of the valid part is then
        // circular sample (y + kh − 1, x + kw − 1).
        r.update(repeating: 0, count: ph * pw)
        psf.image.withUnsafeBufferPointer { k in
            for y in 0..<kh { for x in 0..<kw { r[y * pw + x] = k[y * kw + x] } }
        }
        plan.forward(real, kernelSpectrum)

        let scale = 1 / Float(ph * pw)
        let complexCount = plan.spectrumCount / 2
        let oh = output.height, ow = output.width
        input.withUnsafeBufferPointer { src in
            output.withUnsafeMutableBufferPointer { dst in
                for c in 0..<input.channels {
                    r.update(repeating: 0, count: ph * pw)
                    for y in 0..<ih {
                        (r + y * pw).update(from: src.baseAddress! + (c * ih + y) * iw, count: iw)
                    }
                    plan.forward(real, spectrum)
                    for i in 0..<complexCount {
                        let ar = s[2 * i], ai = s[2 * i + 1], br = ks[2 * i], bi = ks[2 * i + 1]
                        s[2 * i] = (ar * br - ai * bi) * scale
                        s[2 * i + 1] = (ar * bi + ai * br) * scale
                    }
                    plan.inverse(spectrum, real)
                    for y in 0..<oh {
                        let from = r + (y + kh - 1) * pw + (kw - 1)
                        (dst.baseAddress! + (c * oh + y) * ow).update(from: from, count: ow)
                    }
                }
            }
        }
    }

    private func preparePlan(height: Int, width: Int) -> FFTPlan2D {
        if let plan, plan.height == height, plan.width == width { return plan }
        let plan = FFT.plan(height: height, width: width, threads: threads)
        self.plan = plan
        real = plan.makeRealBuffer()
        spectrum = plan.makeSpectrumBuffer()
        kernelSpectrum = plan.makeSpectrumBuffer()
        return plan
    }
}
