import DeblurCore
import Testing

@Suite struct PSFImportTests {
    /// An even kernel gets its zero row at the bottom and column at the right: sample
    /// (h/2, w/2) of the original, MATLAB's conv2 'same' centre, stays the centre.
    @Test func anEvenKernelIsPaddedAtTheBottomAndRight() throws {
        let kernel = Image(height: 4, width: 6) { _, y, x in Float(1 + y * 6 + x) }
        let imported = try PSF.importing(kernel)
        let psf = imported.psf
        #expect(psf.height == 5 && psf.width == 7)
        #expect((imported.top, imported.bottom, imported.left, imported.right) == (0, 1, 0, 1))
        let total = Float((1...24).reduce(0, +))
        for y in 0..<5 {
            for x in 0..<7 {
                let expected: Float = y < 4 && x < 6 ? Float(1 + y * 6 + x) / total : 0
                #expect(abs(psf[y, x] - expected) < 1e-7, "(\(y), \(x))")
            }
        }
        #expect(abs(psf[psf.centerY, psf.centerX] - kernel[2, 3] / total) < 1e-7)
        #expect(imported.clippedNegatives == 0 && imported.clippedFraction == 0)
    }

    @Test func negativeSamplesAreClippedAndCounted() throws {
        var kernel = Image(height: 3, width: 3, value: 0)
        kernel[1, 1] = 0.8; kernel[0, 1] = 0.2; kernel[2, 0] = -0.05; kernel[2, 2] = -0.05
        let imported = try PSF.importing(kernel)
        #expect(imported.clippedNegatives == 2)
        #expect(abs(imported.clippedFraction - 0.1) < 1e-7)
        #expect(imported.psf.height == 3 && imported.psf.width == 3)
        #expect(abs(imported.psf[1, 1] - 0.8) < 1e-6 && abs(imported.psf[0, 1] - 0.2) < 1e-6 && imported.psf[2, 0] == 0)
    }

    /// With `centroid`, a single sample off the array's centre ends up on the new centre.
    @Test func centroidPaddingPutsTheMassOnTheCentre() throws {
        var kernel = Image(height: 5, width: 7, value: 0)
        kernel[1, 4] = 3
        let imported = try PSF.importing(kernel, centroid: true)
        #expect((imported.top, imported.bottom, imported.left, imported.right) == (2, 0, 0, 2))
        #expect(imported.psf.height == 7 && imported.psf.width == 9)
        #expect(imported.psf[imported.psf.centerY, imported.psf.centerX] == 1)
        // Two equal samples on an even side: the centroid (1.5) rounds to 2, which becomes the centre.
        var pair = Image(height: 4, width: 1, value: 0)
        pair[1, 0] = 1; pair[2, 0] = 1
        let centred = try PSF.importing(pair, centroid: true)
        #expect(centred.psf.height == 5 && centred.psf[2, 0] == 0.5 && centred.psf[1, 0] == 0.5)
    }

    /// A conforming kernel comes back exactly as the initializer makes it; a color one as its luma.
    @Test func aConformingKernelIsUnchangedAndColorBecomesLuma() throws {
        let kernel = Image(height: 3, width: 5) { _, y, x in Float((y + 1) * (x + 2)) }
        #expect(try PSF.importing(kernel).psf == PSF(kernel))
        let color = Image(channels: 3, height: 3, width: 3) { c, y, x in y == 1 && x == 1 ? 1 : (c == 0 ? 0.5 : 0) }
        let luma = try PSF.importing(color).psf
        #expect(luma == (try PSF(color.luminance())))
        #expect(abs(luma[1, 1] - 1 / (1 + 8 * 0.299 * 0.5)) < 1e-6)
    }

    @Test func noPositiveMassOrANonFiniteSampleIsRefused() {
        #expect(throws: CoreError.self) { try PSF.importing(Image(height: 3, width: 3, value: 0)) }
        #expect(throws: CoreError.self) { try PSF.importing(Image(height: 3, width: 3, value: -1)) }
        var nan = Image(height: 3, width: 3, value: 0.1)
        nan[0, 0] = .nan
        #expect(throws: CoreError.self) { try PSF.importing(nan, source: "k.tif") }
    }
}
