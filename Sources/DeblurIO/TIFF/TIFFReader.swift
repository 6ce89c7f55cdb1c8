internal import CTIFF
import DeblurCore
import Foundation

/// Reads TIFF files through libtiff: 8/16-bit unsigned and 32-bit float samples, gray
/// (min-is-black or min-is-white) or RGB, with extra samples (alpha) dropped, stored in strips
/// or tiles, contiguous or planar, with any compression libtiff was built with; and 1/2/4-bit
/// gray and palette images, through a table of their levels, with extra samples (alpha) dropped too.
enum TIFFReader {
    /// What one TIFF directory (page) holds, checked against what DeblurKit reads.
    struct Page {
        var width: Int
        var height: Int
        var samplesPerPixel: Int
        var colorChannels: Int
        var bitsPerSample: Int
        var type: SampleType
        var planar: Bool
        var minIsWhite: Bool
        var hasAlpha: Bool
        var orientation: Int
        /// The Compression tag's value (`COMPRESSION_NONE` when absent).
        var compression: Int32
        /// Gray samples packed below a byte, or palette indices: read through a table.
        var indexed: Indexed? = nil

        /// The stored samples (or planes) of a pixel that carry its colour; the rest are extra
        /// samples. A palette index is one sample for three channels.
        var colorSamples: Int { indexed == nil ? colorChannels : 1 }
    }

    /// Pixels of `stride` samples of `bits` bits (packed from the high bit of each byte down
    /// when below 8; each row starts on a byte) whose first sample `k` stands for
    /// `table[c · 2^bits + k]` in channel `c`; the others (alpha) are skipped.
    struct Indexed {
        var bits: Int
        var channels: Int
        var table: [Float]
        /// Samples per stored pixel: 1, or more when extra samples are interleaved with it.
        var stride = 1

        /// Bytes of a stored row of `columns` pixels.
        func rowBytes(_ columns: Int) -> Int { (columns * stride * bits + 7) / 8 }
    }

    /// Reads the first page and the header facts (with the number of pages).
    static func read(_ path: String) throws -> (image: Image, info: ImageFileInfo) {
        let handle = try TIFFHandle.open(path, mode: "r")
        let page = try describe(handle)
        let images = describedImages(handle, page)
        let image = try readPage(handle, page)
        return (image, info(page, pages: max(Int(TIFFNumberOfDirectories(handle.tiff)), images ?? 1)))
    }

    /// Reads the header of the first page only.
    static func info(_ path: String) throws -> ImageFileInfo {
        let handle = try TIFFHandle.open(path, mode: "r")
        let page = try describe(handle)
        return info(page, pages: max(Int(TIFFNumberOfDirectories(handle.tiff)), describedImages(handle, page) ?? 1))
    }

    /// Reads every page, in file order.
    static func readPages(_ path: String) throws -> [Image] {
        let handle = try TIFFHandle.open(path, mode: "r")
        var pages: [Image] = []
        let images = describedImages(handle, try describe(handle))
        repeat {
            pages.append(try readPage(handle, try describe(handle)))
        } while TIFFReadDirectory(handle.tiff) == 1
        if let errors = handle.messages.errors.first {
            throw IOError.corrupt(path: path, reason: "after page \(pages.count): libtiff: \(errors)")
        }
        if let images, images > pages.count {
            throw IOError.unsupported(path: path, reason: "its description gives \(images) images but only \(pages.count) have a TIFF directory "
                                      + "(ImageJ's layout above 4 GB, tifffile's truncate=True): the others are stored back to back after "
                                      + "the first; split it with tifffile first")
        }
        return pages
    }

