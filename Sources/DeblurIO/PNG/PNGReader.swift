internal import CImageShims
import DeblurCore
import Foundation

/// Reads PNG files through libpng's classic API, wrapped by the CImageShims C target so that
/// libpng's longjmp never crosses a Swift frame.
///
/// Every colour type and depth of the PNG specification is read: gray 1/2/4/8/16-bit,
/// gray+alpha, RGB, RGBA (8/16-bit) and palette (expanded to RGB). Samples are mapped
/// linearly, k / (2^b − 1); no gamma, sRGB or ICC transform is applied (gAMA/iCCP chunks are
/// ignored), so values are the file's numbers. Alpha (an alpha channel or a tRNS chunk) is
/// dropped, not composited. An APNG (animated PNG) reads as its default image, the one still-image
/// readers show; its frame count is reported as `pages`.
enum PNGReader {
    /// Reads a PNG file.
    static func read(_ path: String) throws -> (image: Image, info: ImageFileInfo) {
        try decode(path: path, source: nil)
    }

    /// Decodes PNG bytes held in memory; `name` stands for the file in error messages.
    static func decode(_ data: Data, name: String = "<memory>") throws -> (image: Image, info: ImageFileInfo) {
        try data.withUnsafeBytes { try decode(path: name, source: $0) }
    }

    /// Reads only the header (no pixel buffer is allocated).
    static func info(_ path: String) throws -> ImageFileInfo {
        var header = dk_png_header()
        let reader = try open(path: path, source: nil, header: &header)
        dk_png_close(reader)
        return try info(of: header, path: path)
    }

    private static func open(path: String, source: UnsafeRawBufferPointer?, header: inout dk_png_header) throws -> OpaquePointer {
        var message = [CChar](repeating: 0, count: 512)
        let reader: OpaquePointer?
        if let source {
            reader = dk_png_open(nil, source.baseAddress, source.count, UInt64(clamping: ImageIO.maximumPixels), &header, &message, message.count)
        } else {
            reader = dk_png_open(path, nil, 0, UInt64(clamping: ImageIO.maximumPixels), &header, &message, message.count)
        }
        guard let reader else {
            let text = String(cString: message)
            if source == nil, !FileManager.default.isReadableFile(atPath: path) {
                throw IOError.cannotOpen(path: path, reason: text)
            }
            throw IOError.corrupt(path: path, reason: text)
        }
        return reader
    }

    private static func info(of header: dk_png_header, path: String) throws -> ImageFileInfo {
        let width = Int(header.width), height = Int(header.height)
        try Limits.check(width: width, height: height, path: path)
        if width > Int(DK_PNG_MAX_WIDTH) {
            throw IOError.unsupported(path: path, reason: "PNG \(width) pixels wide; expected at most \(DK_PNG_MAX_WIDTH) "
                                      + "(libpng holds whole rows); convert it to TIFF first")
        }
        let colorChannels = header.channels >= 3 ? 3 : 1
        return ImageFileInfo(format: .png, width: width, height: height, channels: colorChannels,
                             // A palette's entries are 8-bit samples, whatever the index width.
                             bitsPerSample: header.color_type == 3 ? 8 : Int(header.file_bit_depth), isFloat: false,
                             hasAlpha: header.has_alpha != 0, pages: pages(of: header))
    }

    /// The images an APNG holds, its default image first: the animation's frames, plus the default
    /// image when it is not one of them. 1 for a still PNG.
    private static func pages(of header: dk_png_header) -> Int {
        guard header.animation_frames > 0 else { return 1 }
        return Int(header.animation_frames) + (header.default_image_is_frame != 0 ? 0 : 1)
    }

    private static func decode(path: String, source: UnsafeRawBufferPointer?) throws -> (image: Image, info: ImageFileInfo) {
        var header = dk_png_header()
        let reader = try open(path: path, source: source, header: &header)
        defer { dk_png_close(reader) }
        let info = try info(of: header, path: path)
        let samples = Int(header.channels)
        let type: SampleType = header.sample_bits == 16 ? .uint16 : .uint8
        let rowBytes = info.width * samples * type.bytes
        var message = [CChar](repeating: 0, count: 512)
        let image: Image
        if header.interlaced != 0 {
            // Adam7 needs the whole image in memory; the limit check above bounds it.
            let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: rowBytes * info.height, alignment: 64)
            defer { raw.deallocate() }
            guard dk_png_read_image(reader, raw.baseAddress, rowBytes, &message, message.count) == 1 else {
                throw IOError.corrupt(path: path, reason: String(cString: message))
            }
            image = SampleConversion.toImage(UnsafeRawBufferPointer(raw), type: type, layout: .interleaved(samplesPerPixel: samples),
                                             channels: info.channels, height: info.height, width: info.width)
        } else {
            // Batches of rows, converted while they are still in cache.
            let batch = 64
            let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: rowBytes * min(batch, info.height), alignment: 64)
            defer { scratch.deallocate() }
            image = try SampleConversion.makeImage(channels: info.channels, height: info.height, width: info.width) { out in
                for firstRow in stride(from: 0, to: info.height, by: batch) {
                    let rows = min(batch, info.height - firstRow)
                    guard dk_png_read_rows(reader, scratch.baseAddress, rowBytes, UInt32(rows), &message, message.count) == 1 else {
                        throw IOError.corrupt(path: path, reason: String(cString: message))
                    }
                    SampleConversion.convert(scratch.baseAddress!, type: type, rowStride: info.width * samples, pixelStride: samples,
                                             channels: info.channels, firstChannel: 0, rows: rows, columns: info.width, into: out,
                                             width: info.width, height: info.height, y0: firstRow, x0: 0, invert: false)
                }
            }
        }
        return (image, info)
    }
}
