import Testing
import DeblurCore
import _TestSupport
@testable import Deconvolution

@Suite struct OTFCacheTests {
    /// Float-by-float equality of two spectra of `count` floats.
    func identical(_ a: FFTBuffer, _ b: FFTBuffer, count: Int) -> Bool {
        for i in 0..<count where a.pointer[i].bitPattern != b.pointer[i].bitPattern { return false }
        return true
    }

    @Test func cachedOTFEqualsTheUncachedTransformBitForBit() throws {
        let psf = try PSF.trajectory(size: 9, seed: 11)
        let plan = FFT.plan(height: 29, width: 34)
        let direct = psf.otf(height: 29, width: 34, plan: plan)
        // Twice: the first call may compute and store, the second may be served from the cache.
        for _ in 0..<2 {
            let cached = OTFCache.otf(psf, height: 29, width: 34, plan: plan)
            #expect(identical(cached, direct, count: plan.spectrumCount))
        }
    }

    @Test func scaledEntriesAreSeparateFromUnscaledOnes() throws {
        let psf = try PSF.trajectory(size: 7, seed: 3)
        let plan = FFT.plan(height: 23, width: 26)
        let unscaled = OTFCache.otf(psf, height: 23, width: 26, plan: plan)
        let scaled = OTFCache.otf(psf, height: 23, width: 26, scale: 0.25, plan: plan)
        let again = OTFCache.otf(psf, height: 23, width: 26, plan: plan)
        for i in 0..<plan.spectrumCount {
            #expect(scaled.pointer[i] == 0.25 * unscaled.pointer[i])
            #expect(again.pointer[i] == unscaled.pointer[i])
        }
        // The DC term of a normalized PSF's OTF is its sum, 1.
        #expect(abs(unscaled.pointer[0] - 1) < 1e-6 && abs(scaled.pointer[0] - 0.25) < 1e-6)
    }

    @Test func distinctPSFsOfEqualSizeDoNotShareAnEntry() throws {
        // Two PSFs of one size differing in a single sample: same key apart from the samples.
        var kernel = Image(height: 5, width: 5, value: 1)
        let box = try PSF(kernel, source: "box")
        kernel[0, 2, 2] = 3
        let peaked = try PSF(kernel, source: "peaked")
        let plan = FFT.plan(height: 19, width: 22)
        let a = OTFCache.otf(box, height: 19, width: 22, plan: plan)
        let b = OTFCache.otf(peaked, height: 19, width: 22, plan: plan)
        #expect(identical(a, box.otf(height: 19, width: 22, plan: plan), count: plan.spectrumCount))
        #expect(identical(b, peaked.otf(height: 19, width: 22, plan: plan), count: plan.spectrumCount))
        #expect(!identical(a, b, count: plan.spectrumCount))
        // Asked again in the other order, each still gets its own.
        #expect(identical(OTFCache.otf(peaked, height: 19, width: 22, plan: plan), b, count: plan.spectrumCount))
        #expect(identical(OTFCache.otf(box, height: 19, width: 22, plan: plan), a, count: plan.spectrumCount))
    }

    @Test func sameSamplesAtAnotherPaddedSizeGetTheirOwnTransform() throws {
        let psf = try PSF.trajectory(size: 5, seed: 8)
        let small = FFT.plan(height: 16, width: 16), large = FFT.plan(height: 20, width: 24)
        let a = OTFCache.otf(psf, height: 16, width: 16, plan: small)
        let b = OTFCache.otf(psf, height: 20, width: 24, plan: large)
        #expect(identical(a, psf.otf(height: 16, width: 16, plan: small), count: small.spectrumCount))
        #expect(identical(b, psf.otf(height: 20, width: 24, plan: large), count: large.spectrumCount))
    }

    @Test func restorationsWithTheCacheMatchAFreshCache() throws {
        // Repeated Wiener and RL calls (the second served from the cache) give the same image.
        var rng = SeededRandom(seed: 21)
        let image = Image(height: 24, width: 27) { _, _, _ in 0.1 + rng.uniformFloat() }
        let psf = try PSF.trajectory(size: 7, seed: 5)
        let wiener = try Wiener(nsr: 0.01, boundary: .reflect).restore(image, psf: psf)
        let rl = try RichardsonLucy(iterations: 3).restore(image, psf: psf)
        #expect(try Wiener(nsr: 0.01, boundary: .reflect).restore(image, psf: psf).pixels == wiener.pixels)
        #expect(try RichardsonLucy(iterations: 3).restore(image, psf: psf).pixels == rl.pixels)
    }
}

@Suite struct BufferPoolTests {
    @Test func aGivenBackBufferIsReusedForItsSize() {
        // An odd size no restorer uses, so parallel tests do not take it in between.
        let count = 12_347
        let first = BufferPool.take(count)
        BufferPool.give(first)
        let second = BufferPool.take(count)
        #expect(second === first)
        #expect(second.count == count)
        let other = BufferPool.take(count)
        #expect(other !== second)
        BufferPool.give(second); BufferPool.give(other)
    }
}
