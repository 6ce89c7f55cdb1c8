import ArgumentParser
import DeblurKit
import Foundation

extension SSIMPreset: ExpressibleByArgument {}

/// The metric options shared by `metrics` and `compare`.
struct MetricOptions: ParsableArguments {
    // Optionals with the defaults applied in `settings`, so that `given` can tell an option
    // written on the command line (even at its default value) from one left out.
    @Option(help: "Pixels removed on every side before scoring (the benchmark border crop; default 0).")
    var crop: Int?

    @Option(help: "Data range R of PSNR and SSIM (default 1). Files are mapped to [0, 1] when read (8/16-bit too), so 1 fits them.")
    var dataRange: Double?

    @Option(help: "SSIM convention: wang2004 (default; scikit-image gaussian_weights, sigma 1.5), matlab (MATLAB ssim), skimage-default (7×7 uniform).")
    var ssimPreset: SSIMPreset?

    @Flag(help: "Score the Rec. 601 luma of color images instead of averaging over channels.")
    var luminance = false

    var settings: MetricSettings {
        MetricSettings(dataRange: dataRange ?? 1, crop: crop ?? 0, ssimPreset: ssimPreset ?? .wang2004, luminanceOnly: luminance)
    }

    /// The metric options written on the command line, as spelled there.
    var given: [String] {
        [crop.map { _ in "--crop" }, ssimPreset.map { _ in "--ssim-preset" }, luminance ? "--luminance" : nil,
         dataRange.map { _ in "--data-range" }].compactMap { $0 }
    }

    func validate() throws {
        if let crop, crop < 0 { throw ValidationError("Please give --crop ≥ 0 (got \(crop)).") }
        if let dataRange, !dataRangeLimits.contains(dataRange) { throw ValidationError("Please give a --data-range from \(dataRangeLimitsText) (got \(dataRange)).") }
    }
}

struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Compute MSE, PSNR and SSIM of an image against a reference.",
        discussion: """
        Both files must have the same size and channel count, or, with --center-reference, the reference may be \
        larger by an even margin: the sharp image of a `blur --boundary valid` (larger by the PSF size − 1) \
        against the restoration of its blurred output. PSNR = 10·log10(R²/MSE) in dB; SSIM is the mean \
        over the valid region (wang2004, skimage-default) or the whole padded map (matlab), averaged over channels. \
        With --data-range W (the value of white in a float file's units), an 8/16-bit file, read on [0, 1], is \
        scaled to [0, W] to match. Prints one line, or one JSON object with --json.
        """)

    @Argument(help: "The reference (sharp) image: PNG or TIFF.")
    var reference: String

    @Argument(help: "The image to score: PNG or TIFF, same size as the reference.")
    var image: String

    @Flag(help: "Crop the reference's centre to the image's size before scoring (the sharp image of a valid blur).")
    var centerReference = false

    @OptionGroup var metrics: MetricOptions

    @Option(help: "Write the SSIM map (after crop / luminance) to this file: float TIFF (.tif) or 8-bit PNG (.png).")
    var ssimMap: String?

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    func validate() throws {
        if let ssimMap {
            try refuseOverwriting(reference, image, with: ssimMap, option: "--ssim-map")
            // The map of a 8192² pair took 14 s, then failed to be written (a missing folder).
            try checkImageOutput(ssimMap, option: "--ssim-map")
        }
    }

    func run() throws {
        let settings = metrics.settings
        // An 8/16-bit file is read on [0, 1], white 1, while --data-range W says white is W: an
        // 8-bit sharp PNG against a restoration in 0–255 units scored 6.0 dB (deconvolve
        // --data-range 255 --reference scored the same pair 17.2 dB), two PNGs 48 dB too high.
        // Such a file is put in the units W is white in, beside the float files as they are.
        func inUnits(_ read: (image: Image, info: ImageFileInfo)) -> Image {
            guard let range = metrics.dataRange, !read.info.isFloat else { return read.image }
            return read.image.scaled(by: Float(range))
        }
        var x = inUnits(try readInput(reference, dataRange: nil))
        let y = inUnits(try readInput(image, dataRange: nil))
        for (path, picture) in [(reference, x), (image, y)] where !picture.isFinite {
            throw CLIError("\(path) contains NaN or infinite samples: a score of it would mean nothing")
        }
        if metrics.dataRange == nil {
            // A float TIFF in other units (photon counts, 0–255) scored at R = 1 gives numbers that
            // look like scores (−75 dB) and are not; scikit-image refuses such images without a
            // data_range. The reference by its extremes; the image by its median, since a
            // restoration on [0, 1] may ring far past it at its edges.
            if let reach = x.farOutsideUnitRange() {
                writeStandardError("note: \(reference)'s samples reach \(String(format: "%.4g", reach)), far outside the nominal [0, 1] "
                                   + "of the default --data-range 1: PSNR and SSIM are on that scale. Pass --data-range W, W the value of "
                                   + "white in the images' units, to score them on theirs\n")
            } else if let middle = y.medianSample(outside: -0.5...1.5) {
                writeStandardError("note: \(image)'s median sample is \(String(format: "%.4g", middle)), far outside the nominal [0, 1] "
                                   + "of \(reference) and of the default --data-range 1: is it in other units (0–255, counts)? Divide it "
                                   + "by its value of white to score it against \(reference)\n")
            }
        }
        let offset = validBlurOffset(reference: x, image: y)
        guard x.channels == y.channels, centerReference ? offset != nil : (x.height == y.height && x.width == y.width) else {
            var message = "\(image) is \(y.channels)×\(y.height)×\(y.width) (channels×height×width) but the reference \(reference) is \(x.channels)×\(x.height)×\(x.width)"
            if x.channels != y.channels {
                message += ": the channel counts differ"
            } else if centerReference {
                message += ": --center-reference needs a reference larger by an even number of pixels on each axis"
            } else if offset != nil {
                message += " (if \(image) restores a valid blur of \(reference), pass --center-reference)"
            }
            throw CLIError(message)
        }
        let (top, left) = offset ?? (0, 0)
        if top > 0 || left > 0 { x = x.cropped(top: top, left: left, height: y.height, width: y.width) }
        // The same steps as `score(_:_:settings:)`, keeping the per-channel SSIM and the map.
        let px = try settings.prepare(x, what: reference), py = try settings.prepare(y, what: image)
        let error = try mse(px, py)
        let similarity = try structuralSimilarity(px, py, preset: settings.ssimPreset, dataRange: settings.dataRange, map: ssimMap != nil)
        let scored = ImageScores(mse: error, psnr: psnr(mse: error, dataRange: settings.dataRange), ssim: similarity.mean)
        if let ssimMap, let map = similarity.map {
            try ImageIO.write(map, to: ssimMap)
        }
        if json {
            let object: [String: Any] = [
                "reference": reference, "image": image, "mse": scored.mse, "psnr": scored.psnr, "ssim": scored.ssim,
                "ssim_channels": similarity.channelMeans, "ssim_preset": settings.ssimPreset.rawValue,
                "data_range": settings.dataRange, "crop": settings.crop, "luminance_only": settings.luminanceOnly,
                "reference_offset": [top, left],
            ]
            print(JSONWriter.write(object, indent: nil))
        } else {
            var line = String(format: "MSE %.6g  PSNR %@ dB  SSIM %.6f (%@", scored.mse,
                              scored.psnr.isFinite ? String(format: "%.4f", scored.psnr) : "inf", scored.ssim, settings.ssimPreset.rawValue)
            if top > 0 || left > 0 { line += ", reference centre" }
            if settings.crop > 0 { line += ", crop \(settings.crop)" }
            if settings.luminanceOnly { line += ", luminance" }
            print(line + ")")
        }
    }
}
