import ArgumentParser
import DeblurKit
import Foundation

/// `deblur convert IN OUT [--bit-depth 8|16|32]`: between PNG and TIFF and between depths.
struct Convert: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert an image between PNG and TIFF formats and bit depths.",
        discussion: """
            The output format follows OUT's extension (.png, .tif, .tiff). Without --bit-depth the \
            input's depth is kept where the output format has it (a float TIFF becomes a 16-bit PNG). \
            Integer outputs clamp to [0, 1] and round; the number of clamped samples is reported on \
            stderr. Alpha is dropped and only the first TIFF page is converted. OUT is written to a \
            temporary file and renamed, so a failure leaves no partial file.
            """)

    /// Sample depths of the output file.
    enum BitDepth: String, ExpressibleByArgument, CaseIterable {
        case eight = "8", sixteen = "16", thirtyTwo = "32"
        var depth: SampleDepth {
            switch self {
            case .eight: return .uint8
            case .sixteen: return .uint16
            case .thirtyTwo: return .float32
            }
        }
    }

    @Argument(help: "The input PNG or TIFF file.")
    var input: String

    @Argument(help: "The output file; .png, .tif or .tiff.")
    var output: String

    @Option(name: .customLong("bit-depth"), help: "Output sample depth: 8 or 16 (integer), 32 (float, TIFF only). Default: the input's.")
    var bitDepth: BitDepth?

    func validate() throws {
        try refuseOverwriting(input, with: output, option: "OUT")
        guard ImageFormat(path: output) != nil else {
            throw ValidationError("Please give OUT a .png, .tif or .tiff extension (got '\(output)').")
        }
        try checkBitDepth(bitDepth, output: output)
    }

    func run() throws {
        let (image, info) = try ImageIO.readWithInfo(input)
        notePages(info, of: input)
        let format = ImageFormat(path: output)!
        let depth: SampleDepth
        if let bitDepth {
            depth = bitDepth.depth
        } else if info.isFloat {
            depth = format == .png ? .uint16 : .float32
        } else {
            depth = info.bitsPerSample > 8 ? .uint16 : .uint8
        }
        if depth != .float32 { noteClampedSamples(image) }
        try ImageIO.write(image, to: output, depth: depth)
        let depthText = depth == .float32 ? "32-bit float" : "\(depth.rawValue)-bit"
        print("wrote \(output): \(format.rawValue.uppercased()) \(image.height)×\(image.width), \(image.channels) channel\(image.channels == 1 ? "" : "s"), \(depthText)")
    }
}