    /// The images the first page's ImageDescription says the file holds, when a writer stored a
    /// stack's images back to back after one directory: ImageJ does above 4 GB ("images=N"),
    /// tifffile with `truncate=True` ({"shape": [...], "truncated": true}). libtiff sees one page.
    static func describedImages(_ handle: TIFFHandle, _ page: Page) -> Int? {
        guard let text = handle.string(TIFFTAG_IMAGEDESCRIPTION) else { return nil }
        if text.hasPrefix("ImageJ=") {
            let line = text.split(whereSeparator: \.isNewline).first { $0.hasPrefix("images=") }
            return line.flatMap { Int($0.dropFirst("images=".count)) }
        }
        guard text.hasPrefix("{"), let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              object["truncated"] as? Bool == true, let shape = object["shape"] as? [Int], !shape.isEmpty else { return nil }
        let pageSamples = page.width * page.height * page.samplesPerPixel
        let total = shape.reduce(1) { $0.multipliedReportingOverflow(by: max($1, 0)).overflow ? Int.max : $0 * max($1, 0) }
        return pageSamples > 0 && total != Int.max ? total / pageSamples : nil
    }

    private static func info(_ page: Page, pages: Int) -> ImageFileInfo {
        ImageFileInfo(format: .tiff, width: page.width, height: page.height, channels: page.colorChannels,
                      bitsPerSample: page.bitsPerSample, isFloat: page.type.isFloat,
                      hasAlpha: page.hasAlpha, pages: max(1, pages), extraSamples: page.samplesPerPixel - page.colorSamples,
                      orientation: page.orientation)
    }

