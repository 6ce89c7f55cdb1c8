import Testing
import DeblurCore
import _TestSupport
@testable import Deconvolution
import Foundation

/// A hand-made motion-like PSF: a 13-pixel line at a shallow angle in a 15×15 box.
func lineMotionPSF() -> PSF {
    var k = Image(height: 15, width: 15)
    for t in 0..<13 { k[7 + (t - 6) / 3, 1 + t] += 1 }
    return try! PSF(k)
}

@Suite struct BoundaryHandlingTests {
    @Test func edgeTaperKeepsTheInteriorAndBlursTheOuterRing() throws {
        let image = testScene(height: 30, width: 34, seed: 2)
        let psf = boxPSF(5)
        let tapered = try edgeTapered(image, psf: psf)
        let blurred = naiveCircularConvolve(image, psf)
        // β vanishes at lags ≥ the PSF size: the interior is the image itself.
        #expect(maxAbsDifference(tapered.cropped(top: 5, left: 5, height: 20, width: 24),
                                 image.cropped(top: 5, left: 5, height: 20, width: 24)) < 1e-6)
        // β = 1 at lag 0: the first row and column are the circularly blurred copy.
        for x in 0..<34 { #expect(abs(tapered[0, x] - blurred[0, x]) < 1e-5) }
        for y in 0..<30 { #expect(abs(tapered[y, 0] - blurred[y, 0]) < 1e-5) }
        // In between it is a convex blend of the two.
        let a = tapered[2, 10], lo = min(image[2, 10], blurred[2, 10]), hi = max(image[2, 10], blurred[2, 10])
        #expect(a >= lo - 1e-6 && a <= hi + 1e-6)
    }

    @Test func reflectDomainPadsBeyondThePSFToAFastSizeAndRemovesTheSeam() throws {
        let plane = testScene(height: 21, width: 26, seed: 5)
        let domain = try RestorationDomain(height: 21, width: 26, psf: boxPSF(7), boundary: .reflect)
        #expect(domain.paddedHeight == FFT.fastSize(21 + 14) && domain.paddedWidth == FFT.fastSize(26 + 14))
        #expect(domain.top >= 7 && domain.left >= 7)
        var buffer = [Float](repeating: .nan, count: domain.paddedCount)
        buffer.withUnsafeMutableBufferPointer { b in plane.withUnsafeBufferPointer { domain.embed($0, into: b.baseAddress!) } }
        let padded = Image(height: domain.paddedHeight, width: domain.paddedWidth, pixels: buffer)
        #expect(maxAbsDifference(padded.cropped(top: domain.top, left: domain.left, height: 21, width: 26), plane) == 0)
        // The periodic wrap-around (last row to first row) is nearly continuous.
        let mean = plane.statistics().mean
        for x in 0..<domain.paddedWidth {
            #expect(abs(Double(padded[domain.paddedHeight - 1, x]) - mean) < 0.1)
            #expect(abs(Double(padded[0, x]) - mean) < 0.1)
        }
        let outside = domain.top - 1
        // Next to the window the padding follows the reflection (weight close to 1).
        #expect(abs(padded[outside, domain.left + 3] - plane[0, 3]) < 0.05)
    }

    @Test func maskedDomainCoversTheSceneOfAValidObservation() throws {
        let domain = try RestorationDomain(height: 40, width: 50, psf: lineMotionPSF(), boundary: .masked)
        #expect(domain.paddedHeight >= 40 + 14 && domain.paddedWidth >= 50 + 14)
        #expect(domain.top == 7 && domain.left == 7)
    }

    /// The default boundary handling of every method on `valid`-protocol data (the observation
    /// is the valid part of the blur of a larger scene): no border ringing, i.e. far above the
    /// circular assumption on noise-free data and never below it. Prints the PSNR of every mode (Docs/Methods.md quotes this table).
    @Test func defaultBoundariesBeatCircularOnValidProtocolData() throws {
        let scene = testScene(height: 160, width: 170, seed: 31)
        for (psfName, psf) in [("box 7×7", boxPSF(7)), ("line motion 15×15", lineMotionPSF())] {
            for sigma in [0.0, 0.01] {
                var observed = naiveValidConvolve(scene, psf)
                var rng = SeededRandom(seed: 1)
                for i in observed.pixels.indices { observed.pixels[i] += Float(rng.gaussian(mean: 0, sigma: sigma)) }
                let truth = scene.cropped(top: psf.centerY, left: psf.centerX, height: observed.height, width: observed.width)
                var table = "valid protocol, \(psfName), σ = \(sigma): blurred \(String(format: "%.2f", psnr(observed, truth))) dB"
                let methods: [(String, (BoundaryHandling) -> any Restorer, any Restorer)] = [
                    ("wiener nsr=0.01", { Wiener(nsr: 0.01, boundary: $0) }, Wiener(nsr: 0.01)),
                    ("wiener nsr=auto", { Wiener(noiseToSignal: .automatic, boundary: $0) }, Wiener(noiseToSignal: .automatic)),
                    ("tikhonov λ=0.002", { Tikhonov(lambda: 0.002, boundary: $0) }, Tikhonov(lambda: 0.002)),
                    ("hyper-laplacian", { HyperLaplacian(boundary: $0) }, HyperLaplacian()),
                    ("rl 30", { RichardsonLucy(iterations: 30, boundary: $0) }, RichardsonLucy(iterations: 30)),
                ]
                for (label, make, byDefault) in methods {
                    table += "\n  \(label):"
                    var circular = 0.0
                    for mode in BoundaryHandling.allCases {
                        guard let restored = try? make(mode).restore(observed, psf: psf) else { table += " \(mode.rawValue) n/a"; continue }
                        let value = psnr(restored, truth)
                        if mode == .circular { circular = value }
                        table += " \(mode.rawValue) \(String(format: "%.2f", value))"
                    }
                    let defaultPSNR = psnr(try byDefault.restore(observed, psf: psf), truth)
                    // Noise-free, border ringing dominates the circular error; with noise a strongly
                    // regularized method hides it, but the default must never be worse.
                    #expect(defaultPSNR > circular + (sigma == 0 ? 3 : 0), "\(label) on \(psfName) σ \(sigma)")
                }
                print(table)
            }
        }
    }
}
