import Testing
import DeblurCore
import _TestSupport
@testable import Deconvolution

@Suite struct FusedConvolutionTests {
    /// `k ⊛ x` (or `kᵀ ⊛ x`) through the fused engine, input and output in separate buffers.
    func fused(_ image: Image, _ psf: PSF, conjugate: Bool, blockWidth: Int = 16) -> Image {
        let engine = FusedConvolution.engine(height: image.height, width: image.width, blockWidth: blockWidth)
        let input = FFTBuffer(count: engine.realCount), output = FFTBuffer(count: engine.realCount)
        image.withUnsafeBufferPointer { input.pointer.update(from: $0.baseAddress!, count: engine.realCount) }
        engine.convolve(input.pointer, into: output.pointer, otf: engine.otf(psf), conjugate: conjugate,
                        spectrum: engine.makeSpectrumBuffer())
        return Image(height: image.height, width: image.width, pixels: Array(output.buffer))
    }

    /// The unfused path: 2-D r2c, a separate multiply by the (conjugate) OTF, 2-D c2r, scale.
    func planPath(_ image: Image, _ psf: PSF, conjugate: Bool) -> Image {
        let plan = FFT.plan(height: image.height, width: image.width)
        let real = plan.makeRealBuffer(), spectrum = plan.makeSpectrumBuffer()
        image.withUnsafeBufferPointer { real.pointer.update(from: $0.baseAddress!, count: plan.realCount) }
        plan.forward(real, spectrum)
        let otf = psf.otf(height: image.height, width: image.width, plan: plan)
        withExtendedLifetime(otf) { SpectralOps.multiply(spectrum.pointer, by: otf.pointer, conjugate: conjugate, plan: plan) }
        plan.inverse(spectrum, real)
        let s = 1 / Float(plan.realCount)
        return Image(height: image.height, width: image.width, pixels: real.buffer.map { $0 * s })
    }

    @Test(arguments: [(9, 14, 3), (15, 16, 5), (9, 15, 3), (16, 9, 5), (24, 32, 5), (40, 54, 7)])
    func convolutionEqualsANaiveCircularConvolutionAndThePlanPath(size: (Int, Int, Int)) throws {
        let (h, w, k) = size
        let image = randomImage(height: h, width: w, seed: UInt64(h * w))
        let psf = try PSF(randomImage(height: k, width: k, seed: UInt64(k)), source: "test")
        let result = fused(image, psf, conjugate: false)
        #expect(maxAbsDifference(result, naiveCircularConvolve(image, psf)) < 1e-5)
        #expect(maxAbsDifference(result, planPath(image, psf, conjugate: false)) < 1e-5)
    }

    @Test(arguments: [(9, 14, 3), (15, 16, 5), (9, 15, 3), (24, 32, 5)])
    func conjugateEqualsANaiveCircularCorrelationAndThePlanPath(size: (Int, Int, Int)) throws {
        let (h, w, k) = size
        let image = randomImage(height: h, width: w, seed: UInt64(h + w))
        // An asymmetric PSF, so convolution and correlation differ and a wrong sign would show.
        let psf = try PSF.trajectory(size: k, seed: 5)
        let result = fused(image, psf, conjugate: true)
        #expect(maxAbsDifference(result, naiveCircularCorrelate(image, psf)) < 1e-5)
        #expect(maxAbsDifference(result, planPath(image, psf, conjugate: true)) < 1e-5)
        #expect(maxAbsDifference(result, fused(image, psf, conjugate: false)) > 1e-3)
    }

    /// Block widths 3, 4 and 8 leave tails of 2 or 3 columns of the 11 or 26 spectrum columns;
    /// 12 is one whole block of 11 columns, then a block and a tail of 2. Run concurrently, the
    /// cases also check that engines of one size but different blocks never share an OTF.
    @Test(arguments: [3, 4, 8, 12])
    func blockWidthsThatDoNotDivideTheColumnCountGiveTheSameResult(blockWidth: Int) throws {
        for (h, w) in [(15, 20), (20, 50)] {
            let image = randomImage(height: h, width: w, seed: 7)
            let psf = try PSF.trajectory(size: 5, seed: 2)
            let engine = FusedConvolution.engine(height: h, width: w, blockWidth: blockWidth)
            #expect(engine.spectrumWidth % engine.blockWidth != 0 || engine.blocks == 1)
            for conjugate in [false, true] {
                let reference = conjugate ? naiveCircularCorrelate(image, psf) : naiveCircularConvolve(image, psf)
                #expect(maxAbsDifference(fused(image, psf, conjugate: conjugate, blockWidth: blockWidth), reference) < 1e-5)
            }
        }
    }

