import Testing
import Foundation
import DeblurCore
import _TestSupport
@testable import Deconvolution

@Suite struct PSFGaussianTests {
    @Test func defaultSizeCoversThreeSigmaAndValuesAreTheNormalizedExponential() throws {
        let sigma = 1.3
        let psf = try PSF.gaussian(sigma: sigma)
        #expect(psf.height == 9 && psf.width == 9)  // 2·⌈3.9⌉ + 1
        var values = [Double]()
        for y in 0..<psf.height {
            for x in 0..<psf.width {
                let dx = Double(x - 4), dy = Double(y - 4)
                values.append(exp(-(dx * dx + dy * dy) / (2 * sigma * sigma)))
            }
        }
        let total = values.reduce(0, +)
        #expect(maxAbsDifference(psf.image.pixels, values.map { Float($0 / total) }) < 1e-7)
    }

    @Test func sigmaHalfSize3MatchesMATLABValues() throws {
        // fspecial('gaussian', 3, 0.5), 4 decimals.
        let expected: [Float] = [0.0113, 0.0838, 0.0113, 0.0838, 0.6193, 0.0838, 0.0113, 0.0838, 0.0113]
        #expect(maxAbsDifference(try PSF.gaussian(sigma: 0.5, size: 3).image.pixels, expected) < 6e-5)
    }

    /// A σ whose square underflows is the identity (it once threw "contains -nan").
    @Test func aVanishingSigmaIsTheIdentity() throws {
        let psf = try PSF.gaussian(sigma: 1e-160, size: 3)
        #expect(psf.image.pixels == [0, 0, 0, 0, 1, 0, 0, 0, 0])
    }

    /// fspecial('gaussian') zeroes the samples below eps · max (`h(h < eps*max(h(:))) = 0`):
    /// σ = 0.1 is the identity there, and a kernel much wider than 3σ has a zero border. Both
    /// kept their tails (1.9e-22 and subnormal 3.8e-44 beside the centre at σ = 0.1).
    @Test func samplesBelowEpsTimesThePeakAreZeroAsInFspecial() throws {
        #expect(try PSF.gaussian(sigma: 0.1).image.pixels == [0, 0, 0, 0, 1, 0, 0, 0, 0])
        let sigma = 1.0, side = 21, c = side / 2
        var values = [Double]()
        for y in 0..<side {
            for x in 0..<side {
                let dx = Double(x - c), dy = Double(y - c), h = exp(-(dx * dx + dy * dy) / (2 * sigma * sigma))
                values.append(h < Double.ulpOfOne ? 0 : h)
            }
        }
        let total = values.reduce(0, +)
        let psf = try PSF.gaussian(sigma: sigma, size: side)
        #expect(maxAbsDifference(psf.image.pixels, values.map { Float($0 / total) }) < 1e-8)
        // exp(−36) = 2.3e-16 stays (offset (6, 6)), exp(−36.5) = 1.4e-16 goes (offset (7, 5)).
        #expect(psf[c + 6, c + 6] > 0 && psf[c + 7, c + 5] == 0 && psf[0, 0] == 0)
    }

    @Test func nonPositiveSigmaOrEvenSizeIsATypedError() {
        for bad in [0.0, -1, .nan] {
            #expect(throws: DeconvolutionError.self) { try PSF.gaussian(sigma: bad) }
        }
        #expect(throws: DeconvolutionError.self) { try PSF.gaussian(sigma: 1, size: 4) }
    }
}
