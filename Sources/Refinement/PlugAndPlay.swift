import DeblurCore
import Deconvolution
import Foundation

/// Deblurring with a learned denoiser as the prior: plug-and-play half-quadratic splitting
/// (Zhang et al. 2017, IRCNN; 2022, DPIR) with the `masked` boundary.
///
/// For `k = 1…K`, with the denoiser's level `σₖ` falling geometrically from `sigmaStart` to the
/// noise level `σ` and `αₖ = λ σ² / σₖ²`:
/// - data step: `xₖ = argmin ‖M (k ⊛ x − y)‖² + αₖ ‖x − zₖ₋₁‖²` (`MaskedDataProximal`);
/// - prior step: `zₖ = D(xₖ, σₖ)`, the network with `σₖ` in its noise plane; in the last
///   `collaborativeSteps`, `zₖ = CWF(xₖ, D(xₖ, σₖ), σₖ)`, BM3D's collaborative Wiener filter of
///   `xₖ` with the network's output as its pilot.
///
/// `z₀` is the observation reflected into the margin; the result is `z_K`'s observed window.
/// Early steps trust the prior (large `σₖ`, small `αₖ`), late ones the data. The network only
/// ever denoises, so it transfers between image kinds better than a network that learns a
/// deblurring end to end: the blur is handled exactly by the data step.
///
/// With `cycleTransforms` step `k` denoises `xₖ` flipped and rotated by the `k mod 8`-th
/// symmetry of the square and undoes it afterwards (DPIR's per-iteration "x8" mode): the
/// network's own orientation bias averages out over the steps at no extra cost.
///
/// The observer sees each step's `z` on the observed window (one-channel images only, as the
/// comparison runner's traces).
public struct PlugAndPlayRestorer: Restorer {
    public var model: RefinerModel
    /// Gaussian noise σ of the observation on the [0, 1] scale; nil estimates it per channel.
    public var noiseSigma: Double?
    /// Splitting steps `K`, the first denoiser level and λ (defaults: DPIR's 8, 49/255, 0.23).
    public var iterations: Int
    public var sigmaStart: Double
    public var lambda: Double
    public var cycleTransforms: Bool
    /// The last step's denoiser output is the mean over this many of the eight symmetries
    /// (1: one pass, as every other step; 8: the full geometric self-ensemble, 7 extra passes;
    /// values outside 1…8 count as the nearest end).
    public var finalEnsemble = 1
    /// In the last this many steps the network's output is not the prior step's result but the
    /// pilot of BM3D's collaborative Wiener filter (`CollaborativeWiener`) applied to `xₖ` at
    /// σₖ: where a photograph repeats a structure, its similar blocks restore detail the
    /// network, trained on dead leaves only, smooths away (0: the network alone; more than
    /// `iterations`: every step). 4 of 8: on held-out photo crops at σ = 1 %, 2, 4 and 6 steps
    /// gained +0.37, +0.53 and +0.59 dB on textured ones, smooth ones +0.4 dB whatever the count.
    public var collaborativeSteps = 4
    /// At the first collaborative step, keep the filter only if it lowers the estimated error:
    /// the filter's output and the network's are scored by SURE (`steinRisk`), `xₖ` taken as the
    /// clean image plus white noise of σₖ, on the observed window; when the network's scores
    /// lower, it alone makes the remaining steps. On held-out photo crops the filter was kept
    /// every time; on the demo's dead leaves, which the network restores better alone, it was
    /// dropped on 10 of 16 (+0.59 dB). Costs one more network pass and filter run per image.
    public var checkCollaborative = true
    public var tiling: TiledInference
    /// 256-pixel tiles, as the refiner: on large images memory stays bounded by the tile.
    public static let defaultTiling = TiledInference(tile: 256)
    /// Extended domains up to this side run as one tile whatever `tiling` says: a 256² photo's
    /// (~300²) would otherwise be cut in four tiles, each with the network's margin, at 1.5×
    /// the time; one 512² pass needs ~450 MB.
    public var wholeImageSide = 512

    /// - Throws: `RefinementError.invalidSetting` for a model that is not a denoiser or bad settings.
    public init(model: RefinerModel, noiseSigma: Double? = nil, iterations: Int = 8, sigmaStart: Double = 49.0 / 255,
                lambda: Double = 0.23, cycleTransforms: Bool = true, tiling: TiledInference = PlugAndPlayRestorer.defaultTiling) throws {
        guard model.header.resolvedTask == .denoise else {
            throw RefinementError.invalidSetting(name: "model task", value: model.header.resolvedTask.rawValue, expected: "denoise (train with --task denoise)")
        }
        guard !model.network.architecture.inputs.contains(.blurred) else {
            throw RefinementError.invalidSetting(name: "denoiser inputs", value: model.network.architecture.inputs.map(\.rawValue).joined(separator: ","),
                                                 expected: "estimate,noise or estimate (a denoiser sees no blurred image)")
        }
        self.model = model; self.noiseSigma = noiseSigma; self.iterations = iterations
        self.sigmaStart = sigmaStart; self.lambda = lambda; self.cycleTransforms = cycleTransforms; self.tiling = tiling
        try checkSettings()
    }

