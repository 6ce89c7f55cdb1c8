import ArgumentParser
import DeblurKit
import Foundation

struct Blur: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "blur", abstract: "Blur an image by a PSF and add noise.",
        discussion: "Convolves each channel with the PSF (FFTW), then adds Poisson, Gaussian and quantization noise in that order, all from --seed.")

    @Argument(help: "Input image (PNG or TIFF).")
    var image: String
    @Option(help: "PSF file (float TIFF or PNG), or the name of a kernel in the bank (e.g. motion-21-090.0).")
    var psf: String
    @Option(help: "Boundary: circular, reflect, replicate (same size) or valid (smaller by the PSF size − 1).")
    var boundary: BlurBoundaryArgument = .reflect
    @Option(help: "Additive Gaussian noise σ on the [0, 1] scale.")
    var noiseSigma = 0.0
    @OptionGroup var noise: NoiseOptions
    @Option(help: "Seed of the noise (default 0); needs --noise-sigma or --poisson, the noise drawn at random.")
    var seed: UInt64?
    @Option(name: .shortAndLong, help: "Output file (.tif keeps 32-bit floats; .png is 8-bit unless --quantize 16, clamped to [0, 1], the number clamped noted on stderr).")
    var output: String
    @Flag(help: "Print a JSON summary on stdout.")
    var json = false

    func validate() throws {
        try refuseOverwriting(image, psf, with: output, option: "--output")
        // Blurring a 16384² image takes seconds: a path that cannot be written is refused first.
        try checkImageOutput(output, option: "--output")
        // Without random noise nothing is drawn (quantization rounds): the seed was dropped, exit 0.
        if noiseSigma == 0 && noise.poisson == nil {
            try refuseUnused([("--seed", seed != nil)], "without random noise (a --noise-sigma above 0, or --poisson): nothing else is drawn at random (the blur and --quantize are deterministic)")
        }
    }

    func run() throws {
        let model = NoiseModel(gaussianSigma: noiseSigma, poissonPeak: noise.poisson, quantizeBits: noise.quantize)
        try model.validate()
        let input = try readImage(image)
        // A float TIFF can hold NaN or ∞; the convolution would spread each over a PSF-sized
        // patch of the output, a "blurred image" no method can restore.
        guard input.isFinite else {
            throw CLIError("\(image) contains \(input.nonFiniteCount) NaN or infinite samples: expected finite values; nothing written")
        }
        noteNoiseScale(of: input)
        let kernel = try loadPSF(psf) { height, width in
            try boundary.boundary.checkFits(psfHeight: height, psfWidth: width, imageHeight: input.height, imageWidth: input.width)
        }
        // FFTW_ESTIMATE (the default) plans without timing, so the same command writes the
        // same bytes on every run; FFTW_MEASURE could pick a different, differently rounding plan.
        let blurred = try blur(input, psf: kernel, boundary: boundary.boundary)
        var rng = SeededRandom(seed: seed ?? 0)
        let noisy = try addNoise(blurred, model, rng: &rng)
        let depth: SampleDepth? = noise.quantize == 16 ? .uint16 : noise.quantize == 8 ? .uint8 : nil
        // --quantize clips as part of the noise model it names; a PNG clips silently, and the
        // noise in the shadows and highlights is then no longer the Gaussian or Poisson asked for.
        if depth == nil && ImageFormat(path: output) == .png { noteClampedSamples(noisy) }
        try ImageIO.write(noisy, to: output, depth: depth)
        if json {
            print("{\"input\": \(jsonQuoted(image)), \"output\": \(jsonQuoted(output)), \"height\": \(noisy.height), \"width\": \(noisy.width), \"psf_height\": \(kernel.height), \"psf_width\": \(kernel.width), \"boundary\": \"\(boundary.rawValue)\"}")
        } else {
            print("blurred \(input.height)×\(input.width) by a \(kernel.height)×\(kernel.width) PSF (\(boundary.rawValue)) → \(output) \(noisy.height)×\(noisy.width)")
        }
    }

    /// A float TIFF in other units (photon counts, 0–255) takes the noise options as they are, on
    /// the [0, 1] scale, where σ = 0.01 is no noise at all on counts and an integer output clips
    /// nearly every sample to white: say so, as `deconvolve` does for its settings.
    func noteNoiseScale(of input: Image) {
        let integerOutput = noise.quantize != nil || ImageFormat(path: output) == .png
        guard noiseSigma > 0 || noise.poisson != nil || integerOutput else { return }
        guard let reach = input.farOutsideUnitRange() else { return }
        let affected = [noiseSigma > 0 ? "--noise-sigma" : nil, noise.poisson != nil ? "--poisson" : nil,
                        integerOutput ? "the integer output (clipped to [0, 1])" : nil].compactMap { $0 }
        writeStandardError("note: \(image)'s samples reach \(String(format: "%.4g", reach)), far outside the nominal [0, 1], and "
                           + "\(affected.dropLast().joined(separator: ", "))\(affected.count > 1 ? " and " : "")\(affected.last!) "
                           + "\(affected.count == 1 ? "is" : "are") on the [0, 1] scale: divide the "
                           + "image by its value of white first for noise of that level in its units\n")
    }
}
