internal import CTIFF
import DeblurCore
import Foundation

/// Writes gray or RGB TIFF pages through libtiff: uncompressed, contiguous strips of about
/// 256 KiB, no date or software tags, so the same image always gives the same bytes.
enum TIFFWriter {
    /// Writes `pages` (1 or 3 channels each) to `path` atomically; more than one page
    /// marks each as a page (SubfileType page, PageNumber i of n). Errors name `reportedAs`
    /// (the final name, when `path` is a temporary file of the caller's) or `path`.
    static func write(_ pages: [Image], to path: String, depth: SampleDepth, reportedAs name: String? = nil) throws {
        guard !pages.isEmpty else { throw IOError.writeFailed(path: path, reason: "no pages to write") }
        for (index, page) in pages.enumerated() {
            guard page.channels == 1 || page.channels == 3 else {
                throw IOError.unsupported(path: path, reason: "TIFF is written from 1 or 3 channels, page \(index) has \(page.channels)")
            }
            guard page.width > 0, page.height > 0, page.width <= Int(UInt32.max), page.height <= Int(UInt32.max) else {
                throw IOError.unsupported(path: path, reason: "page \(index) is \(page.width)×\(page.height) pixels, expected at least 1×1")
            }
        }
        let type = SampleType(depth)
        let totalBytes = pages.reduce(0) { $0 + $1.count * type.bytes }
        // Classic TIFF addresses 4 GiB; larger files need BigTIFF.
        let mode = totalBytes > 4_000_000_000 ? "w8" : "w"
        try writeAtomically(to: path) { temporary in
            let handle = try TIFFHandle.open(temporary, mode: mode, reportedPath: name ?? path)
            for (index, page) in pages.enumerated() {
                try writePage(page, handle: handle, type: type, index: index, count: pages.count)
            }
            try handle.close()
        }
    }

    private static func writePage(_ image: Image, handle: TIFFHandle, type: SampleType, index: Int, count: Int) throws {
        let rowBytes = image.width * image.channels * type.bytes
        let rowsPerStrip = max(1, min(image.height, (256 * 1024) / rowBytes))
        try handle.set(TIFFTAG_IMAGEWIDTH, image.width)
        try handle.set(TIFFTAG_IMAGELENGTH, image.height)
        try handle.set(TIFFTAG_SAMPLESPERPIXEL, image.channels)
        try handle.set(TIFFTAG_BITSPERSAMPLE, type.bytes * 8)
        try handle.set(TIFFTAG_SAMPLEFORMAT, Int(type == .float32 ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT))
        try handle.set(TIFFTAG_PHOTOMETRIC, Int(image.channels == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK))
        try handle.set(TIFFTAG_PLANARCONFIG, Int(PLANARCONFIG_CONTIG))
        try handle.set(TIFFTAG_ORIENTATION, Int(ORIENTATION_TOPLEFT))
        try handle.set(TIFFTAG_COMPRESSION, Int(COMPRESSION_NONE))
        try handle.set(TIFFTAG_ROWSPERSTRIP, rowsPerStrip)
        if count > 1 {
            try handle.set(TIFFTAG_SUBFILETYPE, Int(FILETYPE_PAGE))
            let ok = withVaList([Int32(index), Int32(count)]) { TIFFVSetField(handle.tiff, UInt32(TIFFTAG_PAGENUMBER), $0) }
            guard ok == 1 else { throw IOError.writeFailed(path: handle.path, reason: handle.messages.summary ?? "cannot set the page number") }
        }
        // One strip at a time through a cache-sized scratch buffer: no image-sized copy.
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: rowsPerStrip * rowBytes, alignment: 64)
        defer { scratch.deallocate() }
        var strip = 0
        for firstRow in stride(from: 0, to: image.height, by: rowsPerStrip) {
            let rows = min(rowsPerStrip, image.height - firstRow)
            SampleConversion.fromImage(image, type: type, rows: firstRow..<firstRow + rows, into: scratch)
            let bytes = rows * rowBytes
            let written = TIFFWriteEncodedStrip(handle.tiff, UInt32(strip), scratch.baseAddress, tmsize_t(bytes))
            guard written == bytes else {
                throw IOError.writeFailed(path: handle.path, reason: handle.messages.summary ?? "strip \(strip) was not written")
            }
            strip += 1
        }
        guard TIFFWriteDirectory(handle.tiff) == 1 else {
            throw IOError.writeFailed(path: handle.path, reason: handle.messages.summary ?? "page \(index) was not written")
        }
    }
}