    /// Reads the current directory's tags and checks them; allocates nothing.
    static func describe(_ handle: TIFFHandle) throws -> Page {
        let path = handle.path
        guard let width: UInt32 = handle.get(TIFFTAG_IMAGEWIDTH, defaulted: false),
              let height: UInt32 = handle.get(TIFFTAG_IMAGELENGTH, defaulted: false) else {
            throw IOError.corrupt(path: path, reason: handle.messages.summary ?? "the image size tags are missing")
        }
        try Limits.check(width: Int(width), height: Int(height), path: path)
        let samples = Int(handle.get(TIFFTAG_SAMPLESPERPIXEL, as: UInt16.self) ?? 1)
        let bits = Int(handle.get(TIFFTAG_BITSPERSAMPLE, as: UInt16.self) ?? 1)
        let format = Int32(handle.get(TIFFTAG_SAMPLEFORMAT, as: UInt16.self) ?? UInt16(SAMPLEFORMAT_UINT))
        let planar = Int32(handle.get(TIFFTAG_PLANARCONFIG, as: UInt16.self) ?? UInt16(PLANARCONFIG_CONTIG)) == PLANARCONFIG_SEPARATE
        let photometric = handle.get(TIFFTAG_PHOTOMETRIC, as: UInt16.self, defaulted: false).map(Int32.init)
        let compression = Int32(handle.get(TIFFTAG_COMPRESSION, as: UInt16.self) ?? UInt16(COMPRESSION_NONE))
        // A valid file in a scheme libtiff was not built with (slide scanners' JPEG 2000, JPEG XL)
        // failed at its first strip as "strip 0 cannot be read", which reads as damage.
        if TIFFIsCODECConfigured(UInt16(truncatingIfNeeded: compression)) == 0 {
            let names: [Int32: String] = [COMPRESSION_JP2000: "JPEG 2000", 33003: "JPEG 2000", 33004: "JPEG 2000", 33005: "JPEG 2000",
                                          COMPRESSION_JXL: "JPEG XL", 52546: "JPEG XL", 22610: "JPEG XR", 34934: "JPEG XR"]
            throw IOError.unsupported(path: path, reason: "\(names[compression].map { "\($0) compression (scheme \(compression))" } ?? "compression scheme \(compression)"), "
                                      + "which the system libtiff cannot decode; rewrite it uncompressed first with a reader that has the codec, "
                                      + "e.g. tifffile with imagecodecs: tifffile.imwrite(OUT, tifffile.imread(IN))")
        }

        // The colour model first: a CMYK or Lab file is refused for what it is, with the
        // conversion that fixes it.
        let colorChannels: Int
        switch photometric {
        case PHOTOMETRIC_MINISBLACK, PHOTOMETRIC_MINISWHITE: colorChannels = 1
        case PHOTOMETRIC_RGB, PHOTOMETRIC_PALETTE: colorChannels = 3
        case nil: colorChannels = samples >= 3 ? 3 : 1
        case PHOTOMETRIC_YCBCR? where compression == COMPRESSION_JPEG && !planar:
            // JPEG-in-TIFF stores YCbCr; libjpeg converts it to RGB as it decodes (the
            // JPEGCOLORMODE pseudo-tag), as every JPEG reader does.
            guard (try? handle.set(TIFFTAG_JPEGCOLORMODE, Int(JPEGCOLORMODE_RGB))) != nil else {
                throw IOError.unsupported(path: path, reason: "JPEG-compressed YCbCr colour that libtiff cannot convert to RGB")
            }
            colorChannels = 3
        case let other?:
            let names: [Int32: String] = [PHOTOMETRIC_SEPARATED: "CMYK", PHOTOMETRIC_YCBCR: "YCbCr", PHOTOMETRIC_CIELAB: "CIE L*a*b*",
                                          PHOTOMETRIC_ICCLAB: "ICC L*a*b*", PHOTOMETRIC_ITULAB: "ITU L*a*b*", PHOTOMETRIC_MASK: "transparency mask",
                                          PHOTOMETRIC_CFA: "colour filter array (raw sensor)", PHOTOMETRIC_LOGL: "LogL (SGI log luminance)",
                                          PHOTOMETRIC_LOGLUV: "LogLuv (SGI log luminance and chroma)"]
            throw IOError.unsupported(path: path, reason: "\(names[other] ?? "photometric \(other)") colour; expected gray or RGB; "
                                      + "convert it to RGB first, e.g. with Pillow: Image.open(IN).convert('RGB').save(OUT, compression='raw')")
        }
        let palette = photometric == PHOTOMETRIC_PALETTE
        let unsigned = format == SAMPLEFORMAT_UINT || format == SAMPLEFORMAT_VOID
        // Scanned documents are 1-bit (often CCITT-compressed), some masks and old scanners'
        // gray 2 or 4: each row is packed, the first pixel in the high bits.
        let packed = [1, 2, 4].contains(bits) && unsigned
        let type: SampleType
        // TIFF 6.0: a reader treats "undefined" (void) samples as if the field were absent, i.e.
        // unsigned integers; tifffile does, and some copying writers leave it.
        switch (bits, format) {
        case _ where packed: type = .uint8
        case (8, SAMPLEFORMAT_UINT), (8, SAMPLEFORMAT_VOID): type = .uint8
        case (16, SAMPLEFORMAT_UINT), (16, SAMPLEFORMAT_VOID): type = .uint16
        case (32, SAMPLEFORMAT_IEEEFP): type = .float32
        // NumPy's and scikit-image's floats are 64-bit, and tifffile writes them so.
        case (64, SAMPLEFORMAT_IEEEFP): type = .float64
        case (16, SAMPLEFORMAT_IEEEFP): type = .float16
        default:
            let kind: String, advice: String
            switch format {
            case SAMPLEFORMAT_UINT:
                kind = "unsigned integer"
                advice = "scale it to 16-bit unsigned or to 32-bit float in [0, 1] first"
            case SAMPLEFORMAT_INT:
                kind = "signed integer"
                advice = "DeblurKit cannot know their range: scale them to 16-bit unsigned or to 32-bit float in [0, 1] first"
            case SAMPLEFORMAT_IEEEFP:
                kind = "float"
                advice = "convert it to 32-bit float first"
            case SAMPLEFORMAT_COMPLEXINT, SAMPLEFORMAT_COMPLEXIEEEFP:
                kind = "complex"
                advice = "store the real data (e.g. the magnitude) as 32-bit float first"
            default:
                kind = "untyped (sample format \(format))"
                advice = "convert it to 8/16-bit unsigned integer or 32-bit float first"
            }
            throw IOError.unsupported(path: path, reason: "\(bits)-bit \(kind) samples; expected 1/2/4/8/16-bit unsigned integer or 16/32/64-bit float; \(advice)")
        }
        if case PHOTOMETRIC_YCBCR? = photometric, colorChannels == 3, type != .uint8 {
            throw IOError.unsupported(path: path, reason: "\(bits)-bit JPEG samples; expected 8-bit")
        }
        if palette && type.isFloat {
            throw IOError.unsupported(path: path, reason: "a palette image of \(bits)-bit float samples; "
                                      + "expected 1/2/4/8/16-bit integer indices; convert it to RGB first, e.g. with Pillow: "
                                      + "Image.open(IN).convert('RGB').save(OUT, compression='raw')")
        }
        // A packed gray sample may come with extra ones (alpha), as a palette index may: both are
        // read through their table, the extras skipped. Packed RGB is another layout, refused.
        if packed && !palette && colorChannels != 1 {
            throw IOError.unsupported(path: path, reason: "\(samples) \(bits)-bit samples per pixel for RGB; expected 8/16-bit RGB samples "
                                      + "(\(bits)-bit samples are read for gray and palette images); convert it to 8-bit first, e.g. with Pillow: Image.open(IN).convert('RGB').save(OUT, compression='raw')")
        }

        let colorSamples = palette ? 1 : colorChannels
        guard samples >= colorSamples && samples <= colorSamples + 4 else {
            throw IOError.unsupported(path: path, reason: "\(samples) samples per pixel for \(palette ? "a palette image" : colorChannels == 1 ? "gray" : "RGB"); "
                                      + "expected \(colorSamples) plus at most 4 extra samples")
        }
        // A fax file without the Photometric tag is white-is-zero, as fax data is (ITU T.4/T.6):
        // libtiff's RGBA reader takes it so; any other file without it is min-is-black.
        let fax = [COMPRESSION_CCITTRLE, COMPRESSION_CCITTRLEW, COMPRESSION_CCITTFAX3, COMPRESSION_CCITTFAX4].contains(compression)
        let minIsWhite = photometric == PHOTOMETRIC_MINISWHITE || (photometric == nil && colorChannels == 1 && fax)
        if minIsWhite && type.isFloat {
            throw IOError.unsupported(path: path, reason: "min-is-white \(bits)-bit float samples; expected min-is-black for float data; "
                                      + "store 1 − v as min-is-black first")
        }
        let extras = handle.extraSamples()
        let hasAlpha = extras.contains { Int32($0) == EXTRASAMPLE_ASSOCALPHA || Int32($0) == EXTRASAMPLE_UNASSALPHA }
        var page = Page(width: Int(width), height: Int(height), samplesPerPixel: samples, colorChannels: colorChannels,
                        bitsPerSample: bits, type: type, planar: planar && samples > 1, minIsWhite: minIsWhite, hasAlpha: hasAlpha,
                        orientation: Int(handle.get(TIFFTAG_ORIENTATION, as: UInt16.self, defaulted: false) ?? 1), compression: compression)
        let indexBits = packed ? bits : type.bytes * 8
        if palette {
            guard let map = handle.colormap(bits: indexBits) else {
                throw IOError.corrupt(path: path, reason: "a palette image without its colour map (the ColorMap tag)")
            }
            // Entries are 16-bit and their high byte is the colour, as libtiff's RGBA reader and
            // Pillow take it; a map whose entries all stay below 256 was written 8-bit, a slip
            // of old writers libtiff accepts too. So a palette has 8-bit colours, as in a PNG.
            let eightBit = map.allSatisfy { $0.allSatisfy { $0 < 256 } }
            page.indexed = Indexed(bits: indexBits, channels: 3, table: map.flatMap { $0.map { Float(eightBit ? $0 : $0 >> 8) / 255 } },
                                   stride: page.planar ? 1 : samples)
            page.bitsPerSample = 8
        } else if packed {
            let top = (1 << bits) - 1
            page.indexed = Indexed(bits: bits, channels: 1, table: (0...top).map { Float(minIsWhite ? top - $0 : $0) / Float(top) },
                                   stride: page.planar ? 1 : samples)
        }
        return page
    }

