import Testing
import Foundation
import DeblurCore
import _TestSupport
@testable import Deconvolution

@Suite struct NoiseTests {
    func moments(_ a: Image, _ b: Image) -> (mean: Double, variance: Double) {
        var s = 0.0, s2 = 0.0
        for i in a.pixels.indices { let d = Double(a.pixels[i] - b.pixels[i]); s += d; s2 += d * d }
        let n = Double(a.count)
        return (s / n, s2 / n - (s / n) * (s / n))
    }

    @Test func gaussianNoiseHasZeroMeanAndTheRequestedSigma() throws {
        let image = Image(height: 256, width: 256, value: 0.5)
        var rng = SeededRandom(seed: 1)
        let noisy = try addNoise(image, NoiseModel(gaussianSigma: 0.05), rng: &rng)
        let m = moments(noisy, image)
        // 65 536 samples: the standard errors are 2e-4 (mean) and 0.3 % (σ).
        #expect(abs(m.mean) < 1e-3)
        #expect(abs(m.variance.squareRoot() - 0.05) < 0.05 * 0.015)
    }

    /// NaN and +∞ were drawn as a Poisson mean of 0: an infinitely bright sample came out 0.
    @Test func poissonLeavesNaNAndInfiniteSamplesAsTheyAre() throws {
        var rng = SeededRandom(seed: 12)
        let image = Image(height: 1, width: 3, pixels: [.infinity, .nan, 0.5])
        let out = try addNoise(image, NoiseModel(poissonPeak: 100), rng: &rng)
        #expect(out.pixels[0] == .infinity && out.pixels[1].isNaN && out.pixels[2].isFinite)
    }

    @Test func poissonNoiseHasVarianceSignalOverPeak() throws {
        let image = Image(height: 256, width: 256, value: 0.4)
        var rng = SeededRandom(seed: 2)
        let noisy = try addNoise(image, NoiseModel(poissonPeak: 30), rng: &rng)
        let m = moments(noisy, image)
        #expect(abs(m.mean) < 2e-3)
        #expect(abs(m.variance - 0.4 / 30) / (0.4 / 30) < 0.03)
        // Every sample is a whole photon count over the peak.
        #expect(noisy.pixels.allSatisfy { abs(($0 * 30).rounded() - $0 * 30) < 1e-3 })
    }

    /// A count past Int.max once trapped; past 1e15 photons the sample is kept as it is.
    @Test func hugePhotonCountsKeepTheSample() throws {
        var rng = SeededRandom(seed: 1)
        let out = try addNoise(Image(height: 1, width: 2, value: 1e10), NoiseModel(poissonPeak: 1e9), rng: &rng)
        #expect(out.pixels == [1e10, 1e10])
    }

    @Test func quantizationClipsAndRoundsToTheGrid() throws {
        let image = Image(height: 1, width: 5, pixels: [-0.2, 0.5, 1.3, 0.1, 0.999])
        var rng = SeededRandom(seed: 3)
        let q8 = try addNoise(image, NoiseModel(quantizeBits: 8), rng: &rng)
        #expect(q8.pixels == [0, Float(128) / 255, 1, Float(26) / 255, 1])
        let q16 = try addNoise(image, NoiseModel(quantizeBits: 16), rng: &rng)
        #expect(q16.pixels[3] == Float(6554) / 65535)
    }

    /// Floats whose Float32 product v·(2^b − 1) rounds onto k + ½: the nearest level is that of the
    /// exact product, ⌊v·(2^b − 1) + ½⌋ (NumPy's `np.floor(np.float64(v) * L + 0.5)`, the integer
    /// writers' rule), not the even one `(v * L).rounded(.toNearestOrEven)` gave (3 ↔ 4, 129 ↔ 128, …).
    @Test func quantizationTakesTheNearestLevelOfTheExactProductNextToATie() throws {
        let image = Image(height: 1, width: 6, pixels: [989_888_641, 1_008_771_233, 945_815_776, 989_888_641,
                                                        1_036_833_997, 1_065_216_382].map { Float(bitPattern: $0) })
        var rng = SeededRandom(seed: 3)
        let q8 = try addNoise(image, NoiseModel(quantizeBits: 8), rng: &rng)
        #expect(Array(q8.pixels[0..<2]) == [Float(1) / 255, Float(3) / 255])
        let q16 = try addNoise(image, NoiseModel(quantizeBits: 16), rng: &rng)
        #expect(Array(q16.pixels[2...]) == [3, 129, 6555, 65001].map { Float($0) / 65535 })
    }

    @Test func sameSeedGivesTheSameNoiseAndCombinedModelsRun() throws {
        let image = randomImage(height: 32, width: 32, seed: 4)
        let model = NoiseModel(gaussianSigma: 0.01, poissonPeak: 1000, quantizeBits: 16)
        var a = SeededRandom(seed: 9), b = SeededRandom(seed: 9), c = SeededRandom(seed: 10)
        let x = try addNoise(image, model, rng: &a), y = try addNoise(image, model, rng: &b), z = try addNoise(image, model, rng: &c)
        #expect(x == y)
        #expect(x != z)
        #expect(x.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test func noNoiseLeavesTheImageUnchanged() throws {
        let image = randomImage(height: 8, width: 8, seed: 5)
        var rng = SeededRandom(seed: 1)
        #expect(try addNoise(image, NoiseModel(), rng: &rng) == image)
    }

    @Test func negativeSigmaBadPeakOrBitsAreTypedErrors() {
        var rng = SeededRandom(seed: 1)
        let image = Image(height: 2, width: 2)
        for model in [NoiseModel(gaussianSigma: -0.1), NoiseModel(gaussianSigma: .nan), NoiseModel(poissonPeak: 0),
                      NoiseModel(poissonPeak: -5), NoiseModel(quantizeBits: 12)] {
            #expect(throws: DeconvolutionError.self) { try addNoise(image, model, rng: &rng) }
        }
    }
}
