import ArgumentParser
import DeblurKit
import Foundation

/// `deblur info FILE [--json]`: what a PNG or TIFF file holds and its sample statistics.
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print an image file's size, channels, bit depth and statistics, or a model file's header.",
        discussion: """
            Statistics are over the decoded [0, 1] samples of the first page (alpha dropped), \
            as every other command sees them. The noise σ is the estimate that \
            hyper-laplacian:lambda=auto and cnn use when no noise level is given (white Gaussian \
            noise, from the image's 7×7 patch covariance); a color image is restored channel by \
            channel, each with its own estimate, printed after their mean. NaN and infinite samples are counted \
            and left out of the minimum, maximum and mean; with any, the noise σ is not defined \
            (no method restores such an image). See Docs/FileFormats.md.

            A model file (train's output, its checkpoint, the shipped model) is checked whole \
            (checksum, weights against the architecture) and its provenance header printed: \
            task, architecture, base method, training settings, validation metrics. See Docs/CNN.md.
            """)

    @Argument(help: "A PNG or TIFF file, or a model file.")
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
        /// Each channel's estimate, the level the methods use on it (noise_sigma is their mean).
        var noise_sigma_channels: [Double]
        /// NaN and ±∞ samples (min, max and mean leave them out; with any, noise_sigma is "nan").
        var non_finite: Int
    }

    func run() throws {
        if isModelFile(file) { return try describeModel() }
        let (image, info) = try ImageIO.readWithInfo(file)
        let stats = image.statistics()
        let nonFinite = image.nonFiniteCount
        // Not over the finite samples alone: it is the level lambda=auto and cnn would use, and
        // no method restores an image with such samples.
        // Per channel: the methods restore a color image channel by channel, each with its own
        // estimate, so the mean alone is the level of none of them.
        let channelNoise = (0..<image.channels).map { nonFinite == 0 ? estimatePatchNoiseSigma(image.channel($0)) : .nan }
        // A gray image's one channel is the image: its estimate is already made.
        let noise = nonFinite != 0 ? .nan : image.channels == 1 ? channelNoise[0] : estimatePatchNoiseSigma(image)
        if json {
            let report = Report(file: file, format: info.format.rawValue, width: info.width, height: info.height,
                                channels: info.channels, bits_per_sample: info.bitsPerSample, float: info.isFloat,
                                alpha: info.hasAlpha, pages: info.pages, extra_samples: info.extraSamples,
                                orientation: info.orientation, min: stats.min, max: stats.max, mean: stats.mean,
                                noise_sigma: noise, noise_sigma_channels: channelNoise, non_finite: nonFinite)
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
              + (info.pages > 1 ? (info.format == .png ? ", animated, \(info.pages) images (default image read)" : ", \(info.pages) pages (first read)") : ""))
        print(String(format: "min %.6g  max %.6g  mean %.6g  ", stats.min, stats.max, stats.mean)
              + (noise.isNaN ? "noise σ not defined" : String(format: "noise σ ≈ %.3g", noise))
              + (noise.isNaN || image.channels != 3 ? "" : String(format: " (R %.3g  G %.3g  B %.3g)", channelNoise[0], channelNoise[1], channelNoise[2])))
        // With no other sample, "of the others" named none (a float64 TIFF beyond Float's range reads all ±∞).
        if nonFinite == image.count {
            print("all \(nonFinite) samples are NaN or infinite: there is no min, max or mean, and the noise σ is not defined; no method will restore this image")
        } else if nonFinite > 0 {
            print("\(nonFinite) of \(image.count) samples are NaN or infinite: min, max and mean are of the others, the noise σ is not defined; no method will restore this image")
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

    /// Whether `path` starts with a model file's magic (anything else is read as an image).
    private func isModelFile(_ path: String) -> Bool {
        // A pipe cannot be read twice: it goes to the image reader, which reads it whole once.
        if streamKind(of: path) != nil { return false }
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: ModelFile.magic.count)).map { Array($0) == ModelFile.magic } ?? false
    }

    /// The header of a model file, after reading it whole (a corrupted file is an error here
    /// as it is for every command that loads it).
    private func describeModel() throws {
        let (model, extra) = try ModelFile.read(file)
        let header = model.header
        let compact = JSONEncoder()
        compact.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if json {
            // The header as the file stores it, with what reading it established beside it.
            let headerText = String(decoding: try compact.encode(header), as: UTF8.self)
            print("{\"file\": \(jsonQuoted(file)), \"format\": \"model\", \"header\": \(headerText), \"parameters\": \(model.network.parameterCount), \"checkpoint\": \(!extra.isEmpty)}")
            return
        }
        let a = header.architecture
        let task = header.resolvedTask == .denoise ? "plug-and-play denoiser" : "refiner"
        print("\(file): DeblurKit model, \(task)\(extra.isEmpty ? "" : " (checkpoint: optimizer state included)"), "
              + "\(model.network.parameterCount) parameters")
        print("architecture: U-Net width \(a.width), depth \(a.depth), \(a.convolutionsPerLevel) convolutions per level, "
              + "inputs \(a.inputs.map(\.rawValue).joined(separator: ",")), leaky slope \(a.leakySlope)")
        let parameters = header.base.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        print("base: \(header.base.name)\(parameters.isEmpty ? "" : " (\(parameters))")")
        let training = try header.training.sorted { $0.key < $1.key }.map { "\($0.key)=\(String(decoding: try compact.encode($0.value), as: UTF8.self))" }
        print("training: " + (training.isEmpty ? "not recorded" : training.joined(separator: " ")))
        let metrics = header.metrics.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.6g", $0.value))" }
        print("validation: " + (metrics.isEmpty ? "not recorded" : metrics.joined(separator: ", ")))
        print("written by DeblurKit \(header.toolVersion)")
    }
}
