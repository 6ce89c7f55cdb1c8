import Testing
import DeblurCore
import Deconvolution
@testable import Refinement

@Suite struct TrainingDataTests {
    @Test func syntheticDataIsDeterministicValidBoundaryAndRunsTheBase() throws {
        var settings = SyntheticDataSettings()
        settings.imageSize = 32; settings.trainingImages = 3; settings.validationImages = 1; settings.psfSizes = [7, 9]
        let base = try ClassicalMethods.make("wiener")
        let a = try TrainingData.synthetic(settings, base: base, seed: 11)
        let b = try TrainingData.synthetic(settings, base: base, seed: 11)
        let c = try TrainingData.synthetic(settings, base: base, seed: 12)
        #expect(a.training.count == 3 && a.validation.count == 1)
        for (x, y) in zip(a.training + a.validation, b.training + b.validation) {
            #expect(x.sharp == y.sharp && x.blurred == y.blurred && x.estimate == y.estimate && x.noiseSigma == y.noiseSigma)
            #expect(x.sharp.height == 32 && x.blurred.width == 32)
            #expect(x.noiseSigma >= settings.noiseMin && x.noiseSigma <= settings.noiseMax)
            #expect(x.estimate != x.blurred)
        }
        #expect(a.training[0].sharp != c.training[0].sharp)
    }
}
