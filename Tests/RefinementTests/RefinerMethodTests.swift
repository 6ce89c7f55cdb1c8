import Testing
import Foundation
import DeblurCore
import _TestSupport
import Deconvolution
import Datasets
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

    /// The shipped model is found, loads, names its full base, and improves a blurred
    /// dead-leaves image over that base (it was trained for exactly this).
    @Test func shippedModelLoadsAndBeatsItsBaseOnDeadLeaves() throws {
        let path = try #require(RefinerMethod.defaultModelPath)
        let model = try ModelFile.read(path).model
        #expect(model.header.base.name == "wiener")
        #expect(model.header.base.parameters == ["nsr": "auto", "boundary": "masked", "iterations": "30"])
        #expect(model.network.parameterCount == 466_529)
        let sharpLarge = DeadLeaves().generate(height: 96 + 16, width: 96 + 16, seed: 4)
        let psf = try PSF.trajectory(size: 17, seed: 9)
        var rng = SeededRandom(seed: 5)
        let blurred = try addNoise(try blur(sharpLarge, psf: psf, boundary: .valid), NoiseModel(gaussianSigma: 0.01), rng: &rng)
        let sharp = sharpLarge.centerCropped(height: blurred.height, width: blurred.width)
        let refiner = try RefinerMethod.make()
        let base = try ClassicalMethods.make("wiener", parameters: model.header.base.parameters)
        func psnr(_ x: Image) -> Double {
            let mse = zip(x.pixels, sharp.pixels).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(x.pixels.count)
            return 10 * log10(1 / mse)
        }
        let gain = psnr(try refiner.restore(blurred, psf: psf)) - psnr(try base.restore(blurred, psf: psf))
        #expect(gain > 1, "refiner − base = \(gain) dB")
    }
}

