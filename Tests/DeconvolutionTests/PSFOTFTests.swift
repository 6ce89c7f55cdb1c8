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

    /// An even or too large size trapped ('otf2psf needs an odd size within …').
    @Test func otf2psfRefusesEvenAndTooLargeSizesNamingThem() throws {
        let otf = try PSF.gaussian(sigma: 1, size: 5).otf(height: 16, width: 12)
        #expect(throws: CoreError.invalidPSF(source: "otf2psf", reason: "is 4×5, expected odd width and height (`deblur psf import` or `PSF.importing` pads it)")) {
            try PSF.fromOTF(otf, fullHeight: 16, fullWidth: 12, height: 4, width: 5)
        }
        #expect(throws: CoreError.invalidValue(name: "otf2psf size", value: "17×5", expected: "at most the OTF's 16×12")) {
            try PSF.fromOTF(otf, fullHeight: 16, fullWidth: 12, height: 17, width: 5)
        }
        #expect(throws: CoreError.invalidValue(name: "otf2psf size", value: "5×13", expected: "at most the OTF's 16×12")) {
            try PSF.fromOTF(otf, fullHeight: 16, fullWidth: 12, height: 5, width: 13)
        }
        #expect(try PSF.fromOTF(otf, fullHeight: 16, fullWidth: 12, height: 5, width: 5).height == 5)
    }

    @Test func otfOfTheIdentityIsOneEverywhere() {
        let otf = PSF.identity.otf(height: 8, width: 9)
        for i in 0..<(8 * 5) {
            #expect(abs(otf.pointer[2 * i] - 1) < 1e-7 && abs(otf.pointer[2 * i + 1]) < 1e-7)
        }
    }
}
