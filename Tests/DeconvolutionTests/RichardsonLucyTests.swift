import Testing
import DeblurCore
import _TestSupport
@testable import Deconvolution

@Suite struct RichardsonLucyTests {
    let sharp = randomImage(height: 16, width: 20, seed: 7).mapPixels { 0.1 + 0.8 * $0 }
    let psf = asymmetricPSF()

    @Test func circularIteratesEqualNaiveSpatialRL() throws {
        let observed = naiveCircularConvolve(sharp, psf)
        for iterations in [1, 5] {
            let fast = try RichardsonLucy(iterations: iterations, boundary: .circular).restore(observed, psf: psf)
            let naive = naiveRichardsonLucy(observed, psf, iterations: iterations, start: observed)
            #expect(maxAbsDifference(fast, naive) < 1e-4)
        }
    }

    @Test func constantStartMatchesNaiveRLFromHalf() throws {
        let observed = naiveCircularConvolve(sharp, psf)
        let fast = try RichardsonLucy(iterations: 3, boundary: .circular, initialization: .constant).restore(observed, psf: psf)
        let naive = naiveRichardsonLucy(observed, psf, iterations: 3, start: Image(height: 16, width: 20, value: 0.5))
        #expect(maxAbsDifference(fast, naive) < 1e-4)
    }

