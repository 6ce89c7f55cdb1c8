import Testing
import Foundation
import DeblurCore
import _TestSupport
@testable import Evaluation

/// Direct (non-separable) SSIM of one channel, written from the definition: every window
/// sums taps² products. `padding` nil means valid region only. Returns (mean, map).
private func naiveSSIM(_ x: Image, _ y: Image, preset: SSIMPreset, dataRange: Double = 1) -> (Double, [[Double]]) {
    let w1 = preset.weights, k = w1.count, r = k / 2
    let h = x.height, w = x.width
    let c1 = pow(0.01 * dataRange, 2), c2 = pow(0.03 * dataRange, 2), norm = preset.covarianceNormalization
    func sample(_ img: Image, _ yy: Int, _ xx: Int) -> Double {
        let sy = preset.padding.sourceIndex(yy, count: h)!, sx = preset.padding.sourceIndex(xx, count: w)!
        return Double(img[sy, sx])
    }
    var map = [[Double]](repeating: [Double](repeating: 0, count: w), count: h)
    for i in 0..<h {
        for j in 0..<w {
            var mx = 0.0, my = 0.0, mxx = 0.0, myy = 0.0, mxy = 0.0
            for dy in 0..<k {
                for dx in 0..<k {
                    let wt = w1[dy] * w1[dx]
                    let a = sample(x, i + dy - r, j + dx - r), b = sample(y, i + dy - r, j + dx - r)
                    mx += wt * a; my += wt * b; mxx += wt * a * a; myy += wt * b * b; mxy += wt * a * b
                }
            }
            let vx = norm * (mxx - mx * mx), vy = norm * (myy - my * my), vxy = norm * (mxy - mx * my)
            map[i][j] = (2 * mx * my + c1) * (2 * vxy + c2) / ((mx * mx + my * my + c1) * (vx + vy + c2))
        }
    }
    var sum = 0.0, n = 0
    let rows = preset.averagesWholeMap ? 0..<h : r..<h - r, cols = preset.averagesWholeMap ? 0..<w : r..<w - r
    for i in rows { for j in cols { sum += map[i][j]; n += 1 } }
    return (sum / Double(n), map)
}

@Suite struct SSIMTests {
    @Test func identicalImagesScoreOne() throws {
        let a = randomImage(channels: 3, height: 20, width: 17, seed: 5)
        for preset in SSIMPreset.allCases {
            #expect(abs(try ssim(a, a, preset: preset) - 1) < 1e-12, "\(preset)")
        }
    }

    @Test func gaussianWindowIsScipysKernel() {
        let w = gaussianWindow(sigma: 1.5, radius: 5)
        #expect(w.count == 11)
        #expect(abs(w.reduce(0, +) - 1) < 1e-15)
        // exp(−0.5·25/2.25) / Σ, the end tap of scipy.ndimage._gaussian_kernel1d(1.5, 0, 5).
        let raw = (-5...5).map { exp(-0.5 * Double($0 * $0) / 2.25) }
        #expect(abs(w[0] - raw[0] / raw.reduce(0, +)) < 1e-18)
    }

