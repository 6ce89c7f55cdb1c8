import DeblurKit
import Foundation
import Testing
import _TestSupport

@Suite struct PSFCommandTests {
    /// An even-sided 16384 × 16384 kernel (a 128 KB file) was decoded whole, 1 GB of samples,
    /// before its size was refused; the header now decides (ImageIOTests shows no pixel is read).
    @Test func blurRefusesAnEvenSidedPSFFromItsHeader() throws {
        try withScratch { dir in
            try ImageIO.write(Image(height: 8, width: 8, value: 0.5), to: dir.file("a.tif").path)
            try compactGrayTIFF(width: 16384, height: 16384).write(to: dir.file("big.tif"))
            let result = try dir.deblur("blur", "a.tif", "--psf", "big.tif", "-o", "b.tif")
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr == "Error: invalid PSF big.tif: it is 16384×16384, expected odd width and height "
                    + "(`deblur psf import` or `PSF.importing` pads it)\n", "\(result)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("b.tif").path))
        }
    }

    /// A PSF larger than the image was refused only after it was decoded (a 4097² kernel cost
    /// ~90 MB first); the header now decides. The kernel here is a header with no pixels behind
    /// it: decoding it would fail with another message.
    @Test(arguments: [(["deconvolve", "a.tif", "--psf", "big.tif", "--method", "wiener"],
                       "Error: a.tif: PSF of 4097×4097 is larger than the image of 8×8: expected a PSF no larger than the image\n"),
                      (["refine", "a.tif", "--psf", "big.tif"],
                       "Error: a.tif: PSF of 4097×4097 is larger than the image of 8×8: expected a PSF no larger than the image\n"),
                      (["blur", "a.tif", "--psf", "big.tif", "--boundary", "valid"],
                       "Error: valid blur needs an image at least as large as the PSF: image 8×8, PSF 4097×4097\n")])
    func aPSFLargerThanTheImageIsRefusedFromItsHeader(arguments: [String], message: String) throws {
        try withScratch { dir in
            try ImageIO.write(Image(height: 8, width: 8, value: 0.5), to: dir.file("a.tif").path)
            try compactGrayTIFF(width: 4097, height: 4097, pixels: false).write(to: dir.file("big.tif"))
            let before = dir.listing()
            let result = try dir.deblur(arguments + ["-o", "b.tif"])
            #expect(result.stderr == message, "\(result)")
            expectCleanFailure(result, naming: "4097×4097", directory: dir, before: before)
        }
    }

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

    /// An even padding size, or one past 4095 (which once tried to allocate 40 GB), exits 1.
    @Test(arguments: [["motion", "--length", "5", "--size", "8"], ["motion", "--length", "5", "--size", "100001"],
                      ["disk", "--radius", "3", "--size", "4097"]])
    func badPaddingSizeExitsOneNamingIt(arguments: [String]) throws {
        try withScratch { dir in
            let result = try dir.deblur(["psf"] + arguments + ["-o", "k.tif"])
            expectCleanFailure(result, naming: arguments.last!, directory: dir, before: [])
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
            let result = try dir.deblur("psf", "motion", "--length", length, "-o", "k.tif")
            expectCleanFailure(result, naming: length, directory: dir, before: [])
        }
    }

    /// `--angle -30` used to fail with "Missing value" (ArgumentParser took -30 for an option).
    /// fspecial reduces the angle modulo 180, so −30° is the 150° kernel, and `--angle=-30` the same.
    @Test func aNegativeAngleAfterItsOptionIsTheAngleModulo180() throws {
        try withScratch { dir in
            for (name, angle) in [("a.tif", ["--angle", "-30"]), ("b.tif", ["--angle=-30"]), ("c.tif", ["--angle", "150"]),
                                  ("d.tif", ["--angle", "-.5e2"]), ("e.tif", ["--angle", "130"])] {
                let result = try dir.deblur(["psf", "motion", "--length", "9"] + angle + ["-o", name])
                #expect(result.status == 0, "\(angle): \(result)")
            }
            let bytes = try ["a.tif", "b.tif", "c.tif", "d.tif", "e.tif"].map { try Data(contentsOf: dir.file($0)) }
            #expect(bytes[0] == bytes[1] && bytes[0] == bytes[2])
            #expect(bytes[3] == bytes[4] && bytes[3] != bytes[0])
        }
    }
}

