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