    @Test(arguments: SSIMPreset.allCases)
    func separableKernelEqualsDirectWindowSum(preset: SSIMPreset) throws {
        // 150 rows: two 128-row blocks, so a block seam is covered.
        let x = randomImage(height: 150, width: 23, seed: 6)
        var y = x
        var rng = SeededRandom(seed: 7)
        y.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = 0.7 * p[i] + 0.3 * rng.uniformFloat() } }
        let (mean, map) = naiveSSIM(x, y, preset: preset)
        let result = try structuralSimilarity(x, y, preset: preset, map: true)
        #expect(abs(result.mean - mean) < 1e-12)
        var worst = 0.0
        for i in 0..<x.height { for j in 0..<x.width { worst = max(worst, abs(Double(result.map![i, j]) - map[i][j])) } }
        #expect(worst < 1e-6)  // the map is stored as Float32
        #expect(abs(try ssim(x, y, preset: preset) - mean) < 1e-12)
    }

    @Test func resultDoesNotDependOnThreadCount() throws {
        let x = randomImage(height: 300, width: 41, seed: 8), y = randomImage(height: 300, width: 41, seed: 9)
        #expect(try ssim(x, y, threads: 1) == ssim(x, y, threads: 2))
    }

    @Test(arguments: ["gray", "color"])
    func presetsMatchReferences(name: String) throws {
        let (x, y) = Fixtures.pair(name)
        let entry = Fixtures.reference(name)
        // The bar is 1e-6; Float64 accumulation gives far better.
        #expect(abs(try ssim(x, y, preset: .wang2004) - Fixtures.number(entry, "ssim_wang2004")) < 1e-10)
        #expect(abs(try ssim(x, y, preset: .skimageDefault) - Fixtures.number(entry, "ssim_skimage_default")) < 1e-10)
        #expect(abs(try ssim(x, y, preset: .matlab) - Fixtures.number(entry, "ssim_matlab")) < 1e-10)
    }

    @Test func dataRangeMatchesReferences() throws {
        let (x, y) = Fixtures.pair("gray")
        let entry = Fixtures.reference("gray")["data_range_2"] as! [String: Any]
        #expect(abs(try ssim(x, y, dataRange: 2) - Fixtures.number(entry, "ssim_wang2004")) < 1e-10)
        #expect(abs(try ssim(x, y, preset: .skimageDefault, dataRange: 2) - Fixtures.number(entry, "ssim_skimage_default")) < 1e-10)
        #expect(abs(try ssim(x, y, preset: .matlab, dataRange: 2) - Fixtures.number(entry, "ssim_matlab")) < 1e-10)
    }

    @Test func mapBorderMatchesScikitImageFullMap() throws {
        let (x, y) = Fixtures.pair("gray")
        let map = try ssimMap(x, y)
        #expect(map.height == x.height && map.width == x.width)
        for sample in Fixtures.reference("gray")["ssim_wang2004_map"] as! [[NSNumber]] {
            let (r, c, value) = (sample[0].intValue, sample[1].intValue, sample[2].doubleValue)
            #expect(abs(Double(map[r, c]) - value) < 1e-6, "map at (\(r), \(c))")
        }
    }

    @Test func colorMeanIsTheMeanOfChannelMeans() throws {
        let (x, y) = Fixtures.pair("color")
        let result = try structuralSimilarity(x, y)
        let perChannel = try (0..<3).map { try ssim(x.channel($0), y.channel($0)) }
        #expect(result.channelMeans == perChannel)
        #expect(abs(result.mean - perChannel.reduce(0, +) / 3) < 1e-15)
    }

    @Test func imageSmallerThanWindowThrows() throws {
        let a = Image(height: 10, width: 30)
        #expect(throws: EvaluationError.self) { try ssim(a, a) }
        // MATLAB's convention pads, so any size works.
        #expect(try ssim(a, a, preset: .matlab) == 1)
    }

    /// One NaN made the mean SSIM NaN and a patch of the map NaN, one ∞ a mean of −NaN, with no
    /// error; every preset and the map refuse them now, naming the image and the count.
    @Test(arguments: SSIMPreset.allCases, [Float.nan, .infinity])
    func nonFiniteSamplesAreRefusedNamingTheImage(preset: SSIMPreset, bad: Float) throws {
        let a = randomImage(channels: 3, height: 16, width: 16, seed: 6)
        var b = a
        b.pixels[300] = bad
        let expected = EvaluationError.invalidValue(name: "image", value: "with 1 NaN or infinite sample", expected: "finite values")
        #expect(throws: expected) { try ssim(a, b, preset: preset) }
        #expect(throws: expected) { try ssimMap(a, b, preset: preset) }
        #expect(throws: EvaluationError.invalidValue(name: "reference", value: "with 1 NaN or infinite sample", expected: "finite values")) {
            try ssim(b, a, preset: preset)
        }
    }
}
