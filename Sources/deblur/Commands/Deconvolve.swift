import ArgumentParser
import DeblurKit
import Foundation

/// The classical methods, as `--method` values.
enum ClassicalMethodName: String, ExpressibleByArgument, CaseIterable {
    case wiener, tikhonov, rl, rlTV = "rl-tv", hyperLaplacian = "hyper-laplacian"
}

/// How hard FFTW plans (`--fft-rigor`).
enum FFTRigorOption: String, ExpressibleByArgument, CaseIterable {
    case estimate, measure
}

extension BoundaryHandling: ExpressibleByArgument {}
extension RichardsonLucy.Initialization: ExpressibleByArgument {}

struct Deconvolve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deconvolve",
        abstract: "Restore a blurred image with a classical method.",
        discussion: """
        Methods: wiener (deconvwnr), tikhonov (deconvreg), rl (deconvlucy / richardson_lucy), \
        rl-tv (RL with total variation), hyper-laplacian (Krishnan & Fergus 2009). \
        Defaults suit `valid`-protocol data: boundary masked for every method (unknown \
        boundaries, the data term on the observed window only). \
        With --trace, one CSV row per iteration: channel, iteration, seconds, relative change, \
        and PSNR (dB) and SSIM against --reference. See Docs/Methods.md.
        """)

    @Argument(help: "The blurred image (PNG or TIFF).")
    var image: String

    @Option(help: "PSF file (float TIFF or PNG), or the name of a kernel in the bank (e.g. trajectory-21-2).")
    var psf: String

    @Option(help: "The classical method (Docs/Methods.md); the CNN is `deblur refine`.")
    var method: ClassicalMethodName

    @Option(help: "Wiener noise-to-signal ratio: a number ≥ 0, or 'auto' (noise and signal spectrum estimated from the image). Default 0.01.")
    var nsr: String?

    @Option(help: "Wiener: the noise standard deviation on the [0, 1] scale (NSR = σ² / signal variance).")
    var noiseSigma: Double?

    @Option(help: "Regularization weight: tikhonov λ (default 0.002), rl-tv λ (default 0.002), hyper-laplacian data weight (default: from the noise level).")
    var lambda: Double?

    @Option(help: "rl and rl-tv: number of iterations (default 30); wiener and tikhonov with --boundary masked: conjugate-gradient steps (default 30).")
    var iterations: Int?

    @Option(help: "Boundary handling: masked (default: unknown boundaries, the estimate extended by the PSF, the data term on the observed window only; iterative for every method), reflect (symmetric padding faded to the mean), taper (MATLAB edgetaper) or circular (periodic).")
    var boundary: BoundaryHandling?

    @Option(help: "rl and rl-tv start image: observed (MATLAB, default) or constant (scikit-image's 0.5).")
    var `init`: RichardsonLucy.Initialization?

    @Flag(help: "rl: Biggs–Andrews acceleration (as MATLAB deconvlucy).")
    var acceleration = false

    @Option(help: "rl: damping threshold (deconvlucy's DAMPAR), in image units.")
    var damping: Double?

    @Option(help: "hyper-laplacian: exponent of the gradient prior, 2/3 (default) or 1 (TV).")
    var alpha: String?

    @Option(help: "The value of white in the image's units (a float TIFF of 0–255 or raw counts): the method restores the image divided by it, on the [0, 1] scale its parameters are set for, and a float TIFF output is multiplied back (a PNG or --bit-depth 8|16 output is on the [0, 1] scale). --noise-sigma, --damping and --reference's scores are then on the [0, 1] scale (a float reference divided alike, a PNG one as read).")
    var dataRange: Double?

    @Option(help: "Write a per-iteration CSV trace to this file.")
    var trace: String?

    @Option(help: "The sharp image, for PSNR and SSIM in the trace and the summary (needs --trace or --json).")
    var reference: String?

    @Flag(help: "Score against the centre of --reference, for a valid blur (its sharp image is larger by the PSF size − 1), as metrics --center-reference.")
    var centerReference = false

    @Option(name: .shortAndLong, help: "The restored image: .tif (32-bit float) or .png (16-bit for a 16-bit or float input, 8-bit for one of 8 bits or fewer); --bit-depth overrides.")
    var output: String

    @Option(name: .customLong("bit-depth"), help: "Output sample depth: 8 or 16 (integer, on the [0, 1] scale, clamped and rounded), 32 (float, TIFF only). Default: 32 for a .tif; for a .png 16, or 8 for an input of 8 bits or fewer.")
    var bitDepth: Convert.BitDepth?

    @Option(help: "FFTW planning: measure (default; faster transforms, the plans are kept in the wisdom file under ~/.cache/deblurkit; chosen by timing, so the output can differ in the last digits with another machine or wisdom file) or estimate (no planning time; the same bytes on every run, as compare writes).")
    var fftRigor: FFTRigorOption = .measure

    @Flag(help: "Print a JSON summary on stdout.")
    var json = false

    @Flag(help: "No progress bar.")
    var quiet = false

    func validate() throws {
        try refuseClashes([("--output", output), ("--trace", trace)], inputs: [image, psf, reference ?? image])
        // A masked or iterative restoration of a large image takes minutes: refuse an output
        // that could not be written before running it, not after.
        try checkImageOutput(output, option: "--output")
        if let trace { try checkWritableOutput(trace, option: "--trace") }
        let m = method
        if nsr != nil && m != .wiener { throw ValidationError("Please use --nsr with --method wiener only.") }
        if noiseSigma != nil && m != .wiener { throw ValidationError("Please use --noise-sigma with --method wiener only.") }
        if nsr != nil && noiseSigma != nil { throw ValidationError("Please give either --nsr or --noise-sigma, not both.") }
        if lambda != nil && m == .wiener || lambda != nil && m == .rl {
            throw ValidationError("Please use --lambda with tikhonov, rl-tv or hyper-laplacian (wiener takes --nsr).")
        }
        if iterations != nil && m == .hyperLaplacian { throw ValidationError("Please use --iterations with rl, rl-tv, wiener or tikhonov.") }
        if iterations != nil && (m == .wiener || m == .tikhonov) && !(boundary == nil || boundary == .masked) {
            throw ValidationError("Please use --iterations with wiener or tikhonov only with --boundary masked (the other boundaries are one-shot filters).")
        }
        if let iterations, !(1...ClassicalMethods.maximumIterations).contains(iterations) {
            throw ValidationError("Please give --iterations from 1 to \(ClassicalMethods.maximumIterations) (got \(iterations)).")
        }
        if self.`init` != nil && !(m == .rl || m == .rlTV) { throw ValidationError("Please use --init with rl or rl-tv.") }
        if (acceleration || damping != nil) && m != .rl { throw ValidationError("Please use --acceleration and --damping with rl only.") }
        if alpha != nil && m != .hyperLaplacian { throw ValidationError("Please use --alpha with hyper-laplacian only.") }
        // Without a reference nothing is scored: the flag would be silently ignored.
        if centerReference && reference == nil { throw ValidationError("Please give --reference SHARP with --center-reference.") }
        // Its scores go to the trace and the JSON summary only: without either, the reference was
        // read, checked against the image and dropped, exit 0.
        if trace == nil && !json {
            try refuseUnused([("--reference", reference != nil), ("--center-reference", centerReference)],
                             "without --trace or --json: the PSNR and SSIM against it are written to the trace and the JSON summary only")
        }
        try checkDataRange(dataRange)
        try checkBitDepth(bitDepth, output: output)
    }

    /// The `key=value` parameters for `ClassicalMethods.make`.
    var parameters: [String: String] {
        var p = [String: String]()
        if let nsr { p["nsr"] = nsr }
        if let noiseSigma { p["noise-sigma"] = String(noiseSigma) }
        if let lambda { p["lambda"] = String(lambda) }
        if let iterations { p["iterations"] = String(iterations) }
        if let boundary { p["boundary"] = boundary.rawValue }
        if let start = self.`init` { p["init"] = start.rawValue }
        if acceleration { p["acceleration"] = "true" }
        if let damping { p["damping"] = String(damping) }
        if let alpha { p["alpha"] = alpha }
        return p
    }

    /// What to try when `method` came out non-finite on an image of ordinary scale: its own
    /// parameters, the ones that stabilize it (every method was told "--nsr or --lambda", which
    /// RL refuses both of). `lambda` is the --lambda given and `usualLambda` the one it should move
    /// back towards (tikhonov's default, the hyper-Laplacian's from the image's noise level):
    /// either end of λ fails, so the direction comes from the value (tikhonov with λ = 1e38 was
    /// told "try a larger --lambda").
    static func nonFiniteHint(for method: ClassicalMethodName, lambda: Double? = nil, usualLambda: Double? = nil,
                              acceleration: Bool = false) -> String {
        switch method {
        case .wiener: return "try a larger --nsr, or --noise-sigma"
        // λ weighs the regularizer: a small one leaves the inverse unstable, and λ |R|² of a huge
        // one (1e37 with the Laplacian) overflows single precision.
        case .tikhonov:
            if let lambda, let usualLambda, lambda > usualLambda {
                return "try a smaller --lambda (the default is \(String(format: "%.3g", usualLambda)))"
            }
            return "try a larger --lambda"
        // RL-TV's λ weighs the TV term in a divisor 1 − λ div(∇x/|∇x|): larger λ diverges.
        case .rlTV: return "try a smaller --lambda, or fewer --iterations"
        // The hyper-Laplacian's λ weighs the data: smaller regularizes more, but the x-step's
        // β/λ of a tiny one (1e-37) overflows single precision.
        case .hyperLaplacian:
            if let lambda, let usualLambda, lambda < usualLambda {
                return "try a larger --lambda (the data weight; the image's noise level gives \(String(format: "%.3g", usualLambda)))"
            }
            return "try a smaller --lambda (the data weight)"
        case .rl: return "try fewer --iterations or a --damping threshold" + (acceleration ? ", or leave out --acceleration" : "")
        }
    }

    func run() throws {
        var restorer: any Restorer
        do {
            restorer = try ClassicalMethods.make(method.rawValue, parameters: parameters)
        } catch let error as DeconvolutionError {
            throw CLIError(error.description)
        }
        let (blurred, inputInfo) = try readInput(image, dataRange: dataRange)
        let depth = restoredDepth(to: output, input: inputInfo, bitDepth: bitDepth)
        // Wiener (its NSR a ratio, or estimated as one), Tikhonov and RL give the same result in
        // any units (RL-TV up to its gradient's smoothing ε); a σ, a damping threshold or the
        // hyper-Laplacian's weight (the |∇x|^α prior is not homogeneous of degree 2) do not.
        if dataRange == nil {
            noteUnits(of: blurred, path: image, method: method.rawValue,
                      scaleDependent: method == .hyperLaplacian || noiseSigma != nil || damping != nil, output: output, depth: depth)
        }
        let kernel = try loadPSF(psf, restoring: blurred, from: image)
        var sharp: Image?
        if let reference {
            var r = try dataRange.map { try readImage(reference, dataRange: $0, reference: true) } ?? readImage(reference)
            let offset = validBlurOffset(reference: r, image: blurred)
            if centerReference, let (top, left) = offset { r = r.cropped(top: top, left: left, height: blurred.height, width: blurred.width) }
            guard r.channels == blurred.channels && r.height == blurred.height && r.width == blurred.width else {
                let hint = offset != nil && !centerReference ? " (a valid blur's sharp image: pass --center-reference to score its centre)" : ""
                throw CLIError("reference \(reference) is \(r.channels)×\(r.height)×\(r.width), expected the blurred image's \(blurred.channels)×\(blurred.height)×\(blurred.width)\(hint)")
            }
            sharp = r
        }
        if fftRigor == .measure {
            // Measured plans cost seconds for a new size; the wisdom file makes that once per machine.
            FFT.importWisdom()
            FFT.rigor = .measure
        }
        // Wiener and Tikhonov iterate only with the masked boundary (their CG steps).
        let iterative = method == .rl || method == .rlTV || method == .hyperLaplacian || boundary ?? .masked == .masked
        let perChannel = method == .hyperLaplacian ? (restorer as? HyperLaplacian)?.outerIterations ?? 1 : iterations ?? 30
        let progress = ProgressBar(total: iterative ? perChannel * blurred.channels : 1, label: restorer.name, quiet: quiet)
        var rows = ["channel,iteration,seconds,relative_change" + (sharp != nil ? ",psnr_db,ssim" : "")]
        var channel = -1
        var lastIteration = Int.max
        var scoringSeconds = 0.0
        // The whole run's scoring, left out of the summary's seconds as each row leaves out its channel's.
        var totalScoringSeconds = 0.0
        let start = Date()
        let restored: Image
        // Observing costs the method a copy of each iterate (masked Wiener and Tikhonov also an
        // inverse FFT per CG step: 1.3–1.7× their solve at 1024²), and scoring an SSIM per
        // iteration: only a trace or a drawn bar gets an observer, and only a trace scores. A
        // bar alone counts Wiener's and Tikhonov's CG steps through their free step hook.
        var needsObserver = trace != nil || progress.isDrawn
        if trace == nil && progress.isDrawn {
            let advance: @Sendable (Int, Double) -> Void = { _, residual in progress.advance(status: String(format: "residual %.1e", residual)) }
            if var wiener = restorer as? Wiener { wiener.stepProgress = advance; restorer = wiener; needsObserver = false }
            if var tikhonov = restorer as? Tikhonov { tikhonov.stepProgress = advance; restorer = tikhonov; needsObserver = false }
        }
        let observer: IterationObserver? = !needsObserver ? nil : { state in
            // Channels are restored one after the other; the iteration count restarts.
            if state.iteration <= lastIteration { channel += 1; scoringSeconds = 0 }
            lastIteration = state.iteration
            // The method's clock runs while this observer scores; report the method's own time.
            var row = "\(channel),\(state.iteration),\(String(format: "%.6f", state.elapsed - scoringSeconds)),\(String(format: "%.6g", state.relativeChange))"
            if trace != nil, let sharp {
                let scoringStart = Date()
                defer {
                    let spent = Date().timeIntervalSince(scoringStart)
                    scoringSeconds += spent
                    totalScoringSeconds += spent
                }
                // Scored per channel: the trace has one row per channel and iteration.
                let truth = blurred.channels == 1 ? sharp : sharp.channel(min(channel, sharp.channels - 1))
                let p = (try? psnr(truth, state.estimate)) ?? .nan
                let s = (try? ssim(truth, state.estimate)) ?? .nan
                row += "," + String(format: "%.4f", p) + "," + String(format: "%.5f", s)
            }
            rows.append(row)
            progress.advance(status: String(format: "Δ %.2e", state.relativeChange))
            return true
        }
        do {
            restored = try restorer.restore(blurred, psf: kernel, observer: observer)
        } catch let error as DeconvolutionError {
            // Samples far outside [0, 1] make the estimated noise or signal level overflow or
            // vanish in single precision, which the error names as a regularization of 0.
            throw CLIError("\(image): \(error.description)\(samplesReach(blurred, dataRange: dataRange).map { " (" + $0 + ")" } ?? "")")
        }
        progress.finish()
        if fftRigor == .measure { FFT.exportWisdom() }
        let seconds = Date().timeIntervalSince(start) - totalScoringSeconds
        guard restored.isFinite else {
            // Samples far outside the nominal [0, 1] (a float TIFF in raw units) can overflow the
            // single-precision transforms, which no regularization weight cures.
            let usualLambda: Double? = switch method {
            case .tikhonov: Double(Tikhonov().lambda)
            case .hyperLaplacian: (restorer as? HyperLaplacian).map { var auto = $0; auto.lambda = nil; return Double(auto.effectiveLambda(for: blurred.channel(0))) }
            default: nil
            }
            let hint = samplesReach(blurred, dataRange: dataRange)
                ?? Self.nonFiniteHint(for: method, lambda: lambda, usualLambda: usualLambda, acceleration: acceleration)
            throw CLIError("\(restorer.name) produced non-finite values on \(image); nothing written (\(hint))")
        }
        if let trace {
            try writeAtomically(Data((rows.joined(separator: "\n") + "\n").utf8), to: trace)
        }
        try ImageIO.write(outputImage(restored, depth: depth, dataRange: dataRange), to: output, depth: depth)
        if json {
            var fields = ["\"method\": \(jsonQuoted(restorer.name))", "\"output\": \(jsonQuoted(output))", "\"seconds\": \(String(format: "%.4f", seconds))"]
            if let sharp {
                // JSON has no infinity: a restoration equal to the reference printed `inf`, which
                // no JSON reader takes; null, as metrics --json writes it.
                let decibels = try psnr(sharp, restored)
                fields.append("\"psnr_db\": \(decibels.isFinite ? String(format: "%.4f", decibels) : "null")")
                fields.append("\"ssim\": \(String(format: "%.5f", try ssim(sharp, restored)))")
            }
            print("{" + fields.joined(separator: ", ") + "}")
        }
    }
}
