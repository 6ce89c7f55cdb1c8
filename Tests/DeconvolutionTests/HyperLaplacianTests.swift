import Testing
import DeblurCore
import _TestSupport
@testable import Deconvolution

@Suite struct HyperLaplacianTests {
    let sharp = testScene(height: 40, width: 40, seed: 21)

    func noisyBlurred(sigma: Double = 0.01) -> Image {
        var rng = SeededRandom(seed: 8)
        var blurred = naiveCircularConvolve(sharp, boxPSF(5))
        for i in blurred.pixels.indices { blurred.pixels[i] += Float(rng.gaussian(mean: 0, sigma: sigma)) }
        return blurred
    }

    @Test(arguments: [Float(2.0 / 3.0), 1])
    func lowersItsObjectiveEachOuterIteration(alpha: Float) throws {
        let observed = noisyBlurred()
        let lambda: Float = 2000
        var objectives = [HyperLaplacian.objective(observed, observed: observed, psf: boxPSF(5), alpha: alpha, lambda: lambda)]
        let method = HyperLaplacian(alpha: alpha, lambda: lambda, boundary: .circular)
        _ = try method.restore(observed, psf: boxPSF(5)) { state in
            objectives.append(HyperLaplacian.objective(state.estimate, observed: observed, psf: boxPSF(5), alpha: alpha, lambda: lambda))
            return true
        }
        #expect(objectives.count == method.outerIterations + 1)
        for k in 1..<objectives.count { #expect(objectives[k] < objectives[k - 1], "objective \(objectives)") }
    }

    @Test func shrinkageIsTheGlobalMinimizerOfTheScalarProblem() {
        // Brute force over a fine grid: no w beats the returned one.
        for alpha: Float in [0.5, 2.0 / 3.0, 0.8, 1] {
            for beta: Float in [1, 8, 64] {
                for v: Float in [-1.2, -0.3, -0.05, 0, 0.02, 0.1, 0.4, 0.9] {
                    let w = shrink(v, alpha: alpha, beta: beta)
                    let f = { (w: Float) -> Float in powf(abs(w), alpha) + beta / 2 * (w - v) * (w - v) }
                    var best = Float.infinity
                    for k in -3000...3000 { best = min(best, f(Float(k) / 2000)) }
                    #expect(f(w) <= best + 1e-4, "α \(alpha) β \(beta) v \(v): w \(w)")
                }
            }
        }
    }

    @Test func automaticLambdaImprovesANoisyObservation() throws {
        let observed = noisyBlurred()
        let restored = try HyperLaplacian(boundary: .circular).restore(observed, psf: boxPSF(5))
        #expect(psnr(restored, sharp) > psnr(observed, sharp) + 2)
        let lambda = HyperLaplacian().effectiveLambda(for: observed)
        let sigma = estimatePatchNoiseSigma(observed)
        #expect(abs(Double(lambda) - 1 / (HyperLaplacian.priorWeight(alpha: 2.0 / 3.0) * sigma * sigma)) / Double(lambda) < 1e-5)
    }

    @Test func automaticLambdaUsesTheDocumentedPriorWeights() throws {
        // Methods.md: τ = 5 for α = 2/3, 25 for α = 1 (TV), so λ = 1/(25 σ̂²) for TV.
        #expect(abs(HyperLaplacian.priorWeight(alpha: 2.0 / 3.0) - 5) < 1e-5)  // α in Float: 2/3 to 10⁻⁸
        #expect(abs(HyperLaplacian.priorWeight(alpha: 1) - 25) < 1e-9)
        let observed = noisyBlurred()
        let sigma = estimatePatchNoiseSigma(observed)
        let lambda = HyperLaplacian(alpha: 1).effectiveLambda(for: observed)
        #expect(abs(Double(lambda) * 25 * sigma * sigma - 1) < 1e-5)
    }

    @Test func automaticLambdaWithTaperFollowsTheObservationsNoise() throws {
        // λ = 1/(τ σ̂²) with σ̂ of the observation as given, as the masked and FFT boundaries
        // read it and as `deblur deconvolve --json` reports it. With `taper` it was read from
        // the tapered image, whose blurred border carries less noise: λ 51 % higher here.
        let psf = boxPSF(9)
        var rng = SeededRandom(seed: 12)
        var blurred = naiveCircularConvolve(testScene(height: 48, width: 48, seed: 6), psf)
        for i in blurred.pixels.indices { blurred.pixels[i] += Float(rng.gaussian(mean: 0, sigma: 0.02)) }
        let automatic = HyperLaplacian(boundary: .taper)
        let lambda = automatic.effectiveLambda(for: blurred)
        #expect(automatic.effectiveLambda(for: try edgeTapered(blurred, psf: psf)) > 1.05 * lambda)
        let given = HyperLaplacian(lambda: lambda, boundary: .taper)
        #expect(maxAbsDifference(try automatic.restore(blurred, psf: psf), try given.restore(blurred, psf: psf)) < 1e-6)
    }

    @Test func badParametersAreTypedErrors() throws {
        let observed = noisyBlurred()
        #expect(throws: DeconvolutionError.self) { try HyperLaplacian(alpha: 0).restore(observed, psf: boxPSF(5)) }
        #expect(throws: DeconvolutionError.self) { try HyperLaplacian(alpha: 1.5).restore(observed, psf: boxPSF(5)) }
        #expect(throws: DeconvolutionError.self) { try HyperLaplacian(lambda: -1).restore(observed, psf: boxPSF(5)) }
        #expect(throws: DeconvolutionError.self) { try HyperLaplacian(betaRate: 1).restore(observed, psf: boxPSF(5)) }
        #expect(throws: DeconvolutionError.self) { try HyperLaplacian(boundary: .masked).restore(observed, psf: boxPSF(41)) }
    }

    /// A rate just above 1 up to a huge betaMax (1.0001 to 3e38: 880 000 β steps) ran for hours;
    /// it is refused before any step, with the steps it would take bounded like every iteration count.
    @Test func aContinuationOfMoreStepsThanTheIterationLimitIsRefused() throws {
        let slow = HyperLaplacian(betaRate: 1.0001, betaMax: 3e38)
        let expected = DeconvolutionError.invalidParameter(
            name: "continuation", value: "betaStart=1.0 betaRate=1.0001 betaMax=3e+38",
            expected: "at most 100000 β steps from betaStart to betaMax (a larger betaRate or a smaller betaMax)")
        #expect(throws: expected) { try slow.checkSettings() }
        #expect(throws: expected) { try slow.restore(noisyBlurred(), psf: boxPSF(5)) }
        // About 6932 steps (1.0001⁶⁹³² ≥ 2; 6931 as the Float product rounds) are within the
        // limit, and the default's 6 far below it.
        let long = HyperLaplacian(betaRate: 1.0001, betaMax: 2)
        try long.checkSettings()
        #expect(long.outerIterations == 6931)
        try HyperLaplacian().checkSettings()
    }

    /// As λ → 0 the prior alone is minimized: a flat image. On the circular domain its level is
    /// the observation's mean (the zero frequency is the data's alone, and the PSF sums to 1).
    /// A λ near Float's least normal overflowed β/λ and gave NaN; it must reach the same limit.
    @Test(arguments: BoundaryHandling.allCases)
    func aVanishingDataWeightGivesTheFlatLimit(boundary: BoundaryHandling) throws {
        let observed = noisyBlurred()
        let small = try HyperLaplacian(lambda: 1e-30, boundary: boundary).restore(observed, psf: boxPSF(5))
        #expect(small.pixels.max()! - small.pixels.min()! < 1e-5)
        if boundary == .circular {
            let mean = observed.pixels.reduce(0, +) / Float(observed.pixels.count)
            #expect(abs(small.pixels[0] - mean) < 1e-5)
        }
        for lambda in [Float(2e-38), .leastNormalMagnitude, .leastNonzeroMagnitude] {
            let tiny = try HyperLaplacian(lambda: lambda, boundary: boundary).restore(observed, psf: boxPSF(5))
            #expect(tiny.pixels.allSatisfy { $0.isFinite }, "λ \(lambda)")
            #expect(maxAbsDifference(tiny, small) < 1e-5, "λ \(lambda)")
        }
    }

    @Test func colorImagesEqualChannelWiseCalls() throws {
        let observed = noisyBlurred()
        let color = Image.merge([observed, observed.mapPixels { 1 - $0 }])
        let method = HyperLaplacian(alpha: 1, lambda: 1000)
        let joint = try method.restore(color, psf: boxPSF(5))
        for c in 0..<2 { #expect(maxAbsDifference(joint.channel(c), try method.restore(color.channel(c), psf: boxPSF(5))) == 0) }
    }
}

import Foundation

@Suite struct ShrinkageTableTests {
    @Test func tableMatchesTheExactShrinkageToInterpolationAccuracy() {
        for beta: Float in [1, 2.83, 22.6, 181] {
            let table = ShrinkageTable(alpha: 2.0 / 3.0, beta: beta)
            table.values.withUnsafeBufferPointer { values in
                var worst: Float = 0
                for k in -4000...4000 {
                    let v = Float(k) / 2000 + 0.0001234
                    worst = max(worst, abs(table.lookup(v, values) - shrink(v, alpha: 2.0 / 3.0, beta: beta)))
                }
                #expect(worst < 1e-4, "β \(beta): worst \(worst)")
            }
        }
    }

    @Test func differencesBeyondIntRangeFallBackToTheExactShrinkage() {
        // |v| · 8192 ≥ 2⁶³ trapped in Int(_:) (a float TIFF with one pixel of 1e15 crashed
        // hyper-laplacian): such v are outside the table and go to the exact solver.
        let table = ShrinkageTable(alpha: 2.0 / 3.0, beta: 8)
        table.values.withUnsafeBufferPointer { values in
            for v: Float in [1e15, -1e15, 1e30, -3e38, .infinity] {
                #expect(table.lookup(v, values) == shrink(v, alpha: 2.0 / 3.0, beta: 8), "v = \(v)")
            }
        }
    }
}
