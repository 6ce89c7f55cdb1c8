import Testing
import Foundation
import DeblurCore
import _TestSupport
@testable import Deconvolution

@Suite struct NoiseEstimateTests {
    /// The two estimators, each with the relative error it must stay within on a blurred scene.
    enum Estimator: CaseIterable {
        case haarMedian, patchCovariance
        func callAsFunction(_ image: Image) -> Double {
            self == .haarMedian ? estimateNoiseSigma(image) : estimatePatchNoiseSigma(image)
        }
        var tolerance: Double { self == .haarMedian ? 0.1 : 0.04 }
        var noiseSeed: UInt64 { self == .haarMedian ? 77 : 78 }
    }

    @Test(arguments: Estimator.allCases)
    func recoversTheSigmaOfWhiteGaussianNoiseOnABlurredScene(_ estimator: Estimator) throws {
        let scene = naiveCircularConvolve(testScene(height: 128, width: 128, seed: 9), boxPSF(5))
        for sigma in [0.005, 0.02, 0.05] {
            var rng = SeededRandom(seed: estimator.noiseSeed)
            var noisy = scene
            for i in noisy.pixels.indices { noisy.pixels[i] += Float(rng.gaussian(mean: 0, sigma: sigma)) }
            let estimate = estimator(noisy)
            #expect(abs(estimate - sigma) / sigma < estimator.tolerance, "σ \(sigma) estimated as \(estimate)")
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

    @Test func patchEstimatorIgnoresFineTextureThatTheHaarMedianTakesForNoise() {
        // A sharp scene with a fine oriented texture: its diagonal Haar band is large
        // everywhere, but the texture lives in two patch eigenvectors only.
        let sigma = 0.01
        var rng = SeededRandom(seed: 79)
        let textured = Image(height: 128, width: 128) { _, y, x in
            let phase: Double = 2.2 * Double(x) + 1.3 * Double(y)
            return Float(0.5 + 0.1 * sin(phase))
        }
        var noisy = textured
        for i in noisy.pixels.indices { noisy.pixels[i] += Float(rng.gaussian(mean: 0, sigma: sigma)) }
        let haar = estimateNoiseSigma(noisy), patch = estimatePatchNoiseSigma(noisy)
        #expect(haar > 2 * sigma, "the Haar median should be fooled here (got \(haar))")
        #expect(abs(patch - sigma) / sigma < 0.05, "σ \(sigma) estimated as \(patch)")
    }

    /// NaN samples left the Haar band's median to an arbitrary sort order: with 15 % of a
    /// σ = 0.29 image's samples NaN it read 0.12, with no sign of the NaNs. Both estimators
    /// (the patch one through its fallback on small images too) now give NaN.
    @Test func nonFiniteSamplesGiveNaN() {
        var rng = SeededRandom(seed: 91)
        var image = Image(height: 64, width: 64) { _, _, _ in Float(rng.uniform()) }
        #expect(estimateNoiseSigma(image).isFinite)
        for i in 0..<600 { image[(i * 7) % 64, (i * 13) % 64] = .nan }
        #expect(estimateNoiseSigma(image).isNaN)
        var infinite = Image(height: 4, width: 4, value: 0.5)
        infinite[1, 2] = .infinity
        #expect(estimateNoiseSigma(infinite).isNaN && estimatePatchNoiseSigma(infinite).isNaN)
    }

    @Test func patchEstimatorGivesZeroOnANoiseFreeRamp() {
        let ramp = Image(height: 32, width: 32) { _, y, x in Float(x + 2 * y) / 128 }
        #expect(estimatePatchNoiseSigma(ramp) < 1e-6)
        // Smaller than a patch: the Haar median's answer.
        let tiny = Image(height: 4, width: 4) { _, y, x in (x + y) % 2 == 0 ? 0.01 : -0.01 }
        #expect(estimatePatchNoiseSigma(tiny) == estimateNoiseSigma(tiny))
    }

    @Test func patchEstimatorReadsATiledNoisyImageLikeItsTile() {
        // A 64² noisy tile repeated 8 × 8 times (the way large benchmark inputs are often made):
        // 512² has more patch positions than are read, and a regular grid of them would read
        // only a few distinct patches of the tile.
        var rng = SeededRandom(seed: 80)
        let sigma = 0.02
        let tile = Image(height: 64, width: 64) { _, y, x in
            Float(0.5 + 0.2 * sin(Double(x) * 0.3) * cos(Double(y) * 0.2) + rng.gaussian(mean: 0, sigma: sigma))
        }
        let tiled = Image(height: 512, width: 512) { _, y, x in tile.pixels[(y % 64) * 64 + x % 64] }
        let estimate = estimatePatchNoiseSigma(tiled)
        #expect(abs(estimate - sigma) / sigma < 0.1, "σ \(sigma) estimated as \(estimate)")
    }

    @Test func patchEstimatorGivesNaNForANonFiniteSample() {
        var image = Image(height: 16, width: 16) { _, y, x in Float(x * y) / 256 }
        image.pixels[37] = .nan
        #expect(estimatePatchNoiseSigma(image).isNaN)
        image.pixels[37] = .infinity
        #expect(estimatePatchNoiseSigma(image).isNaN)
    }

    @Test func patchEstimatorTakesTheLongestTailWhoseMeanIsAtMostItsMedian() {
        // [4, 3, 1, 0]: mean 2, median (3 + 1) / 2 = 2, so the whole spectrum is noise. With the
        // upper middle element as the median (1) the rule went on to the tail [0].
        #expect(noiseVariance(eigenvalues: [4, 3, 1, 0]) == 2)
        // [9, 1, 1, 1]: mean 3 above the median 1; [1, 1, 1] is flat.
        #expect(noiseVariance(eigenvalues: [9, 1, 1, 1]) == 1)
        // [8, 5, 2, 1, 0]: 3.2 > 2 (the middle element), [5, 2, 1, 0]: 2 > 0.5, [2, 1, 0]: 1 = 1.
        #expect(noiseVariance(eigenvalues: [8, 5, 2, 1, 0]) == 1)
        #expect(noiseVariance(eigenvalues: [0.25]) == 0.25)
    }

    @Test func jacobiEigenvaluesOfARotatedDiagonalMatrix() {
        // Q D Qᵀ with Q = I − 2uuᵀ (a Householder reflection, orthogonal) has the eigenvalues D.
        let n = 9
        let d = (0..<n).map { Double($0 * $0) - 3.5 }
        let raw = (0..<n).map { Double($0 % 4) + 0.5 }
        let norm = raw.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let u = raw.map { $0 / norm }
        func q(_ i: Int, _ j: Int) -> Double { (i == j ? 1 : 0) - 2 * u[i] * u[j] }
        var m = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { for k in 0..<n { m[i * n + j] += q(i, k) * d[k] * q(j, k) } } }
        let eigen = symmetricEigenvalues(m, order: n).sorted()
        for (e, expected) in zip(eigen, d.sorted()) { #expect(abs(e - expected) < 1e-10, "\(e) vs \(expected)") }
    }
}
