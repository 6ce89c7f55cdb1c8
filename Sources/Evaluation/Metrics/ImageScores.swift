import DeblurCore

/// How images are scored: one value shared by `deblur metrics`, the comparison runner and
/// anyone scoring from Swift, so all three give the same numbers.
public struct MetricSettings: Sendable, Codable, Equatable {
    /// R in PSNR and SSIM (default 1: [0, 1] floats, and 8/16-bit files after reading).
    public var dataRange: Double
    /// Pixels removed on every side before scoring (default 0), the benchmark convention
    /// that keeps boundary artefacts out of the numbers (e.g. Levin et al. 2009 crop 15–30).
    public var crop: Int
    /// The SSIM convention (default `.wang2004`).
    public var ssimPreset: SSIMPreset
    /// Score the Rec. 601 luma `0.299 R + 0.587 G + 0.114 B` instead of the color channels
    /// (default false: all channels, SSIM averaged over them).
    public var luminanceOnly: Bool

    public init(dataRange: Double = 1, crop: Int = 0, ssimPreset: SSIMPreset = .wang2004, luminanceOnly: Bool = false) {
        self.dataRange = dataRange; self.crop = crop; self.ssimPreset = ssimPreset; self.luminanceOnly = luminanceOnly
    }

    /// Throws `EvaluationError.invalidValue` for a data range ≤ 0 or a negative crop.
    public func validate() throws {
        try checkDataRange(dataRange)
        guard crop >= 0 else { throw EvaluationError.invalidValue(name: "crop", value: String(crop), expected: "an integer ≥ 0") }
    }

    /// The image as it is scored: luma if asked (3-channel images only), border cropped.
    /// - Throws: `EvaluationError.imageTooSmall` when the crop leaves nothing,
    ///   `.invalidValue` for luminance on an image that has neither 1 nor 3 channels.
    public func prepare(_ image: Image, what: String = "image") throws -> Image {
        var out = image
        if luminanceOnly && out.channels != 1 {
            guard out.channels == 3 else {
                throw EvaluationError.invalidValue(name: "channel count of \(what)", value: String(out.channels),
                                                   expected: "1 or 3 for the luminance option")
            }
            out = out.luminance()
        }
        if crop > 0 {
            // Compared as crop < side / 2 so that a huge crop cannot overflow 2 · crop + 1.
            guard crop < (out.height + 1) / 2, crop < (out.width + 1) / 2 else {
                let side = crop < Int.max / 2 ? "\(2 * crop + 1)" : "more than \(Int.max)"
                throw EvaluationError.imageTooSmall(what: what, size: "\(out.height)×\(out.width)",
                                                    needed: "\(side)×\(side) for a crop of \(crop)")
            }
            out = out.shaved(crop)
        }
        return out
    }
}

/// MSE, PSNR (dB) and mean SSIM of one image against its reference.
public struct ImageScores: Sendable, Equatable {
    public var mse: Double
    /// +∞ for identical images.
    public var psnr: Double
    public var ssim: Double
    public init(mse: Double, psnr: Double, ssim: Double) { self.mse = mse; self.psnr = psnr; self.ssim = ssim }
}

/// Scores `image` against `reference` with `settings` (crop, luminance, data range, SSIM preset).
///
/// - Parameters:
///   - threads: cores for SSIM (default all); the runner passes 1 while it scores items in parallel.
/// - Throws: `EvaluationError` for mismatched sizes, images too small for the crop or
///   window, NaN or infinite samples (which would score as NaN, or as a perfect ∞ dB), or
///   invalid settings.
///
/// scikit-image: `mean_squared_error`, `peak_signal_noise_ratio` and `structural_similarity`
/// on the cropped images, with the settings of `settings.ssimPreset`.
public func score(_ reference: Image, _ image: Image, settings: MetricSettings = MetricSettings(),
                  threads: Int = ProcessorInfo.cores) throws -> ImageScores {
    try settings.validate()
    try checkSameGeometry(reference, image)
    // Before the crop: a NaN in the border it removes is refused all the same.
    try checkFinite(reference, image)
    let x = try settings.prepare(reference, what: "reference"), y = try settings.prepare(image)
    let error = try mse(x, y)
    return ImageScores(mse: error, psnr: psnr(mse: error, dataRange: settings.dataRange),
                       ssim: try ssim(x, y, preset: settings.ssimPreset, dataRange: settings.dataRange, threads: threads))
}
