import Testing
import _TestSupport
@testable import DeblurCore

struct GeometryTests {
    // NumPy's np.pad names, checked by hand on [a b c d] = [1 2 3 4] with 3 on each side.
    @Test(arguments: [
        (PaddingMode.zero, [0, 0, 0, 1, 2, 3, 4, 0, 0, 0] as [Float]),
        (.reflect, [3, 2, 1, 1, 2, 3, 4, 4, 3, 2]),
        (.mirror, [4, 3, 2, 1, 2, 3, 4, 3, 2, 1]),
        (.replicate, [1, 1, 1, 1, 2, 3, 4, 4, 4, 4]),
        (.circular, [2, 3, 4, 1, 2, 3, 4, 1, 2, 3]),
    ])
    func paddingOneRowMatchesNumPy(mode: PaddingMode, expected: [Float]) {
        let row = Image(height: 1, width: 4, pixels: [1, 2, 3, 4])
        let padded = row.padded(top: 0, bottom: 0, left: 3, right: 3, mode: mode)
        #expect(padded.pixels == expected)
    }

    @Test(arguments: PaddingMode.allCases)
    func paddingFarBeyondTheImageRepeatsThePattern(mode: PaddingMode) {
        let image = randomImage(channels: 2, height: 3, width: 2, seed: 1)
        let padded = image.padded(top: 7, bottom: 5, left: 9, right: 4, mode: mode)
        #expect(padded.height == 15 && padded.width == 15 && padded.channels == 2)
        // The centre is the image itself; every sample is the one sourceIndex names.
        #expect(padded.cropped(top: 7, left: 9, height: 3, width: 2) == image)
        for c in 0..<2 {
            for y in 0..<15 {
                for x in 0..<15 {
                    let sy = mode.sourceIndex(y - 7, count: 3), sx = mode.sourceIndex(x - 9, count: 2)
                    let expected: Float = (sy != nil && sx != nil) ? image[c, sy!, sx!] : 0
                    #expect(padded[c, y, x] == expected)
                }
            }
        }
    }

    @Test func cropAndCenterCrop() {
        let image = Image(height: 4, width: 5) { _, y, x in Float(10 * y + x) }
        #expect(image.cropped(top: 1, left: 2, height: 2, width: 3).pixels == [12, 13, 14, 22, 23, 24])
        #expect(image.centerCropped(height: 2, width: 3).pixels == [11, 12, 13, 21, 22, 23])
        #expect(image.shaved(1).pixels == [11, 12, 13, 21, 22, 23])
    }

    @Test func flipsAndRotationsCompose() {
        let image = randomImage(channels: 3, height: 4, width: 7, seed: 2)
        #expect(image.flippedHorizontally().flippedVertically() == image.rotated180())
        #expect(image.rotated90().rotated90() == image.rotated180())
        #expect(image.rotated90(times: 3).rotated90() == image)
        #expect(image.rotated90().height == 7 && image.rotated90().width == 4)
        #expect(image.transposed().transposed() == image)
        // rot90 counter-clockwise: the top-right sample goes to the top-left.
        #expect(image.rotated90()[0, 0, 0] == image[0, 0, 6])
    }

    @Test func splitMergeRoundTripAndLuminance() {
        let rgb = randomImage(channels: 3, height: 5, width: 3, seed: 4)
        #expect(Image.merge(rgb.splitChannels()) == rgb)
        let y = rgb.luminance()
        #expect(abs(y[2, 1] - (0.299 * rgb[0, 2, 1] + 0.587 * rgb[1, 2, 1] + 0.114 * rgb[2, 2, 1])) < 1e-6)
        #expect(rgb.mapChannels { $0 } == rgb)
    }

    @Test func psfValidationNormalizesAndRejects() throws {
        let psf = try PSF(Image(height: 3, width: 3, pixels: [0, 1, 0, 1, 4, 1, 0, 1, 0]))
        #expect(abs(psf.image.pixels.reduce(0, +) - 1) < 1e-6)
        #expect(psf[1, 1] == 0.5)
        #expect(psf.centerY == 1 && psf.centerX == 1)
        #expect(throws: CoreError.self) { try PSF(Image(height: 2, width: 3, value: 1)) }
        #expect(throws: CoreError.self) { try PSF(Image(height: 3, width: 3, value: 0)) }
        #expect(throws: CoreError.self) { try PSF(Image(height: 1, width: 3, pixels: [1, -1, 1])) }
        #expect(throws: CoreError.self) { try PSF(Image(height: 1, width: 3, pixels: [1, .nan, 1])) }
        #expect(throws: CoreError.self) { try PSF(Image(channels: 3, height: 1, width: 1, value: 1)) }
        // A kernel stored at 1e-40 (a sum below Float's range) once normalized to ∞.
        let tiny = try PSF(Image(height: 3, width: 3, value: Float(1e-40 as Double)))
        #expect(tiny.image.pixels.allSatisfy { abs($0 - 1.0 / 9) < 1e-7 })
    }

    @Test func parallelForVisitsEachIndexOnce() {
        let n = 1000
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: n)
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        parallelFor(n, threads: 4) { i in counts[i] += 1 }
        #expect(counts.allSatisfy { $0 == 1 })
    }
}
