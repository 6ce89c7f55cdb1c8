import Testing
import DeblurCore
import _TestSupport
@testable import Deconvolution

/// The formula image of Tests/References/deconvolution_references.py.
func referenceInput() -> Image {
    Image(height: 8, width: 10) { _, i, j in
        Float(0.5 + 0.4 * sin(0.7 * Double(i) + 0.3 * Double(j)) * cos(0.2 * Double(i * j)))
    }
}

@Suite struct WienerTests {
    let sharp = testScene(height: 24, width: 30, seed: 11)

    @Test func tinyNSRRecoversSharpImageFromNoiseFreeCircularBlur() throws {
        let psf = invertiblePSF()
        let blurred = naiveCircularConvolve(sharp, psf)
        let restored = try Wiener(nsr: 1e-7, boundary: .circular).restore(blurred, psf: psf)
        #expect(rmsDifference(restored, sharp) < 1e-3)
    }

    @Test func nsrToZeroConvergesToTheInverseFilter() throws {
        let psf = invertiblePSF()
        let blurred = naiveCircularConvolve(sharp, psf)
        var errors = [Double]()
        for nsr: Float in [1e-1, 1e-2, 1e-3, 1e-4, 0] {
            errors.append(rmsDifference(try Wiener(nsr: nsr, boundary: .circular).restore(blurred, psf: psf), sharp))
        }
        for k in 1..<errors.count { #expect(errors[k] < errors[k - 1]) }
        #expect(errors.last! < 1e-4)
    }

    @Test func scalarNSRMatchesScikitImageWithIdentityRegularizer() throws {
        // skimage.restoration.wiener(x, psf, balance=0.02, reg=delta): MATLAB deconvwnr(x, psf, 0.02).
        let skimageWienerIdentity002: [Float] = [-0.4085296, 0.3641206, 0.8560369, 0.4867719, 0.1790259, 0.4493856, 0.1557032, -0.1787594, 0.6751774, 1.315229, 0.544434, 0.5805543, 0.6513276, 0.9987729, 1.079998, 1.330723, 1.390094, 0.9199038, 0.956533, 1.08357, 1.051988, 0.9557607, 0.7033322, 0.9269614, 0.7668438, 0.6123307, 0.6766155, 0.333325, 0.2168152, 0.2614977, 1.189081, 1.018249, 0.5913154, 0.5131694, 0.3344209, 0.1330428, 0.4172351, 0.6886142, 0.837093, 0.8236244, 0.9725888, 0.7781276, 0.4928691, 0.3240146, 0.550933, 0.6398919, 0.7715458, 0.8440762, 0.3838604, -0.07157722, 0.5245478, 0.3943356, 0.6078743, 0.5950306, 0.9599816, 0.8647153, 0.3066885, 0.05096784, -0.1540736, 0.06139011, 0.1905756, 0.14149, 0.8600701, 0.9483593, 0.7818376, 0.322316, -0.07833045, 0.2993627, 0.6238745, 0.7205825, -0.1826488, 0.2563209, 1.027633, 0.9271264, 0.3254947, 0.2044905, 0.5197372, 0.7290081, 0.4041497, 0.4503424]
        let restored = try Wiener(nsr: 0.02, boundary: .circular).restore(referenceInput(), psf: asymmetricPSF())
        #expect(maxAbsDifference(restored.pixels, skimageWienerIdentity002) < 1e-5)
    }

    @Test func noiseSigmaUsesNoiseOverSignalVariance() throws {
        let psf = invertiblePSF()
        let blurred = naiveCircularConvolve(sharp, psf)
        let sigma: Float = 0.05
        let v = variance(blurred)
        let nsr = Float(Double(sigma * sigma) / (v - Double(sigma * sigma)))
        let bySigma = try Wiener(noiseToSignal: .noiseSigma(sigma), boundary: .circular).restore(blurred, psf: psf)
        let byRatio = try Wiener(nsr: nsr, boundary: .circular).restore(blurred, psf: psf)
        #expect(maxAbsDifference(bySigma, byRatio) < 1e-6)
    }

    @Test func noiseSigmaWithTaperUsesTheObservationsVariance() throws {
        // deconvwnr(edgetaper(y, psf), psf, σ² / (var(y) − σ²)): the variance is the
        // observation's. It was the tapered image's, 7 % lower here (a third on a 23 × 30
        // image with a 5 × 3 PSF), which raised the NSR by as much.
        let psf = asymmetricPSF()
        var rng = SeededRandom(seed: 3)
        var blurred = naiveCircularConvolve(testScene(height: 23, width: 30, seed: 10), psf)
        for i in blurred.pixels.indices { blurred.pixels[i] += Float(rng.gaussian(mean: 0, sigma: 0.02)) }
        let sigma: Float = 0.03
        let v = variance(blurred)
        #expect(variance(try edgeTapered(blurred, psf: psf)) < 0.95 * v)
        let nsr = Float(Double(sigma * sigma) / (v - Double(sigma * sigma)))
        let bySigma = try Wiener(noiseToSignal: .noiseSigma(sigma), boundary: .taper).restore(blurred, psf: psf)
        let byRatio = try Wiener(nsr: nsr, boundary: .taper).restore(blurred, psf: psf)
        #expect(maxAbsDifference(bySigma, byRatio) < 1e-6)
    }

    @Test func automaticNSRWithTaperEstimatesTheObservationsNoise() throws {
        // nsr=auto is the gradient filter σ̂² / g with σ̂ read from the observation as given.
        // It was read from the tapered image, whose blurred border carries less noise: σ̂ half
        // as large here (a 9 × 9 box on 48 × 48; 28 % low for a 25 px box on 256²), so the
        // filter regularized less than the data asked.
        let psf = boxPSF(9)
        var rng = SeededRandom(seed: 12)
        var blurred = naiveCircularConvolve(testScene(height: 48, width: 48, seed: 6), psf)
        for i in blurred.pixels.indices { blurred.pixels[i] += Float(rng.gaussian(mean: 0, sigma: 0.02)) }
        let sigma = max(estimateNoiseSigma(blurred), 1e-3)
        #expect(estimateNoiseSigma(try edgeTapered(blurred, psf: psf)) < 0.95 * sigma)
        let expected = try applyLinearFilter(blurred, psf: psf, boundary: .taper) { context in
            SpectralRegularizer(gradient: Float(sigma * sigma / Wiener.sharpGradientEnergy(context, noiseSigma: sigma)))
        }
        let automatic = try Wiener(noiseToSignal: .automatic, boundary: .taper).restore(blurred, psf: psf)
        #expect(maxAbsDifference(automatic, expected) < 1e-6)
    }

    @Test func automaticNSRImprovesANoisyObservation() throws {
        let psf = boxPSF(5)
        var rng = SeededRandom(seed: 5)
        var blurred = naiveCircularConvolve(testScene(height: 64, width: 64, seed: 4), psf)
        for i in blurred.pixels.indices { blurred.pixels[i] += Float(rng.gaussian(mean: 0, sigma: 0.01)) }
        let truth = testScene(height: 64, width: 64, seed: 4)
        let restored = try Wiener(noiseToSignal: .automatic, boundary: .circular).restore(blurred, psf: psf)
        #expect(psnr(restored, truth) > psnr(blurred, truth) + 1)
    }

    @Test func automaticNSRKeepsASinusoidalGrating() throws {
        // A grating's energy sits in two bins, so most bins are at the noise floor and the
        // median fit of the signal scale was 0: the filter flattened the grating to its mean.
        let grating = Image(height: 64, width: 64) { _, _, x in 0.5 + 0.4 * Float(sin(2 * Double.pi * Double(x) / 8)) }
        for boundary in [BoundaryHandling.circular, .masked] {
            let restored = try Wiener(noiseToSignal: .automatic, boundary: boundary).restore(grating, psf: .identity)
            #expect(maxAbsDifference(restored, grating) < 0.01, "\(boundary)")
        }
    }

    /// The signal scale `nsr=auto` fits, read back through the filter's own context.
    private func fittedSignalScale(_ blurred: Image, psf: PSF, noiseSigma: Double) throws -> Double {
        var fitted = 0.0
        _ = try applyLinearFilter(blurred, psf: psf, boundary: .circular) { context in
            fitted = Wiener.sharpGradientEnergy(context, noiseSigma: noiseSigma)
            return SpectralRegularizer(gradient: 1)
        }
        return fitted
    }

    @Test func automaticSignalScaleRecoversTheModelsScale() throws {
        // A field drawn from the model itself, E|X(f)|² = N g / |D(f)|² with complex Gaussian
        // coefficients, blurred and lightly noisy: the fit must return g. Its median is ln 2
        // times the mean of an exponential variable: it reads 0.95 g here, 0.66 g without that factor.
        let n = 64, g = 0.01, sigma = 0.002
        var rng = SeededRandom(seed: 21)
        var field = [Double](repeating: 0.5, count: n * n)
        let angle = 2 * Double.pi / Double(n)
        // One cosine per frequency of the half-plane (u, v) ~ (−u, −v), the self-conjugate
        // ones left out: a cosine of amplitude A puts N A / 2 in its bin, so E A² = 4 g / (N |D|²).
        for u in 0..<n {
            for v in 0...(n / 2) {
                if (v == 0 || v == n / 2) && (u == 0 || u >= n / 2) { continue }
                let d2 = (2 - 2 * cos(angle * Double(u))) + (2 - 2 * cos(angle * Double(v)))
                let amplitude = (-log(1 - rng.uniform()) * 4 * g / (Double(n * n) * d2)).squareRoot()
                let phase = 2 * Double.pi * rng.uniform()
                for y in 0..<n {
                    for x in 0..<n { field[y * n + x] += amplitude * cos(angle * Double(u * y + v * x) + phase) }
                }
            }
        }
        let psf = boxPSF(3)
        var blurred = naiveCircularConvolve(Image(height: n, width: n, pixels: field.map { Float($0) }), psf)
        for i in blurred.pixels.indices { blurred.pixels[i] += Float(rng.gaussian(mean: 0, sigma: sigma)) }
        // The floor, the observation's gradient energy, lies well below g: the median decides.
        #expect(meanGradientEnergy(blurred) < 0.6 * g)
        let fitted = try fittedSignalScale(blurred, psf: psf, noiseSigma: sigma)
        #expect(abs(fitted / g - 1) < 0.1, "fitted \(fitted), model \(g)")
    }

    @Test func automaticSignalScaleFloorRemovesTheNoisesGradientEnergy() throws {
        // A grating's two bins leave the median at the noise floor, so the floor decides: the
        // observation's gradient energy less the 4σ² white noise adds to it (two directions,
        // each difference of variance 2σ²), which is the clean grating's own: within 0.4 % here,
        // 10 % off with 2σ².
        let n = 64, sigma = 0.05
        let grating = Image(height: n, width: n) { _, _, x in 0.5 + 0.4 * Float(sin(2 * Double.pi * Double(x) / 8)) }
        var noisy = grating
        var rng = SeededRandom(seed: 8)
        for i in noisy.pixels.indices { noisy.pixels[i] += Float(rng.gaussian(mean: 0, sigma: sigma)) }
        let clean = meanGradientEnergy(grating)
        #expect(meanGradientEnergy(noisy) > 1.15 * clean)
        let fitted = try fittedSignalScale(noisy, psf: .identity, noiseSigma: sigma)
        #expect(abs(fitted / clean - 1) < 0.03, "fitted \(fitted), grating \(clean)")
    }

    @Test func vanishingOTFWithZeroNSRIsAnError() throws {
        // A 2-pixel box (odd-sized with a zero column) has an OTF zero at the Nyquist frequency.
        let psf = try PSF(Image(height: 1, width: 3, pixels: [0, 1, 1]))
        let blurred = naiveCircularConvolve(sharp, psf)
        #expect(throws: DeconvolutionError.self) { try Wiener(nsr: 0, boundary: .circular).restore(blurred, psf: psf) }
        let safe = try Wiener(nsr: 1e-3, boundary: .circular).restore(blurred, psf: psf)
        #expect(safe.isFinite)
    }

    @Test func badParametersAreTypedErrors() throws {
        let psf = invertiblePSF()
        #expect(throws: DeconvolutionError.self) { try Wiener(nsr: -1).restore(sharp, psf: psf) }
        #expect(throws: DeconvolutionError.self) { try Wiener(noiseToSignal: .noiseSigma(-0.1)).restore(sharp, psf: psf) }
        #expect(throws: DeconvolutionError.self) { try Wiener(nsr: 0.01, boundary: .masked, iterations: 0).restore(sharp, psf: psf) }
        var nan = sharp; nan[0, 0] = .infinity
        #expect(throws: DeconvolutionError.self) { try Wiener().restore(nan, psf: psf) }
        #expect(throws: DeconvolutionError.self) { try Wiener().restore(Image(height: 4, width: 4), psf: boxPSF(5)) }
    }

    @Test func colorImagesEqualChannelWiseCalls() throws {
        let psf = asymmetricPSF()
        let color = Image.merge([sharp, sharp.mapPixels { 1 - $0 }])
        for method in [Wiener(nsr: 0.01), Wiener(noiseToSignal: .automatic)] {
            let joint = try method.restore(color, psf: psf)
            for c in 0..<2 { #expect(maxAbsDifference(joint.channel(c), try method.restore(color.channel(c), psf: psf)) == 0) }
        }
    }
}

import Foundation
