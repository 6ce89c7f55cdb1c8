import Testing
import DeblurCore
import _TestSupport
@testable import Deconvolution

@Suite struct TikhonovTests {
    let sharp = testScene(height: 24, width: 30, seed: 12)

    @Test func laplacianRegularizerMatchesScikitImageWienerBalance() throws {
        // skimage.restoration.wiener(x, psf, balance=0.05, clip=False): MATLAB deconvreg(x, psf, [], 0.05).
        let skimageTikhonovBalance005: [Float] = [0.2951076, 0.4205314, 0.7008946, 0.6779584, 0.5551338, 0.5470316, 0.5282113, 0.5338115, 0.6915035, 0.6286491, 0.5729732, 0.679371, 0.7803949, 0.8101626, 0.857982, 0.8913311, 0.8348573, 0.7944009, 0.8247045, 0.6973823, 0.8475247, 0.9320047, 0.8718779, 0.8025768, 0.7757387, 0.7461918, 0.6779742, 0.6253269, 0.6368871, 0.6856218, 0.9114657, 0.9420327, 0.7473946, 0.5651773, 0.4853991, 0.4950016, 0.5420905, 0.5844171, 0.6217159, 0.7355855, 0.6976879, 0.7123441, 0.5792054, 0.5079374, 0.534827, 0.6039505, 0.6175786, 0.5171714, 0.3776423, 0.4400942, 0.4548566, 0.4563035, 0.5727818, 0.7283082, 0.7624819, 0.6344197, 0.4052448, 0.197138, 0.144014, 0.3240005, 0.2680424, 0.3010756, 0.6750393, 0.903057, 0.7305583, 0.3915086, 0.1976886, 0.2252729, 0.3559072, 0.4073756, 0.1919844, 0.2879502, 0.7216085, 0.8168004, 0.5233606, 0.305298, 0.3295944, 0.4160223, 0.4777768, 0.4196801]
        let restored = try Tikhonov(lambda: 0.05, boundary: .circular).restore(referenceInput(), psf: asymmetricPSF())
        #expect(maxAbsDifference(restored.pixels, skimageTikhonovBalance005) < 1e-5)
    }

    @Test func lambdaToZeroConvergesToTheInverseFilter() throws {
        let psf = invertiblePSF()
        let blurred = naiveCircularConvolve(sharp, psf)
        for regularizer in Tikhonov.Regularizer.allCases {
            var errors = [Double]()
            for lambda: Float in [1e-1, 1e-2, 1e-3, 1e-5, 0] {
                let method = Tikhonov(lambda: lambda, regularizer: regularizer, boundary: .circular)
                errors.append(rmsDifference(try method.restore(blurred, psf: psf), sharp))
            }
            for k in 1..<errors.count { #expect(errors[k] < errors[k - 1]) }
            #expect(errors.last! < 1e-4)
        }
    }

    @Test func identityRegularizerEqualsScalarWiener() throws {
        let psf = asymmetricPSF()
        let a = try Tikhonov(lambda: 0.03, regularizer: .identity).restore(sharp, psf: psf)
        let b = try Wiener(nsr: 0.03).restore(sharp, psf: psf)
        #expect(maxAbsDifference(a, b) == 0)
    }

    @Test func negativeLambdaIsATypedError() throws {
        #expect(throws: DeconvolutionError.self) { try Tikhonov(lambda: -0.1).restore(sharp, psf: invertiblePSF()) }
        #expect(throws: DeconvolutionError.self) { try Tikhonov(lambda: .nan).restore(sharp, psf: invertiblePSF()) }
    }

    @Test func colorImagesEqualChannelWiseCalls() throws {
        let psf = asymmetricPSF()
        let color = Image.merge([sharp, sharp.mapPixels { $0 * 0.5 }, sharp.mapPixels { 1 - $0 }])
        let method = Tikhonov(lambda: 0.01)
        let joint = try method.restore(color, psf: psf)
        for c in 0..<3 { #expect(maxAbsDifference(joint.channel(c), try method.restore(color.channel(c), psf: psf)) == 0) }
    }
}
