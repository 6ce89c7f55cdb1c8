import Testing
import DeblurCore
import _TestSupport
@testable import Deconvolution
import Foundation

@Suite struct FFTTests {
    @Test func fastSizeIsTheSmallestSevenSmoothSizeAtLeastN() {
        func smooth(_ n: Int) -> Bool { var m = n; for p in [2, 3, 5, 7] { while m % p == 0 { m /= p } }; return m == 1 }
        for n in 1...300 {
            let f = FFT.fastSize(n)
            #expect(f >= n && smooth(f))
            #expect((n..<f).allSatisfy { !smooth($0) })
        }
        #expect(FFT.fastSize(1038) == 1050 && FFT.fastSize(2078) == 2100 && FFT.fastSize(1024) == 1024)
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
