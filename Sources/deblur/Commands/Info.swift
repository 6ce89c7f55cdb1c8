import ArgumentParser
import DeblurKit
import Foundation

/// `deblur info FILE [--json]`: what a PNG or TIFF file holds and its sample statistics.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print an image file's size, channels, bit depth and statistics.",
        discussion: """
            Statistics are over the decoded [0, 1] samples of the first page (alpha dropped), \
            as every other command sees them. The noise σ is the estimate that \
            hyper-laplacian:lambda=auto and cnn use when no noise level is given (white Gaussian \
            noise, from the image's 7×7 patch covariance). See Docs/FileFormats.md.
            """)

    @Argument(help: "A PNG or TIFF file.")
    var file: String

    @Flag(help: "Print one JSON object on stdout.")
    var json = false

    /// The JSON form; keys are snake_case for scripts.
    struct Report: Encodable {
        var file: String
        var format: String
        var width: Int
        var height: Int
        var channels: Int
        var bits_per_sample: Int
        var float: Bool
        var alpha: Bool
        var pages: Int
        /// Samples per pixel dropped on reading (alpha included).
        var extra_samples: Int
        /// The TIFF Orientation tag, not applied (1 is the stored order).
        var orientation: Int
        var min: Float
        var max: Float
        var mean: Double
        var noise_sigma: Double
        /// NaN and ±∞ samples (min and max leave them out; the mean does not).
        var non_finite: Int
    }

    func run() throws {
        let (image, info) = try ImageIO.readWithInfo(file)
        let stats = image.statistics()
        let noise = estimatePatchNoiseSigma(image)
        let nonFinite = image.nonFiniteCount
        if json {
            let report = Report(file: file, format: info.format.rawValue, width: info.width, height: info.height,
                                channels: info.channels, bits_per_sample: info.bitsPerSample, float: info.isFloat,
                                alpha: info.hasAlpha, pages: info.pages, extra_samples: info.extraSamples,
                                orientation: info.orientation, min: stats.min, max: stats.max, mean: stats.mean,
                                noise_sigma: noise, non_finite: nonFinite)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        let layout = info.channels == 3 ? "RGB" : "gray"
        let depth = info.isFloat ? "\(info.bitsPerSample)-bit float" : "\(info.bitsPerSample)-bit integer"
        print("\(file): \(info.format.rawValue.uppercased()) \(info.height)×\(info.width), \(layout) (\(info.channels) channel\(info.channels == 1 ? "" : "s")), \(depth)"
              + dropped(info) + (info.orientation != 1 ? ", orientation \(info.orientation) (not applied)" : "")
              + (info.pages > 1 ? ", \(info.pages) pages (first read)" : ""))
        print(String(format: "min %.6g  max %.6g  mean %.6g  noise σ ≈ %.3g", stats.min, stats.max, stats.mean, noise))
        if nonFinite > 0 {
            print("\(nonFinite) of \(image.count) samples are NaN or infinite: min and max are of the others; no method will restore this image")
        }
    }

    /// ", alpha (dropped)", ", 2 extra samples (dropped)" or ", alpha and 1 more extra sample (dropped)".
    private func dropped(_ info: ImageFileInfo) -> String {
        let others = max(0, info.extraSamples - (info.hasAlpha ? 1 : 0))
        let plural = others == 1 ? "" : "s"
        switch (info.hasAlpha, others) {
        case (false, 0): return ""
        case (true, 0): return ", alpha (dropped)"
        case (false, _): return ", \(others) extra sample\(plural) (dropped)"
        case (true, _): return ", alpha and \(others) more extra sample\(plural) (dropped)"
        }
    }
}
