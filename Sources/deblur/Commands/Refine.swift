import ArgumentParser
import DeblurKit
import Foundation

struct Refine: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refine", abstract: "Restore with the CNN: a classical base method and a refiner, or plug-and-play with a denoiser.",
        discussion: """
        A refiner model runs its base method (from its header), then the network, channel by channel, in overlapping \
        tiles (bounded memory; the result equals one whole-image pass up to float rounding, ~1e-7). A denoiser model (deblur train --task denoise) \
        runs plug-and-play half-quadratic splitting: 8 alternations of a masked-boundary data step and the network, the last 4 with BM3D's collaborative Wiener filter guided by the network's output, unless Stein's risk estimate says the network alone does better (compare --methods cnn:collaborative=N sets how many, cnn:collaborative_check=off keeps them always; refine takes the same as --param collaborative=N, --param collaborative_check=off).
        """)

    @Argument(help: "The blurred image (PNG or TIFF).")
    var image: String
    @Option(help: "PSF file (float TIFF or PNG), or the name of a kernel in the bank (e.g. trajectory-21-2).")
    var psf: String
    @Option(help: "The model file (default: the shipped model).")
    var model: String?
    @Option(name: [.short, .customLong("output")], help: "The refined image: .tif (32-bit float) or .png (16-bit for a 16-bit or float input, 8-bit for one of 8 bits or fewer); --bit-depth overrides.")
    var output: String
    @Option(name: .customLong("bit-depth"), help: "Output sample depth: 8 or 16 (integer, on the [0, 1] scale, clamped and rounded), 32 (float, TIFF only). Default: 32 for a .tif; for a .png 16, or 8 for an input of 8 bits or fewer.")
    var bitDepth: Convert.BitDepth?
    @Option(help: "Gaussian noise σ on the [0, 1] scale for the noise-level input (default: estimated from the image).")
    var noiseSigma: Double?
    @Option(help: "The value of white in the image's units (a float TIFF of 0–255 or raw counts): the CNN restores the image divided by it, on the [0, 1] scale it was trained on, and a float TIFF output is multiplied back (a PNG or --bit-depth 8|16 output is on the [0, 1] scale). --noise-sigma stays on the [0, 1] scale.")
    var dataRange: Double?
    @Option(help: "Tile side in pixels (a denoiser model runs images up to 512² whole).")
    var tile = 256
    @Option(help: "OpenBLAS threads (default: all cores).")
    var threads: Int?
    @Option(name: .customLong("param"), help: ArgumentHelp(
        "A cnn parameter as in compare's cnn:KEY=VALUE, repeatable (Docs/Evaluation.md): e.g. --param collaborative=0 --param lambda=0.3.",
        valueName: "key=value"))
    var params: [String] = []
    @Flag(help: "Print a JSON summary on stdout.")
    var json = false
    @Flag(help: "No progress bar (it is drawn only when stderr is a terminal).")
    var quiet = false

    func validate() throws {
        guard tile >= 16 else { throw ValidationError("Please give --tile ≥ 16 (got \(tile)).") }
        if let noiseSigma, !(0...1).contains(noiseSigma) { throw ValidationError("Please give a --noise-sigma in [0, 1] (got \(noiseSigma)).") }
        try checkThreads(threads)
        try checkDataRange(dataRange)
        try checkBitDepth(bitDepth, output: output)
        try refuseOverwriting(image, psf, with: output, option: "--output")
        // Refining a large image takes minutes: a path that cannot be written is refused first.
        try checkImageOutput(output, option: "--output")
    }

    /// What to try when the CNN came out non-finite on an image of ordinary scale: the noise
    /// level it was given or estimated, and the model.
    static let nonFiniteHint = "try --noise-sigma S, the noise level on the [0, 1] scale, or another --model"

    func run() throws {
        if let threads { BLAS.threads = threads }
        let (blurred, inputInfo) = try readInput(image, dataRange: dataRange)
        let depth = restoredDepth(to: output, input: inputInfo, bitDepth: bitDepth)
        if dataRange == nil { noteUnits(of: blurred, path: image, method: "the CNN", scaleDependent: true, output: output, depth: depth) }
        let kernel = try loadPSF(psf, restoring: blurred, from: image)
        var parameters = ["tile": String(tile)]
        if let model { parameters["model"] = model }
        if let noiseSigma { parameters["noise_sigma"] = String(noiseSigma) }
        var given = Set<String>()
        for param in params {
            let (spelled, value) = try keyValue(param, option: "param")
            // cnn keys are snake-case; the kebab spelling the classical methods use means the same.
            let key = spelled.replacingOccurrences(of: "-", with: "_")
            // The options have their own flags; one value each, whichever way it is given.
            let flag = ["model": "--model", "noise_sigma": "--noise-sigma", "tile": "--tile"][key]
            guard given.insert(key).inserted, flag == nil else {
                throw CLIError("invalid --param \(param): \(flag.map { "use \($0)" } ?? "\(key) is given twice")")
            }
            parameters[key] = value
        }
        let refiner = try RefinerMethod.make(parameters: parameters)
        let start = monotonicSeconds()
        let refined: Image
        do {
            if let splitting = refiner as? PlugAndPlayRestorer {
                // A large image takes minutes: one tick per splitting step. Channel by channel, as
                // the restorer itself runs them, so the result is the same.
                let bar = ProgressBar(total: blurred.channels * splitting.iterations, label: "refine", quiet: quiet)
                refined = try blurred.mapChannels { channel in
                    try splitting.restore(channel, psf: kernel) { _ in bar.advance(); return true }
                }
                bar.finish()
            } else {
                refined = try refiner.restore(blurred, psf: kernel)
            }
        } catch let error as DeconvolutionError {
            // What is wrong with the image (NaN samples, smaller than the PSF), said of the file.
            throw CLIError("\(image): \(error.description)\(samplesReach(blurred, dataRange: dataRange).map { " (" + $0 + ")" } ?? "")")
        }
        let seconds = monotonicSeconds() - start
        // A NaN or ∞ written to a TIFF (or clamped into a PNG) would pass for a restoration.
        guard refined.isFinite else {
            let hint = samplesReach(blurred, dataRange: dataRange) ?? Self.nonFiniteHint
            throw CLIError("\(refiner.name) produced non-finite values on \(image); nothing written (\(hint))")
        }
        try ImageIO.write(outputImage(refined, depth: depth, dataRange: dataRange), to: output, depth: depth)
        if json {
            print("{\"output\": \(jsonQuoted(output)), \"method\": \(jsonQuoted(refiner.name)), \"height\": \(refined.height), \"width\": \(refined.width), \"channels\": \(refined.channels), \"seconds\": \(String(format: "%.4f", seconds))}")
        }
    }
}
