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

    /// A noise level of NaN or ∞ gave an all-NaN image without a word, a negative one ran; a
    /// tile set to 0 after `init` made the tiling loop forever, a margin of −100 trapped, and
    /// `TiledInference(tile: 0)` trapped in `init`.
    @Test func badNoiseLevelsAndTilingsAreRefusedNamingTheValue() throws {
        let image = randomImage(height: 16, width: 16, seed: 102)
        for sigma in [Double.nan, .infinity, -0.5, 2] {
            let refiner = Refiner(model: tinyModel(), base: Passthrough(), noiseSigma: sigma)
            #expect(throws: RefinementError.invalidSetting(name: "noise_sigma", value: "\(sigma)", expected: "a number in [0, 1] (the image's scale)")) {
                try refiner.restore(image, psf: .identity)
            }
        }
        var tiling = TiledInference(tile: 16)
        tiling.tile = 0
        #expect(throws: RefinementError.invalidSetting(name: "tile", value: "0", expected: "an integer ≥ 1")) {
            try Refiner(model: tinyModel(), base: Passthrough(), noiseSigma: 0.01, tiling: tiling).restore(image, psf: .identity)
        }
        tiling = TiledInference(tile: 16)
        tiling.margin = -100
        #expect(throws: RefinementError.invalidSetting(name: "tile margin", value: "-100", expected: "an integer ≥ 0")) {
            try Refiner(model: tinyModel(), base: Passthrough(), noiseSigma: 0.01, tiling: tiling).restore(image, psf: .identity)
        }
        // The same values given to `init` (a tile from a caller's flag): that trapped.
        #expect(throws: RefinementError.invalidSetting(name: "tile", value: "0", expected: "an integer ≥ 1")) {
            try Refiner(model: tinyModel(), base: Passthrough(), noiseSigma: 0.01, tiling: TiledInference(tile: 0)).restore(image, psf: .identity)
        }
        #expect(throws: RefinementError.invalidSetting(name: "tile margin", value: "-1", expected: "an integer ≥ 0")) {
            try PlugAndPlayRestorer(model: tinyDenoiser(), iterations: 2, tiling: TiledInference(tile: 16, margin: -1)).restore(image, psf: .identity)
        }
        var pnp = try PlugAndPlayRestorer(model: tinyDenoiser(), iterations: 2)
        pnp.tiling.tile = 0
        #expect(throws: RefinementError.invalidSetting(name: "tile", value: "0", expected: "an integer ≥ 1")) {
            try pnp.restore(image, psf: .identity)
        }
        // The valid ones still run.
        #expect(try Refiner(model: tinyModel(), base: Passthrough(), noiseSigma: 0, tiling: TiledInference(tile: 16, margin: 0))
            .restore(image, psf: .identity).isFinite)
    }

    /// A header written before 2026-11-27 recorded wiener's default CG steps beside a one-shot
    /// boundary, a pair the method now refuses: the model still loads, its base as it ran.
    @Test func aBaseRecordedWithIterationsBesideAOneShotBoundaryStillLoads() throws {
        var model = tinyModel()
        model.header.base = BaseMethod(name: "wiener", parameters: ["nsr": "0.01", "boundary": "reflect", "iterations": "30"])
        let refiner = try Refiner(model: model)
        let base = try #require(refiner.base as? Wiener)
        #expect(base.boundary == .reflect && base.noiseToSignal == .ratio(0.01))
    }

    @Test func unknownParametersAndMissingModelsAreErrors() {
        #expect(throws: RefinementError.self) { try RefinerMethod.make(parameters: ["modle": "x"]) }
        let missing = temporaryPath("missing.model")
        defer { removeTemporary(missing) }
        #expect(throws: RefinementError.self) { try RefinerMethod.make(parameters: ["model": missing]) }
    }

    /// A base method the header names wrongly was reported as if given on the command line
    /// ("invalid method nonexistent"), without the model file.
    @Test func aBadBaseMethodInTheHeaderNamesTheModelFile() throws {
        let path = temporaryPath("bad-base.model")
        defer { removeTemporary(path) }
        for base in [BaseMethod(name: "nonexistent"), BaseMethod(name: "rl", parameters: ["nsr": "0.01"])] {
            var model = tinyModel()
            model.header.base = base
            try ModelFile.write(model, to: path)
            do {
                _ = try RefinerMethod.make(parameters: ["model": path])
                Issue.record("a model with base \(base) was accepted")
            } catch let RefinementError.invalidModelFile(reportedPath, reason) {
                #expect(reportedPath == path)
                #expect(reason.hasPrefix("its base method: invalid") && reason.contains(base.name == "rl" ? "nsr" : "nonexistent"), "\(reason)")
            } catch { Issue.record("unexpected \(error)") }
        }
    }

    /// A refiner refuses the splitting's keys naming the first in sorted order: the keys come
    /// in a Dictionary, whose order changes from process to process.
    @Test func aRefinerNamesTheFirstSplittingKeyItRefuses() throws {
        let path = temporaryPath("refiner.model")
        defer { removeTemporary(path) }
        try ModelFile.write(tinyModel(), to: path)
        for round in 0..<8 {
            // Dictionaries of other capacities and insertion orders, whose iteration orders differ.
            var rng = SeededRandom(seed: UInt64(round))
            var parameters = [String: String](minimumCapacity: 4 + rng.integer(below: 60))
            for key in ["model", "lambda", "iterations", "transforms", "ensemble", "sigma_start"].shuffled(using: &rng) { parameters[key] = key == "model" ? path : "1" }
            do { _ = try RefinerMethod.make(parameters: parameters); Issue.record("splitting keys accepted by a refiner") } catch {
                #expect("\(error)".contains("'ensemble'") && "\(error)".contains("is a refiner, not a denoiser"), "\(error)")
            }
        }
    }

    /// The classical methods' kebab spelling means the same key; both spellings at once is an error.
    @Test func keysMaySwapUnderscoresForHyphens() throws {
        let path = temporaryPath("denoiser.model")
        defer { removeTemporary(path) }
        try ModelFile.write(tinyDenoiser(), to: path)
        let pnp = try #require(try RefinerMethod.make(parameters: ["model": path, "noise-sigma": "0.02", "sigma-start": "0.1"]) as? PlugAndPlayRestorer)
        #expect(pnp.noiseSigma == 0.02 && pnp.sigmaStart == 0.1)
        #expect(throws: RefinementError.self) { try RefinerMethod.make(parameters: ["model": path, "noise-sigma": "0.02", "noise_sigma": "0.02"]) }
    }

    /// The shipped model is found, loads as the plug-and-play denoiser, and beats the
    /// automatic hyper-Laplacian — the strongest untuned classical method — on a blurred
    /// dead-leaves image (its own kind of image; the photographs are in Docs/Results.md).
    @Test func shippedModelIsADenoiserThatBeatsTheHyperLaplacianOnDeadLeaves() throws {
        let path = try #require(try RefinerMethod.defaultModelPath)
        let model = try ModelFile.read(path).model
        #expect(model.header.task == .denoise && model.header.base.name == "none")
        #expect(model.network.architecture.inputs == [.estimate, .noise])
        #expect(model.network.parameterCount == 466_241)
        var leaves = DeadLeaves()
        leaves.grainAmplitude = 0.1
        let sharpLarge = leaves.generate(height: 96 + 16, width: 96 + 16, seed: 4)
        let psf = try PSF.trajectory(size: 17, seed: 9)
        var rng = SeededRandom(seed: 5)
        let blurred = try addNoise(try blur(sharpLarge, psf: psf, boundary: .valid), NoiseModel(gaussianSigma: 0.01), rng: &rng)
        let sharp = sharpLarge.centerCropped(height: blurred.height, width: blurred.width)
        let restorer = try RefinerMethod.make()
        #expect(restorer is PlugAndPlayRestorer)
        let classical = try ClassicalMethods.make(spec: "hyper-laplacian:lambda=auto")
        func psnr(_ x: Image) -> Double {
            let mse = zip(x.pixels, sharp.pixels).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(x.pixels.count)
            return 10 * log10(1 / mse)
        }
        let gain = psnr(try restorer.restore(blurred, psf: psf)) - psnr(try classical.restore(blurred, psf: psf))
        #expect(gain > 0.5, "plug-and-play − hyper-Laplacian = \(gain) dB")
    }

    /// On dead leaves the network alone restores better than with the collaborative steps (the
    /// demo: 26.23 against 25.35 dB). On this scene the check sees it without the sharp image
    /// (it does on 2 of 8 scenes tried here, and on 10 of the demo's 16 items): it drops the
    /// filter at its first step, which gives exactly the run without collaborative steps.
    @Test func theCheckDropsTheFilterWhereTheNetworkAloneDoesBetter() throws {
        let sharpLarge = DeadLeaves().generate(height: 48 + 16, width: 48 + 16, seed: 7)
        let psf = try PSF.trajectory(size: 17, seed: 9)
        var rng = SeededRandom(seed: 5)
        let blurred = try addNoise(try blur(sharpLarge, psf: psf, boundary: .valid), NoiseModel(gaussianSigma: 0.01), rng: &rng)
        let sharp = sharpLarge.centerCropped(height: blurred.height, width: blurred.width)
        var pnp = try #require(RefinerMethod.make() as? PlugAndPlayRestorer)
        // Half the steps keep the debug build's time down; the last two filter.
        pnp.iterations = 4
        pnp.collaborativeSteps = 2
        let checked = try pnp.restore(blurred, psf: psf)
        pnp.checkCollaborative = false
        let filtered = try pnp.restore(blurred, psf: psf)
        pnp.collaborativeSteps = 0
        let alone = try pnp.restore(blurred, psf: psf)
        #expect(maxAbsDifference(checked, alone) == 0, "the check must drop the filter here")
        let gain = psnr(Tensor(alone), Tensor(sharp)) - psnr(Tensor(filtered), Tensor(sharp))
        #expect(gain > 0.1, "network alone − with the filter = \(gain) dB")
    }
}

