import DeblurCore
import Foundation
import Testing

@Suite struct PSFSupportTests {
    @Test func aLineReachesItsLengthAndTheIdentityOnePixel() throws {
        #expect(PSF.identity.support == 1)
        let line = try PSF(Image(height: 1, width: 13, value: 1))
        #expect(line.support == 13)
        // A diagonal of 9 in a 15 × 15 window: the window says 15, the walk 9.
        let diagonal = try PSF(Image(height: 15, width: 15) { _, y, x in y == x && (3...11).contains(y) ? 1 : 0 })
        #expect(diagonal.support == 9)
    }

    /// exp(−r²/2σ²) at σ = 2 is 1.11 % of the peak 6 px out and 0.22 % at 7: 13 px across.
    @Test func aGaussianReachesWhereItFallsToOnePercentOfItsPeak() throws {
        let gaussian = try PSF(Image(height: 25, width: 25) { _, y, x in
            Float(exp(-Double((y - 12) * (y - 12) + (x - 12) * (x - 12)) / 8))
        })
        #expect(gaussian.support == 13)
    }

    /// A faint tail below 1 % of the peak does not count, a sample at 1 % does.
    @Test func samplesBelowOnePercentOfThePeakAreLeftOut() throws {
        var kernel = Image(height: 1, width: 21)
        for x in 5...15 { kernel[0, 0, x] = 1 }
        kernel[0, 0, 0] = 0.0099
        #expect(try PSF(kernel).support == 11)
        kernel[0, 0, 0] = 0.01
        #expect(try PSF(kernel).support == 16)
    }
}