    /// Decodes the current directory into an image. Each strip or tile is decoded into a small
    /// scratch buffer and converted while it is still in cache; planes beyond the colour
    /// channels (planar alpha) are not decoded at all.
    static func readPage(_ handle: TIFFHandle, _ page: Page) throws -> Image {
        // libtiff decodes a whole Deflate strip or tile with libdeflate when it was built with it,
        // and takes libdeflate's "insufficient space" as success: a block whose data is longer
        // than the header's size (a last strip written for all its rows, or a wrong width) then
        // comes back with its samples never written (uninitialised memory, different on every
        // run). zlib, the other decoder, decodes the first rows as every other reader does.
        if page.compression == COMPRESSION_ADOBE_DEFLATE || page.compression == COMPRESSION_DEFLATE {
            try? handle.set(TIFFTAG_DEFLATE_SUBCODEC, Int(DEFLATE_SUBCODEC_ZLIB))
        }
        return try SampleConversion.makeImage(channels: page.colorChannels, height: page.height, width: page.width) { out in
            if TIFFIsTiled(handle.tiff) != 0 {
                try readTiles(handle, page, into: out)
            } else {
                try readStrips(handle, page, into: out)
            }
        }
    }

    private static func failure(_ handle: TIFFHandle, _ what: String) -> IOError {
        .corrupt(path: handle.path, reason: what + (handle.messages.summary.map { " (\($0))" } ?? ""))
    }

