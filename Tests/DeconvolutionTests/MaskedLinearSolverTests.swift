import Testing
import DeblurCore
import _TestSupport
@testable import Deconvolution
import Foundation

/// A long linear motion blur: a 21-pixel diagonal line (135°). Its OTF has exact zeros at low
/// frequencies along the motion, where a circulant boundary model fails worst.
func longDiagonalMotionPSF() -> PSF {
    var k = Image(height: 21, width: 21)
    for t in 0..<21 { k[t, 20 - t] = 1 }
    return try! PSF(k)
}

/// `valid`-protocol data built with the naive valid convolution: the observation, the sharp
/// scene on the extended domain, and the sharp crop under the observed window.
func validProtocolData(size: Int, psf: PSF, sigma: Double, seed: UInt64) -> (observed: Image, scene: Image, truth: Image) {
    let scene = testScene(height: size + psf.height - 1, width: size + psf.width - 1, seed: seed)
    var observed = naiveValidConvolve(scene, psf)
    var rng = SeededRandom(seed: seed &+ 1)
    for i in observed.pixels.indices { observed.pixels[i] += Float(rng.gaussian(mean: 0, sigma: sigma)) }
    let truth = scene.cropped(top: psf.centerY, left: psf.centerX, height: size, width: size)
    return (observed, scene, truth)
}

/// The periodic 5-point Laplacian of a plane.
func naiveLaplacian(_ x: Image) -> Image {
    let h = x.height, w = x.width
    return Image(height: h, width: w) { _, r, c in
        x[(r + 1) % h, c] + x[(r + h - 1) % h, c] + x[r, (c + 1) % w] + x[r, (c + w - 1) % w] - 4 * x[r, c]
    }
}