@Suite struct PSFImportCommandTests {
    /// An 8-bit PNG kernel of even size, drawn at any scale: written odd-sized and summing to 1,
    /// usable by blur, with the change reported.
    @Test func anEvenPNGKernelIsImportedAndUsable() throws {
        try withScratch { dir in
            var kernel = Image(height: 6, width: 8, value: 0)
            for x in 1..<7 { kernel[3, x] = 1 }
            try ImageIO.write(kernel, to: dir.file("k.png").path, depth: .uint8)
            let result = try dir.deblur("psf", "import", "k.png", "-o", "k.tif")
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("7×9") && result.stdout.contains("1 bottom, 1 right"), "\(result)")
            let psf = try ImageIO.readPSF(dir.file("k.tif").path)
            #expect(psf.height == 7 && psf.width == 9)
            for x in 0..<9 { #expect(abs(psf[3, x] - (x >= 1 && x < 7 ? 1.0 / 6 : 0)) < 1e-6) }
            try ImageIO.write(Image(height: 20, width: 20, value: 0.5), to: dir.file("a.tif").path)
            let refused = try dir.deblur("blur", "a.tif", "--psf", "k.png", "-o", "b.tif")
            #expect(refused.status == 1 && refused.stderr.contains("psf import"), "\(refused)")
            let blurred = try dir.deblur("blur", "a.tif", "--psf", "k.tif", "-o", "b.tif")
            #expect(blurred.status == 0, "\(blurred)")
            let json = try dir.deblur("psf", "import", "k.png", "--centroid", "-o", "c.tif", "--json")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect(object["height"] as? Int == 7 && object["width"] as? Int == 9 && object["clipped_negatives"] as? Int == 0)
        }
    }

    @Test func aKernelWithNoMassExitsOneNamingItWithoutOutput() throws {
        try withScratch { dir in
            try ImageIO.write(Image(height: 5, width: 5, value: 0), to: dir.file("zero.tif").path)
            let before = dir.listing()
            let result = try dir.deblur("psf", "import", "zero.tif", "-o", "k.tif")
            expectCleanFailure(result, naming: "zero.tif", directory: dir, before: before)
        }
    }
}

@Suite struct PSFBankCommandTests {
    /// `--list` writes nothing: an --out beside it was dropped, exit 0. Refused.
    @Test func listWithAnOutputFolderExitsOne() throws {
        try withScratch { dir in
            let result = try dir.deblur("psf", "bank", "--list", "--out", "k")
            expectCleanFailure(result, naming: "Please leave out --out with --list", directory: dir, before: [], usageFollows: true)
            #expect(result.stdout.isEmpty)
        }
    }

    /// `--list` names the shipped kernels and writes nothing; a listed name is a `--psf` for
    /// blur, deconvolve and refine alike, the same kernel as the bank's file.
    @Test func listedNamesAreUsableAsPSFsAndListingWritesNothing() throws {
        try withScratch { dir in
            let list = try dir.deblur("psf", "bank", "--list")
            #expect(list.status == 0, "\(list)")
            let lines = list.stdout.split(separator: "\n")
            #expect(lines.count == (try KernelBank.entries()).count && lines.contains("trajectory-13-2\ttrajectory\t13×13"), "\(list.stdout)")
            #expect(dir.listing().isEmpty)
            try ImageIO.writePSF(try KernelBank.psf(named: "trajectory-13-2"), to: dir.file("k.tif").path)
            try ImageIO.write(randomImage(height: 32, width: 32, seed: 4).clamped(), to: dir.file("s.tif").path)
            for (name, psf) in [("file", "k.tif"), ("named", "trajectory-13-2")] {
                #expect(try dir.deblur("blur", "s.tif", "--psf", psf, "--noise-sigma", "0.01", "--seed", "2", "-o", "b-\(name).tif").status == 0)
                #expect(try dir.deblur("deconvolve", "b-file.tif", "--psf", psf, "--method", "wiener", "-o", "d-\(name).tif", "--quiet").status == 0)
                #expect(try dir.deblur("refine", "b-file.tif", "--psf", psf, "--param", "iterations=2", "--param", "collaborative=0",
                                       "-o", "r-\(name).tif", "--quiet", "--threads", "1").status == 0)
            }
            for stem in ["b", "d", "r"] {
                #expect(try Data(contentsOf: dir.file("\(stem)-named.tif")) == Data(contentsOf: dir.file("\(stem)-file.tif")), "\(stem)")
            }
            let unknown = try dir.deblur("deconvolve", "b-file.tif", "--psf", "trajectory-99-9", "--method", "wiener", "-o", "x.tif")
            #expect(unknown.status == 1 && unknown.stderr.contains("trajectory-99-9") && unknown.stderr.contains("psf bank --list"), "\(unknown)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("x.tif").path))
        }
    }
}