    /// Warnings of libtiff's decoders that leave every sample right: LZW data that ends without
    /// its end code (a short strip is an error of its own) or written with the pre-1991 bit order
    /// (libtiff decodes it whole, asking to "convert file"), and a JPEG last strip coded taller
    /// than the image (the extra rows are dropped).
    static let harmlessDecodingWarnings = ["not terminated with EOI code", "Old-style LZW codes", "JPEG strip size exceeds expected dimensions"]

    /// libtiff decodes some damaged data with only a warning and returns the block as if whole:
    /// libjpeg fills what follows "Corrupt JPEG data: premature end of data segment" with gray,
    /// PackBits drops what would overrun the row ("Discarding N bytes"). Those samples are
    /// wrong, so the block is refused as corrupt, with libtiff's words.
    private static func checkDecodingWarnings(_ handle: TIFFHandle, _ block: String) throws {
        let damage = handle.messages.takeWarnings().filter { warning in
            !harmlessDecodingWarnings.contains { warning.contains($0) }
        }
        if let first = damage.first {
            throw IOError.corrupt(path: handle.path, reason: "\(block) is damaged (libtiff: \(first))")
        }
    }

    /// A block with neither offset nor byte count was never written: GDAL leaves empty blocks so
    /// (SPARSE_OK), meaning 0 or its nodata value, which the file alone does not say. libtiff
    /// calls it an "invalid byte count", which would read as damage.
    ///
    /// An offset of 0 with a byte count is the TIFF header, never image data: libtiff pads an
    /// offsets tag shorter than the blocks with zeros ("Incorrect count for "StripOffsets"; tag
    /// ignored", a directory warning) and would decode the header bytes as the missing blocks.
    private static func checkStored(_ handle: TIFFHandle, _ index: Int, _ block: String, directoryWarnings: [String]) throws {
        let strile = UInt32(index)
        guard TIFFGetStrileOffset(handle.tiff, strile) == 0 else { return }
        // Padded, not sparse, when libtiff said the offsets tag was short (its byte counts may be
        // short too, and padded the same way).
        let shortTag = directoryWarnings.first { $0.contains("Incorrect count") && $0.contains("Offsets") }
        guard TIFFGetStrileByteCount(handle.tiff, strile) == 0, shortTag == nil else {
            let cause = shortTag.map { " (libtiff: \($0))" } ?? ""
            throw IOError.corrupt(path: handle.path, reason: "\(block) \(index) has no offset: the file lists fewer offsets than the header's \(block)s\(cause)")
        }
        throw IOError.unsupported(path: handle.path, reason: "\(block) \(index) is not stored (offset and byte count 0: a sparse file, "
                                  + "as GDAL writes with SPARSE_OK, whose empty blocks mean 0 or its nodata value); rewrite it with every "
                                  + "block stored, e.g. gdal_translate -co SPARSE_OK=FALSE IN OUT")
    }

    /// Why a block that could not be read was not, when its offset is at or past the end of the
    /// file: libtiff then reports the file's size minus the offset as an unsigned count, "Read
    /// error on strip 0; got 18446744073708552788 bytes, expected 300". Nil otherwise.
    private static func pastTheEnd(_ handle: TIFFHandle, _ index: Int, _ block: String) -> String? {
        var status = stat()
        guard fstat(TIFFFileno(handle.tiff), &status) == 0 else { return nil }
        let size = UInt64(status.st_size), offset = TIFFGetStrileOffset(handle.tiff, UInt32(index))
        guard offset >= size else { return nil }
        return "\(block) \(index) starts at byte \(offset), past the end of the \(size)-byte file (truncated, or its offsets damaged)"
    }

