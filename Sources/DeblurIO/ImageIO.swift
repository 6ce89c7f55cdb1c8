import DeblurCore
import Foundation

// API CONTRACT: signatures are relied on by other modules.

/// Image file formats DeblurKit reads and writes, chosen by file extension.
public enum ImageFormat: String, Sendable, CaseIterable {
    case png, tiff
    /// `.png` → png; `.tif` / `.tiff` → tiff (case-insensitive); otherwise nil.
    public init?(path: String) {
        switch (path as NSString).pathExtension.lowercased() {
        case "png": self = .png
        case "tif", "tiff": self = .tiff
        default: return nil
        }
    }
}

/// Sample depth of an image file.
public enum SampleDepth: Int, Sendable, CaseIterable, Codable {
    case uint8 = 8, uint16 = 16, float32 = 32
}

/// What a file header says, before any conversion.
public struct ImageFileInfo: Sendable, Equatable {
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    /// Channels of the decoded `Image` (alpha dropped): 1 or 3.
    public var channels: Int
    /// Bits per sample in the file (1, 2, 4, 8, 16 or 32).
    public var bitsPerSample: Int
    public var isFloat: Bool
    public var hasAlpha: Bool
    /// Pages (TIFF directories), or an APNG's images (its frames, and its default image when that
    /// is not a frame); 1 for a still PNG. Only the first, the TIFF's first page or the APNG's default
    /// image, is read.
    public var pages: Int
    /// Samples per pixel beyond `channels`, dropped on reading: alpha, and a TIFF's other extra
    /// samples (a second fluorescence channel stored as an extra sample is one).
    public var extraSamples: Int
    /// The TIFF Orientation tag, 1…8 (1, top-left, is the stored order; 1 for PNG). It is not
    /// applied on reading: samples come in stored order, as tifffile and Pillow give them.
    public var orientation: Int
    /// `extraSamples` defaults to 1 with alpha and 0 without.
    public init(format: ImageFormat, width: Int, height: Int, channels: Int, bitsPerSample: Int, isFloat: Bool, hasAlpha: Bool, pages: Int,
                extraSamples: Int? = nil, orientation: Int = 1) {
        self.format = format; self.width = width; self.height = height; self.channels = channels
        self.bitsPerSample = bitsPerSample; self.isFloat = isFloat; self.hasAlpha = hasAlpha; self.pages = pages
        self.extraSamples = extraSamples ?? (hasAlpha ? 1 : 0); self.orientation = orientation
    }
}

/// Reading and writing images (PNG through libpng, TIFF through libtiff).
///
/// Value mapping (Docs/FileFormats.md): an 8-bit sample k reads as k / 255, a 16-bit sample
/// as k / 65535 (1/2/4-bit PNG gray as k / (2^b − 1)), a 32-bit float sample as it is.
/// Writing an integer depth clamps to [0, 1] (NaN → 0) and rounds half up,
/// k = ⌊clamp(v, 0, 1)·(2^b − 1) + ½⌋; float TIFF keeps every value, NaN and ±∞ included.
/// Alpha is dropped on read (not composited); multi-page TIFF reads its first page.
/// The file type on read comes from the file's first bytes, not its name.
///
/// The scikit-image equivalents are `skimage.io.imread` followed by `img_as_float32`, and
/// `img_as_ubyte`/`img_as_uint` followed by `imsave`.
public enum ImageIO {
    /// Refuse files whose header claims more pixels (width × height) than this, before
    /// allocating anything (default 2^28 = 268 435 456, a 16384 × 16384 image).
    public static var maximumPixels: Int {
        get { pixelLimit.current }
        set { pixelLimit.current = newValue }
    }

    /// Threads that convert samples while a file is read or written (default: all cores).
    /// Set it to 1 when reading many files in parallel yourself, so that only one component
    /// owns the cores, or do that work in `serially`. libpng and libtiff themselves always run
    /// on the calling thread. Inside a `serially` region (on any thread) it reads 1.
    public static var conversionThreads: Int {
        get { conversionThreadCount.effective }
        set { conversionThreadCount.configured = newValue }
    }

    /// Runs `body` with `conversionThreads` reading 1, for callers that read or write many
    /// files in parallel themselves (the dataset writer). Overlapping callers on other threads
    /// are counted, so the last to leave gives the count back (`ThreadCount`).
    public static func serially<R>(_ body: () throws -> R) rethrows -> R { try conversionThreadCount.serially(body) }

    // Behind locks, as `FFT.threads` is: the dataset writer changed the count while other
    // threads read it, a data race (ThreadSanitizer, the test suite).
    private static let pixelLimit = Locked(1 << 28)
    private static let conversionThreadCount = ThreadCount(ProcessorInfo.cores)

