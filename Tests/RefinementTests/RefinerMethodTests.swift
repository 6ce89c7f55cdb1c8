import Testing
import Foundation
import DeblurCore
import _TestSupport
@testable import Refinement

@Suite struct RefinerMethodTests {
    @Test func refinerRunsTheBaseThenTheNetworkPerChannel() throws {
        let model = tinyModel()
        let refiner = Refiner(model: model, base: Passthrough(), noiseSigma: 0.01, tiling: TiledInference(tile: 16))
        let rgb = randomImage(channels: 3, height: 20, width: 24, seed: 101)
        let out = try refiner.restore(rgb, psf: .identity)
        #expect(out.channels == 3 && out.height == 20 && out.width == 24)
        let green = rgb.channel(1)
        let expected = TiledInference.untiled.run(model.network, planes: RefinerInputs.planes(model.network.architecture.inputs, estimate: green, blurred: green, noiseSigma: 0.01))
        #expect(maxAbs(out.channel(1).pixels, expected.pixels) < 1e-5)
    }

    @Test func unknownParametersAndMissingModelsAreErrors() {
        #expect(throws: RefinementError.self) { try RefinerMethod.make(parameters: ["modle": "x"]) }
        #expect(throws: RefinementError.self) { try RefinerMethod.make(parameters: ["model": temporaryPath("missing.model")]) }
    }
}
