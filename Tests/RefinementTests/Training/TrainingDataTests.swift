import Testing
import Foundation
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

    @Test func textureAndDefocusChangeOnlyTheSharpStatisticsAndAreRecorded() throws {
        var flat = SyntheticDataSettings()
        flat.imageSize = 48; flat.trainingImages = 4; flat.validationImages = 1; flat.psfSizes = [7]
        var textured = flat
        textured.textureMax = 0.3; textured.defocusMax = 2
        let base = try ClassicalMethods.make("wiener", parameters: ["boundary": "reflect"])
        let a = try TrainingData.synthetic(flat, base: base, seed: 5)
        let b = try TrainingData.synthetic(textured, base: base, seed: 5)
        #expect(a.description["texture_max"] == nil && b.description["texture_max"] == .number(0.3))
        #expect(b.description["defocus_max"] == .number(2))
        // Textured leaves are no longer piecewise constant: fewer horizontal neighbours are equal.
        func equalNeighbours(_ images: [TrainingSample]) -> Int {
            images.reduce(0) { total, s in
                let p = s.sharp.pixels, w = s.sharp.width
                return total + (0..<p.count).filter { $0 % w != w - 1 && p[$0] == p[$0 + 1] }.count
            }
        }
        #expect(equalNeighbours(b.training) < equalNeighbours(a.training) / 2)
        // Decoding a header written before these fields existed gives flat leaves.
        let old = #"{"imageSize":64,"trainingImages":8,"validationImages":2,"psfSizes":[13],"noiseMin":0.01,"noiseMax":0.02}"#
        let decoded = try JSONDecoder().decode(SyntheticDataSettings.self, from: Data(old.utf8))
        #expect(decoded.textureMax == 0 && decoded.defocusMax == 0 && decoded.imageSize == 64 && decoded.psfSizes == [13])
    }

    /// Denoiser data: clean training images, validation images with fixed noise of the
    /// recorded σ, all from the seed; the sampler then adds fresh noise of the drawn σ.
    /// `contrastMin` maps each image affinely, `level + c (v − 0.5)` with c in [min, 1] drawn
    /// per image, on the very leaves drawn without it; blurred scenes see it too.
    @Test func contrastScalesEachImageAroundALevel() throws {
        var settings = SyntheticDataSettings()
        settings.imageSize = 32; settings.trainingImages = 6; settings.validationImages = 0; settings.grainMax = 0.2
        let plain = try TrainingData.syntheticDenoising(settings, seed: 4)
        settings.contrastMin = 0.2
        let faint = try TrainingData.syntheticDenoising(settings, seed: 4)
        #expect(faint.description["contrast_min"] == .number(0.2) && plain.description["contrast_min"] == nil)
        var factors: [Float] = []
        for (a, b) in zip(plain.training.map(\.sharp), faint.training.map(\.sharp)) {
            let (lo, hi) = (a.pixels.min()!, a.pixels.max()!)
            let c = (b.pixels.max()! - b.pixels.min()!) / (hi - lo)
            let level = b.pixels[0] - c * (a.pixels[0] - 0.5)
            #expect(zip(a.pixels, b.pixels).allSatisfy { abs($1 - (level + c * ($0 - 0.5))) < 1e-5 })
            #expect(c >= 0.2 - 1e-5 && c <= 1 + 1e-5)
            factors.append(c)
        }
        #expect(factors.max()! - factors.min()! > 0.1, "the factor is drawn per image: \(factors)")
        var rng = SeededRandom(seed: 9), rng2 = SeededRandom(seed: 9)
        let faintScene = try TrainingData.blurredScene(settings, noise: 0...0, rng: &rng)
        settings.contrastMin = 1
        let plainScene = try TrainingData.blurredScene(settings, noise: 0...0, rng: &rng2)
        #expect(faintScene.sharp.pixels.max()! - faintScene.sharp.pixels.min()! < plainScene.sharp.pixels.max()! - plainScene.sharp.pixels.min()!)
        settings.contrastMin = 0
        #expect(throws: RefinementError.self) { try TrainingData.syntheticDenoising(settings, seed: 4) }
    }

    /// Disk radii reach every image: leaves of 24–40 px on a 32-px image draw about half the
    /// edges of the default 1–100 px, whose small disks crowd it; the range is recorded, the
    /// default is not, an old header decodes to the default, and an empty range is refused.
    @Test func radiiReachEveryImageAndAreRecorded() throws {
        var settings = SyntheticDataSettings()
        settings.imageSize = 32; settings.trainingImages = 4; settings.validationImages = 0
        let small = try TrainingData.syntheticDenoising(settings, seed: 6)
        settings.minRadius = 24; settings.maxRadius = 40
        let large = try TrainingData.syntheticDenoising(settings, seed: 6)
        func edges(_ data: TrainingData) -> Int {
            data.training.reduce(0) { total, s in
                let p = s.sharp.pixels, w = s.sharp.width
                return total + (0..<p.count).filter { $0 % w != w - 1 && p[$0] != p[$0 + 1] }.count
            }
        }
        #expect(edges(large) * 3 < edges(small) * 2, "\(edges(large)) against \(edges(small))")
        #expect(large.description["min_radius"] == .number(24) && large.description["max_radius"] == .number(40))
        #expect(small.description["min_radius"] == nil)
        let old = #"{"imageSize":64,"trainingImages":8,"validationImages":2,"psfSizes":[13],"noiseMin":0.01,"noiseMax":0.02}"#
        let decoded = try JSONDecoder().decode(SyntheticDataSettings.self, from: Data(old.utf8))
        #expect(decoded.minRadius == 1 && decoded.maxRadius == 100)
        settings.minRadius = 5; settings.maxRadius = 2
        #expect(throws: (any Error).self) { try TrainingData.syntheticDenoising(settings, seed: 6) }
    }

    @Test func denoisingDataAndSamplerAddNoiseOfTheStatedLevel() throws {
        var settings = SyntheticDataSettings()
        settings.imageSize = 64; settings.trainingImages = 3; settings.validationImages = 2
        settings.noiseMin = 0.05; settings.noiseMax = 0.1; settings.grainMax = 0.2
        settings.patternFraction = 0.3; settings.lensBlurMax = 0.5; settings.strandFraction = 0.5
        let a = try TrainingData.syntheticDenoising(settings, seed: 21)
        let b = try TrainingData.syntheticDenoising(settings, seed: 21)
        #expect(a.task == .denoise && a.addedNoise == 0.05...0.1)
        #expect(a.description["grain_max"] == .number(0.2) && a.description["pattern_fraction"] == .number(0.3)
                && a.description["lens_blur_max"] == .number(0.5) && a.description["strand_fraction"] == .number(0.5))
        func residualStd(_ x: [Float], _ y: [Float]) -> Double {
            let d = zip(x, y).map { Double($0 - $1) }
            let mean = d.reduce(0, +) / Double(d.count)
            return (d.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d.count)).squareRoot()
        }
        for (x, y) in zip(a.training + a.validation, b.training + b.validation) {
            #expect(x.estimate == y.estimate && x.sharp == y.sharp && x.noiseSigma == y.noiseSigma)
        }
        for s in a.training { #expect(s.estimate == s.sharp && s.noiseSigma == 0) }
        for s in a.validation {
            #expect(s.noiseSigma >= 0.05 && s.noiseSigma <= 0.1)
            let std = residualStd(s.estimate.pixels, s.sharp.pixels)
            #expect(abs(std / s.noiseSigma - 1) < 0.05, "noise std \(std) for σ \(s.noiseSigma)")
        }
        let sampler = try PatchSampler(samples: a.training, inputs: [.estimate, .noise], patch: 48, batch: 3, seed: 4, addedNoise: a.addedNoise)
        var input = Tensor(batch: 0, channels: 0, height: 0, width: 0), target = input, again = input, againTarget = input
        sampler.fill(step: 5, input: &input, target: &target)
        sampler.fill(step: 5, input: &again, target: &againTarget)
        #expect(input.data == again.data)
        let p = 48 * 48
        var levels = Set<Float>()
        for n in 0..<3 {
            let sigma = input.data[(2 * n + 1) * p]
            levels.insert(sigma)
            #expect(input.data[(2 * n + 1) * p ..< (2 * n + 2) * p].allSatisfy { $0 == sigma })
            #expect(sigma >= 0.05 && sigma <= 0.1)
            let std = residualStd(Array(input.data[2 * n * p ..< (2 * n + 1) * p]), Array(target.data[n * p ..< (n + 1) * p]))
            #expect(abs(std / Double(sigma) - 1) < 0.06, "patch noise std \(std) for σ \(sigma)")
        }
        #expect(levels.count == 3)
    }

    /// Unrolled images add one sample per splitting step: the step's input with its level as
    /// the noise, the sharp window as the target; the sampler keeps their estimate and level.
    @Test func unrolledImagesGiveOneSamplePerStepAndKeepTheirNoise() throws {
        var settings = SyntheticDataSettings()
        settings.imageSize = 32; settings.trainingImages = 3; settings.validationImages = 1; settings.psfSizes = [5, 7]
        settings.noiseMin = 0.05; settings.noiseMax = 0.1; settings.unrolledImages = 2
        let splitting = try PlugAndPlayRestorer(model: tinyDenoiser(zeroResidual: true), iterations: 3)
        #expect(throws: RefinementError.self) { try TrainingData.syntheticDenoising(settings, seed: 5) }
        let a = try TrainingData.syntheticDenoising(settings, seed: 5, splitting: splitting)
        let b = try TrainingData.syntheticDenoising(settings, seed: 5, splitting: splitting)
        #expect(a.training.count == 3 + 2 * 3 && a.validation.count == 1)
        #expect(a.description["unrolled_images"] == .number(2) && a.description["unrolled_noise_max"] == .number(0.03))
        for (x, y) in zip(a.training, b.training) { #expect(x.estimate == y.estimate && x.sharp == y.sharp && x.noiseSigma == y.noiseSigma) }
        for image in 0..<2 {
            let steps = Array(a.training[(3 + 3 * image)..<(3 + 3 * image + 3)])
            let levels = steps.map(\.noiseSigma)
            // The schedule of the image's own noise level, which lies in the unrolled range.
            #expect(levels[0] == splitting.sigmaStart && levels[2] >= 0.005 && levels[2] <= 0.03)
            #expect(levels == splitting.schedule(noiseSigma: levels[2]))
            #expect(steps.allSatisfy { $0.sharp == steps[0].sharp && $0.estimate.height == 32 && $0.estimate.width == 32 })
        }
        // Without noise the identity prior leaves proximal-point deblurring: inside the border the
        // data alone leaves unsure, the last input is far nearer its target than the observation,
        // so input and target are the same window.
        func interiorPSNR(_ x: Image, _ truth: Image) -> Double {
            psnr(Tensor(x.centerCropped(height: 24, width: 24)), Tensor(truth.centerCropped(height: 24, width: 24)))
        }
        settings.unrolledNoise = 0...0
        let clean = try TrainingData.syntheticDenoising(settings, seed: 5, splitting: splitting)
        for image in 0..<2 {
            let last = clean.training[3 + 3 * image + 2]
            #expect(last.noiseSigma == 1e-3)
            #expect(interiorPSNR(last.estimate, last.sharp) > interiorPSNR(last.blurred, last.sharp) + 3)
        }
        let unrolled = Array(a.training[3...])
        let sampler = try PatchSampler(samples: unrolled, inputs: [.estimate, .noise], patch: 32, batch: 4, seed: 2, addedNoise: a.addedNoise)
        var input = Tensor(batch: 0, channels: 0, height: 0, width: 0), target = input
        sampler.fill(step: 0, input: &input, target: &target)
        let p = 32 * 32
        for n in 0..<4 {
            let level = input.data[(2 * n + 1) * p]
            let patch = input.data[(2 * n) * p ..< (2 * n + 1) * p].sorted(), truth = target.data[n * p ..< (n + 1) * p].sorted()
            // A whole-image patch under one of the eight symmetries: a sample's own values, no noise added.
            #expect(unrolled.contains { Float($0.noiseSigma) == level && $0.estimate.pixels.sorted() == patch && $0.sharp.pixels.sorted() == truth })
        }
    }

    @Test func samplerRefusesEmptyOrNegativeSizesAndBadNoiseRanges() throws {
        let image = Image(height: 8, width: 8, pixels: [Float](repeating: 0.5, count: 64))
        let samples = [TrainingSample(estimate: image, blurred: image, sharp: image, noiseSigma: 0)]
        func refused(patch: Int = 4, batch: Int = 2, noise: ClosedRange<Double>? = nil, _ expected: String) {
            #expect(throws: RefinementError.self) {
                _ = try PatchSampler(samples: samples, inputs: [.estimate], patch: patch, batch: batch, seed: 1, addedNoise: noise)
            }
            do {
                _ = try PatchSampler(samples: samples, inputs: [.estimate], patch: patch, batch: batch, seed: 1, addedNoise: noise)
            } catch { #expect("\(error)" == expected) }
        }
        refused(patch: 0, "invalid patch '0': expected an integer ≥ 1")
        refused(patch: -3, "invalid patch '-3': expected an integer ≥ 1")
        refused(batch: 0, "invalid batch '0': expected an integer ≥ 1")
        refused(noise: -0.1...0.2, "invalid noise range '-0.1:0.2': expected finite σ ≥ 0")
        refused(noise: 0...Double.infinity, "invalid noise range '0.0:inf': expected finite σ ≥ 0")
        // The smallest sizes still fill their batch.
        let sampler = try PatchSampler(samples: samples, inputs: [.estimate], patch: 1, batch: 1, seed: 1, addedNoise: 0...0)
        var input = Tensor(batch: 0, channels: 0, height: 0, width: 0), target = input
        sampler.fill(step: 0, input: &input, target: &target)
        #expect(input.data == [0.5] && target.data == [0.5])
    }
}