    private static func readStrips(_ handle: TIFFHandle, _ page: Page, into out: UnsafeMutablePointer<Float>) throws {
        let rowsPerStrip = Int(min(handle.get(TIFFTAG_ROWSPERSTRIP, as: UInt32.self) ?? UInt32.max, UInt32(page.height)))
        guard rowsPerStrip > 0 else { throw failure(handle, "RowsPerStrip is 0") }
        let stripsPerPlane = (page.height + rowsPerStrip - 1) / rowsPerStrip
        let planes = page.planar ? page.samplesPerPixel : 1
        let strips = Int(TIFFNumberOfStrips(handle.tiff))
        guard strips == stripsPerPlane * planes else {
            throw failure(handle, "\(strips) strips where the header implies \(stripsPerPlane * planes)")
        }
        let samplesPerPixel = page.planar ? 1 : page.samplesPerPixel
        let rowSamples = page.width * samplesPerPixel
        let rowBytes = page.indexed?.rowBytes(page.width) ?? rowSamples * page.type.bytes
        // Bounded by the image's own size, which the pixel limit has checked.
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: rowsPerStrip * rowBytes, alignment: 64)
        defer { scratch.deallocate() }
        let directoryWarnings = handle.messages.takeWarnings()  // unknown tags and the like, not the data's
        for strip in 0..<strips {
            let plane = strip / stripsPerPlane, firstRow = (strip % stripsPerPlane) * rowsPerStrip
            if page.planar && plane >= page.colorSamples { break }
            let rows = min(rowsPerStrip, page.height - firstRow)
            let bytes = rows * rowBytes
            try checkStored(handle, strip, "strip", directoryWarnings: directoryWarnings)
            let read = TIFFReadEncodedStrip(handle.tiff, UInt32(strip), scratch.baseAddress, tmsize_t(bytes))
            guard read == bytes else {
                if read < 0, let reason = pastTheEnd(handle, strip, "strip") { throw IOError.corrupt(path: handle.path, reason: reason) }
                throw failure(handle, read < 0 ? "strip \(strip) cannot be read" : "strip \(strip) holds \(read) of \(bytes) bytes")
            }
            try checkDecodingWarnings(handle, "strip \(strip)")
            if let indexed = page.indexed {
                convert(scratch.baseAddress!, indexed, rowBytes: rowBytes, rows: rows, columns: page.width, into: out,
                        width: page.width, height: page.height, y0: firstRow, x0: 0)
                continue
            }
            SampleConversion.convert(scratch.baseAddress!, type: page.type, rowStride: rowSamples, pixelStride: samplesPerPixel,
                                     channels: page.planar ? 1 : page.colorChannels, firstChannel: page.planar ? plane : 0,
                                     rows: rows, columns: page.width, into: out, width: page.width, height: page.height,
                                     y0: firstRow, x0: 0, invert: page.minIsWhite)
        }
    }

    private static func readTiles(_ handle: TIFFHandle, _ page: Page, into out: UnsafeMutablePointer<Float>) throws {
        let tileWidth = Int(handle.get(TIFFTAG_TILEWIDTH, as: UInt32.self) ?? 0)
        let tileHeight = Int(handle.get(TIFFTAG_TILELENGTH, as: UInt32.self) ?? 0)
        guard tileWidth > 0, tileHeight > 0, tileWidth * tileHeight <= ImageIO.maximumPixels else {
            throw failure(handle, "tile size \(tileWidth)×\(tileHeight) is invalid")
        }
        // Each tile is decoded whole into the scratch buffer: a 1×1 image claiming 16384×16384
        // tiles of deflated zeros (a 260 KB file) would fill 256 MB per sample byte. Writers
        // use tiles of 16…1024 or the image rounded up to 16, so anything beyond both is refused.
        let largest = (width: max(2048, (page.width + 15) / 16 * 16), height: max(2048, (page.height + 15) / 16 * 16))
        guard tileWidth <= largest.width, tileHeight <= largest.height else {
            throw IOError.unsupported(path: handle.path, reason: "tiles of \(tileWidth)×\(tileHeight) pixels for a \(page.width)×\(page.height) image; "
                                      + "expected tiles no larger than the image (rounded up to 16) or 2048 per side; rewrite it in strips or smaller tiles")
        }
        let across = (page.width + tileWidth - 1) / tileWidth, down = (page.height + tileHeight - 1) / tileHeight
        let planes = page.planar ? page.samplesPerPixel : 1
        let tiles = Int(TIFFNumberOfTiles(handle.tiff))
        guard tiles == across * down * planes else {
            throw failure(handle, "\(tiles) tiles where the header implies \(across * down * planes)")
        }
        let samplesPerPixel = page.planar ? 1 : page.samplesPerPixel
        let tileRowBytes = page.indexed?.rowBytes(tileWidth) ?? tileWidth * samplesPerPixel * page.type.bytes
        let tileBytes = tileHeight * tileRowBytes
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: tileBytes, alignment: 64)
        defer { scratch.deallocate() }
        let directoryWarnings = handle.messages.takeWarnings()
        for tile in 0..<tiles {
            let plane = tile / (across * down), index = tile % (across * down)
            if page.planar && plane >= page.colorSamples { break }
            let x0 = (index % across) * tileWidth, y0 = (index / across) * tileHeight
            try checkStored(handle, tile, "tile", directoryWarnings: directoryWarnings)
            let read = TIFFReadEncodedTile(handle.tiff, UInt32(tile), scratch.baseAddress, tmsize_t(tileBytes))
            guard read == tileBytes else {
                if read < 0, let reason = pastTheEnd(handle, tile, "tile") { throw IOError.corrupt(path: handle.path, reason: reason) }
                throw failure(handle, read < 0 ? "tile \(tile) cannot be read" : "tile \(tile) holds \(read) of \(tileBytes) bytes")
            }
            try checkDecodingWarnings(handle, "tile \(tile)")
            // Edge tiles are stored whole; only their part inside the image is converted.
            if let indexed = page.indexed {
                convert(scratch.baseAddress!, indexed, rowBytes: tileRowBytes, rows: min(tileHeight, page.height - y0),
                        columns: min(tileWidth, page.width - x0), into: out, width: page.width, height: page.height, y0: y0, x0: x0)
                continue
            }
            SampleConversion.convert(scratch.baseAddress!, type: page.type, rowStride: tileWidth * samplesPerPixel,
                                     pixelStride: samplesPerPixel, channels: page.planar ? 1 : page.colorChannels,
                                     firstChannel: page.planar ? plane : 0, rows: min(tileHeight, page.height - y0),
                                     columns: min(tileWidth, page.width - x0), into: out, width: page.width,
                                     height: page.height, y0: y0, x0: x0, invert: page.minIsWhite)
        }
    }

    /// Looks up a block of packed gray samples or palette indices in their table, into the image.
    private static func convert(_ base: UnsafeRawPointer, _ indexed: Indexed, rowBytes: Int, rows: Int, columns: Int,
                                into out: UnsafeMutablePointer<Float>, width: Int, height: Int, y0: Int, x0: Int) {
        let plane = width * height, bits = indexed.bits, mask = (1 << bits) - 1, stride = indexed.stride
        indexed.table.withUnsafeBufferPointer { table in
            for r in 0..<rows {
                let row = base + r * rowBytes, target = out + (y0 + r) * width + x0
                for x in 0..<columns {
                    let k: Int
                    switch bits {
                    case 16: k = Int(row.loadUnaligned(fromByteOffset: 2 * x * stride, as: UInt16.self))
                    case 8: k = Int(row.load(fromByteOffset: x * stride, as: UInt8.self))
                    default:
                        let bit = x * stride * bits
                        k = Int(row.load(fromByteOffset: bit >> 3, as: UInt8.self) >> (8 - bits - bit & 7)) & mask
                    }
                    for c in 0..<indexed.channels { target[c * plane + x] = table[c << bits + k] }
                }
            }
        }
    }
}
