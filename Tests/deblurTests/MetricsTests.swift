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
}