@Suite struct MaskedLinearSolverTests {
    /// The masked quadratic problem solved densely: `(KᵀMK + R) x = KᵀM (y − m)`, x ← x + m,
    /// with K, M and R assembled column by column from the naive spatial operators and solved
    /// by Gaussian elimination in Double. Returns the whole extended estimate.
    static func denseMaskedSolve(_ observed: Image, psf: PSF, domain: RestorationDomain,
                                 regularizer: (Image) -> Image) -> [Double] {
        let ph = domain.paddedHeight, pw = domain.paddedWidth, n = ph * pw
        let mean = observed.statistics().mean
        func inWindow(_ i: Int) -> Bool {
            let r = i / pw, c = i % pw
            return r >= domain.top && r < domain.top + domain.height && c >= domain.left && c < domain.left + domain.width
        }
        // A's column j is A applied to the j-th basis vector.
        var a = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            var e = Image(height: ph, width: pw)
            e.pixels[j] = 1
            var blurred = naiveCircularConvolve(e, psf)
            for i in 0..<n where !inWindow(i) { blurred.pixels[i] = 0 }
            let data = naiveCircularCorrelate(blurred, psf), prior = regularizer(e)
            for i in 0..<n { a[i * n + j] = Double(data.pixels[i]) + Double(prior.pixels[i]) }
        }
        var embedded = Image(height: ph, width: pw)
        for y in 0..<domain.height {
            for x in 0..<domain.width { embedded[domain.top + y, domain.left + x] = observed[y, x] - Float(mean) }
        }
        var b = naiveCircularCorrelate(embedded, psf).pixels.map(Double.init)
        // Gaussian elimination with partial pivoting.
        for col in 0..<n {
            var pivot = col
            for r in col + 1..<n where abs(a[r * n + col]) > abs(a[pivot * n + col]) { pivot = r }
            if pivot != col {
                for c in 0..<n { a.swapAt(col * n + c, pivot * n + c) }
                b.swapAt(col, pivot)
            }
            let d = a[col * n + col]
            for r in col + 1..<n {
                let f = a[r * n + col] / d
                if f == 0 { continue }
                for c in col..<n { a[r * n + c] -= f * a[col * n + c] }
                b[r] -= f * b[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = b[r]
            for c in r + 1..<n { s -= a[r * n + c] * x[c] }
            x[r] = s / a[r * n + r]
        }
        return x.map { $0 + mean }
    }

    @Test func conjugateGradientsReachTheDenseSolutionOfTheMaskedNormalEquations() throws {
        // A 7-pixel shallow line: the extended domain is 12 + 6 = 18 (an FFT size), 324 unknowns.
        var k = Image(height: 7, width: 7)
        for t in 0..<7 { k[3 + (t - 3) / 2, t] += 1 }
        let psf = try PSF(k)
        let data = validProtocolData(size: 12, psf: psf, sigma: 0.01, seed: 3)
        let domain = try RestorationDomain(height: 12, width: 12, psf: psf, boundary: .masked)
        let solver = MaskedLinearSolver(domain: domain, psf: psf)
        let cases: [(String, SpectralRegularizer, (Image) -> Image)] = [
            ("tikhonov laplacian λ=0.01", SpectralRegularizer(laplacian: 0.01), { e in naiveLaplacian(naiveLaplacian(e)).mapPixels { 0.01 * $0 } }),
            ("wiener nsr=0.01", SpectralRegularizer(constant: 0.01), { e in e.mapPixels { 0.01 * $0 } }),
        ]
        for (label, r, dense) in cases {
            let reference = Self.denseMaskedSolve(data.observed, psf: psf, domain: domain, regularizer: dense)
            var worst = 0.0
            let restored = solver.run(data.observed, regularizer: r, iterations: 300, estimates: { _, x in
                worst = 0
                for i in 0..<x.count { worst = max(worst, abs(Double(x[i]) - reference[i])) }
                return true
            })
            // The returned window is the observed crop of the same estimate.
            var window = 0.0
            for y in 0..<12 {
                for x in 0..<12 {
                    window = max(window, abs(Double(restored[y, x]) - reference[(domain.top + y) * domain.paddedWidth + domain.left + x]))
                }
            }
            #expect(worst < 2e-3, "\(label): max |CG − dense| over the extended domain \(worst)")
            #expect(window < 2e-3, "\(label): max |CG − dense| over the window \(window)")
        }
    }

    /// Run far past convergence, single-precision CG broke down: 2000 steps gave values of 10¹⁸
    /// here, NaN elsewhere (a residual recurrence that drifts and grows, step sizes from
    /// underflowing products). It now stops at a relative residual of 10⁻⁹.
    @Test func stepsFarPastConvergenceKeepTheConvergedEstimate() throws {
        let scene = testScene(height: 48, width: 56, seed: 4)
        for psf in [boxPSF(5), asymmetricPSF()] {
            var observed = naiveValidConvolve(scene, psf)
            var rng = SeededRandom(seed: 2)
            for i in observed.pixels.indices { observed.pixels[i] += Float(0.01 * rng.gaussian()) }
            let converged = try Wiener(nsr: 0.01, iterations: 300).restore(observed, psf: psf)
            let long = try Wiener(nsr: 0.01, iterations: 2000).restore(observed, psf: psf)
            #expect(long.pixels.allSatisfy { $0.isFinite })
            #expect(maxAbsDifference(long, converged) < 1e-5)
        }
    }

    /// The masked solve is linear: an observation scaled by 10¹⁹ (a float TIFF in raw units)
    /// restores to the scaled restoration. Its inner products squared Float samples before
    /// widening them; from about 10¹⁸ they overflowed, CG stopped before its first step and the
    /// estimate was the observation's mean everywhere. Beyond what the single-precision
    /// spectra hold (10³⁷ here), the estimate is NaN rather than that mean.
    @Test func hugeSamplesRestoreToTheScaledRestorationOrToNaN() throws {
        let psf = boxPSF(5)
        let data = validProtocolData(size: 24, psf: psf, sigma: 0.01, seed: 3)
        let methods: [any Restorer] = [Wiener(nsr: 0.01), Tikhonov(lambda: 0.002)]
        for method in methods {
            let reference = try method.restore(data.observed, psf: psf)
            let factor: Float = 1e19
            let scaled = try method.restore(data.observed.mapPixels { $0 * factor }, psf: psf)
            let range = Double(reference.statistics().max - reference.statistics().min)
            #expect(range > 0.1)
            #expect(maxAbsDifference(scaled.mapPixels { $0 / factor }, reference) < Float(1e-4 * range), "\(method.name)")
            let overflowing = try method.restore(data.observed.mapPixels { $0 * 1e37 }, psf: psf)
            #expect(overflowing.pixels.allSatisfy { $0.isNaN }, "\(method.name)")
        }
    }

    @Test func maskedObjectiveDecreasesEveryConjugateGradientStep() throws {
        let psf = lineMotionPSF()
        let data = validProtocolData(size: 40, psf: psf, sigma: 0.01, seed: 4)
        let domain = try RestorationDomain(height: 40, width: 40, psf: psf, boundary: .masked)
        let solver = MaskedLinearSolver(domain: domain, psf: psf)
        let lambda: Float = 0.01
        var objectives = [Double]()
        _ = solver.run(data.observed, regularizer: SpectralRegularizer(laplacian: lambda), iterations: 25, estimates: { _, x in
            let estimate = Image(height: domain.paddedHeight, width: domain.paddedWidth, pixels: Array(x))
            let blurred = naiveCircularConvolve(estimate, psf)
            var value = 0.0
            for y in 0..<40 {
                for c in 0..<40 {
                    let d = Double(blurred[domain.top + y, domain.left + c] - data.observed[y, c]); value += d * d
                }
            }
            for v in naiveLaplacian(estimate).pixels { value += Double(lambda) * Double(v) * Double(v) }
            objectives.append(value)
            return true
        })
        #expect(objectives.count == 25)
        for k in 1..<objectives.count { #expect(objectives[k] <= objectives[k - 1] * (1 + 1e-5), "step \(k): \(objectives)") }
        #expect(objectives.last! < 0.5 * objectives.first!, "\(objectives)")
    }

    /// The masked normal equations are consistent on noise-free valid data: with an invertible
    /// PSF the operator's null space (the unobserved margin) decays within a few pixels of the
    /// border, so a tiny λ recovers the interior to float precision.
    @Test func maskedTikhonovWithTinyLambdaRecoversTheInteriorOfNoiseFreeValidData() throws {
        // A 5×5 with a dominant centre (its OTF stays ≥ 1 − Σ others > 0), asymmetric taps.
        let wide = try PSF(Image(height: 5, width: 5) { _, y, x in y == 2 && x == 2 ? 1 : 0.01 + 0.02 * Float((3 * y + x) % 4) / 3 })
        for psf in [invertiblePSF(), wide] {
            let data = validProtocolData(size: 48, psf: psf, sigma: 0, seed: 6)
            let masked = try Tikhonov(lambda: 1e-6, boundary: .masked, iterations: 100).restore(data.observed, psf: psf)
            let m = max(psf.height, psf.width)
            let inner = { (x: Image) in x.cropped(top: m, left: m, height: 48 - 2 * m, width: 48 - 2 * m) }
            let rms = rmsDifference(inner(masked), inner(data.truth))
            #expect(rms < 1e-4, "\(psf.height)×\(psf.width): interior RMS \(rms)")
        }
    }

    @Test func maskedBeatsReflectOnLongLinearMotionWithNoise() throws {
        let psf = longDiagonalMotionPSF()
        let data = validProtocolData(size: 72, psf: psf, sigma: 0.01, seed: 5)
        let blurred = psnr(data.observed, data.truth)
        let methods: [(String, (BoundaryHandling) -> any Restorer)] = [
            ("wiener nsr=0.01", { Wiener(nsr: 0.01, boundary: $0) }),
            ("wiener nsr=auto", { Wiener(noiseToSignal: .automatic, boundary: $0) }),
            ("tikhonov λ=0.03", { Tikhonov(lambda: 0.03, boundary: $0) }),
            ("hyper-laplacian", { HyperLaplacian(boundary: $0) }),
        ]
        var table = "long diagonal motion 21, σ 0.01, blurred \(String(format: "%.2f", blurred)) dB"
        for (label, make) in methods {
            let masked = psnr(try make(.masked).restore(data.observed, psf: psf), data.truth)
            let reflect = psnr(try make(.reflect).restore(data.observed, psf: psf), data.truth)
            table += "\n  \(label): reflect \(String(format: "%.2f", reflect)) masked \(String(format: "%.2f", masked))"
            #expect(masked > reflect + 2, "\(label): masked \(masked) dB, reflect \(reflect) dB")
            #expect(masked > blurred, "\(label): masked \(masked) dB, blurred \(blurred) dB")
        }
        print(table)
    }

    @Test func maskedIsTheDefaultAndChecksItsIterations() throws {
        #expect(Wiener().boundary == .masked && Tikhonov().boundary == .masked && HyperLaplacian().boundary == .masked)
        let data = validProtocolData(size: 20, psf: boxPSF(5), sigma: 0, seed: 1)
        #expect(throws: DeconvolutionError.self) { try Wiener(nsr: 0.01, boundary: .masked, iterations: 0).restore(data.observed, psf: boxPSF(5)) }
        // No regularization leaves the unobserved margin undetermined: a typed error, for any PSF.
        #expect(throws: DeconvolutionError.self) { try Tikhonov(lambda: 0, boundary: .masked).restore(data.observed, psf: boxPSF(5)) }
        #expect(throws: DeconvolutionError.self) { try Wiener(nsr: 0, boundary: .masked).restore(data.observed, psf: invertiblePSF()) }
    }

    @Test func colorImagesEqualChannelWiseCalls() throws {
        let psf = lineMotionPSF()
        let data = validProtocolData(size: 24, psf: psf, sigma: 0.01, seed: 2)
        let color = Image.merge([data.observed, data.observed.mapPixels { 1 - $0 }])
        for method in [Wiener(nsr: 0.01, boundary: .masked), Wiener(noiseToSignal: .automatic, boundary: .masked)] as [any Restorer] {
            let joint = try method.restore(color, psf: psf)
            for c in 0..<2 { #expect(maxAbsDifference(joint.channel(c), try method.restore(color.channel(c), psf: psf)) == 0) }
        }
    }

    /// An observer sees every CG step of the masked Wiener and Tikhonov: the states are the
    /// iterates of runs with that many steps, channel by channel, and returning false stops
    /// the solve there.
    @Test func anObserverSeesEveryConjugateGradientStep() throws {
        let psf = lineMotionPSF()
        let data = validProtocolData(size: 24, psf: psf, sigma: 0.01, seed: 3)
        let color = Image.merge([data.observed, data.observed.mapPixels { 1 - $0 }])
        var states = [IterationState]()
        let restored = try Tikhonov(lambda: 0.01, boundary: .masked, iterations: 6).restore(color, psf: psf) { state in
            states.append(state); return true
        }
        #expect(states.map(\.iteration) == [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6])
        for (k, state) in states.prefix(6).enumerated() {
            let shorter = try Tikhonov(lambda: 0.01, boundary: .masked, iterations: k + 1).restore(data.observed, psf: psf)
            #expect(maxAbsDifference(state.estimate, shorter) < 1e-6, "step \(k + 1)")
        }
        #expect(maxAbsDifference(states[11].estimate, restored.channel(1)) < 1e-6)
        // The relative change is ‖xₖ − xₖ₋₁‖ / ‖xₖ₋₁‖ of the observed window, 0 at the first step.
        let (x2, x3) = (states[1].estimate.pixels, states[2].estimate.pixels)
        let change = zip(x3, x2).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +).squareRoot()
            / x2.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        #expect(states[0].relativeChange == 0 && abs(states[2].relativeChange - change) < 1e-6 * change)

        var seen = 0
        let stopped = try Wiener(nsr: 0.01, boundary: .masked, iterations: 30).restore(data.observed, psf: psf) { _ in
            seen += 1; return seen < 4
        }
        #expect(seen == 4)
        #expect(maxAbsDifference(stopped, try Wiener(nsr: 0.01, boundary: .masked, iterations: 4).restore(data.observed, psf: psf)) < 1e-6)
    }

    /// The free step hook of progress displays: every CG step, channel by channel, with a
    /// residual that falls, and the same image as without it.
    @Test func theStepHookCountsEveryStepWithoutChangingTheResult() throws {
        let psf = lineMotionPSF()
        let data = validProtocolData(size: 24, psf: psf, sigma: 0.01, seed: 4)
        let color = Image.merge([data.observed, data.observed.mapPixels { 1 - $0 }])
        final class Steps: @unchecked Sendable { var seen = [(Int, Double)]() }
        let steps = Steps()
        var method = Wiener(noiseToSignal: .automatic, boundary: .masked, iterations: 7)
        method.stepProgress = { step, residual in steps.seen.append((step, residual)) }
        let restored = try method.restore(color, psf: psf)
        #expect(steps.seen.map(\.0) == Array(1...7) + Array(1...7))
        #expect(steps.seen[6].1 < steps.seen[0].1 && steps.seen[0].1 < 1)
        method.stepProgress = nil
        #expect(maxAbsDifference(restored, try method.restore(color, psf: psf)) == 0)
    }
}
