internal import CPNG
import DeblurCore
import Foundation

/// Writes 8- or 16-bit gray or RGB PNG through libpng's simplified `png_image_*` API, which
/// reports errors as a message instead of a longjmp, so it is safe to call from Swift.
///
/// libpng tags 8-bit files sRGB and 16-bit files linear (gAMA 1.0); the samples themselves are
/// written unchanged: k = ⌊clamp(v, 0, 1)·(2^b − 1) + ½⌋.
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
                return output
            }
            if png.warning_or_error & 2 != 0 || size <= capacity {
                throw IOError.writeFailed(path: name, reason: "libpng: " + message(of: png))
            }
            capacity = size
            png.warning_or_error = 0
        }
        throw IOError.writeFailed(path: name, reason: "libpng needed more memory than it said")
    }

    static func message(of png: png_image) -> String {
        withUnsafeBytes(of: png.message) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