    /// Reads a PNG or TIFF file (first page), mapping samples to [0, 1] floats, alpha dropped.
    /// - Throws: `IOError` naming the file: `.cannotOpen`, `.corrupt` (with libpng's or
    ///   libtiff's message), `.unsupported`, `.tooLarge` (above `maximumPixels`).
    public static func read(_ path: String) throws -> Image { try readWithInfo(path).image }

    /// Reads a file and reports its header.
    /// - Throws: as `read(_:)`.
    public static func readWithInfo(_ path: String) throws -> (image: Image, info: ImageFileInfo) {
        try readingFile(path) { file in
            switch try sniff(file) {
            case .png: return try PNGReader.read(file)
            case .tiff: return try TIFFReader.read(file)
            }
        }
    }

    /// Reads only a file's header (size, depth, channels, pages); allocates no pixels.
    /// - Throws: as `read(_:)`.
    public static func info(_ path: String) throws -> ImageFileInfo {
        try readingFile(path) { file in
            switch try sniff(file) {
            case .png: return try PNGReader.info(file)
            case .tiff: return try TIFFReader.info(file)
            }
        }
    }

    /// Writes `image` (1 or 3 channels) to `path`, format from the extension, atomically.
    /// Default depth: 8-bit for PNG, 32-bit float for TIFF. Integer depths clamp to [0, 1] and round.
    /// - Parameters:
    ///   - depth: `.uint8`, `.uint16` (PNG and TIFF) or `.float32` (TIFF only); nil for the default.
    /// - Throws: `IOError.unsupported` for an unknown extension, a channel count other than
    ///   1 or 3, or float PNG; `IOError.writeFailed` when the file cannot be written (no
    ///   partial file is left behind).
    public static func write(_ image: Image, to path: String, depth: SampleDepth? = nil) throws {
        guard let format = ImageFormat(path: path) else {
            throw IOError.unsupported(path: path, reason: "unknown file extension; expected .png, .tif or .tiff")
        }
        switch format {
        case .png:
            let data = try PNGWriter.encode(image, depth: depth ?? .uint8, name: path)
            try writeAtomically(to: path) { temporary in
                do {
                    try writeFile(data, to: temporary, reportedAs: path)
                } catch CoreError.writeFailed(_, let reason) {
                    throw IOError.writeFailed(path: path, reason: reason)
                }
            }
        case .tiff:
            try TIFFWriter.write([image], to: path, depth: depth ?? .float32)
        }
    }

    /// Encodes `image` as PNG bytes in memory (for reports that embed pictures).
    /// - Throws: `IOError.unsupported` for float depth or a channel count other than 1 or 3.
    public static func encodePNG(_ image: Image, depth: SampleDepth = .uint8) throws -> Data {
        try PNGWriter.encode(image, depth: depth, name: "<memory>")
    }

    /// Decodes PNG bytes held in memory, as `read(_:)` does for a file.
    /// - Throws: `IOError.corrupt` naming `name`, `.tooLarge`.
    public static func decodePNG(_ data: Data, name: String = "<memory>") throws -> Image {
        try PNGReader.decode(data, name: name).image
    }

    /// Reads every page of a TIFF as separate images (one-channel pages for channel stacks).
    /// - Throws: as `read(_:)`; a PNG file is `.unsupported`.
    public static func readTIFFPages(_ path: String) throws -> [Image] {
        try readingFile(path) { file in
            guard try sniff(file) == .tiff else {
                throw IOError.unsupported(path: file, reason: "pages are read from TIFF files; this is a PNG")
            }
            return try TIFFReader.readPages(file)
        }
    }

    /// `body` given `path`, or, when `path` is a pipe (a shell's `<(…)`, a named pipe), a
    /// temporary copy of everything written into it, removed afterwards; errors name `path`.
    /// The readers open a file twice (its first bytes, then the decoder) and libtiff seeks:
    /// a pipe gives neither, and a second open of a named pipe waits for a new writer forever.
    static func readingFile<T>(_ path: String, _ body: (String) throws -> T) throws -> T {
        guard let kind = streamKind(of: path) else { return try body(path) }
        guard kind == "a pipe" else {
            throw IOError.unsupported(path: path, reason: "\(kind), not a file: images are read from files and pipes (save it to a file first)")
        }
        let copy = (NSTemporaryDirectory() as NSString).appendingPathComponent("deblurkit-pipe-") + UUID().uuidString
        let token = InterruptCleanup.register(copy)
        defer {
            unlink(copy)
            InterruptCleanup.unregister(token)
        }
        try copyPipe(path, to: copy)
        do {
            return try body(copy)
        } catch let error as IOError {
            throw error.naming(path, insteadOf: copy)
        }
    }