    @Test func inPlaceConvolutionEqualsTheOutOfPlaceOne() throws {
        let (h, w) = (18, 24)
        let image = randomImage(height: h, width: w, seed: 9)
        let psf = try PSF.trajectory(size: 5, seed: 4)
        let engine = FusedConvolution.engine(height: h, width: w)
        let buffer = FFTBuffer(count: h * w)
        image.withUnsafeBufferPointer { buffer.pointer.update(from: $0.baseAddress!, count: h * w) }
        engine.convolve(buffer.pointer, into: buffer.pointer, otf: engine.otf(psf), conjugate: false,
                        spectrum: engine.makeSpectrumBuffer())
        #expect(maxAbsDifference(Array(buffer.buffer), fused(image, psf, conjugate: false).pixels) == 0)
    }

    @Test func epilogueSeesEveryFinishedRowExactlyOnce() throws {
        let (h, w) = (37, 20)   // 37 rows: the last chunk of 8 is partial
        let image = randomImage(height: h, width: w, seed: 13)
        let psf = try PSF.trajectory(size: 5, seed: 8)
        let engine = FusedConvolution.engine(height: h, width: w)
        let input = FFTBuffer(count: h * w), output = FFTBuffer(count: h * w)
        image.withUnsafeBufferPointer { input.pointer.update(from: $0.baseAddress!, count: h * w) }
        let visits = FFTBuffer(count: h), copy = FFTBuffer(count: h * w)
        let v = visits.pointer, c = copy.pointer, o = output.pointer
        engine.convolve(input.pointer, into: o, otf: engine.otf(psf), conjugate: false, spectrum: engine.makeSpectrumBuffer()) { rows in
            // Rows are disjoint between workers, so these writes do not race.
            for row in rows {
                v[row] += 1
                for i in row * w ..< (row + 1) * w { c[i] = o[i] }
            }
        }
        #expect(visits.buffer.allSatisfy { $0 == 1 })
        let reference = naiveCircularConvolve(image, psf)
        #expect(maxAbsDifference(Array(copy.buffer), reference.pixels) < 1e-5)
    }

    @Test func forwardEqualsThePlanSpectrumInThePaddedRowLayout() {
        let (h, w) = (11, 26)
        let image = randomImage(height: h, width: w, seed: 21)
        let engine = FusedConvolution.engine(height: h, width: w)
        let plan = FFT.plan(height: h, width: w)
        let real = plan.makeRealBuffer(), reference = plan.makeSpectrumBuffer(), spectrum = engine.makeSpectrumBuffer()
        image.withUnsafeBufferPointer { real.pointer.update(from: $0.baseAddress!, count: h * w) }
        engine.forward(real.pointer, into: spectrum)
        plan.forward(real, reference)
        #expect(engine.rowStride >= engine.spectrumWidth && engine.rowStride % 8 == 0)
        var worst: Float = 0
        for row in 0..<h {
            for i in 0..<(2 * engine.spectrumWidth) {
                worst = max(worst, abs(spectrum.pointer[row * 2 * engine.rowStride + i] - reference.pointer[row * 2 * plan.spectrumWidth + i]))
            }
        }
        #expect(worst < 1e-4)
    }
}


extension FusedConvolutionTests {
    /// Two chained convolutions (the second's row transforms done inside the first's inverse row
    /// pass, after an epilogue that changes the rows) equal two separate `convolve` calls.
    @Test func chainedConvolutionsEqualSeparateOnes() throws {
        for (h, w) in [(37, 20), (16, 15)] {
            let image = randomImage(height: h, width: w, seed: 17)
            let psf = try PSF.trajectory(size: 5, seed: 6)
            let engine = FusedConvolution.engine(height: h, width: w)
            let otf = engine.otf(psf), spectrum = engine.makeSpectrumBuffer()
            let chained = FFTBuffer(count: h * w), separate = FFTBuffer(count: h * w)
            image.withUnsafeBufferPointer { chained.pointer.update(from: $0.baseAddress!, count: h * w) }
            separate.pointer.update(from: chained.pointer, count: h * w)
            let c = chained.pointer, s = separate.pointer
            // Chained: k ⊛ x, squared in the epilogue, then kᵀ ⊛ of that.
            engine.rowTransforms(c, spectrum.pointer)
            engine.convolveRowSpectrum(spectrum, into: c, otf: otf, conjugate: false, epilogue: { rows in
                for i in rows.lowerBound * w ..< rows.upperBound * w { c[i] *= c[i] }
            }, thenForward: c)
            engine.convolveRowSpectrum(spectrum, into: c, otf: otf, conjugate: true)
            // Separate calls.
            engine.convolve(s, into: s, otf: otf, conjugate: false, spectrum: spectrum)
            for i in 0..<(h * w) { s[i] *= s[i] }
            engine.convolve(s, into: s, otf: otf, conjugate: true, spectrum: spectrum)
            #expect(maxAbsDifference(Array(chained.buffer), Array(separate.buffer)) < 1e-6)
            // And against the naive oracle.
            var squared = naiveCircularConvolve(image, psf)
            for i in squared.pixels.indices { squared.pixels[i] *= squared.pixels[i] }
            #expect(maxAbsDifference(Array(chained.buffer), naiveCircularCorrelate(squared, psf).pixels) < 1e-5)
        }
    }
}
