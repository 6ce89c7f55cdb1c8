import Testing
import DeblurCore
import _TestSupport
@testable import Evaluation

@Suite struct MSETests {
    @Test func constantOffsetGivesItsSquare() throws {
        let a = randomImage(channels: 3, height: 9, width: 11, seed: 1)
        var b = a
        b.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] += 0.125 } }
        // 0.125 is exact in binary, but a + 0.125 rounds: allow Float rounding of the inputs.
        #expect(abs(try mse(a, b) - 0.015625) < 1e-8)
    }

    @Test func equalsNaiveSumOverManyChunks() throws {
        // 3 × 200 × 300 = 180 000 samples: three 64 Ki chunks, summed on both cores.
        let a = randomImage(channels: 3, height: 200, width: 300, seed: 2)
        let b = randomImage(channels: 3, height: 200, width: 300, seed: 3)
        var naive = 0.0
        for i in a.pixels.indices { let d = Double(a.pixels[i]) - Double(b.pixels[i]); naive += d * d }
        naive /= Double(a.count)
        #expect(abs(try mse(a, b) - naive) < 1e-12 * naive)  // only the summation order differs
    }

    @Test func matchesScikitImageOnFixtures() throws {
        for name in ["gray", "color"] {
            let (x, y) = Fixtures.pair(name)
            let expected = Fixtures.number(Fixtures.reference(name), "mse")
            #expect(abs(try mse(x, y) - expected) < 1e-12, "\(name)")
        }
    }

    @Test func sizeMismatchIsATypedError() {
        let a = Image(height: 4, width: 5), b = Image(height: 5, width: 4)
        #expect(throws: EvaluationError.self) { try mse(a, b) }
        #expect(throws: EvaluationError.self) { try mse(Image(channels: 3, height: 4, width: 5), a) }
    }

    /// A NaN or ±∞ sample scored NaN (MSE, PSNR) or a PSNR of −∞ with no error, from Swift; only
    /// `score` and `deblur metrics` refused it. The error names the image and the count.
    @Test(arguments: [Float.nan, .infinity, -.infinity])
    func nonFiniteSamplesAreRefusedNamingTheImage(bad: Float) throws {
        let a = randomImage(height: 12, width: 12, seed: 4)
        var b = randomImage(height: 12, width: 12, seed: 5)
        b.pixels[7] = bad; b.pixels[100] = bad
        let expected = EvaluationError.invalidValue(name: "image", value: "with 2 NaN or infinite samples", expected: "finite values")
        #expect(throws: expected) { try mse(a, b) }
        #expect(throws: expected) { try psnr(a, b) }
        let reference = EvaluationError.invalidValue(name: "reference", value: "with 2 NaN or infinite samples", expected: "finite values")
        #expect(throws: reference) { try psnr(b, a, dataRange: 2) }
        #expect(reference.description == "invalid reference with 2 NaN or infinite samples: expected finite values")
        // Finite samples at the ends of single precision still score: the check is on the result.
        let high = Image(height: 2, width: 2, value: .greatestFiniteMagnitude), low = Image(height: 2, width: 2, value: -.greatestFiniteMagnitude)
        let span = 2 * Double(Float.greatestFiniteMagnitude)
        #expect(try mse(high, low) == span * span)
    }
}