    /// Copies everything written into the pipe `path` to the new file `copy`, a chunk at a time,
    /// once its first 8 bytes have been found to start a PNG or TIFF (`sniff`). The pipe was read
    /// whole into memory first: `deblur info <(cat /dev/zero)` grew by about 1 GB a second until
    /// it was killed, and any pipe that was no image was refused only at its end.
    /// - Throws: `IOError.cannotOpen` naming `path` when the pipe cannot be read or the copy
    ///   written; what `sniff` throws for its first bytes.
    private static func copyPipe(_ path: String, to copy: String) throws {
        let source = open(path, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw IOError.cannotOpen(path: path, reason: "reading the pipe failed: \(systemErrorReason(errno))") }
        defer { close(source) }
        let target = open(copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        func copyFailed(_ code: Int32) -> IOError {
            .cannotOpen(path: path, reason: "its contents could not be copied to \(NSTemporaryDirectory()): \(systemErrorReason(code))")
        }
        guard target >= 0 else { throw copyFailed(errno) }
        var start: [UInt8]? = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        do {
            while true {
                let count = chunk.withUnsafeMutableBytes { Glibc.read(source, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw IOError.cannotOpen(path: path, reason: "reading the pipe failed: \(systemErrorReason(errno))")
                }
                if var first = start {
                    first += chunk.prefix(min(count, 8 - first.count))
                    start = first
                    if first.count == 8 || count == 0 {
                        _ = try sniff(first, count: first.count, path: path)
                        start = nil
                    }
                }
                if count == 0 { break }
                var offset = 0
                while offset < count {
                    let written = chunk.withUnsafeBytes { Glibc.write(target, $0.baseAddress! + offset, count - offset) }
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw copyFailed(errno)
                    }
                    offset += written
                }
            }
        } catch {
            close(target)
            throw error
        }
        guard close(target) == 0 else { throw copyFailed(errno) }
    }

    /// Writes images as the pages of one 32-bit float TIFF, atomically.
    /// - Parameter reportedAs: the name errors give the file (the final one, when `path` is a
    ///   temporary file that the caller renames later); default `path`.
    /// - Throws: `IOError.unsupported` for an empty list or a channel count other than 1 or 3;
    ///   `.writeFailed`.
    public static func writeTIFFPages(_ pages: [Image], to path: String, reportedAs name: String? = nil) throws {
        guard !pages.isEmpty else { throw IOError.unsupported(path: name ?? path, reason: "no pages to write") }
        try TIFFWriter.write(pages, to: path, depth: .float32, reportedAs: name)
    }

    /// Reads a PSF file (float TIFF, or PNG for viewing) and validates it (`PSF.init`).
    public static func readPSF(_ path: String) throws -> PSF { try readPSFWithInfo(path).psf }

    /// Reads and validates a PSF file, and reports its header (a pipe is read once, into one
    /// temporary copy). The size rule (odd width and height) is checked on the header, before
    /// any pixel is decoded, and so is `checkHeader` (given the header's height and width): a
    /// caller that will refuse a PSF larger than its image says so before the decoding.
    /// - Throws: as `read(_:)`; `CoreError.invalidPSF` for a file that is not a valid PSF;
    ///   whatever `checkHeader` throws.
    public static func readPSFWithInfo(_ path: String,
                                       checkHeader: (_ height: Int, _ width: Int) throws -> Void = { _, _ in })
        throws -> (psf: PSF, info: ImageFileInfo) {
        try readingFile(path) { file in
            // A kernel of 16384 × 16384, even-sided, was decoded whole (1 GB of samples) before
            // PSF.init refused a size its header gives.
            let header = try info(file)
            try PSF.checkSize(height: header.height, width: header.width, source: path)
            try checkHeader(header.height, header.width)
            let (image, read) = try readWithInfo(file)
            return (try PSF(image.channels == 1 ? image : image.luminance(), source: path), read)
        }
    }

    /// Writes a PSF as a 32-bit float TIFF (or 8-bit PNG scaled to its maximum, for viewing).
    /// A `.png` path gets the kernel divided by its maximum (the picture, not the values).
    public static func writePSF(_ psf: PSF, to path: String) throws {
        if ImageFormat(path: path) == .png {
            let peak = psf.image.statistics().max
            var scaled = psf.image
            if peak > 0 { scaled.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] /= peak } } }
            try write(scaled, to: path, depth: .uint8)
        } else {
            try write(psf.image, to: path, depth: .float32)
        }
    }

    /// The format of a file from its first bytes (PNG signature, TIFF/BigTIFF byte-order mark).
    static func sniff(_ path: String) throws -> ImageFormat {
        guard let file = fopen(path, "rb") else {
            throw IOError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        var magic = [UInt8](repeating: 0, count: 8)
        let count = fread(&magic, 1, 8, file)
        if count == 0, ferror(file) != 0 { throw IOError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        return try sniff(magic, count: count, path: path)
    }

    /// The format of a file whose first `count` bytes (at most 8) are `magic`'s.
    static func sniff(_ magic: [UInt8], count: Int, path: String) throws -> ImageFormat {
        if count == 0 { throw IOError.corrupt(path: path, reason: "the file is empty") }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        if count == 8 && magic == png { return .png }
        // A PNG or TIFF cut within its first 8 bytes is a damaged file, not another format.
        let start = Array(magic.prefix(count))
        if count < 8 && [png, [0x49, 0x49, 42, 0], [0x49, 0x49, 43, 0], [0x4D, 0x4D, 0, 42], [0x4D, 0x4D, 0, 43]].contains(where: { $0.starts(with: start) }) {
            throw IOError.corrupt(path: path, reason: "the file is only \(count) byte\(count == 1 ? "" : "s") long, the start of a "
                                  + "\(start[0] == 0x89 ? "PNG" : "TIFF") header (truncated file)")
        }
        if count >= 4 && ((magic[0] == 0x49 && magic[1] == 0x49 && (magic[2] == 42 || magic[2] == 43) && magic[3] == 0) ||
                          (magic[0] == 0x4D && magic[1] == 0x4D && magic[2] == 0 && (magic[3] == 42 || magic[3] == 43))) {
            return .tiff
        }
        let hex = magic.prefix(count).map { String(format: "%02x", $0) }.joined(separator: " ")
        throw IOError.unsupported(path: path, reason: "not a PNG or TIFF file (it starts with bytes \(hex))")
    }
}

/// Errors of DeblurIO: reading or writing image files and dataset manifests; each names the
/// file (and line) and what was expected.
public enum IOError: Error, CustomStringConvertible, Equatable {
    /// The file is missing or unreadable; `reason` is the system's (e.g. "No such file or directory").
    case cannotOpen(path: String, reason: String)
    /// A valid file DeblurKit does not handle (sample format, colour model, extension), or an
    /// image that cannot be written in the asked format.
    case unsupported(path: String, reason: String)
    /// A damaged file: empty, truncated, bad CRC, bad offsets; `reason` carries libpng's or libtiff's words.
    case corrupt(path: String, reason: String)
    /// The header claims more than `ImageIO.maximumPixels` pixels; nothing was allocated.
    case tooLarge(path: String, width: Int, height: Int, limit: Int)
    /// The file could not be written (no partial file is left).
    case writeFailed(path: String, reason: String)
    /// A dataset directory's manifest (`dataset.json`, `items*.jsonl`) is missing or malformed.
    case badDataset(file: String, line: Int?, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "cannot open \(path): \(reason)"
        case let .unsupported(path, reason): return "unsupported image \(path): \(reason)"
        case let .corrupt(path, reason): return "corrupt image \(path): \(reason)"
        case let .tooLarge(path, w, h, limit): return "image \(path) is \(w)×\(h) pixels, above the limit of \(limit) pixels"
        case let .writeFailed(path, reason): return "cannot write \(path): \(reason)"
        case let .badDataset(file, line?, reason): return "dataset file \(file) line \(line): \(reason)"
        case let .badDataset(file, nil, reason): return "dataset \(file): \(reason)"
        }
    }

    /// The same error naming `path` where it named `other` (a pipe's temporary copy).
    func naming(_ path: String, insteadOf other: String) -> IOError {
        func swap(_ name: String) -> String { name == other ? path : name }
        func swapText(_ text: String) -> String { text.replacingOccurrences(of: other, with: path) }
        switch self {
        case let .cannotOpen(p, reason): return .cannotOpen(path: swap(p), reason: swapText(reason))
        case let .unsupported(p, reason): return .unsupported(path: swap(p), reason: swapText(reason))
        case let .corrupt(p, reason): return .corrupt(path: swap(p), reason: swapText(reason))
        case let .tooLarge(p, w, h, limit): return .tooLarge(path: swap(p), width: w, height: h, limit: limit)
        case let .writeFailed(p, reason): return .writeFailed(path: swap(p), reason: swapText(reason))
        case let .badDataset(file, line, reason): return .badDataset(file: swap(file), line: line, reason: swapText(reason))
        }
    }
}
