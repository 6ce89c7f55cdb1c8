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

    @Test func nonPositiveSigmaOrEvenSizeIsATypedError() {
        for bad in [0.0, -1, .nan] {
            #expect(throws: DeconvolutionError.self) { try PSF.gaussian(sigma: bad) }
        }
        #expect(throws: DeconvolutionError.self) { try PSF.gaussian(sigma: 1, size: 4) }
    }
}