    public var name: String { "cnn(pnp-hqs)" }

    /// The data step's CG stops when its residual has fallen 1000-fold: the denoiser that
    /// follows changes the estimate far more than the rest (tighter costs time, no PSNR:
    /// 0.01 dB at 10⁻⁴ on the photo benchmark).
    static let dataTolerance = 1e-3

    /// The denoiser levels `σ₁ … σ_K` for noise level `sigma`: geometric from `sigmaStart`
    /// to `sigma` (never rising: a noise level above `sigmaStart` is used throughout).
    public func schedule(noiseSigma sigma: Double) -> [Double] {
        let end = min(sigma, sigmaStart)
        guard iterations > 1 else { return [end] }
        return (0..<iterations).map { k in sigmaStart * pow(end / sigmaStart, Double(k) / Double(iterations - 1)) }
    }

    /// The settings, as they may have been changed after `init`: a restorer with 0 steps would
    /// return its input unchanged, and a noise level past 1 overflows the data step's weight.
    /// (`finalEnsemble` is clamped to 1…8, as documented.)
    public func checkSettings() throws {
        func bad(_ name: String, _ value: Any, _ expected: String) -> RefinementError {
            RefinementError.invalidSetting(name: name, value: "\(value)", expected: expected)
        }
        guard iterations >= 1 else { throw bad("iterations", iterations, "an integer ≥ 1") }
        // More collaborative steps than steps means all of them.
        guard collaborativeSteps >= 0 else { throw bad("collaborative", collaborativeSteps, "an integer ≥ 0") }
        guard sigmaStart > 0, sigmaStart.isFinite else { throw bad("sigma_start", sigmaStart, "a number > 0") }
        guard lambda > 0, lambda.isFinite else { throw bad("lambda", lambda, "a number > 0") }
        if let noiseSigma, !(0...1).contains(noiseSigma) { throw bad("noise_sigma", noiseSigma, "a number in [0, 1] (the image's scale)") }
        try tiling.checkSettings()
    }

    public func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image {
        try checkSettings()
        let workspace = UNetWorkspace()
        let start = monotonicSeconds()
        return try blurred.mapChannels { channel in
            let data = try MaskedDataProximal(observation: channel, psf: psf)
            let sigma = noiseSigma ?? estimatePatchNoiseSigma(channel)
            // An image in raw units far past [0, 1] (samples of 10²⁰ and up) has a noise level
            // whose data-step weight λσ²/σₖ² overflows single precision, which the solver's
            // precondition stopped with a crash.
            guard schedule(noiseSigma: Self.floored(sigma)).allSatisfy({ let a = alpha(sigma: Self.floored(sigma), level: $0); return a > 0 && a.isFinite }) else {
                // lambda or sigma_start far from 1 (1e308, 1e-320) does it too: name all three.
                throw DeconvolutionError.invalidInput("its noise level, \(noiseSigma == nil ? "estimated at" : "given as") \(String(format: "%.3g", sigma)), with lambda "
                                                      + "\(String(format: "%g", lambda)) and sigma_start \(String(format: "%g", sigmaStart)), makes the data step's weight λσ²/σₖ² leave single precision")
            }
            var previous = observer == nil ? nil : data.window(data.start())
            let z = split(data, sigma: sigma, workspace: workspace, priorStep: { k, z in
                guard let observer, let old = previous else { return true }
                let estimate = data.window(z)
                let change = estimate.withUnsafeBufferPointer { now in
                    old.withUnsafeBufferPointer { IterationState.relativeChange(now.baseAddress!, from: $0.baseAddress!, count: now.count) }
                }
                previous = estimate
                return observer(IterationState(iteration: k + 1, relativeChange: change, elapsed: monotonicSeconds() - start, estimate: estimate))
            })
            return data.window(z)
        }
    }

