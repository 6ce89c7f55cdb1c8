import Testing
import Foundation
import DeblurCore
import _TestSupport
import Deconvolution
import Datasets
@testable import Refinement

/// A denoiser-task model; with `zeroResidual` its network is the identity (the residual head
/// outputs 0, and the estimate plane passes through).
func tinyDenoiser(zeroResidual: Bool = false) -> RefinerModel {
    var model = tinyModel(seed: 81, inputs: [.estimate, .noise])
    if zeroResidual {
        let head = model.network.head
        for i in 0..<head.parameterCount { model.network.parameters[head.offset + i] = 0 }
    }
    model.header.task = .denoise
    model.header.base = BaseMethod(name: "none", parameters: [:])
    return model
}

@Suite struct PlugAndPlayTests {
    static func blurredScene(sigma: Double) throws -> (blurred: Image, sharp: Image, psf: PSF) {
        let sharpLarge = DeadLeaves().generate(height: 40 + 12, width: 36 + 12, seed: 12)
        let psf = try PSF.trajectory(size: 13, seed: 13)
        var rng = SeededRandom(seed: 14)
        let blurred = try addNoise(try blur(sharpLarge, psf: psf, boundary: .valid), NoiseModel(gaussianSigma: sigma), rng: &rng)
        return (blurred, sharpLarge.centerCropped(height: blurred.height, width: blurred.width), psf)
    }

    @Test func scheduleFallsGeometricallyFromTheStartToTheNoiseLevel() throws {
        let pnp = try PlugAndPlayRestorer(model: tinyDenoiser(), iterations: 5, sigmaStart: 0.16)
        let s = pnp.schedule(noiseSigma: 0.01)
        #expect(s.count == 5)
        #expect(abs(s[0] - 0.16) < 1e-12 && abs(s[4] - 0.01) < 1e-12)
        for k in 1..<4 { #expect(abs(s[k] * s[k] - s[k - 1] * s[k + 1]) < 1e-12) }
        // A noise level above the start is used throughout, never a rising schedule.
        #expect(pnp.schedule(noiseSigma: 0.3) == [Double](repeating: 0.16, count: 5))
        #expect(try PlugAndPlayRestorer(model: tinyDenoiser(), iterations: 1).schedule(noiseSigma: 0.02) == [0.02])
    }

    /// With the identity as denoiser the loop is the proximal-point method on the masked data
    /// term, written out here with the data step alone: the two must agree to the last bit.
    @Test func identityDenoiserGivesTheProximalPointIterationsOfTheDataTerm() throws {
        let (blurred, sharp, psf) = try Self.blurredScene(sigma: 0)
        var pnp = try PlugAndPlayRestorer(model: tinyDenoiser(zeroResidual: true), noiseSigma: 0.01, iterations: 6, tiling: TiledInference(tile: 32))
        pnp.collaborativeSteps = 0
        let out = try pnp.restore(blurred, psf: psf)
        let data = try MaskedDataProximal(observation: blurred, psf: psf)
        var z = data.start()
        for level in pnp.schedule(noiseSigma: 0.01) {
            z = data.solve(prior: z, alpha: Float(0.23 * 0.01 * 0.01 / (level * level)), tolerance: PlugAndPlayRestorer.dataTolerance)
        }
        #expect(maxAbsDifference(out, data.window(z)) == 0)
        // And on noiseless data it deblurs: far closer to the truth than the observation.
        #expect(psnr(Tensor(out), Tensor(sharp)) > psnr(Tensor(blurred), Tensor(sharp)) + 5)
    }

    /// The inputs a denoiser sees: the first step's does not depend on the network (the data
    /// step from the reflected observation), the later ones do, and the levels are the schedule.
    @Test func dataStepOutputsAreTheNetworksInputsStepByStep() throws {
        let (blurred, _, psf) = try Self.blurredScene(sigma: 0.01)
        var identity = try PlugAndPlayRestorer(model: tinyDenoiser(zeroResidual: true), iterations: 4)
        identity.collaborativeSteps = 0
        let network = try PlugAndPlayRestorer(model: tinyDenoiser(), iterations: 4)
        let a = try identity.dataStepOutputs(blurred, psf: psf, noiseSigma: 0.02)
        let b = try network.dataStepOutputs(blurred, psf: psf, noiseSigma: 0.02)
        #expect(a.map(\.level) == identity.schedule(noiseSigma: 0.02) && b.map(\.level) == a.map(\.level))
        // Written out with the data step alone, as the identity denoiser makes the loop.
        let data = try MaskedDataProximal(observation: blurred, psf: psf)
        var z = data.start()
        for (k, level) in identity.schedule(noiseSigma: 0.02).enumerated() {
            z = data.solve(prior: z, alpha: Float(0.23 * 0.02 * 0.02 / (level * level)), tolerance: PlugAndPlayRestorer.dataTolerance)
            #expect(maxAbsDifference(a[k].input, data.window(z)) == 0, "step \(k)")
        }
        #expect(maxAbsDifference(a[0].input, b[0].input) == 0)
        #expect(maxAbsDifference(a[1].input, b[1].input) > 1e-3)
        #expect(a.allSatisfy { $0.input.height == blurred.height && $0.input.width == blurred.width })
        let rgb = Image(channels: 3, height: blurred.height, width: blurred.width) { _, y, x in blurred[y, x] }
        #expect(throws: RefinementError.self) { try identity.dataStepOutputs(rgb, psf: psf, noiseSigma: 0.02) }
        // A NaN level reached the data step's precondition (a crash), a negative one ran as 0.
        for sigma in [Double.nan, -0.01, .infinity] {
            #expect(throws: RefinementError.invalidSetting(name: "noise_sigma", value: "\(sigma)", expected: "a finite number ≥ 0 (the image's scale)")) {
                try identity.dataStepOutputs(blurred, psf: psf, noiseSigma: sigma)
            }
        }
    }

