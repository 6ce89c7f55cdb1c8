import ArgumentParser
import DeblurKit
import Foundation

/// The `--boundary` choice of `deblur blur` and `deblur synth` (`BlurBoundary` in the library).
enum BlurBoundaryArgument: String, ExpressibleByArgument, CaseIterable {
    case circular, reflect, replicate, valid
    var boundary: BlurBoundary { BlurBoundary(rawValue: rawValue)! }
}

/// Trajectory-model options shared by `deblur psf trajectory` and `deblur synth`.
struct TrajectoryOptions: ParsableArguments {
    // Optionals with the model's defaults applied in `parameters`, so that `given` can tell an
    // option written on the command line from one left out (synth --kernels reads none of them).
    @Option(help: "Canvas of the model in pixels (the length must stay below it); PSFs show the walk 1:1, shrunk only to fit (default 64).")
    var canvas: Int?
    @Option(help: "Samples of the random walk (default 2000).")
    var samples: Int?
    @Option(help: "Total length of the walk on the canvas, in pixels (default 60).")
    var maxLength: Double?
    @Option(help: "Anxiety in [0, 1] (default: drawn as 0.1·U(0,1) per trajectory; 0 gives a straight line).")
    var anxiety: Double?
    @Option(help: "Fraction of the trajectory integrated by the exposure, in (0, 1] (the model uses 0.01, 0.1, 0.5, 1; default 1).")
    var exposure: Double?

    var parameters: TrajectoryParameters {
        let model = TrajectoryParameters()
        return TrajectoryParameters(canvas: canvas ?? model.canvas, samples: samples ?? model.samples, maxLength: maxLength ?? model.maxLength,
                                    anxiety: anxiety, exposure: exposure ?? model.exposure)
    }

    /// Each option with whether it was written on the command line.
    var given: [(option: String, given: Bool)] {
        [("--canvas", canvas != nil), ("--samples", samples != nil), ("--max-length", maxLength != nil),
         ("--anxiety", anxiety != nil), ("--exposure", exposure != nil)]
    }
}

/// Noise options shared by `deblur blur` and `deblur synth`.
struct NoiseOptions: ParsableArguments {
    @Option(help: "Poisson noise at this peak photon count (a value of 1 collects PEAK photons on average).")
    var poisson: Double?
    @Option(help: "Quantize to 8 or 16 bits with clipping to [0, 1].")
    var quantize: Int?
}

/// Loads the PSF that will restore `blurred` (read from `image`), refusing one larger than the
/// image from its header, with the restorers' own refusal prefixed by the image's name.
func loadPSF(_ argument: String, restoring blurred: Image, from image: String) throws -> PSF {
    try loadPSF(argument) { height, width in
        do {
            try PSF.checkFits(height: height, width: width, imageHeight: blurred.height, imageWidth: blurred.width)
        } catch let error as DeconvolutionError {
            throw CLIError("\(image): \(error.description)")
        }
    }
}

/// Loads a PSF given as a file, or as the name of a kernel in the shipped bank. `checkSize`
/// (given the PSF's height and width) runs on a file's header, before its pixels are decoded: a
/// 4097² kernel that the image will refuse cost ~90 MB to decode first.
func loadPSF(_ argument: String, checkSize: (_ height: Int, _ width: Int) throws -> Void = { _, _ in }) throws -> PSF {
    if FileManager.default.fileExists(atPath: argument) {
        let (psf, info) = try ImageIO.readPSFWithInfo(argument, checkHeader: checkSize)
        notePages(info, of: argument)
        return psf
    }
    guard !argument.contains("/") else { throw CLIError("cannot read PSF \(argument): no such file") }
    let entries: [KernelBank.Entry]
    do {
        entries = try KernelBank.entries()
    } catch {
        throw CLIError("cannot read PSF \(argument): no such file, and the kernel bank is unavailable (\(error))")
    }
    guard entries.contains(where: { $0.name == argument }) else {
        throw CLIError("cannot read PSF \(argument): no such file (and no kernel of that name in the bank: deblur psf bank --list)")
    }
    let psf = try KernelBank.psf(named: argument)
    try checkSize(psf.height, psf.width)
    return psf
}