    /// What the network is shown at each step when restoring `blurred` (one channel) with the
    /// noise level `noiseSigma`: every data step's output `xₖ` on the observed window, unflipped,
    /// with its level `σₖ`. These are the inputs of a denoiser trained for this splitting
    /// (`SyntheticDataSettings.unrolledImages`): not images plus white noise, but blur residue
    /// and noise coloured by the inverse filter.
    /// - Throws: `RefinementError.invalidSetting` for several channels, a negative or non-finite
    ///   noise level, or settings `checkSettings` refuses; `DeconvolutionError` as `restore`.
    public func dataStepOutputs(_ blurred: Image, psf: PSF, noiseSigma: Double) throws -> [(input: Image, level: Double)] {
        guard blurred.channels == 1 else { throw RefinementError.invalidSetting(name: "channels", value: "\(blurred.channels)", expected: "1") }
        // A NaN level reached the data step's precondition (a crash); a negative one ran as 0.
        guard noiseSigma >= 0, noiseSigma.isFinite else {
            throw RefinementError.invalidSetting(name: "noise_sigma", value: "\(noiseSigma)", expected: "a finite number ≥ 0 (the image's scale)")
        }
        try checkSettings()
        let data = try MaskedDataProximal(observation: blurred, psf: psf)
        var outputs: [(input: Image, level: Double)] = []
        _ = split(data, sigma: noiseSigma, workspace: UNetWorkspace(), dataStep: { x, level in outputs.append((data.window(x), level)) })
        return outputs
    }

    /// The noise level the splitting works with: a floor keeps α finite on a noiseless image
    /// (the data step then all but interpolates the observation).
    static func floored(_ sigma: Double) -> Double { max(sigma, 1e-3) }

    /// The data step's weight at denoiser level `level` for the (floored) noise level `sigma`:
    /// `α = λ σ² / σₖ²`.
    func alpha(sigma: Double, level: Double) -> Float { Float(lambda * sigma * sigma / (level * level)) }

    /// The flip/rotation step `k` shows the network (`transform`'s code).
    func symmetry(step k: Int) -> Int { cycleTransforms ? k % 8 : 0 }

    /// The splitting on one channel, from the reflected observation; returns the last `z` on
    /// the extended domain. `dataStep` sees each `xₖ` and its level before the network does;
    /// `priorStep(k, zₖ)` after, and stops the loop by returning false. `prior(xₖ, σₖ, k)`, when
    /// given, replaces the model's network as the prior step (end-to-end training runs its own).
    func split(_ data: MaskedDataProximal, sigma estimated: Double, workspace: UNetWorkspace, tolerance: Double = Self.dataTolerance,
               dataStep: ((Image, Double) -> Void)? = nil, priorStep: ((Int, Image) -> Bool)? = nil,
               prior: ((Image, Double, Int) -> Image)? = nil) -> Image {
        let tiling = tiling(forPaddedHeight: data.paddedHeight, width: data.paddedWidth)
        let sigma = Self.floored(estimated)
        var z = data.start()
        var collaborate = true
        for (k, level) in schedule(noiseSigma: sigma).enumerated() {
            // Each plane is handed on with `consume`: on a large image only one or two
            // extended-domain planes are alive besides the network's tile.
            let x = data.solve(prior: consume z, alpha: alpha(sigma: sigma, level: level), tolerance: tolerance)
            dataStep?(x, level)
            let symmetry = symmetry(step: k)
            // A library caller may set any Int; the eight symmetries are all there is to average.
            let passes = k == iterations - 1 ? min(max(finalEnsemble, 1), 8) : 1
            if let prior {
                z = prior(consume x, level, k)
            } else if collaborate, k >= firstCollaborativeStep {
                let pilot = denoise(x, level: level, symmetry: symmetry, tiling: tiling, workspace: workspace, passes: passes)
                var filter = CollaborativeWiener()
                filter.threads = BLAS.threads
                if checkCollaborative, k == firstCollaborativeStep {
                    let epsilon = Float(level) * Self.probeScale
                    let field = Self.probe(height: x.height, width: x.width)
                    var shifted = x
                    shifted.withUnsafeMutableBufferPointer { s in field.withUnsafeBufferPointer { b in
                        for i in 0..<s.count { s[i] += epsilon * b[i] }
                    } }
                    // The filter is linear in its noisy input once the pilot is fixed: its
                    // divergence is the one the filter has at this pilot. One call filters both,
                    // matching the pilot's blocks once (same size, one channel, σₖ > 0: the
                    // filter cannot refuse).
                    let filtered = try? filter.filter([x, shifted], pilot: pilot, sigma: level)
                    z = filtered?[0] ?? pilot
                    let networkShifted = denoise(shifted, level: level, symmetry: symmetry, tiling: tiling, workspace: workspace, passes: passes)
                    let filteredShifted = filtered?[1] ?? networkShifted
                    let probe = data.window(field)
                    let input = data.window(x)
                    let networkRisk = Self.steinRisk(input: input, output: data.window(pilot), shiftedOutput: data.window(networkShifted),
                                                     probe: probe, epsilon: epsilon, sigma: level)
                    let filterRisk = Self.steinRisk(input: input, output: data.window(z), shiftedOutput: data.window(filteredShifted),
                                                    probe: probe, epsilon: epsilon, sigma: level)
                    if networkRisk < filterRisk {
                        collaborate = false
                        z = pilot
                    }
                } else {
                    // Same size, one channel, σₖ > 0: the filter cannot refuse.
                    z = (try? filter.filter(x, pilot: pilot, sigma: level)) ?? pilot
                }
            } else {
                z = denoise(consume x, level: level, symmetry: symmetry, tiling: tiling, workspace: workspace, passes: passes)
            }
            if let priorStep, !priorStep(k, z) { break }
        }
        return z
    }

