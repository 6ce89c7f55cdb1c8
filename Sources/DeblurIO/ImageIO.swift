import DeblurCore
import Foundation

// API CONTRACT (stub): the IO helper replaces these bodies; signatures are relied on by other modules.

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
    /// Pages (TIFF directories); 1 for PNG.
    public var pages: Int
    public init(format: ImageFormat, width: Int, height: Int, channels: Int, bitsPerSample: Int, isFloat: Bool, hasAlpha: Bool, pages: Int) {
        self.format = format; self.width = width; self.height = height; self.channels = channels
        self.bitsPerSample = bitsPerSample; self.isFloat = isFloat; self.hasAlpha = hasAlpha; self.pages = pages
    }
}

/// Reading and writing images (PNG through libpng, TIFF through libtiff).
public enum ImageIO {
    /// Refuse files whose header claims more pixels than this, before allocating (default 2^28).
    nonisolated(unsafe) public static var maximumPixels = 1 << 28

    /// Reads a PNG or TIFF file (first page), mapping samples to [0, 1] floats, alpha dropped.
    public static func read(_ path: String) throws -> Image { try readWithInfo(path).image }

    /// Reads a file and reports its header.
    public static func readWithInfo(_ path: String) throws -> (image: Image, info: ImageFileInfo) {
        throw IOError.unsupported(path: path, reason: "not implemented yet")
    }

    /// Writes `image` (1 or 3 channels) to `path`, format from the extension, atomically.
    /// Default depth: 8-bit for PNG, 32-bit float for TIFF. Integer depths clamp to [0, 1] and round.
    public static func write(_ image: Image, to path: String, depth: SampleDepth? = nil) throws {
        throw IOError.unsupported(path: path, reason: "not implemented yet")
    }

    /// Encodes `image` as PNG bytes in memory (for reports that embed pictures).
    public static func encodePNG(_ image: Image, depth: SampleDepth = .uint8) throws -> Data {
        throw IOError.unsupported(path: "<memory>", reason: "not implemented yet")
    }

    /// Reads every page of a TIFF as separate images (one-channel pages for channel stacks).
    public static func readTIFFPages(_ path: String) throws -> [Image] {
        throw IOError.unsupported(path: path, reason: "not implemented yet")
    }

    /// Writes images as the pages of one 32-bit float TIFF, atomically.
    public static func writeTIFFPages(_ pages: [Image], to path: String) throws {
        throw IOError.unsupported(path: path, reason: "not implemented yet")
    }

    /// Reads a PSF file (float TIFF, or PNG for viewing) and validates it (`PSF.init`).
    public static func readPSF(_ path: String) throws -> PSF {
        let image = try read(path)
        return try PSF(image.channels == 1 ? image : image.luminance(), source: path)
    }

    /// Writes a PSF as a 32-bit float TIFF (or 8-bit PNG scaled to its maximum, for viewing).
    public static func writePSF(_ psf: PSF, to path: String) throws {
        try write(psf.image, to: path, depth: .float32)
    }
}

/// Errors reading or writing image files; each names the file.
public enum IOError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(path: String, reason: String)
    case unsupported(path: String, reason: String)
    case corrupt(path: String, reason: String)
    case tooLarge(path: String, width: Int, height: Int, limit: Int)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "cannot open \(path): \(reason)"
        case let .unsupported(path, reason): return "unsupported image \(path): \(reason)"
        case let .corrupt(path, reason): return "corrupt image \(path): \(reason)"
        case let .tooLarge(path, w, h, limit): return "image \(path) is \(w)×\(h) pixels, above the limit of \(limit) pixels"
        case let .writeFailed(path, reason): return "cannot write \(path): \(reason)"
        }
    }
}