    @Test func iteratesAreNonNegativeAndKeepFlux() throws {
        let observed = naiveCircularConvolve(sharp, psf)
        let flux = observed.pixels.reduce(0.0) { $0 + Double($1) }
        var fluxes = [Double]()
        _ = try RichardsonLucy(iterations: 10, boundary: .circular).restore(observed, psf: psf) { state in
            #expect(state.estimate.pixels.allSatisfy { $0 >= 0 })
            fluxes.append(state.estimate.pixels.reduce(0.0) { $0 + Double($1) })
            return true
        }
        #expect(fluxes.count == 10)
        for f in fluxes { #expect(abs(f - flux) / flux < 1e-4) }
    }

    @Test func kullbackLeiblerDataTermDecreasesMonotonically() throws {
        let observed = naiveCircularConvolve(sharp, psf)
        var divergences = [Double]()
        _ = try RichardsonLucy(iterations: 15, boundary: .circular).restore(observed, psf: psf) { state in
            let reblurred = naiveCircularConvolve(state.estimate, psf)
            var kl = 0.0
            for i in observed.pixels.indices {
                let y = Double(observed.pixels[i]), m = Double(reblurred.pixels[i])
                kl += y * log(y / m) - y + m
            }
            divergences.append(kl)
            return true
        }
        for k in 1..<divergences.count { #expect(divergences[k] <= divergences[k - 1] * (1 + 1e-6) + 1e-9) }
        #expect(divergences.last! < divergences.first! * 0.5)
    }

    @Test func observerReturningFalseStopsAfterThatIteration() throws {
        let observed = naiveCircularConvolve(sharp, psf)
        var seen = 0
        let stopped = try RichardsonLucy(iterations: 20, boundary: .circular).restore(observed, psf: psf) { state in
            seen = state.iteration
            return state.iteration < 3
        }
        let three = try RichardsonLucy(iterations: 3, boundary: .circular).restore(observed, psf: psf)
        #expect(seen == 3)
        #expect(maxAbsDifference(stopped, three) == 0)
    }

    @Test func toleranceStopsWhenRelativeChangeIsSmall() throws {
        let observed = naiveCircularConvolve(sharp, psf)
        var changes = [Double]()
        _ = try RichardsonLucy(iterations: 500, boundary: .circular, tolerance: 1e-3).restore(observed, psf: psf) {
            changes.append($0.relativeChange); return true
        }
        #expect(changes.count < 500)
        #expect(changes.last! < 1e-3)
        #expect(changes.dropLast().allSatisfy { $0 >= 1e-3 })
    }

    @Test func accelerationReachesABetterFitInTheSameIterations() throws {
        let observed = naiveCircularConvolve(sharp, psf)
        let plain = try RichardsonLucy(iterations: 20, boundary: .circular).restore(observed, psf: psf)
        let fast = try RichardsonLucy(iterations: 20, acceleration: true, boundary: .circular).restore(observed, psf: psf)
        #expect(fast.pixels.allSatisfy { $0 >= 0 })
        #expect(rmsDifference(fast, sharp) < rmsDifference(plain, sharp))
    }

    @Test func dampedIteratesMatchDeconvlucy() throws {
        // deconvlucy(y, psf, 30, 0.01) without the acceleration, written out in float64
        // (Tests/References/deconvolution_references.py), on a 16 × 20 image whose fit leaves a
        // ripple of 0.02, so many deviances sit near DAMPAR²/2 = 5·10⁻⁵. With the deviance in
        // Float32 its rounding moved the smooth step: 5–8·10⁻⁵ away here, 1.7·10⁻³ accelerated.
        let deconvlucyDamped: [Float] = [0.004293942, 1.306832, 0.000350563, 1.254111, 0.004045112, 0.7903383, 0.08443237, 0.2424803, 0.6295238, 0.1524245, 0.6277667, 0.5283934, 0.4197912, 0.9392115, 0.2525548, 0.7122086, 0.5314799, 0.3180387, 0.919383, 0.08972471, 0.497632, 0.3241512, 0.687999, 1.146247, 0.872855, 1.444576, 1.089963, 1.271195, 1.060519, 0.7325057, 0.6581875, 0.2791107, 0.04392824, 0.006501347, 0.0002795254, 0.0001682436, 3.774535e-05, 0.0006216141, 0.03435772, 0.03592511, 1.572173, 0.6701843, 0.9100308, 0.9216136, 0.793786, 0.715695, 0.4382296, 0.4816618, 0.2413651, 0.4241017, 0.4999231, 0.6934072, 1.250166, 1.094827, 1.246743, 1.078486, 0.9214263, 0.834543, 0.7134428, 0.3150109, 1.146985, 1.216166, 0.5863605, 0.3625265, 0.368787, 0.2401231, 0.2868488, 0.6781883, 0.7987537, 1.235771, 1.019977, 0.4969518, 0.4359395, 0.110611, 0.1225776, 0.2181313, 0.642573, 0.7074652, 0.890762, 0.2474119, 0.5074295, 1.072677, 0.5126893, 0.3493957, 0.5613244, 0.6994077, 0.8471261, 0.720714, 0.2563992, 0.003720938, 0.0002815509, 0.01091558, 0.1632991, 0.562403, 0.6192572, 0.06948091, 0.001673583, 0.01892751, 0.4141275, 0.9713281, 0.3846541, 0.3986975, 0.575983, 0.6429003, 0.9319387, 0.8603522, 0.476375, 0.01166349, 0.001663657, 0.04683257, 0.5929541, 0.7783684, 0.3874827, 0.111378, 0.4837833, 1.291597, 1.234974, 0.7650846, 0.04480104, 0.04966619, 0.2379281, 0.09943457, 0.8752204, 0.9328016, 0.7766116, 0.270622, 0.007361683, 0.2107023, 0.8363091, 0.7384868, 0.3772324, 0.3646182, 1.012173, 1.479736, 0.2883419, 0.003838193, 0.003746114, 0.5433589, 0.7341901, 0.4511538, 0.001046558, 0.1491462, 1.219637, 0.9396161, 0.3625941, 0.07922776, 0.5237911, 0.5387411, 0.3831426, 0.4023574, 0.8742593, 1.177304, 0.05185112, 0.002394172, 0.09017771, 0.8833636, 0.5602652, 0.3091608, 1.164471, 0.716582, 0.005087, 0.219, 1.023914, 0.6108374, 0.3692064, 0.4631712, 0.5749426, 0.08044013, 0.5527471, 1.167366, 0.4186624, 0.002690406, 0.06435455, 0.9787493, 0.5864284, 0.4463061, 1.029041, 0.07158279, 0.002906298, 0.421483, 0.2484264, 0.3588718, 0.392311, 0.4182382, 0.8380136, 0.4330694, 0.002648634, 0.7792616, 1.089353, 0.3018535, 0.021341, 0.7004124, 0.690076, 0.3439792, 0.9199277, 0.07013599, 0.02109545, 0.7924227, 1.248886, 0.03070947, 0.6072671, 0.4579083, 0.04381109, 0.8460185, 0.8461989, 0.001193578, 0.2786248, 1.118873, 0.2915032, 0.2446, 0.6083897, 0.3431874, 0.9223506, 0.5395667, 0.002454891, 0.6801644, 1.250246, 0.003195257, 0.4250977, 0.8681915, 1.050955, 0.0771507, 0.008963903, 1.488987, 0.155224, 0.00657068, 1.219628, 0.3621599, 0.3435053, 0.3570409, 0.4184019, 1.10953, 0.121229, 0.02173348, 1.298264, 0.2323513, 0.07952167, 0.7000797, 0.2338898, 0.8857492, 1.565552, 0.0219414, 0.03739809, 1.488127, 0.03304565, 0.3710973, 0.6679212, 0.6462484, 0.3731849, 0.1055096, 1.179863, 0.06172014, 0.2904404, 0.9814925, 0.09417816, 0.6006713, 0.3618063, 0.9851038, 0.03898507, 0.0443258, 0.9921199, 0.2944266, 0.1753949, 0.6497529, 0.5828772, 0.2493662, 0.3435471, 0.7990006, 0.0003511667, 1.401981, 0.1226226, 0.2821221, 0.8711358, 0.4308153, 0.4385348, 0.5611296, 0.8455121, 0.00179188, 1.183722, 0.0697892, 0.4762209, 0.7064878, 0.4522171, 0.2837374, 1.138462, 0.002142767, 1.295719, 0.0006216437, 0.479065, 0.7414384, 0.1084259, 0.7029492, 0.5921395, 0.1948437, 0.7321042, 0.5952933, 0.01242303, 1.089728, 0.0007398044, 1.061008, 0.2450909, 0.8662361, 0.02567332, 0.4429409, 0.3135253, 0.08982933, 1.01256, 0.03756692, 0.9561861, 0.3520746, 0.2760812, 0.9875552, 0.09588108, 0.5389776, 0.5082191, 0.1406691, 0.8266925, 0.0558193, 0.6855837, 0.3311318]
        let observed = Image(height: 16, width: 20) { _, i, j in
            Float(0.5 + 0.4 * sin(0.7 * Double(i) + 0.3 * Double(j)) * cos(0.2 * Double(i * j))
                  + 0.02 * sin(1.9 * Double(i) + 3.7 * Double(j * j)))
        }
        let restored = try RichardsonLucy(iterations: 30, damping: 0.01, boundary: .circular)
            .restore(observed, psf: asymmetricPSF())
        #expect(maxAbsDifference(restored.pixels, deconvlucyDamped) < 1e-5)
    }

    @Test func dampingKeepsFlatRegionsAtTheObservation() throws {
        // With a damping far above the residual every ratio is pulled to 1: x stays y.
        let observed = naiveCircularConvolve(sharp, psf)
        let damped = try RichardsonLucy(iterations: 5, damping: 10, boundary: .circular).restore(observed, psf: psf)
        let undamped = try RichardsonLucy(iterations: 5, boundary: .circular).restore(observed, psf: psf)
        #expect(rmsDifference(damped, observed) < 0.2 * rmsDifference(undamped, observed))
    }

    @Test func tinyDampingStaysFiniteAndNearUndamped() throws {
        // The Poisson deviance is ≥ 0 but rounds below 0 by ~10⁻⁷ where the fit is good; divided by a
        // tiny DAMPAR²/2 that gave a huge negative step weight and NaN (RL with --damping 1e-6).
        // A smooth image, well fitted after a few iterations, as a microscope's background is.
        let smooth = Image(height: 24, width: 24) { _, y, x in 0.3 + 0.05 * sinf(Float(x) / 4) * cosf(Float(y) / 5) }
        let observed = naiveCircularConvolve(smooth, psf)
        let undamped = try RichardsonLucy(iterations: 30, boundary: .circular).restore(observed, psf: psf)
        for boundary in [BoundaryHandling.circular, .masked] {
            let damped = try RichardsonLucy(iterations: 30, damping: 1e-6, boundary: boundary).restore(observed, psf: psf)
            let finite = damped.isFinite
            #expect(finite)
            if boundary == .circular { #expect(maxAbsDifference(damped, undamped) < 1e-3) }
        }
    }

    @Test func clipKeepsEstimateInUnitRange() throws {
        let bright = sharp.mapPixels { $0 * 1.2 }
        let observed = naiveCircularConvolve(bright, psf)
        let clipped = try RichardsonLucy(iterations: 10, boundary: .circular, clip: true).restore(observed, psf: psf)
        #expect(clipped.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(clipped.pixels.contains { $0 == 1 })
    }

    @Test func clipMatchesScikitImageWhichClipsOnlyTheOutput() throws {
        // From `/tmp/peers/bin/python Tests/References/deconvolution_references.py`:
        // skimage.restoration.richardson_lucy(1.3 x, psf, num_iter=10, clip=True / False) on the
        // input wrapped periodically (so its zero-padded convolution is circular here). Clipping
        // every iterate instead, as `clip` did before, differs from the first by up to 0.20.
        let skimageRichardsonLucyClip: [Float] = [0.04835201, 0.4732134, 1, 0.6029308, 0.3878066, 0.6532767, 0.3832394, 0.1623742, 0.9933354, 1, 0.6414572, 0.8232421, 0.8881967, 1, 1, 1, 1, 1, 1, 0.8917191, 1, 1, 1, 1, 1, 0.9824637, 0.7325076, 0.4776264, 0.5543442, 0.5159952, 1, 1, 0.8868795, 0.6383204, 0.4206779, 0.38067, 0.50188, 0.7697822, 0.9201061, 1, 0.9279158, 1, 0.6512013, 0.4963496, 0.5711069, 0.8776331, 1, 1, 0.3730572, 0.1286907, 0.6146915, 0.5059715, 0.6795939, 0.9519603, 1, 1, 0.4976813, 0.06478763, 0.02901233, 0.3196322, 0.3087694, 0.1779823, 1, 1, 1, 0.339527, 0.06495061, 0.2193774, 0.767535, 0.9326678, 0.1129389, 0.1773105, 1, 1, 0.4571269, 0.1794551, 0.6614094, 0.8521959, 0.4186505, 0.4483702]
        let skimageRichardsonLucyNoClip: [Float] = [0.04835201, 0.4732134, 1.08139, 0.6029308, 0.3878066, 0.6532767, 0.3832394, 0.1623742, 0.9933354, 1.145379, 0.6414572, 0.8232421, 0.8881967, 1.085513, 1.432887, 1.627734, 1.44468, 1.252486, 1.605281, 0.8917191, 1.297665, 1.431705, 1.083, 1.136071, 1.104213, 0.9824637, 0.7325076, 0.4776264, 0.5543442, 0.5159952, 1.212629, 1.519212, 0.8868795, 0.6383204, 0.4206779, 0.38067, 0.50188, 0.7697822, 0.9201061, 1.2563, 0.9279158, 1.059196, 0.6512013, 0.4963496, 0.5711069, 0.8776331, 1.094583, 1.081482, 0.3730572, 0.1286907, 0.6146915, 0.5059715, 0.6795939, 0.9519603, 1.166072, 1.058165, 0.4976813, 0.06478763, 0.02901233, 0.3196322, 0.3087694, 0.1779823, 1.044706, 1.473455, 1.030691, 0.339527, 0.06495061, 0.2193774, 0.767535, 0.9326678, 0.1129389, 0.1773105, 1.237028, 1.298909, 0.4571269, 0.1794551, 0.6614094, 0.8521959, 0.4186505, 0.4483702]
        let observed = referenceInput().mapPixels { 1.3 * $0 }
        for (clip, expected) in [(true, skimageRichardsonLucyClip), (false, skimageRichardsonLucyNoClip)] {
            let restored = try RichardsonLucy(iterations: 10, boundary: .circular, initialization: .constant, clip: clip)
                .restore(observed, psf: psf)
            #expect(maxAbsDifference(restored.pixels, expected) < 2e-5)
        }
    }

    @Test func maskedBoundaryRecoversValidProtocolDataWithoutBorderRinging() throws {
        let scene = testScene(height: 48, width: 52, seed: 3)
        let k = boxPSF(5)
        let observed = naiveValidConvolve(scene, k)
        let truth = scene.cropped(top: 2, left: 2, height: observed.height, width: observed.width)
        let masked = try RichardsonLucy(iterations: 60, boundary: .masked).restore(observed, psf: k)
        let circular = try RichardsonLucy(iterations: 60, boundary: .circular).restore(observed, psf: k)
        #expect(masked.height == observed.height && masked.width == observed.width)
        // The border band is where circular RL rings; the masked model has no border error.
        let band = { (image: Image) in rmsDifference(image.cropped(top: 0, left: 0, height: 4, width: image.width),
                                                     truth.cropped(top: 0, left: 0, height: 4, width: truth.width)) }
        #expect(psnr(masked, truth) > psnr(observed, truth) + 3)
        #expect(band(masked) < 0.5 * band(circular))
    }

    @Test func colorImagesEqualChannelWiseCalls() throws {
        let color = Image.merge([sharp, sharp.mapPixels { 1 - $0 }, sharp.mapPixels { $0 * $0 }])
        let observed = naiveCircularConvolve(color, psf)
        let method = RichardsonLucy(iterations: 4)
        let joint = try method.restore(observed, psf: psf)
        for c in 0..<3 {
            #expect(maxAbsDifference(joint.channel(c), try method.restore(observed.channel(c), psf: psf)) == 0)
        }
    }

    @Test func badInputIsATypedError() throws {
        let observed = naiveCircularConvolve(sharp, psf)
        #expect(throws: DeconvolutionError.self) { try RichardsonLucy(iterations: 0).restore(observed, psf: psf) }
        #expect(throws: DeconvolutionError.self) { try RichardsonLucy(damping: -1).restore(observed, psf: psf) }
        var nan = observed; nan[3, 4] = .nan
        #expect(throws: DeconvolutionError.self) { try RichardsonLucy().restore(nan, psf: psf) }
        #expect(throws: DeconvolutionError.self) { try RichardsonLucy().restore(observed, psf: boxPSF(21)) }
    }

    @Test func zeroObservationGivesZeroNotNaN() throws {
        let zero = Image(height: 12, width: 12)
        let out = try RichardsonLucy(iterations: 5, boundary: .circular).restore(zero, psf: psf)
        #expect(out.pixels.allSatisfy { $0 == 0 })
        let noisy = randomImage(height: 12, width: 12, seed: 2).mapPixels { $0 - 0.5 }
        let guarded = try RichardsonLucy(iterations: 5).restore(noisy, psf: psf)
        #expect(guarded.isFinite && guarded.pixels.allSatisfy { $0 >= 0 })
    }
}

extension Image {
    func mapPixels(_ f: (Float) -> Float) -> Image {
        Image(channels: channels, height: height, width: width, pixels: pixels.map(f))
    }
}

import Foundation
