import Testing
import DeblurCore
import _TestSupport
@testable import Deconvolution

@Suite struct NoiseEstimateTests {
    @Test func recoversTheSigmaOfWhiteGaussianNoiseOnABlurredScene() throws {
        let scene = naiveCircularConvolve(testScene(height: 128, width: 128, seed: 9), boxPSF(5))
        for sigma in [0.005, 0.02, 0.05] {
            var rng = SeededRandom(seed: 77)
            var noisy = scene
            for i in noisy.pixels.indices { noisy.pixels[i] += Float(rng.gaussian(mean: 0, sigma: sigma)) }
            let estimate = estimateNoiseSigma(noisy)
            #expect(abs(estimate - sigma) / sigma < 0.1, "σ \(sigma) estimated as \(estimate)")
        }
    }

    @Test func noiseFreeSmoothImageGivesNearZero() {
        let ramp = Image(height: 32, width: 32) { _, y, x in Float(x + y) / 64 }
        #expect(estimateNoiseSigma(ramp) < 1e-6)
    }

    @Test func haarDiagonalOfAKnownPatternIsExact() {
        // A checkerboard of ±a has every diagonal coefficient (a + a + a + a) / 2 = 2a.
        let a: Float = 0.01
        let board = Image(height: 8, width: 8) { _, y, x in (x + y) % 2 == 0 ? a : -a }
        #expect(abs(estimateNoiseSigma(board) - Double(2 * a) / 0.6745) < 1e-6)
    }
}
