import DeblurKit
import Foundation
import Testing
import _TestSupport

@Suite struct MetricsTests {
    static func json(_ result: CLIResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
    }

    @Test func identicalImagesScoreInfinitePSNRAndUnitSSIM() throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 32, width: 32, seed: 4), to: dir.file("a.png").path)
            let result = try dir.deblur("metrics", "a.png", "a.png", "--json")
            #expect(result.status == 0, "\(result)")
            let object = try Self.json(result)
            #expect(object["mse"] as? Double == 0)
            // JSON has no infinity: JSONWriter writes PSNR inf as null (Docs/Evaluation.md), which
            // together with MSE 0 is the infinite PSNR.
            #expect(object["psnr"] is NSNull, "psnr = \(String(describing: object["psnr"]))")
            #expect(object["ssim"] as? Double == 1)
            #expect(object["ssim_channels"] as? [Double] == [1])
            let text = try dir.deblur("metrics", "a.png", "a.png")
            #expect(text.status == 0 && text.stdout.contains("PSNR inf dB") && text.stdout.contains("SSIM 1.000000"), "\(text)")
        }
    }

    /// A color image against a gray reference, or the reverse, is refused naming both shapes
    /// (Evaluation.md), `--luminance` included; nothing is written.
    @Test func colorAgainstGrayIsRefusedEitherWay() throws {
        try withScratch { dir in
            let color = randomImage(channels: 3, height: 16, width: 16, seed: 8)
            try ImageIO.write(color, to: dir.file("c.tif").path)
            try ImageIO.write(color.channel(1), to: dir.file("g.tif").path)
            for (reference, image) in [("g.tif", "c.tif"), ("c.tif", "g.tif")] {
                for extra in [[], ["--luminance"]] {
                    let result = try dir.deblur(["metrics", reference, image, "--ssim-map", "m.tif"] + extra)
                    #expect(result.status == 1 && result.stdout.isEmpty, "\(result)")
                    #expect(result.stderr.contains("the channel counts differ") && result.stderr.contains(image) && result.stderr.contains(reference), "\(result)")
                    #expect(!FileManager.default.fileExists(atPath: dir.file("m.tif").path))
                }
            }
        }
    }

    /// PSNR = 10·log10(1/MSE) for an image offset by a constant 0.1 everywhere: MSE = 0.01, 20 dB.
    @Test func constantOffsetScoresTwentyDecibels() throws {
        try withScratch { dir in
            try ImageIO.write(Image(height: 16, width: 16, value: 0.3), to: dir.file("a.tif").path)
            try ImageIO.write(Image(height: 16, width: 16, value: 0.4), to: dir.file("b.tif").path)
            let object = try Self.json(try dir.deblur("metrics", "a.tif", "b.tif", "--json"))
            let psnr = try #require(object["psnr"] as? Double)
            #expect(abs(psnr - 20) < 1e-4)
        }
    }

    /// Float TIFFs in photon counts scored at the default data range 1 give −75 dB and a low SSIM
    /// that look like real scores (scikit-image refuses such images without data_range): a note
    /// on stderr names the reference and --data-range, or the image whose median is far outside
    /// [0, 1] against a [0, 1] reference; the scores themselves are unchanged.
    @Test func referenceFarOutsideUnitRangeGetsADataRangeNote() throws {
        try withScratch { dir in
            try ImageIO.write(Image(height: 16, width: 16) { _, y, x in Float(1000 + 100 * x + 7 * y) }, to: dir.file("a.tif").path)
            try ImageIO.write(Image(height: 16, width: 16) { _, y, x in Float(1010 + 100 * x + 7 * y) }, to: dir.file("b.tif").path)
            let plain = try dir.deblur("metrics", "a.tif", "b.tif", "--json")
            #expect(plain.status == 0, "\(plain)")
            #expect(plain.stderr.contains("a.tif") && plain.stderr.contains("--data-range"), "\(plain)")
            #expect(abs(try #require(Self.json(plain)["psnr"] as? Double) - (-20)) < 1e-4)
            let ranged = try dir.deblur("metrics", "a.tif", "b.tif", "--json", "--data-range", "2000")
            #expect(ranged.status == 0 && ranged.stderr.isEmpty, "\(ranged)")
            #expect(abs(try #require(Self.json(ranged)["psnr"] as? Double) - 20 * log10(200.0)) < 1e-4)
            try ImageIO.write(Image(height: 16, width: 16, value: 0.3), to: dir.file("c.tif").path)
            let quiet = try dir.deblur("metrics", "c.tif", "c.tif")
            #expect(quiet.status == 0 && quiet.stderr.isEmpty, "\(quiet)")
            // An image in 0–255 units against a [0, 1] reference: the image is named.
            try ImageIO.write(Image(height: 16, width: 16, value: 0.3 * 255), to: dir.file("d.tif").path)
            let units = try dir.deblur("metrics", "c.tif", "d.tif")
            #expect(units.status == 0 && units.stderr.contains("d.tif") && units.stderr.contains("other units"), "\(units)")
            // A [0, 1] image ringing past it at the edges is no unit slip.
            try ImageIO.write(Image(height: 16, width: 16) { _, y, x in min(y, x) == 0 ? 6 : 0.3 }, to: dir.file("e.tif").path)
            let ringing = try dir.deblur("metrics", "c.tif", "e.tif")
            #expect(ringing.status == 0 && ringing.stderr.isEmpty, "\(ringing)")
        }
    }

    @Test func sizeMismatchExitsOneNamingBothFiles() throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 16, width: 16, seed: 1), to: dir.file("a.tif").path)
            try ImageIO.write(randomImage(height: 16, width: 17, seed: 1), to: dir.file("b.tif").path)
            let before = dir.listing()
            let result = try dir.deblur("metrics", "a.tif", "b.tif", "--json")
            expectCleanFailure(result, naming: "b.tif", directory: dir, before: before)
            #expect(result.stderrLines.first?.contains("a.tif") == true)
        }
    }

    /// One NaN in a restoration once scored "PSNR inf dB", a perfect match: now exit 1 naming
    /// the file, and the library's `score` refuses it too.
    @Test func aNaNSampleExitsOneNamingTheFile() throws {
        try withScratch { dir in
            var broken = randomImage(height: 16, width: 16, seed: 1)
            try ImageIO.write(broken, to: dir.file("a.tif").path)
            broken[3, 4] = .nan
            try ImageIO.write(broken, to: dir.file("nan.tif").path)
            let before = dir.listing()
            expectCleanFailure(try dir.deblur("metrics", "a.tif", "nan.tif", "--json"), naming: "nan.tif", directory: dir, before: before)
            expectCleanFailure(try dir.deblur("metrics", "nan.tif", "a.tif"), naming: "nan.tif", directory: dir, before: before)
            #expect(throws: EvaluationError.invalidValue(name: "image", value: "with 1 NaN or infinite sample", expected: "finite values")) {
                try score(try ImageIO.read(dir.file("a.tif").path), broken)
            }
        }
    }

    /// A valid blur's restoration against the whole sharp image: the reference's centre is
    /// scored, exactly as the same crop written out and compared same-size.
    @Test func centerReferenceScoresTheCentralCrop() throws {
        try withScratch { dir in
            let sharp = randomImage(height: 24, width: 30, seed: 2)
            let centre = sharp.cropped(top: 3, left: 5, height: 18, width: 20)
            var restored = centre
            restored.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = min(1, p[i] + (i % 3 == 0 ? 0.05 : 0)) } }
            try ImageIO.write(sharp, to: dir.file("sharp.tif").path)
            try ImageIO.write(centre, to: dir.file("centre.tif").path)
            try ImageIO.write(restored, to: dir.file("restored.tif").path)
            let whole = try Self.json(try dir.deblur("metrics", "sharp.tif", "restored.tif", "--center-reference", "--json"))
            let cropped = try Self.json(try dir.deblur("metrics", "centre.tif", "restored.tif", "--json"))
            let psnr = try #require(whole["psnr"] as? Double)
            #expect(psnr == cropped["psnr"] as? Double && psnr > 20 && psnr < 60)
            #expect(whole["ssim"] as? Double == cropped["ssim"] as? Double)
            #expect(whole["reference_offset"] as? [Int] == [3, 5])
            #expect(cropped["reference_offset"] as? [Int] == [0, 0])
        }
    }

    @Test func centerReferenceRefusesAnOddOrNegativeMargin() throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 20, width: 20, seed: 1), to: dir.file("a.tif").path)
            try ImageIO.write(randomImage(height: 17, width: 18, seed: 1), to: dir.file("odd.tif").path)
            try ImageIO.write(randomImage(height: 22, width: 22, seed: 1), to: dir.file("big.tif").path)
            try ImageIO.write(randomImage(height: 16, width: 16, seed: 1), to: dir.file("small.tif").path)
            let before = dir.listing()
            for image in ["odd.tif", "big.tif"] {
                let result = try dir.deblur("metrics", "a.tif", image, "--center-reference")
                expectCleanFailure(result, naming: image, directory: dir, before: before)
                #expect(result.stderr.contains("even number of pixels"), "\(result)")
            }
            // Without the flag, a margin a valid blur could leave suggests it.
            let hint = try dir.deblur("metrics", "a.tif", "small.tif")
            expectCleanFailure(hint, naming: "small.tif", directory: dir, before: before)
            #expect(hint.stderr.contains("--center-reference"), "\(hint)")
        }
    }

    /// `--data-range W` is the value of white in a float file's units, while an 8/16-bit file is
    /// read on [0, 1]: a sharp PNG against a restoration written in 0–255 units at --data-range 255
    /// scored about 6 dB and SSIM 0.002 (the PNG taken for near-black), and two PNGs 48 dB above
    /// their score. Such a file is now scaled to [0, W]: both pairs score as the same images on
    /// [0, 1] at the default range, and float files are scored exactly as before.
    @Test func anIntegerFileIsScaledToTheDataRangesUnits() throws {
        try withScratch { dir in
            let sharp = randomImage(channels: 3, height: 24, width: 20, seed: 11)
            var restored = randomImage(channels: 3, height: 24, width: 20, seed: 12)
            restored.withUnsafeMutableBufferPointer { r in
                for i in r.indices { r[i] = 0.8 * sharp.pixels[i] + 0.2 * r[i] }
            }
            try ImageIO.write(sharp, to: dir.file("sharp.png").path, depth: .uint8)
            try ImageIO.write(restored, to: dir.file("restored.tif").path)
            try ImageIO.write(restored.scaled(by: 255), to: dir.file("restored255.tif").path)
            try ImageIO.write(restored, to: dir.file("restored.png").path, depth: .uint16)
            func scores(_ arguments: String...) throws -> (psnr: Double, ssim: Double, mse: Double) {
                let object = try Self.json(try dir.deblur(["metrics"] + arguments + ["--json"]))
                return (try #require(object["psnr"] as? Double), try #require(object["ssim"] as? Double), try #require(object["mse"] as? Double))
            }
            let unit = try scores("sharp.png", "restored.tif")
            #expect(unit.psnr > 10 && unit.psnr < 30, "\(unit)")
            for (image, range) in [("restored255.tif", "255"), ("restored.png", "255"), ("restored.png", "4000")] {
                let ranged = try scores("sharp.png", image, "--data-range", range)
                #expect(abs(ranged.psnr - unit.psnr) < 1e-3 && abs(ranged.ssim - unit.ssim) < 1e-5, "\(image) at \(range): \(ranged) against \(unit)")
            }
            let pngs = try scores("sharp.png", "restored.png")
            let pngsRanged = try scores("sharp.png", "restored.png", "--data-range", "255")
            #expect(abs(pngsRanged.mse - 255 * 255 * pngs.mse) < 1e-4 * pngsRanged.mse, "\(pngsRanged) against \(pngs)")
            // Float files are in the range's units already: unchanged.
            try ImageIO.write(try ImageIO.read(dir.file("sharp.png").path).scaled(by: 255), to: dir.file("sharp255.tif").path)
            let floats = try scores("sharp255.tif", "restored255.tif", "--data-range", "255")
            #expect(abs(floats.psnr - unit.psnr) < 1e-3 && abs(floats.mse - 255 * 255 * unit.mse) < 1e-4 * floats.mse, "\(floats)")
        }
    }
}
