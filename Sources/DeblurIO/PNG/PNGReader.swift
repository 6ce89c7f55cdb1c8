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
/// dropped, not composited.
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
            reader = dk_png_open(nil, source.baseAddress, source.count, &header, &message, message.count)
        } else {
            reader = dk_png_open(path, nil, 0, &header, &message, message.count)
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
        let colorChannels = header.channels >= 3 ? 3 : 1
        return ImageFileInfo(format: .png, width: width, height: height, channels: colorChannels,
                             // A palette's entries are 8-bit samples, whatever the index width.
                             bitsPerSample: header.color_type == 3 ? 8 : Int(header.file_bit_depth), isFloat: false,
                             hasAlpha: header.has_alpha != 0, pages: 1)
    }

    private static func decode(path: String, source: UnsafeRawBufferPointer?) throws -> (image: Image, info: ImageFileInfo) {
        var header = dk_png_header()
        let reader = try open(path: path, source: source, header: &header)
        defer { dk_png_close(reader) }
        let info = try info(of: header, path: path)
        let samples = Int(header.channels)
        let type: SampleType = header.sample_bits == 16 ? .uint16 : .uint8
        let rowBytes = info.width * samples * type.bytes
        // The limit check above bounds this allocation before it happens.
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: rowBytes * info.height, alignment: 16)
        defer { raw.deallocate() }
        var message = [CChar](repeating: 0, count: 512)
        guard dk_png_read_image(reader, raw.baseAddress, rowBytes, &message, message.count) == 1 else {
            throw IOError.corrupt(path: path, reason: String(cString: message))
        }
        let image = SampleConversion.toImage(UnsafeRawBufferPointer(raw), type: type,
                                             layout: .interleaved(samplesPerPixel: samples),
                                             channels: info.channels, height: info.height, width: info.width)
        return (image, info)
    }
}
