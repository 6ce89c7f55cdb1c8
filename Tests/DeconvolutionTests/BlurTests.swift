import Testing
import DeblurCore
import _TestSupport
@testable import Deconvolution

/// The naive definition: `y(p) = Σ_q h(q) x(p − q)` with the PSF centre at offset 0 and
/// samples outside the image taken from `mode`; `valid` keeps only fully covered outputs.
func naiveBlur(_ image: Image, _ psf: PSF, _ boundary: BlurBoundary) -> Image {
    let kh = psf.height, kw = psf.width, cy = psf.centerY, cx = psf.centerX
    let valid = boundary == .valid
    let oh = valid ? image.height - kh + 1 : image.height
    let ow = valid ? image.width - kw + 1 : image.width
    let mode: PaddingMode = boundary == .circular ? .circular : boundary == .replicate ? .replicate : .reflect
    return Image(channels: image.channels, height: oh, width: ow) { c, y, x in
        var sum = 0.0
        for i in 0..<kh {
            for j in 0..<kw {
                // Output (y, x) of `valid` sits at input (y + cy, x + cx).
                let py = (valid ? y + cy : y) + cy - i, px = (valid ? x + cx : x) + cx - j
                let sy = mode.sourceIndex(py, count: image.height)!, sx = mode.sourceIndex(px, count: image.width)!
                sum += Double(psf[i, j]) * Double(image[c, sy, sx])
            }
        }
        return Float(sum)
    }
}

@Suite struct BlurTests {
    @Test(arguments: BlurBoundary.allCases)
    func fftPathMatchesNaiveConvolution(boundary: BlurBoundary) throws {
        let image = randomImage(channels: 2, height: 37, width: 29, seed: 1)
        let psf = try PSF(randomImage(height: 17, width: 19, seed: 2))  // 323 non-zero taps: FFT path
        let out = try blur(image, psf: psf, boundary: boundary)
        let expected = naiveBlur(image, psf, boundary)
        #expect(out.channels == 2 && out.height == expected.height && out.width == expected.width)
        #expect(maxAbsDifference(out, expected) < 1e-5)
    }

    @Test(arguments: BlurBoundary.allCases)
    func directPathMatchesNaiveConvolution(boundary: BlurBoundary) throws {
        let image = randomImage(height: 20, width: 23, seed: 3)
        let psf = try PSF(randomImage(height: 3, width: 5, seed: 4))  // 15 taps, asymmetric
        let out = try blur(image, psf: psf, boundary: boundary)
        #expect(maxAbsDifference(out, naiveBlur(image, psf, boundary)) < 1e-5)
    }

    @Test func psfLargerThanTheImageWrapsForCircularAndMirrorsForReflect() throws {
        let image = randomImage(height: 6, width: 5, seed: 5)
        let psf = try PSF.gaussian(sigma: 2)  // 13 × 13
        for limit in [0, Int.max] {  // both paths
            let convolver = Convolver(threads: 1)
            convolver.directTapLimit = limit
            for boundary in [BlurBoundary.circular, .reflect, .replicate] {
                #expect(maxAbsDifference(try convolver.blur(image, psf: psf, boundary: boundary), naiveBlur(image, psf, boundary)) < 1e-5)
            }
        }
    }

    @Test func aShiftedDeltaShiftsTheImage() throws {
        // A PSF with all mass one pixel right of centre moves the content one pixel right.
        var k = Image(height: 7, width: 7)
        k[3, 4] = 1
        let image = randomImage(height: 16, width: 16, seed: 6)
        let out = try blur(image, psf: try PSF(k), boundary: .circular)
        for y in 0..<16 { for x in 0..<16 { #expect(out[y, x] == image[y, (x + 15) % 16] || abs(out[y, x] - image[y, (x + 15) % 16]) < 1e-6) } }
    }

    @Test func directAndFFTPathsAgreeOnASparseTrajectoryKernel() throws {
        let image = randomImage(height: 40, width: 36, seed: 8)
        let psf = try PSF.trajectory(size: 15, seed: 3)
        let direct = Convolver(threads: 1), fft = Convolver(threads: 1)
        direct.directTapLimit = .max
        fft.directTapLimit = 0
        for boundary in BlurBoundary.allCases {
            #expect(maxAbsDifference(try direct.blur(image, psf: psf, boundary: boundary), try fft.blur(image, psf: psf, boundary: boundary)) < 1e-5)
        }
    }

    @Test func convolverReusesBuffersAcrossSizesAndGivesTheSameResult() throws {
        let convolver = Convolver(threads: 1)
        let psf = try PSF.gaussian(sigma: 3)  // 19 × 19 dense: FFT path
        for (h, w) in [(30, 30), (41, 35), (30, 30)] {
            let image = randomImage(height: h, width: w, seed: UInt64(h * w))
            #expect(try convolver.blur(image, psf: psf, boundary: .valid) == (try blur(image, psf: psf, boundary: .valid)))
        }
    }

    @Test func validOnAnImageSmallerThanThePSFIsATypedError() throws {
        let psf = try PSF.gaussian(sigma: 2)
        #expect(throws: DeconvolutionError.self) { try blur(Image(height: 10, width: 40), psf: psf, boundary: .valid) }
        #expect(throws: DeconvolutionError.self) { try blur(Image(height: 0, width: 0), psf: psf, boundary: .circular) }
    }

    /// A NaN or ∞ spread over a PSF-sized patch of the output (225 NaN from one on the FFT
    /// path, with a 15 × 15 Gaussian), returned with no error from Swift while `deblur blur`
    /// refused the file. Every boundary, both paths, and a reused `Convolver` refuse it now.
    @Test(arguments: BlurBoundary.allCases, [Float.nan, -.infinity])
    func nonFiniteSamplesAreRefusedWithTheirCount(boundary: BlurBoundary, bad: Float) throws {
        var image = Image(height: 32, width: 32, value: 0.5)
        image[3, 4] = bad; image[20, 9] = bad
        let expected = DeconvolutionError.invalidInput("cannot blur an image with 2 NaN or infinite samples: expected finite values")
        for psf in [try PSF.gaussian(sigma: 2.3), try PSF.motion(length: 5, angleDegrees: 0)] {
            #expect(throws: expected) { try blur(image, psf: psf, boundary: boundary) }
            #expect(throws: expected) { try Convolver(threads: 1).blur(image, psf: psf, boundary: boundary) }
        }
    }
}
