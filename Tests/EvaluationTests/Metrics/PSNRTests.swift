import Testing
import Foundation
import DeblurCore
import _TestSupport
@testable import Evaluation

@Suite struct PSNRTests {
    @Test func offsetOfOneTenthIsTwentyDecibels() throws {
        let a = Image(height: 8, width: 8, value: 0.25), b = Image(height: 8, width: 8, value: 0.375)
        // MSE = 0.125² → PSNR = 10 log10(1 / 0.015625) = 18.0618 dB.
        #expect(abs(try psnr(a, b) - 10 * log10(64.0)) < 1e-12)
    }

    @Test func identicalImagesGiveInfinity() throws {
        let a = randomImage(height: 5, width: 6, seed: 4)
        #expect(try psnr(a, a) == .infinity)
    }

    @Test func doublingTheDataRangeAddsSixDecibels() throws {
        let (x, y) = Fixtures.pair("gray")
        #expect(abs(try psnr(x, y, dataRange: 2) - psnr(x, y) - 20 * log10(2.0)) < 1e-12)
    }

    @Test func matchesScikitImageOnFixtures() throws {
        for name in ["gray", "color"] {
            let (x, y) = Fixtures.pair(name)
            #expect(abs(try psnr(x, y) - Fixtures.number(Fixtures.reference(name), "psnr")) < 1e-9, "\(name)")
        }
        let (x, y) = Fixtures.pair("gray")
        let range2 = Fixtures.reference("gray")["data_range_2"] as! [String: Any]
        #expect(abs(try psnr(x, y, dataRange: 2) - Fixtures.number(range2, "psnr")) < 1e-9)
    }

    @Test(arguments: [0.0, -1.0, Double.nan, Double.infinity])
    func nonPositiveOrNonFiniteDataRangeThrows(range: Double) {
        let a = Image(height: 3, width: 3)
        #expect(throws: EvaluationError.self) { try psnr(a, a, dataRange: range) }
    }
}
