import Testing
import DeblurCore
import _TestSupport
@testable import Evaluation

@Suite struct ImageScoresTests {
    @Test func cropMatchesScikitImageOnCroppedArrays() throws {
        let (x, y) = Fixtures.pair("gray")
        let entry = Fixtures.reference("gray")["crop_4"] as! [String: Any]
        let scores = try score(x, y, settings: MetricSettings(crop: 4))
        #expect(abs(scores.mse - Fixtures.number(entry, "mse")) < 1e-12)
        #expect(abs(scores.psnr - Fixtures.number(entry, "psnr")) < 1e-9)
        #expect(abs(scores.ssim - Fixtures.number(entry, "ssim_wang2004")) < 1e-10)
    }

    @Test func luminanceOptionScoresRec601Luma() throws {
        let (x, y) = Fixtures.pair("color")
        let entry = Fixtures.reference("color")["luminance"] as! [String: Any]
        let scores = try score(x, y, settings: MetricSettings(luminanceOnly: true))
        // The luma is formed in Float32 on both sides; the fixture did it with NumPy float32.
        #expect(abs(scores.ssim - Fixtures.number(entry, "ssim_wang2004")) < 1e-6)
        #expect(abs(scores.mse - Fixtures.number(entry, "mse")) < 1e-9)
    }

    @Test func luminanceOfATwoChannelImageIsATypedError() throws {
        let a = Image(channels: 2, height: 12, width: 12)
        #expect(throws: EvaluationError.self) { try score(a, a, settings: MetricSettings(luminanceOnly: true)) }
        // Gray images pass through the luminance option unchanged.
        let (x, y) = Fixtures.pair("gray")
        #expect(try score(x, y, settings: MetricSettings(luminanceOnly: true)) == score(x, y))
    }

    @Test func cropLargerThanImageIsATypedError() throws {
        let a = Image(height: 20, width: 20)
        #expect(throws: EvaluationError.self) { try score(a, a, settings: MetricSettings(crop: 10)) }
        #expect(throws: EvaluationError.self) { try score(a, a, settings: MetricSettings(crop: -1)) }
        // The largest crops once trapped on 2 · crop + 1.
        for crop in [Int.max / 2, Int.max] {
            #expect(throws: EvaluationError.self) { try score(a, a, settings: MetricSettings(crop: crop)) }
        }
        // One pixel left is still a score: 21 × 20 cropped by 9 is 3 × 2.
        #expect(try MetricSettings(crop: 9).prepare(Image(height: 21, width: 20)).height == 3)
        #expect(throws: EvaluationError.self) { try MetricSettings(crop: 10).prepare(Image(height: 21, width: 20)) }
    }
}