    /// The first step that filters (0-based): a count above `iterations` is every step.
    var firstCollaborativeStep: Int { max(0, iterations - collaborativeSteps) }

    /// The probe's step relative to σₖ: small enough for a finite difference of the network,
    /// large enough to stay far above Float32 rounding.
    static let probeScale: Float = 0.05

    /// A standard Gaussian field, seeded: the same image size always gets the same probe.
    static func probe(height: Int, width: Int) -> Image {
        var rng = SeededRandom(seed: 0x5355_5245, stream: 0)
        var out = Image(height: height, width: width, value: 0)
        out.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = Float(rng.gaussian()) } }
        return out
    }

    /// Stein's unbiased estimate of a denoiser's mean squared error per pixel (Stein 1981), for
    /// `input` = clean image + white Gaussian noise of `sigma`:
    /// `‖f(x) − x‖² / n − σ² + 2σ² div f(x) / n`, the divergence by one Monte-Carlo probe `b`,
    /// `div f(x) ≈ bᵀ (f(x + εb) − f(x)) / ε` (Ramani, Blu, Unser 2008).
    static func steinRisk(input: Image, output: Image, shiftedOutput: Image, probe: Image, epsilon: Float, sigma: Double) -> Double {
        precondition(input.count == output.count && input.count == shiftedOutput.count && input.count == probe.count && input.count > 0,
                     "SURE images differ in size")
        var fit = 0.0, divergence = 0.0
        input.withUnsafeBufferPointer { x in output.withUnsafeBufferPointer { f in
            shiftedOutput.withUnsafeBufferPointer { g in probe.withUnsafeBufferPointer { b in
                for i in 0..<x.count {
                    let d = Double(f[i] - x[i])
                    fit += d * d
                    divergence += Double(b[i]) * Double(g[i] - f[i]) / Double(epsilon)
                }
            } }
        } }
        let n = Double(input.count), variance = sigma * sigma
        return fit / n - variance + 2 * variance * divergence / n
    }

    /// The tiling the network runs with on an extended domain of this size: one whole tile up to
    /// `wholeImageSide`, else `tiling`.
    public func tiling(forPaddedHeight height: Int, width: Int) -> TiledInference {
        var chosen = tiling
        if max(height, width) <= wholeImageSide { chosen.tile = max(chosen.tile, wholeImageSide) }
        return chosen
    }

    /// The network's output for `x` at noise level `level`, seen under the `symmetry`-th
    /// flip/rotation, or its mean over `passes` consecutive symmetries from there.
    private func denoise(_ x: Image, level: Double, symmetry: Int, tiling: TiledInference, workspace: UNetWorkspace, passes: Int = 1) -> Image {
        func pass(_ code: Int) -> Image {
            let input = Self.transform(x, code)
            // The noise plane as a 1 × 1 image, which TiledInference broadcasts.
            let planes = model.network.architecture.inputs.map { $0 == .noise ? Image(height: 1, width: 1, value: Float(level)) : input }
            return Self.transform(tiling.run(model.network, planes: consume planes, workspace: workspace), code, inverse: true)
        }
        var sum = pass(symmetry)
        guard passes > 1 else { return sum }
        for j in 1..<passes {
            let other = pass((symmetry + j) % 8)
            sum.withUnsafeMutableBufferPointer { s in other.withUnsafeBufferPointer { o in for i in 0..<s.count { s[i] += o[i] } } }
        }
        let scale = 1 / Float(passes)
        sum.withUnsafeMutableBufferPointer { s in for i in 0..<s.count { s[i] *= scale } }
        return sum
    }

    /// The `code`-th symmetry of the square (0…7: flipped left–right when `code ≥ 4`, then
    /// `code mod 4` quarter turns counter-clockwise), or its inverse.
    static func transform(_ image: Image, _ code: Int, inverse: Bool = false) -> Image {
        let turns = code % 4, flip = code >= 4
        if inverse {
            let turned = image.rotated90(times: -turns)
            return flip ? turned.flippedHorizontally() : turned
        }
        return (flip ? image.flippedHorizontally() : image).rotated90(times: turns)
    }
}
