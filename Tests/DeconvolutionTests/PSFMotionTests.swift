import Testing
import Foundation
import DeblurCore
import _TestSupport
@testable import Deconvolution

@Suite struct PSFMotionTests {
    @Test func length3At45DegreesMatchesMATLABValues() throws {
        // fspecial('motion', 3, 45), 4 decimals (the values pinned in issue 3).
        let expected: [Float] = [0, 0.0754, 0.1883,
                                 0.0754, 0.3215, 0.0754,
                                 0.1883, 0.0754, 0]
        let psf = try PSF.motion(length: 3, angleDegrees: 45)
        #expect(psf.height == 3 && psf.width == 3)
        #expect(maxAbsDifference(psf.image.pixels, expected) < 6e-5)
    }

    @Test func length9At0DegreesIsAFlatRowOfNinths() throws {
        let psf = try PSF.motion(length: 9, angleDegrees: 0)
        #expect(psf.height == 1 && psf.width == 9)
        #expect(maxAbsDifference(psf.image.pixels, [Float](repeating: 1.0 / 9, count: 9)) < 1e-6)
    }

    @Test func length10At0DegreesHas11TapsWithEndTapsOfOneTwentieth() throws {
        let psf = try PSF.motion(length: 10, angleDegrees: 0)
        #expect(psf.height == 1 && psf.width == 11)
        let expected = [Float(0.05)] + [Float](repeating: 0.1, count: 9) + [Float(0.05)]
        #expect(maxAbsDifference(psf.image.pixels, expected) < 1e-6)
    }

    @Test func verticalMotionIsAColumnAndTheAngleIsPeriodicIn180Degrees() throws {
        let vertical = try PSF.motion(length: 7, angleDegrees: 90)
        #expect(vertical.height == 7 && vertical.width == 1)
        #expect(maxAbsDifference(vertical.image.pixels, [Float](repeating: 1.0 / 7, count: 7)) < 1e-6)
        let a = try PSF.motion(length: 12.5, angleDegrees: 30)
        let b = try PSF.motion(length: 12.5, angleDegrees: 210)
        let c = try PSF.motion(length: 12.5, angleDegrees: -150)
        #expect(a == b && a == c)
    }

    @Test func positiveAnglesRiseToTheRightInImageRows() throws {
        // Rows grow downwards, so a counter-clockwise line at 45° runs from bottom-left to top-right.
        let psf = try PSF.motion(length: 15, angleDegrees: 45)
        #expect(psf[0, psf.width - 1] > 0 && psf[psf.height - 1, 0] > 0)
        #expect(psf[0, 0] == 0 && psf[psf.height - 1, psf.width - 1] == 0)
        // A line is symmetric about its centre: rotating by 180° changes nothing.
        #expect(maxAbsDifference(psf.image, psf.image.rotated180()) < 1e-7)
    }

    @Test func centroidIsTheCentreAndSecondMomentMatchesTheLineLength() throws {
        // A uniform segment of length L has variance L²/12 along its direction.
        let length = 21.0, angle = 30.0
        let psf = try PSF.motion(length: length, angleDegrees: angle)
        var mx = 0.0, my = 0.0, along = 0.0
        let t = angle * Double.pi / 180
        for y in 0..<psf.height {
            for x in 0..<psf.width {
                let w = Double(psf[y, x])
                let dx = Double(x - psf.centerX), dy = Double(psf.centerY - y)
                mx += w * dx; my += w * dy
                let s = dx * cos(t) + dy * sin(t)
                along += w * s * s
            }
        }
        #expect(abs(mx) < 1e-5 && abs(my) < 1e-5)
        #expect(abs(along - length * length / 12) / (length * length / 12) < 0.05)
    }

    @Test func lengthBelowOneNaNOrInfiniteAngleIsATypedError() {
        for bad in [0.0, 0.5, -3, .nan, .infinity] {
            #expect(throws: DeconvolutionError.self) { try PSF.motion(length: bad, angleDegrees: 0) }
        }
        #expect(throws: DeconvolutionError.self) { try PSF.motion(length: 5, angleDegrees: .nan) }
    }
}
