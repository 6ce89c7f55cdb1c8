internal import CPNG
import DeblurCore
import Foundation

/// Writes 8- or 16-bit gray or RGB PNG through libpng's simplified `png_image_*` API, which
/// reports errors as a message instead of a longjmp, so it is safe to call from Swift.
///
/// Both depths are tagged sRGB (an sRGB chunk) and the samples are written unchanged:
/// k = ⌊clamp(v, 0, 1)·(2^b − 1) + ½⌋.
enum PNGWriter {
    /// Encodes `image` (1 or 3 channels) as PNG bytes.
    static func encode(_ image: Image, depth: SampleDepth, name: String) throws -> Data {
        guard image.channels == 1 || image.channels == 3 else {
            throw IOError.unsupported(path: name, reason: "PNG is written from 1 or 3 channels, the image has \(image.channels)")
        }
        guard depth != .float32 else {
            throw IOError.unsupported(path: name, reason: "PNG holds 8- or 16-bit samples, not 32-bit float; use a .tif file")
        }
        guard image.width > 0, image.height > 0, image.width <= 1_000_000, image.height <= 1_000_000 else {
            throw IOError.unsupported(path: name, reason: "PNG size \(image.width)×\(image.height) is outside 1…1000000 pixels per side")
        }
        let type = SampleType(depth)
        let samples = UnsafeMutableRawBufferPointer.allocate(byteCount: image.count * type.bytes, alignment: 16)
        defer { samples.deallocate() }
        SampleConversion.fromImage(image, type: type, into: samples)

        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        // PNG_FORMAT_FLAG_COLOR = 2, PNG_FORMAT_FLAG_LINEAR = 4 (16-bit samples).
        png.format = (image.channels == 3 ? 2 : 0) | (depth == .uint16 ? 4 : 0)
        defer { png_image_free(&png) }

        // Stored deflate blocks bound the compressed size (zlib's deflateBound, plus chunk
        // overhead), so one encoding pass is enough in practice; a retry covers the rest.
        let filtered = image.height * (image.width * image.channels * type.bytes + 1)
        var capacity = filtered + filtered / 1000 + (filtered >> 12) + 64 * 1024
        for _ in 0..<2 {
            var output = Data(count: capacity)
            var size = capacity
            let ok = output.withUnsafeMutableBytes { out in
                png_image_write_to_memory(&png, out.baseAddress, &size, 0, samples.baseAddress, 0, nil)
            }
            if ok != 0 {
                output.count = size
                return depth == .uint16 ? taggedSRGB(output) : output
            }
            if png.warning_or_error & 2 != 0 || size <= capacity {
                throw IOError.writeFailed(path: name, reason: "libpng: " + message(of: png))
            }
            capacity = size
            png.warning_or_error = 0
        }
        throw IOError.writeFailed(path: name, reason: "libpng needed more memory than it said")
    }

    /// The sRGB chunk libpng writes into 8-bit files (rendering intent 0), CRC included.
    private static let sRGBChunk: [UInt8] = [0, 0, 0, 1, 0x73, 0x52, 0x47, 0x42, 0, 0xAE, 0xCE, 0x1C, 0xE9]

    /// `png` with its gAMA and cHRM chunks replaced by the sRGB chunk.
    ///
    /// libpng's simplified writer tags every 16-bit file as linear light (gAMA 1.0 and cHRM).
    /// The samples are the image's own numbers, encoded like the 8-bit file's, which it tags
    /// sRGB: viewers that honour gAMA (browsers, ImageMagick, GIMP) would show the 16-bit file
    /// of an image much lighter than its 8-bit file, and colour-managed conversions would change
    /// its values. With the same tag, both depths of one image mean the same thing.
    static func taggedSRGB(_ png: Data) -> Data {
        var output = Data(capacity: png.count + sRGBChunk.count)
        output.append(png.prefix(8))  // the signature
        var offset = png.startIndex + 8
        while offset + 8 <= png.endIndex {
            let length = png[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let end = min(png.endIndex, offset + 12 + length)
            let type = String(decoding: png[offset + 4..<offset + 8], as: UTF8.self)
            if type != "gAMA" && type != "cHRM" { output.append(png[offset..<end]) }
            if type == "IHDR" { output.append(contentsOf: sRGBChunk) }
            offset = end
        }
        return output
    }

    static func message(of png: png_image) -> String {
        withUnsafeBytes(of: png.message) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
