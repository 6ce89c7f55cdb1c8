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

    /// fspecial('gaussian', 7, 1): exp(−(x² + y²)/2σ²) on −3…3, normalized to sum 1.
    @Test func gaussianSigmaOneIsTheNormalizedSampledGaussian() throws {
        try withScratch { dir in
            let result = try dir.deblur("psf", "gaussian", "--sigma", "1", "-o", "g.tif", "--json")
            #expect(result.status == 0, "\(result)")
            let psf = try ImageIO.readPSF(dir.file("g.tif").path)
            #expect(psf.height == 7 && psf.width == 7)
            var expected = [Double]()
            for y in -3...3 { for x in -3...3 { expected.append(exp(-Double(x * x + y * y) / 2)) } }
            let total = expected.reduce(0, +)
            for (g, e) in zip(psf.image.pixels, expected) { #expect(abs(Double(g) - e / total) < 1e-6) }
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(object["height"] as? Int == 7 && object["kind"] as? String == "gaussian")
        }
    }

    @Test func evenPaddingSizeExitsOneNamingIt() throws {
        try withScratch { dir in
            let result = try dir.deblur("psf", "motion", "--length", "5", "--size", "8", "-o", "k.tif")
            expectCleanFailure(result, naming: "8", directory: dir, before: [])
            #expect(result.stderrLines.first?.contains("--size") == true)
        }
    }

    @Test(arguments: [["disk", "--radius", "0"], ["disk", "--radius", "nan"], ["gaussian", "--sigma", "inf"],
                      ["gaussian", "--sigma", "0"], ["trajectory", "--size", "8"]])
    func invalidKernelParameterExitsOneNamingTheValue(arguments: [String]) throws {
        try withScratch { dir in
            let result = try dir.deblur(["psf"] + arguments + ["-o", "k.tif"])
            expectCleanFailure(result, naming: arguments[2], directory: dir, before: [])
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
