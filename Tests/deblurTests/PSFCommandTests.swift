import DeblurKit
import Foundation
import Testing

@Suite struct PSFCommandTests {
    /// MATLAB R2023a: fspecial('motion', 3, 45).
    @Test func motionLength3Angle45MatchesMATLAB() throws {
        try withScratch { dir in
            let result = try dir.deblur("psf", "motion", "--length", "3", "--angle", "45", "-o", "k.tif")
            #expect(result.status == 0, "\(result)")
            let psf = try ImageIO.readPSF(dir.file("k.tif").path)
            #expect(psf.height == 3 && psf.width == 3)
            let expected: [Float] = [0, 0.0754, 0.1883,
                                     0.0754, 0.3215, 0.0754,
                                     0.1883, 0.0754, 0]
            let got = psf.image.pixels
            #expect(got.count == 9)
            for (g, e) in zip(got, expected) { #expect(abs(g - e) <= 1e-4, "\(got)") }
        }
    }

    @Test(arguments: ["0", "nan", "-2"])
    func invalidLengthExitsOneNamingTheValue(length: String) throws {
        try withScratch { dir in
            // `--length=-2`: a separate "-2" would be parsed as an option name.
            let result = try dir.deblur("psf", "motion", "--length=\(length)", "-o", "k.tif")
            expectCleanFailure(result, naming: length, directory: dir, before: [])
        }
    }
}
