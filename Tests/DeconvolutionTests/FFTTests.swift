import Testing
import DeblurCore
import _TestSupport
@testable import Deconvolution
import Foundation

@Suite struct FFTTests {
    /// Training sets made item by item run in `FFT.serially`; their plans are single-threaded.
    @Test func threadsReadOneInASerialRegion() {
        #expect(FFT.serially { FFT.threads } == 1)
    }

    @Test func fastSizeIsTheSmallestSevenSmoothSizeAtLeastN() {
        func smooth(_ n: Int) -> Bool { var m = n; for p in [2, 3, 5, 7] { while m % p == 0 { m /= p } }; return m == 1 }
        for n in 1...300 {
            let f = FFT.fastSize(n)
            #expect(f >= n && smooth(f))
            #expect((n..<f).allSatisfy { !smooth($0) })
        }
        #expect(FFT.fastSize(1038) == 1050 && FFT.fastSize(2078) == 2100 && FFT.fastSize(1024) == 1024)
    }

    @Test func preferredSizeIsTheSevenSmoothSizeRichestInTwosWithinASixteenth() {
        func smooth(_ n: Int) -> Bool { var m = n; for p in [2, 3, 5, 7] { while m % p == 0 { m /= p } }; return m == 1 }
        for n in 16...600 {
            let p = FFT.preferredSize(n)
            #expect(p >= n && smooth(p))
            #expect(p <= max(FFT.fastSize(n), n + n / 16))
            for m in n...(n + n / 16) where smooth(m) {
                #expect(m.trailingZeroBitCount <= p.trailingZeroBitCount)
            }
        }
        #expect(FFT.preferredSize(1038) == 1080 && FFT.preferredSize(2078) == 2160 && FFT.preferredSize(1024) == 1024)
    }

    @Test func forwardMatchesANaiveDFTAndInverseRoundTrips() {
        let h = 6, w = 7
        let image = randomImage(height: h, width: w, seed: 3)
        let plan = FFT.plan(height: h, width: w)
        let real = plan.makeRealBuffer(), spectrum = plan.makeSpectrumBuffer()
        image.withUnsafeBufferPointer { real.pointer.update(from: $0.baseAddress!, count: h * w) }
        plan.forward(real, spectrum)
        for u in 0..<h {
            for v in 0..<plan.spectrumWidth {
                var re = 0.0, im = 0.0
                for y in 0..<h {
                    for x in 0..<w {
                        let phase = -2 * Double.pi * (Double(u * y) / Double(h) + Double(v * x) / Double(w))
                        re += Double(image[y, x]) * cos(phase); im += Double(image[y, x]) * sin(phase)
                    }
                }
                let i = 2 * (u * plan.spectrumWidth + v)
                #expect(abs(Double(spectrum.pointer[i]) - re) < 1e-4 && abs(Double(spectrum.pointer[i + 1]) - im) < 1e-4)
            }
        }
        plan.inverse(spectrum, real)
        for i in 0..<h * w { #expect(abs(real.pointer[i] / Float(h * w) - image.pixels[i]) < 1e-5) }
    }

    @Test(arguments: [(6, 7), (8, 10), (1, 5), (9, 1)])
    func inPlaceTransformsEqualTheOutOfPlacePairWithPaddedRows(h: Int, w: Int) {
        let image = randomImage(height: h, width: w, seed: 5)
        let plan = FFT.plan(height: h, width: w), inPlace = FFT.inPlacePlan(height: h, width: w)
        #expect(inPlace.rowStride == 2 * (w / 2 + 1) && inPlace.count == plan.spectrumCount)
        #expect(FFT.inPlacePlan(height: h, width: w) === inPlace)  // cached per size, like the out-of-place pair
        let real = plan.makeRealBuffer(), spectrum = plan.makeSpectrumBuffer(), buffer = inPlace.makeBuffer()
        image.withUnsafeBufferPointer { real.pointer.update(from: $0.baseAddress!, count: h * w) }
        for y in 0..<h {
            for x in 0..<w { buffer.pointer[y * inPlace.rowStride + x] = image[y, x] }
            // The padding floats of each row are not part of the image: FFTW must ignore them.
            for x in w..<inPlace.rowStride { buffer.pointer[y * inPlace.rowStride + x] = .nan }
        }
        plan.forward(real, spectrum)
        inPlace.forward(buffer)
        #expect(maxAbsDifference(Array(buffer.buffer), Array(spectrum.buffer)) < 1e-5)
        inPlace.inverse(buffer)
        for y in 0..<h {
            for x in 0..<w { #expect(abs(buffer.pointer[y * inPlace.rowStride + x] / Float(h * w) - image[y, x]) < 1e-5) }
        }
    }

    @Test func otfProductEqualsNaiveCircularConvolution() {
        let image = randomImage(height: 12, width: 9, seed: 4)
        let psf = asymmetricPSF()
        var fast = image.pixels
        fast.withUnsafeMutableBufferPointer { circularConvolve($0.baseAddress!, height: 12, width: 9, psf: psf) }
        #expect(maxAbsDifference(fast, naiveCircularConvolve(image, psf).pixels) < 1e-5)
    }

    @Test func plansAreCachedPerSize() {
        #expect(FFT.plan(height: 10, width: 14) === FFT.plan(height: 10, width: 14))
        #expect(FFT.plan(height: 10, width: 14) !== FFT.plan(height: 14, width: 10))
    }

    @Test func wisdomRoundTripsThroughAFile() throws {
        _ = FFT.plan(height: 16, width: 18)
        let path = NSTemporaryDirectory() + "deblurkit-wisdom-\(getpid())/fftw-wisdom"
        #expect(FFT.exportWisdom(to: path))
        #expect(FFT.importWisdom(from: path))
        #expect(!FFT.importWisdom(from: path + ".missing"))
        try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
    }
}