    @Test func colorIsRestoredPerChannelAndObserved() throws {
        let (blurred, _, psf) = try Self.blurredScene(sigma: 0.01)
        let rgb = Image(channels: 3, height: blurred.height, width: blurred.width) { c, y, x in blurred[y, x] * Float(c + 1) / 3 }
        let pnp = try PlugAndPlayRestorer(model: tinyDenoiser(), noiseSigma: 0.01, iterations: 3, tiling: TiledInference(tile: 32))
        let out = try pnp.restore(rgb, psf: psf)
        #expect(out.channels == 3 && out.height == blurred.height && out.width == blurred.width)
        #expect(maxAbsDifference(out.channel(2), try pnp.restore(rgb.channel(2), psf: psf)) == 0)
        var seen: [Int] = [], changes: [Double] = []
        let stopped = try pnp.restore(blurred, psf: psf) { state in
            seen.append(state.iteration); changes.append(state.relativeChange)
            return state.iteration < 2
        }
        #expect(seen == [1, 2])
        #expect(changes.allSatisfy { $0 > 0 && $0 < 1 }, "relative changes \(changes)")
        #expect(stopped.height == blurred.height && stopped.width == blurred.width)
    }

    /// A color image's steps are observed channel by channel, each numbered from 1, as the
    /// classical methods report theirs (compare traces them over the whole image); they were
    /// observed for gray images only, so compare drew no CNN curve for a color item.
    @Test func colorStepsAreObservedChannelByChannel() throws {
        let (blurred, _, psf) = try Self.blurredScene(sigma: 0.01)
        let rgb = Image(channels: 3, height: blurred.height, width: blurred.width) { c, y, x in blurred[y, x] * Float(c + 1) / 3 }
        let pnp = try PlugAndPlayRestorer(model: tinyDenoiser(), noiseSigma: 0.01, iterations: 3, tiling: TiledInference(tile: 32))
        var seen: [Int] = [], lastIterates: [Image] = []
        let out = try pnp.restore(rgb, psf: psf) { state in
            seen.append(state.iteration)
            #expect(state.estimate.channels == 1 && state.estimate.height == rgb.height && state.estimate.width == rgb.width)
            if state.iteration == 3 { lastIterates.append(state.estimate) }
            return true
        }
        #expect(seen == [1, 2, 3, 1, 2, 3, 1, 2, 3])
        #expect(lastIterates.count == 3)
        for (c, last) in lastIterates.enumerated() { #expect(last.pixels == out.channel(c).pixels) }
        #expect(out.pixels == (try pnp.restore(rgb, psf: psf)).pixels)
    }

    /// A blind denoiser (no noise plane) runs too; the level then only sets αₖ.
    @Test func blindDenoiserRuns() throws {
        let (blurred, _, psf) = try Self.blurredScene(sigma: 0.01)
        var model = tinyModel(seed: 83, inputs: [.estimate])
        model.header.task = .denoise
        let out = try PlugAndPlayRestorer(model: model, noiseSigma: 0.01, iterations: 2).restore(blurred, psf: psf)
        #expect(out.height == blurred.height && out.width == blurred.width && out.isFinite)
    }

    @Test func symmetriesAreDistinctAndUndone() {
        let image = randomImage(height: 5, width: 7, seed: 82)
        var seen = Set<[Float]>()
        for code in 0..<8 {
            let t = PlugAndPlayRestorer.transform(image, code)
            seen.insert(t.pixels)
            #expect(code % 2 == 0 ? t.height == 5 && t.width == 7 : t.height == 7 && t.width == 5)
            #expect(PlugAndPlayRestorer.transform(t, code, inverse: true) == image)
        }
        #expect(seen.count == 8)
    }

    /// Cycling the symmetries changes a real network's output (it is not equivariant) but
    /// keeps its size, and `transforms=off` turns it off.
    @Test func cyclingTheSymmetriesIsAnOption() throws {
        let (blurred, _, psf) = try Self.blurredScene(sigma: 0.01)
        var pnp = try PlugAndPlayRestorer(model: tinyDenoiser(), noiseSigma: 0.01, iterations: 3, tiling: TiledInference(tile: 32))
        let cycled = try pnp.restore(blurred, psf: psf)
        // Step k uses the (k mod 8)-th of the eight, so 8 steps see each once (DPIR's rule).
        #expect((0..<16).map { pnp.symmetry(step: $0) } == (0..<16).map { $0 % 8 })
        pnp.cycleTransforms = false
        #expect((0..<16).allSatisfy { pnp.symmetry(step: $0) == 0 })
        let fixed = try pnp.restore(blurred, psf: psf)
        #expect(cycled.height == fixed.height && cycled.width == fixed.width)
        #expect(maxAbsDifference(cycled, fixed) > 1e-4)
    }

    /// `finalEnsemble` averages the last step's denoiser over that many symmetries, written out
    /// here for one step: the data step from the reflected start, then the mean of the eight.
    @Test func theLastStepAveragesTheNetworkOverTheSymmetries() throws {
        let (blurred, _, psf) = try Self.blurredScene(sigma: 0.01)
        var pnp = try PlugAndPlayRestorer(model: tinyDenoiser(), noiseSigma: 0.01, iterations: 1)
        pnp.collaborativeSteps = 0
        let single = try pnp.restore(blurred, psf: psf)
        pnp.finalEnsemble = 8
        let ensembled = try pnp.restore(blurred, psf: psf)
        let data = try MaskedDataProximal(observation: blurred, psf: psf)
        let x = data.solve(prior: data.start(), alpha: 0.23, tolerance: PlugAndPlayRestorer.dataTolerance)
        let network = pnp.model.network
        var sum = Image(height: x.height, width: x.width)
        for code in 0..<8 {
            let t = PlugAndPlayRestorer.transform(x, code)
            let out = TiledInference(tile: 512).run(network, planes: [t, Image(height: 1, width: 1, value: 0.01)], workspace: UNetWorkspace())
            let back = PlugAndPlayRestorer.transform(out, code, inverse: true)
            for i in 0..<sum.pixels.count { sum.pixels[i] += back.pixels[i] }
        }
        for i in 0..<sum.pixels.count { sum.pixels[i] /= 8 }
        #expect(maxAbsDifference(ensembled, data.window(sum)) < 1e-6)
        #expect(maxAbsDifference(ensembled, single) > 1e-4, "the ensemble must differ from one pass")
        pnp.finalEnsemble = 0
        #expect(try pnp.restore(blurred, psf: psf) == single)
        pnp.finalEnsemble = 12
        #expect(try pnp.restore(blurred, psf: psf) == ensembled)
    }

    /// The last `collaborativeSteps` steps filter their data step's output with the network's
    /// output as the pilot, written out here for two steps of which the last filters.
    @Test func theLastStepsFilterTheirInputWithTheNetworksOutputAsThePilot() throws {
        let (blurred, _, psf) = try Self.blurredScene(sigma: 0.02)
        var pnp = try PlugAndPlayRestorer(model: tinyDenoiser(), noiseSigma: 0.02, iterations: 2)
        pnp.collaborativeSteps = 1
        // The written-out loop filters unconditionally: the check is tested below.
        pnp.checkCollaborative = false
        let out = try pnp.restore(blurred, psf: psf)
        let data = try MaskedDataProximal(observation: blurred, psf: psf)
        let network = pnp.model.network, levels = pnp.schedule(noiseSigma: 0.02)
        func denoise(_ x: Image, _ level: Double, _ code: Int) -> Image {
            let t = PlugAndPlayRestorer.transform(x, code)
            let d = TiledInference(tile: 512).run(network, planes: [t, Image(height: 1, width: 1, value: Float(level))], workspace: UNetWorkspace())
            return PlugAndPlayRestorer.transform(d, code, inverse: true)
        }
        let x1 = data.solve(prior: data.start(), alpha: pnp.alpha(sigma: 0.02, level: levels[0]), tolerance: PlugAndPlayRestorer.dataTolerance)
        let x2 = data.solve(prior: denoise(x1, levels[0], 0), alpha: pnp.alpha(sigma: 0.02, level: levels[1]), tolerance: PlugAndPlayRestorer.dataTolerance)
        let z2 = try CollaborativeWiener().filter(x2, pilot: denoise(x2, levels[1], 1), sigma: levels[1])
        #expect(maxAbsDifference(out, data.window(z2)) == 0)
        pnp.collaborativeSteps = 0
        let plain = try pnp.restore(blurred, psf: psf)
        #expect(maxAbsDifference(out, plain) > 1e-3, "the filter must change the result")
        // All steps filtering is allowed; a count above the steps is all of them.
        pnp.collaborativeSteps = 2
        let both = try pnp.restore(blurred, psf: psf)
        pnp.collaborativeSteps = 5
        #expect(try pnp.restore(blurred, psf: psf) == both)
        // The check runs at the first step that filters, which a count above the steps makes step 0.
        #expect(pnp.firstCollaborativeStep == 0)
        pnp.collaborativeSteps = 1
        #expect(pnp.firstCollaborativeStep == 1)
    }

    /// `compare` runs items side by side with one thread each (`BLAS.withThreads(1)`) and
    /// promises the scores `refine` gives with all cores: the restoration, collaborative steps
    /// and check included, is the same bytes for one thread and for three.
    @Test func theResultDoesNotDependOnTheThreadCount() throws {
        let (blurred, _, psf) = try Self.blurredScene(sigma: 0.02)
        var pnp = try PlugAndPlayRestorer(model: tinyDenoiser(), noiseSigma: 0.02, iterations: 3)
        pnp.collaborativeSteps = 2
        let one = try BLAS.withThreads(1) { try pnp.restore(blurred, psf: psf) }
        let three = try BLAS.withThreads(3) { try pnp.restore(blurred, psf: psf) }
        #expect(one == three)
    }

    /// SURE of a linear shrink `f(x) = a x` of a noisy image: with one probe it equals the
    /// closed form written out here, and it lands within a few percent of the true error,
    /// which the test knows from the clean image.
    @Test func steinRiskEstimatesTheErrorOfAKnownDenoiser() {
        let clean = DeadLeaves().generate(height: 128, width: 128, seed: 3)
        let sigma = 0.1, a: Float = 0.6, epsilon: Float = 0.005
        var rng = SeededRandom(seed: 4)
        var noisy = clean
        noisy.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] += Float(sigma * rng.gaussian()) } }
        func shrink(_ x: Image) -> Image {
            var y = x
            y.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= a } }
            return y
        }
        let probe = PlugAndPlayRestorer.probe(height: 128, width: 128)
        var shifted = noisy
        let field = probe.pixels
        shifted.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] += epsilon * field[i] } }
        let risk = PlugAndPlayRestorer.steinRisk(input: noisy, output: shrink(noisy), shiftedOutput: shrink(shifted),
                                                 probe: probe, epsilon: epsilon, sigma: sigma)
        let n = Double(noisy.count), variance = sigma * sigma
        let fit = zip(shrink(noisy).pixels, noisy.pixels).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / n
        let probeEnergy = probe.pixels.reduce(0.0) { $0 + Double($1) * Double($1) } / n
        let closedForm = fit - variance + 2 * variance * Double(a) * probeEnergy
        #expect(abs(risk - closedForm) < 1e-3 * variance, "SURE \(risk), closed form \(closedForm)")
        let truth = zip(shrink(noisy).pixels, clean.pixels).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / n
        #expect(abs(risk - truth) < 0.03 * truth, "SURE \(risk), true error \(truth)")
    }

    /// With the identity as the network its output is `xₖ` itself, whose risk is σₖ², and the
    /// filter, which shrinks the noise, scores lower: the check keeps it.
    @Test func theCheckKeepsTheFilterWhenItLowersTheRisk() throws {
        let (blurred, _, psf) = try Self.blurredScene(sigma: 0.02)
        var pnp = try PlugAndPlayRestorer(model: tinyDenoiser(zeroResidual: true), noiseSigma: 0.02, iterations: 3)
        pnp.collaborativeSteps = 2
        let checked = try pnp.restore(blurred, psf: psf)
        pnp.checkCollaborative = false
        #expect(try pnp.restore(blurred, psf: psf) == checked)
        pnp.collaborativeSteps = 0
        #expect(maxAbsDifference(try pnp.restore(blurred, psf: psf), checked) > 1e-3, "the filter must have run")
    }

    /// Above `wholeImageSide` the network runs in tiles, and tiled inference equals one pass.
    @Test func tiledAndWholeImagePassesAgree() throws {
        let (blurred, _, psf) = try Self.blurredScene(sigma: 0.01)
        var pnp = try PlugAndPlayRestorer(model: tinyDenoiser(), noiseSigma: 0.01, iterations: 2, tiling: TiledInference(tile: 16))
        let whole = try pnp.restore(blurred, psf: psf)
        pnp.wholeImageSide = 0
        let tiled = try pnp.restore(blurred, psf: psf)
        #expect(maxAbsDifference(whole, tiled) < 1e-5)
        #expect(maxAbsDifference(whole, tiled) > 0, "the tiles must have run")
    }

    @Test func modelsOfTheOtherTaskAndBadSettingsAreErrors() throws {
        #expect(throws: RefinementError.self) { try PlugAndPlayRestorer(model: tinyModel()) }
        #expect(throws: RefinementError.self) { try Refiner(model: tinyDenoiser()) }
        var withBlurred = tinyModel()
        withBlurred.header.task = .denoise
        #expect(throws: RefinementError.self) { try PlugAndPlayRestorer(model: withBlurred) }
        #expect(throws: RefinementError.self) { try PlugAndPlayRestorer(model: tinyDenoiser(), iterations: 0) }
        #expect(throws: RefinementError.self) { try PlugAndPlayRestorer(model: tinyDenoiser(), lambda: -1) }
        let path = temporaryPath("denoiser.model")
        defer { removeTemporary(path) }
        try ModelFile.write(tinyDenoiser(), to: path)
        let restorer = try RefinerMethod.make(parameters: ["model": path, "iterations": "4", "lambda": "0.5", "sigma_start": "0.1", "transforms": "off"])
        let pnp = try #require(restorer as? PlugAndPlayRestorer)
        #expect(pnp.iterations == 4 && pnp.lambda == 0.5 && pnp.sigmaStart == 0.1 && !pnp.cycleTransforms)
        #expect(pnp.tiling.tile == 256 && pnp.wholeImageSide == 512)
        #expect(throws: RefinementError.self) { try RefinerMethod.make(parameters: ["model": path, "transforms": "maybe"]) }
        #expect(pnp.checkCollaborative)
        #expect(try !#require(RefinerMethod.make(parameters: ["model": path, "collaborative_check": "off"]) as? PlugAndPlayRestorer).checkCollaborative)
        #expect(throws: RefinementError.self) { try RefinerMethod.make(parameters: ["model": path, "collaborative_check": "1"]) }
        #expect(try #require(RefinerMethod.make(parameters: ["model": path, "ensemble": "4"]) as? PlugAndPlayRestorer).finalEnsemble == 4)
        #expect(throws: RefinementError.self) { try RefinerMethod.make(parameters: ["model": path, "ensemble": "9"]) }
        #expect(pnp.collaborativeSteps == 4)
        #expect(try #require(RefinerMethod.make(parameters: ["model": path, "collaborative": "0"]) as? PlugAndPlayRestorer).collaborativeSteps == 0)
        #expect(try #require(RefinerMethod.make(parameters: ["model": path, "iterations": "3", "collaborative": "3"]) as? PlugAndPlayRestorer).collaborativeSteps == 3)
        for bad in ["9", "-1", "two"] {
            #expect(throws: RefinementError.self) { try RefinerMethod.make(parameters: ["model": path, "collaborative": bad]) }
        }
        #expect(try ModelFile.read(path).model.header.task == .denoise)
        #expect(throws: RefinementError.self) { try RefinerMethod.make(parameters: ["model": path, "iterations": "0"]) }
        #expect(throws: RefinementError.self) { try RefinerMethod.make(parameters: ["model": path, "lambda": "nan"]) }
        // A noise level off the image's scale overflowed the data step's weight (a trap).
        #expect(throws: RefinementError.self) { try RefinerMethod.make(parameters: ["model": path, "noise_sigma": "1e19"]) }
        // Settings changed after init are checked when the restorer runs: 0 steps returned the input.
        var changed = try PlugAndPlayRestorer(model: tinyDenoiser())
        changed.iterations = 0
        #expect(throws: RefinementError.self) { try changed.restore(Image(height: 8, width: 8, value: 0.5), psf: .identity) }
        changed.iterations = 2; changed.noiseSigma = 3
        #expect(throws: RefinementError.self) { try changed.checkSettings() }
        let refiner = temporaryPath("refiner.model")
        defer { removeTemporary(refiner) }
        try ModelFile.write(tinyModel(), to: refiner)
        #expect(try ModelFile.read(refiner).model.header.task == nil)
        #expect(throws: RefinementError.self) { try RefinerMethod.make(parameters: ["model": refiner, "iterations": "4"]) }
    }
}
