import CTIFF
import DeblurCore
import Foundation
import Testing
@testable import DeblurIO

/// TIFF layouts other writers use, written here with libtiff as those tools write them:
/// JPEG-compressed YCbCr (libtiff's, GDAL's and slide scanners' JPEG-in-TIFF) is read as RGB;
/// palette images as RGB and 1/2/4-bit gray (CCITT fax-compressed scans among them) through a
/// table of their levels; CMYK is refused with what to do; extra samples and the Orientation
/// tag are reported, not applied.
@Suite struct PeerTIFFTests {
    /// A smooth colour ramp, so that JPEG at quality 95 with 2×2 chroma subsampling stays
    /// within a few levels of it.
    static func ramp(height: Int, width: Int) -> [UInt8] {
        var samples: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                samples += [UInt8(40 + 4 * x), UInt8(200 - 3 * y), UInt8(60 + 2 * x + y)]
            }
        }
        return samples
    }

    /// Writes one page with `photometric`, `compression` and `samples` interleaved samples per
    /// pixel of `bitsPerSample` (8: a byte each; 1, 2 or 4: `samples` holds each row packed, as
    /// stored), in strips of 16 rows, without the Photometric tag when `photometric` is nil;
    /// `setUp` sets further tags.
    static func writeTIFF(_ path: String, height: Int, width: Int, samplesPerPixel: Int, bitsPerSample: Int = 8, photometric: Int32?,
                          compression: Int32, samples: [UInt8], setUp: (TIFFHandle) throws -> Void = { _ in }) throws {
        let handle = try TIFFHandle.open(path, mode: "w")
        try handle.set(TIFFTAG_IMAGEWIDTH, width)
        try handle.set(TIFFTAG_IMAGELENGTH, height)
        try handle.set(TIFFTAG_SAMPLESPERPIXEL, samplesPerPixel)
        try handle.set(TIFFTAG_BITSPERSAMPLE, bitsPerSample)
        try handle.set(TIFFTAG_PLANARCONFIG, Int(PLANARCONFIG_CONTIG))
        try handle.set(TIFFTAG_COMPRESSION, Int(compression))
        if let photometric { try handle.set(TIFFTAG_PHOTOMETRIC, Int(photometric)) }
        try handle.set(TIFFTAG_ROWSPERSTRIP, 16)
        try setUp(handle)
        let rowBytes = (width * samplesPerPixel * bitsPerSample + 7) / 8
        for (strip, firstRow) in stride(from: 0, to: height, by: 16).enumerated() {
            var rows = Array(samples[firstRow * rowBytes..<min(height, firstRow + 16) * rowBytes])
            let written = rows.withUnsafeMutableBytes {
                TIFFWriteEncodedStrip(handle.tiff, UInt32(strip), $0.baseAddress, tmsize_t($0.count))
            }
            #expect(written >= 0, "\(handle.messages.summary ?? "")")
        }
        #expect(TIFFWriteDirectory(handle.tiff) == 1)
        try handle.close()
    }

    @Test("JPEG-compressed YCbCr TIFF (2×2 chroma subsampling) reads as RGB, within JPEG's error of the source")
    func jpegYCbCrReadsAsRGB() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/jpeg.tif"
        let (height, width) = (40, 24)
        let source = Self.ramp(height: height, width: width)
        try Self.writeTIFF(path, height: height, width: width, samplesPerPixel: 3, photometric: PHOTOMETRIC_YCBCR,
                           compression: COMPRESSION_JPEG, samples: source) { handle in
            try handle.set(TIFFTAG_JPEGQUALITY, 95)
            // The caller gives RGB; libjpeg converts it to YCbCr and subsamples the chroma.
            try handle.set(TIFFTAG_JPEGCOLORMODE, Int(JPEGCOLORMODE_RGB))
        }
        let (image, info) = try ImageIO.readWithInfo(path)
        #expect(info == ImageFileInfo(format: .tiff, width: width, height: height, channels: 3, bitsPerSample: 8,
                                      isFloat: false, hasAlpha: false, pages: 1))
        var worst = 0
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    let read = Int((image[c, y, x] * 255).rounded())
                    worst = max(worst, abs(read - Int(source[(y * width + x) * 3 + c])))
                }
            }
        }
        // Raw Y/Cb/Cr samples or a wrong chroma upsampling would be off by tens of levels.
        #expect(worst <= 4, "largest difference \(worst) levels")
    }

    @Test("CMYK, uncompressed YCbCr, LogLuv and raw sensor (CFA) TIFF are refused naming the colour model and the conversion to make",
          arguments: [("CMYK", PHOTOMETRIC_SEPARATED, 4), ("YCbCr", PHOTOMETRIC_YCBCR, 3),
                      ("LogLuv (SGI log luminance and chroma)", PHOTOMETRIC_LOGLUV, 3), ("colour filter array (raw sensor)", PHOTOMETRIC_CFA, 1)])
    func otherColourModelsAreRefusedWithAdvice(name: String, photometric: Int32, samplesPerPixel: Int) throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/\(name).tif"
        let (height, width) = (4, 6)
        try Self.writeTIFF(path, height: height, width: width, samplesPerPixel: samplesPerPixel, photometric: photometric,
                           compression: COMPRESSION_NONE, samples: [UInt8](repeating: 7, count: height * width * samplesPerPixel)) { handle in
            if photometric == PHOTOMETRIC_YCBCR {
                let ok = withVaList([Int32(1), Int32(1)]) { TIFFVSetField(handle.tiff, UInt32(TIFFTAG_YCBCRSUBSAMPLING), $0) }
                #expect(ok == 1)
            }
        }
        #expect(throws: IOError.unsupported(path: path, reason: "\(name) colour; expected gray or RGB; convert it to RGB first, "
                                                + "e.g. with Pillow: Image.open(IN).convert('RGB').save(OUT, compression='raw')")) {
            try ImageIO.read(path)
        }
    }

    @Test("Extra samples other than alpha are counted and dropped; the Orientation tag is reported and not applied",
          arguments: [(PHOTOMETRIC_MINISBLACK, 2, [UInt16(EXTRASAMPLE_UNSPECIFIED)], 1, 1, false),
                      (PHOTOMETRIC_RGB, 5, [UInt16(EXTRASAMPLE_UNASSALPHA), UInt16(EXTRASAMPLE_UNSPECIFIED)], 3, 2, true)])
    func extraSamplesAndOrientation(photometric: Int32, samplesPerPixel: Int, extras: [UInt16], channels: Int,
                                    dropped: Int, alpha: Bool) throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/extra.tif"
        let (height, width) = (3, 4)
        let samples = (0..<height * width * samplesPerPixel).map { UInt8(($0 * 37 + 5) % 256) }
        try Self.writeTIFF(path, height: height, width: width, samplesPerPixel: samplesPerPixel, photometric: photometric,
                           compression: COMPRESSION_NONE, samples: samples) { handle in
            try handle.setExtraSamples(extras)
            try handle.set(TIFFTAG_ORIENTATION, Int(ORIENTATION_BOTRIGHT))
        }
        let (image, info) = try ImageIO.readWithInfo(path)
        #expect(info == ImageFileInfo(format: .tiff, width: width, height: height, channels: channels, bitsPerSample: 8, isFloat: false,
                                      hasAlpha: alpha, pages: 1, extraSamples: dropped, orientation: 3))
        // Stored order, leading samples of each pixel: what tifffile's imread(...)[..., :channels] gives.
        #expect(image == Image(channels: channels, height: height, width: width) { c, y, x in
            Float(samples[(y * width + x) * samplesPerPixel + c]) / 255
        })
    }

    @Test("Samples of undefined format (SampleFormat 4, void) read as unsigned integers, as TIFF 6.0 and tifffile say")
    func voidSamplesReadAsUnsigned() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/void.tif"
        let samples: [UInt8] = (0..<35).map { UInt8(truncatingIfNeeded: $0 * 41 + 3) }
        try Self.writeTIFF(path, height: 5, width: 7, samplesPerPixel: 1, photometric: PHOTOMETRIC_MINISBLACK,
                           compression: COMPRESSION_NONE, samples: samples) { handle in
            try handle.set(TIFFTAG_SAMPLEFORMAT, Int(SAMPLEFORMAT_VOID))
        }
        let expected = Image(height: 5, width: 7, pixels: samples.map { Float($0) / 255 })
        #expect(try ImageIO.read(path) == expected)
    }

    /// 16-bit RGB and 32-bit float RGB samples, 37 × 23, written by libtiff with `compression`,
    /// `predictor` and byte order `order` ("l" or "b"), in strips of 5 rows, or tiles of 16 × 16
    /// (partial at the right and bottom edges) when `tiled`.
    static func writeCoded(_ path: String, float: Bool, order: String, compression: Int32, predictor: Int32,
                           tiled: Bool) throws -> Image {
        let (height, width) = (37, 23)
        var rng = SeededRandom(seed: 11)
        let words = (0..<height * width * 3).map { _ in UInt16(rng.integer(below: 65536)) }
        let floats = (0..<height * width * 3).map { _ in Float(rng.gaussian()) }
        let handle = try TIFFHandle.open(path, mode: "w" + order)
        try handle.set(TIFFTAG_IMAGEWIDTH, width)
        try handle.set(TIFFTAG_IMAGELENGTH, height)
        try handle.set(TIFFTAG_SAMPLESPERPIXEL, 3)
        try handle.set(TIFFTAG_BITSPERSAMPLE, float ? 32 : 16)
        try handle.set(TIFFTAG_SAMPLEFORMAT, Int(float ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT))
        try handle.set(TIFFTAG_PLANARCONFIG, Int(PLANARCONFIG_CONTIG))
        try handle.set(TIFFTAG_PHOTOMETRIC, Int(PHOTOMETRIC_RGB))
        try handle.set(TIFFTAG_COMPRESSION, Int(compression))
        if predictor != PREDICTOR_NONE { try handle.set(TIFFTAG_PREDICTOR, Int(predictor)) }
        let bytesPerPixel = float ? 12 : 6
        // Rows y0..<y0+rows, columns x0..<x0+columns of the samples, zero-padded to `paddedWidth`.
        func block(y0: Int, rows: Int, x0: Int, columns: Int, paddedWidth: Int, paddedRows: Int) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: paddedRows * paddedWidth * bytesPerPixel)
            for r in 0..<rows {
                for x in 0..<columns {
                    for c in 0..<3 {
                        let i = ((y0 + r) * width + x0 + x) * 3 + c, o = (r * paddedWidth + x) * 3 + c
                        if float {
                            withUnsafeBytes(of: floats[i]) { out.replaceSubrange(o * 4..<o * 4 + 4, with: $0) }
                        } else {
                            withUnsafeBytes(of: words[i]) { out.replaceSubrange(o * 2..<o * 2 + 2, with: $0) }
                        }
                    }
                }
            }
            return out
        }
        if tiled {
            try handle.set(TIFFTAG_TILEWIDTH, 16)
            try handle.set(TIFFTAG_TILELENGTH, 16)
            var tile: UInt32 = 0
            for y0 in stride(from: 0, to: height, by: 16) {
                for x0 in stride(from: 0, to: width, by: 16) {
                    var data = block(y0: y0, rows: min(16, height - y0), x0: x0, columns: min(16, width - x0), paddedWidth: 16, paddedRows: 16)
                    let written = data.withUnsafeMutableBytes { TIFFWriteEncodedTile(handle.tiff, tile, $0.baseAddress, tmsize_t($0.count)) }
                    #expect(written >= 0, "\(handle.messages.summary ?? "")")
                    tile += 1
                }
            }
        } else {
            try handle.set(TIFFTAG_ROWSPERSTRIP, 5)
            for (strip, y0) in stride(from: 0, to: height, by: 5).enumerated() {
                let rows = min(5, height - y0)
                var data = block(y0: y0, rows: rows, x0: 0, columns: width, paddedWidth: width, paddedRows: rows)
                let written = data.withUnsafeMutableBytes { TIFFWriteEncodedStrip(handle.tiff, UInt32(strip), $0.baseAddress, tmsize_t($0.count)) }
                #expect(written >= 0, "\(handle.messages.summary ?? "")")
            }
        }
        #expect(TIFFWriteDirectory(handle.tiff) == 1)
        try handle.close()
        return Image(channels: 3, height: height, width: width) { c, y, x in
            let i = (y * width + x) * 3 + c
            return float ? floats[i] : Float(words[i]) / 65535
        }
    }

    @Test("LZW, PackBits, ZSTD, LZMA and Deflate TIFF, with the horizontal or floating-point predictor, in either byte order, strips or tiles, read exactly",
          arguments: [(COMPRESSION_LZW, PREDICTOR_HORIZONTAL), (COMPRESSION_PACKBITS, PREDICTOR_NONE), (COMPRESSION_ZSTD, PREDICTOR_HORIZONTAL),
                      (COMPRESSION_LZMA, PREDICTOR_NONE), (COMPRESSION_ADOBE_DEFLATE, PREDICTOR_FLOATINGPOINT), (COMPRESSION_LZW, PREDICTOR_FLOATINGPOINT)],
          [false, true])
    func codecsAndPredictors(coding: (compression: Int32, predictor: Int32), tiled: Bool) throws {
        let (compression, predictor) = coding
        // Debian's libtiff has these codecs; another build may lack one.
        guard TIFFIsCODECConfigured(UInt16(compression)) == 1 else { return }
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for float in [false, true] where predictor != PREDICTOR_FLOATINGPOINT || float {
            // libtiff 4.5.0 byte-swaps big-endian samples before the floating-point predictor
            // when writing (its own reader then disagrees): that case is little-endian only here.
            for order in predictor == PREDICTOR_FLOATINGPOINT ? ["l"] : ["l", "b"] {
                let path = "\(directory)/coded-\(compression)-\(predictor)-\(float)-\(order).tif"
                let expected = try Self.writeCoded(path, float: float, order: order, compression: compression, predictor: predictor, tiled: tiled)
                let read = try ImageIO.read(path)
                #expect(read.pixels.map(\.bitPattern) == expected.pixels.map(\.bitPattern), "\(path)")
            }
        }
    }

    /// `values` (each below 2^bits) packed as TIFF stores them: each row from a new byte, the
    /// first pixel in the high bits.
    static func pack(_ values: [Int], height: Int, width: Int, bits: Int) -> [UInt8] {
        let rowBytes = (width * bits + 7) / 8
        var bytes = [UInt8](repeating: 0, count: height * rowBytes)
        for y in 0..<height {
            for x in 0..<width {
                let bit = x * bits
                bytes[y * rowBytes + bit / 8] |= UInt8(values[y * width + x] << (8 - bits - bit % 8))
            }
        }
        return bytes
    }

    static func setColormap(_ handle: TIFFHandle, _ tables: [[UInt16]]) {
        var (red, green, blue) = (tables[0], tables[1], tables[2])
        let ok = red.withUnsafeMutableBufferPointer { r in
            green.withUnsafeMutableBufferPointer { g in
                blue.withUnsafeMutableBufferPointer { b in
                    withVaList([r.baseAddress!, g.baseAddress!, b.baseAddress!]) { TIFFVSetField(handle.tiff, UInt32(TIFFTAG_COLORMAP), $0) }
                }
            }
        }
        #expect(ok == 1)
    }

    /// Width 13 makes every row end inside a byte; 40 rows make three strips, the last short.
    @Test("1/2/4-bit gray TIFF reads k as k / (2^b − 1), white 1 also when min-is-white; 1-bit also CCITT G3 / G4 (fax) compressed",
          arguments: [(1, PHOTOMETRIC_MINISBLACK, COMPRESSION_NONE), (1, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX4),
                      (1, PHOTOMETRIC_MINISWHITE, COMPRESSION_CCITTFAX3), (1, PHOTOMETRIC_MINISBLACK, COMPRESSION_PACKBITS),
                      (2, PHOTOMETRIC_MINISBLACK, COMPRESSION_LZW), (4, PHOTOMETRIC_MINISWHITE, COMPRESSION_NONE),
                      (4, PHOTOMETRIC_MINISBLACK, COMPRESSION_ADOBE_DEFLATE)])
    func packedGray(bits: Int, photometric: Int32, compression: Int32) throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/packed.tif"
        let (height, width) = (40, 13), top = (1 << bits) - 1
        // Runs of equal values, as a scanned page has, and single pixels between them.
        let values = (0..<height * width).map { i in (i / 5 % 3 == 0 ? i % 7 : i / 11) % (top + 1) }
        try Self.writeTIFF(path, height: height, width: width, samplesPerPixel: 1, bitsPerSample: bits, photometric: photometric,
                           compression: compression, samples: Self.pack(values, height: height, width: width, bits: bits))
        let (image, info) = try ImageIO.readWithInfo(path)
        #expect(info == ImageFileInfo(format: .tiff, width: width, height: height, channels: 1, bitsPerSample: bits,
                                      isFloat: false, hasAlpha: false, pages: 1))
        let white = photometric == PHOTOMETRIC_MINISWHITE
        #expect(image == Image(height: height, width: width, pixels: values.map { Float(white ? top - $0 : $0) / Float(top) }))
    }

    /// Fax data is white-is-zero; some fax software leaves out the Photometric tag, which
    /// libtiff's RGBA reader then takes as min-is-white for CCITT data, min-is-black otherwise.
    @Test("A 1-bit TIFF without the Photometric tag is min-is-white when CCITT-compressed (a fax), min-is-black otherwise",
          arguments: [COMPRESSION_CCITTFAX4, COMPRESSION_CCITTFAX3, COMPRESSION_CCITTRLE, COMPRESSION_NONE, COMPRESSION_LZW])
    func faxWithoutPhotometricIsMinIsWhite(compression: Int32) throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/nophotometric.tif"
        let (height, width) = (20, 13)
        let values = (0..<height * width).map { ($0 / 3 + $0 / width) % 2 }
        try Self.writeTIFF(path, height: height, width: width, samplesPerPixel: 1, bitsPerSample: 1, photometric: nil,
                           compression: compression, samples: Self.pack(values, height: height, width: width, bits: 1))
        let fax = compression != COMPRESSION_NONE && compression != COMPRESSION_LZW
        #expect(try ImageIO.read(path) == Image(height: height, width: width, pixels: values.map { Float(fax ? 1 - $0 : $0) }))
    }

    @Test("A palette TIFF reads as the colour map’s RGB: 16-bit entries by their high byte, a map of 8-bit entries as it is; 1- to 16-bit indices",
          arguments: [(8, true), (4, true), (8, false), (1, true), (2, false), (16, true)])
    func paletteReadsAsRGB(bits: Int, sixteenBitMap: Bool) throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/palette.tif"
        let (height, width, levels) = (21, 11, 1 << bits)
        let colours = (0..<levels).map { k in [(k * 37 + 5) % 256, (255 - k * 11 % 256), (k * k) % 256] }
        // libtiff's tools and Pillow write an 8-bit colour v as v·257 or v·256; the low byte is noise.
        let tables = (0..<3).map { c in colours.map { UInt16(sixteenBitMap ? $0[c] << 8 | ($0[c] * 7 % 256) : $0[c]) } }
        let indices = (0..<height * width).map { ($0 * 7919 + $0 / width) % levels }
        let samples = switch bits {
        case 8: indices.map(UInt8.init)
        case 16: indices.flatMap { [UInt8($0 & 255), UInt8($0 >> 8)] }   // libtiff writes native (little-endian) order
        default: Self.pack(indices, height: height, width: width, bits: bits)
        }
        try Self.writeTIFF(path, height: height, width: width, samplesPerPixel: 1, bitsPerSample: bits, photometric: PHOTOMETRIC_PALETTE,
                           compression: COMPRESSION_LZW, samples: samples) { Self.setColormap($0, tables) }
        let (image, info) = try ImageIO.readWithInfo(path)
        #expect(info == ImageFileInfo(format: .tiff, width: width, height: height, channels: 3, bitsPerSample: 8,
                                      isFloat: false, hasAlpha: false, pages: 1))
        #expect(image == Image(channels: 3, height: height, width: width) { c, y, x in Float(colours[indices[y * width + x]][c]) / 255 })
    }

    /// ImageMagick's `-type PaletteAlpha` writes a 4-bit index and a 4-bit alpha per pixel (8-bit
    /// above 16 colours), Pillow's mode "PA" 8-bit ones, GDAL a planar alpha band; ImageMagick's
    /// 2/4-bit gray with alpha interleaves the same way. Width 13 ends every row inside a byte.
    @Test("A palette index or 1/2/4-bit gray sample with an alpha sample reads as its colour, alpha dropped: contiguous or planar",
          arguments: [(4, PHOTOMETRIC_PALETTE, false), (8, PHOTOMETRIC_PALETTE, false), (2, PHOTOMETRIC_PALETTE, true),
                      (2, PHOTOMETRIC_MINISBLACK, false), (4, PHOTOMETRIC_MINISWHITE, false), (1, PHOTOMETRIC_MINISBLACK, true)])
    func indexedWithAlphaDropsIt(bits: Int, photometric: Int32, planar: Bool) throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/alpha.tif"
        let (height, width, levels) = (21, 13, 1 << bits)
        let palette = photometric == PHOTOMETRIC_PALETTE
        let values = (0..<height * width).map { ($0 * 7919 + $0 / width) % levels }
        // Alpha runs against the values, so reading it in their place shows.
        let alpha = values.map { levels - 1 - $0 / 2 }
        let colours = (0..<levels).map { k in [(k * 37 + 5) % 256, (255 - k * 11 % 256), (k * k) % 256] }
        let samples = planar ? Self.pack(values, height: height, width: width, bits: bits) + Self.pack(alpha, height: height, width: width, bits: bits)
                             : Self.pack(zip(values, alpha).flatMap { [$0, $1] }, height: height, width: 2 * width, bits: bits)
        let handle = try TIFFHandle.open(path, mode: "w")
        for (tag, v) in [(TIFFTAG_IMAGEWIDTH, width), (TIFFTAG_IMAGELENGTH, height), (TIFFTAG_SAMPLESPERPIXEL, 2), (TIFFTAG_BITSPERSAMPLE, bits),
                         (TIFFTAG_PHOTOMETRIC, Int(photometric)), (TIFFTAG_COMPRESSION, Int(COMPRESSION_LZW)), (TIFFTAG_ROWSPERSTRIP, 8),
                         (TIFFTAG_PLANARCONFIG, Int(planar ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG))] {
            try handle.set(tag, v)
        }
        try handle.setExtraSamples([UInt16(EXTRASAMPLE_UNASSALPHA)])
        if palette { Self.setColormap(handle, (0..<3).map { c in colours.map { UInt16($0[c] * 257) } }) }
        let rowBytes = planar ? (width * bits + 7) / 8 : (2 * width * bits + 7) / 8
        var strip: UInt32 = 0
        for plane in 0..<(planar ? 2 : 1) {
            for firstRow in stride(from: 0, to: height, by: 8) {
                let start = (plane * height + firstRow) * rowBytes, end = (plane * height + min(height, firstRow + 8)) * rowBytes
                var bytes = Array(samples[start..<end])
                #expect(bytes.withUnsafeMutableBytes { TIFFWriteEncodedStrip(handle.tiff, strip, $0.baseAddress, tmsize_t($0.count)) } >= 0)
                strip += 1
            }
        }
        #expect(TIFFWriteDirectory(handle.tiff) == 1)
        try handle.close()
        let (image, info) = try ImageIO.readWithInfo(path)
        #expect(info == ImageFileInfo(format: .tiff, width: width, height: height, channels: palette ? 3 : 1, bitsPerSample: palette ? 8 : bits,
                                      isFloat: false, hasAlpha: true, pages: 1, extraSamples: 1))
        let top = Float(levels - 1)
        #expect(image == Image(channels: palette ? 3 : 1, height: height, width: width) { c, y, x in
            let k = values[y * width + x]
            return palette ? Float(colours[k][c]) / 255 : (photometric == PHOTOMETRIC_MINISWHITE ? top - Float(k) : Float(k)) / top
        })
    }

    @Test("1-bit RGB and a palette image of float indices are refused naming what they hold")
    func oddPackedLayoutsAreRefused() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/odd.tif"
        try Self.writeTIFF(path, height: 2, width: 3, samplesPerPixel: 3, bitsPerSample: 1, photometric: PHOTOMETRIC_RGB,
                           compression: COMPRESSION_NONE, samples: [UInt8](repeating: 0xA5, count: 4))
        #expect(throws: IOError.unsupported(path: path, reason: "3 1-bit samples per pixel for RGB; expected 8/16-bit RGB samples (1-bit samples are read "
                                                + "for gray and palette images); convert it to 8-bit first, e.g. with Pillow: Image.open(IN).convert('RGB').save(OUT, compression='raw')")) {
            try ImageIO.read(path)
        }
        try Self.writeTIFF(path, height: 2, width: 3, samplesPerPixel: 1, bitsPerSample: 16, photometric: PHOTOMETRIC_PALETTE,
                           compression: COMPRESSION_NONE, samples: [UInt8](repeating: 0, count: 12)) { handle in
            try handle.set(TIFFTAG_SAMPLEFORMAT, Int(SAMPLEFORMAT_IEEEFP))
            Self.setColormap(handle, [[UInt16]](repeating: [UInt16](repeating: 9, count: 1 << 16), count: 3))
        }
        #expect(throws: IOError.unsupported(path: path, reason: "a palette image of 16-bit float samples; expected 1/2/4/8/16-bit integer indices; "
                                                + "convert it to RGB first, e.g. with Pillow: Image.open(IN).convert('RGB').save(OUT, compression='raw')")) {
            try ImageIO.read(path)
        }
    }

    /// Tiles of 16 × 16 over 37 × 21 pixels: edge tiles stored whole, only their part inside
    /// the image read; each tile row starts on a byte of its own.
    @Test("Tiled 1- and 4-bit gray TIFF reads like the strips", arguments: [1, 4])
    func packedGrayTiles(bits: Int) throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/tiled.tif"
        let (height, width, tile) = (37, 21, 16), top = (1 << bits) - 1
        let value = { (y: Int, x: Int) in (x * 3 + y * 5 + x * y) % (top + 1) }
        let handle = try TIFFHandle.open(path, mode: "w")
        for (tag, v) in [(TIFFTAG_IMAGEWIDTH, width), (TIFFTAG_IMAGELENGTH, height), (TIFFTAG_SAMPLESPERPIXEL, 1),
                         (TIFFTAG_BITSPERSAMPLE, bits), (TIFFTAG_PHOTOMETRIC, Int(PHOTOMETRIC_MINISBLACK)),
                         (TIFFTAG_COMPRESSION, Int(COMPRESSION_ADOBE_DEFLATE)), (TIFFTAG_TILEWIDTH, tile), (TIFFTAG_TILELENGTH, tile)] {
            try handle.set(tag, v)
        }
        var index: UInt32 = 0
        for y0 in stride(from: 0, to: height, by: tile) {
            for x0 in stride(from: 0, to: width, by: tile) {
                // Outside the image the tile holds the top level, which must not leak in.
                let values = (0..<tile * tile).map { i in
                    let (y, x) = (y0 + i / tile, x0 + i % tile)
                    return y < height && x < width ? value(y, x) : top
                }
                var bytes = Self.pack(values, height: tile, width: tile, bits: bits)
                let written = bytes.withUnsafeMutableBytes { TIFFWriteEncodedTile(handle.tiff, index, $0.baseAddress, tmsize_t($0.count)) }
                #expect(written >= 0)
                index += 1
            }
        }
        #expect(TIFFWriteDirectory(handle.tiff) == 1)
        try handle.close()
        let image = try ImageIO.read(path)
        #expect(image == Image(channels: 1, height: height, width: width) { _, y, x in Float(value(y, x)) / Float(top) })
    }
}
