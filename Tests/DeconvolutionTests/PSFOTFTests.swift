import Testing
import DeblurCore
import _TestSupport
@testable import Deconvolution

@Suite struct PSFOTFTests {
    @Test func otf2psfInvertsPsf2otfForAnyPaddedSize() throws {
        let psf = try PSF.trajectory(size: 15, seed: 4)
        for (h, w) in [(15, 15), (32, 45), (63, 17)] {
            let otf = psf.otf(height: h, width: w)
            let back = try PSF.fromOTF(otf, fullHeight: h, fullWidth: w, height: 15, width: 15)
            #expect(maxAbsDifference(back.image, psf.image) < 1e-6)
        }
    }

    @Test func otfOfTheIdentityIsOneEverywhere() {
        let otf = PSF.identity.otf(height: 8, width: 9)
        for i in 0..<(8 * 5) {
            #expect(abs(otf.pointer[2 * i] - 1) < 1e-7 && abs(otf.pointer[2 * i + 1]) < 1e-7)
        }
    }
}
