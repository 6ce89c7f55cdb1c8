import DeblurCore
import Foundation
import Testing
import _TestSupport
@testable import DeblurIO

/// Files written by other writers (Pillow, tifffile, a minimal PNG encoder; see
/// Fixtures/make_fixtures.py) read as the formulas that made them say.
@Suite struct FixtureTests {
    typealias F = TestFiles

    @Test("Palette PNG with tRNS expands to the palette's RGB, alpha dropped")
    func palettePNG() throws {
        let (image, info) = try ImageIO.readWithInfo(F.fixture("palette.png"))
        let palette = (0..<6).map { i in [(i * 40) % 256, 255 - i * 30, (i * i) % 256] }
        let expected = F.expected(channels: 3, height: 4, width: 5, maximum: 255) { c, y, x in palette[(x + 2 * y) % 6][c] }
        #expect(image == expected)
        #expect(info.channels == 3 && info.hasAlpha && info.format == .png && info.bitsPerSample == 8)
    }

    @Test("1-, 2- and 4-bit gray PNG map k to k / (2^b − 1)")
    func lowBitGrayPNG() throws {
        let one = try ImageIO.readWithInfo(F.fixture("gray1.png"))
        #expect(one.image == F.expected(channels: 1, height: 3, width: 11, maximum: 1) { _, y, x in (3 * x + y) % 5 < 2 ? 1 : 0 })
        #expect(one.info.bitsPerSample == 1)
        let two = try ImageIO.readWithInfo(F.fixture("gray2.png"))
        #expect(two.image == F.expected(channels: 1, height: 5, width: 7, maximum: 3) { _, y, x in (x + 3 * y) % 4 })
        #expect(two.info.bitsPerSample == 2)
        let four = try ImageIO.readWithInfo(F.fixture("gray4.png"))
        #expect(four.image == F.expected(channels: 1, height: 3, width: 9, maximum: 15) { _, y, x in (5 * x + 3 * y) % 16 })
        #expect(four.info.bitsPerSample == 4)
    }

    @Test("Gray+alpha PNG keeps the gray samples unchanged and drops alpha")
    func grayAlphaPNG() throws {
        let (image, info) = try ImageIO.readWithInfo(F.fixture("gray_alpha.png"))
        #expect(image == F.expected(channels: 1, height: 5, width: 6, maximum: 255) { _, y, x in F.f8(0, y, x) })
        #expect(info.hasAlpha && info.channels == 1 && info.bitsPerSample == 8)
    }

    @Test("16-bit RGBA PNG keeps colour where alpha is 0 (no premultiplication), no gamma change")
    func rgba16PNG() throws {
        let (image, info) = try ImageIO.readWithInfo(F.fixture("rgba16.png"))
        #expect(image == F.expected(channels: 3, height: 3, width: 5, maximum: 65535, F.f16))
        #expect(info.hasAlpha && info.bitsPerSample == 16 && info.channels == 3)
    }

    @Test("16-bit gray and 8-bit RGB PNG from Pillow")
    func pillowPNG() throws {
        #expect(try ImageIO.read(F.fixture("gray16.png")) == F.expected(channels: 1, height: 6, width: 7, maximum: 65535, F.f16))
        #expect(try ImageIO.read(F.fixture("rgb8.png")) == F.expected(channels: 3, height: 3, width: 4, maximum: 255, F.f8))
    }

    @Test("A PNG 1000003 pixels wide (beyond libpng's default limit of 1000000 per side) reads, within the pixel limit")
    func widePNG() throws {
        let (image, info) = try ImageIO.readWithInfo(F.fixture("wide_gray8.png"))
        #expect(info.width == 1_000_003 && info.height == 2)
        #expect(image == F.expected(channels: 1, height: 2, width: 1_000_003, maximum: 255, F.f8))
    }

    /// libtiff decodes such a strip whole with the warning "Old-style LZW codes, convert file",
    /// which was taken for damage and refused (Pillow reads the same samples).
    @Test("An LZW TIFF with old-style (LSB-first) codes reads its samples")
    func oldStyleLZW() throws {
        let (height, width) = (16, 16)
        let samples = (0..<height * width).map { UInt8(F.f8(0, $0 / width, $0 % width)) }
        // 9-bit codes, least significant bit first; a clear code every 200 literals keeps the
        // table, and so the code width, from growing.
        var codes = [256]
        for (i, sample) in samples.enumerated() {
            if i > 0 && i % 200 == 0 { codes.append(256) }
            codes.append(Int(sample))
        }
        codes.append(257)
        var strip = [UInt8](), accumulator = 0, bits = 0
        for code in codes {
            accumulator |= code << bits; bits += 9
            while bits >= 8 { strip.append(UInt8(accumulator & 0xFF)); accumulator >>= 8; bits -= 8 }
        }
        if bits > 0 { strip.append(UInt8(accumulator & 0xFF)) }
        // A little-endian TIFF: header, one directory of 10 entries, the strip.
        let entries: [(tag: UInt16, type: UInt16, value: UInt32)] = [
            (256, 3, UInt32(width)), (257, 3, UInt32(height)), (258, 3, 8), (259, 3, 5), (262, 3, 1),
            (273, 4, 8 + 2 + 12 * 10 + 4), (277, 3, 1), (278, 3, UInt32(height)), (279, 4, UInt32(strip.count)), (284, 3, 1),
        ]
        var file: [UInt8] = [0x49, 0x49, 42, 0, 8, 0, 0, 0, UInt8(entries.count), 0]
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        for e in entries { file += le(e.tag) + le(e.type) + le(UInt32(1)) + (e.type == 3 ? le(UInt16(e.value)) + [0, 0] : le(e.value)) }
        file += le(UInt32(0)) + strip
        let directory = F.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/old_lzw.tif"
        try Data(file).write(to: URL(fileURLWithPath: path))
        #expect(try ImageIO.read(path) == F.expected(channels: 1, height: height, width: width, maximum: 255) { c, y, x in F.f8(c, y, x) })
    }

    @Test("A 16-bit PNG with sBIT 12 and gAMA 1/2.2 reads its samples as stored: k / 65535, no shift, no gamma")
    func significantBitsAndGammaPNG() throws {
        let (image, info) = try ImageIO.readWithInfo(F.fixture("gray16_sbit12_gama.png"))
        #expect(image == F.expected(channels: 1, height: 3, width: 5, maximum: 65535) { c, y, x in F.f16(c, y, x) & 0xFFF0 })
        #expect(info.bitsPerSample == 16)
    }

    @Test("Adam7-interlaced PNG reads as the full image")
    func interlacedPNG() throws {
        #expect(try ImageIO.read(F.fixture("interlaced_rgb8.png")) == F.expected(channels: 3, height: 9, width: 11, maximum: 255, F.f8))
    }

    @Test("BigTIFF (64-bit offsets) reads like classic TIFF")
    func bigTIFF() throws {
        #expect(try ImageIO.read(F.fixture("bigtiff_gray8.tif")) == F.expected(channels: 1, height: 7, width: 6, maximum: 255, F.f8))
    }

    @Test("Tiled, deflate-compressed 16-bit RGB TIFF with partial edge tiles")
    func tiledTIFF() throws {
        let (image, info) = try ImageIO.readWithInfo(F.fixture("tiled_rgb16.tif"))
        #expect(image == F.expected(channels: 3, height: 40, width: 35, maximum: 65535, F.f16))
        #expect(info == ImageFileInfo(format: .tiff, width: 35, height: 40, channels: 3, bitsPerSample: 16,
                                      isFloat: false, hasAlpha: false, pages: 1))
    }

    @Test("Planar (separate) 8-bit RGB TIFF in strips of 4 rows")
    func planarTIFF() throws {
        #expect(try ImageIO.read(F.fixture("planar_rgb8.tif")) == F.expected(channels: 3, height: 9, width: 13, maximum: 255, F.f8))
    }

    @Test("Multi-page float TIFF: read() gives page 0, readTIFFPages every page, info counts 3")
    func multiPageTIFF() throws {
        let path = F.fixture("multipage_float.tif")
        let pages = try ImageIO.readTIFFPages(path)
        #expect(pages.count == 3)
        for (p, page) in pages.enumerated() {
            #expect(page == Image(channels: 1, height: 5, width: 6) { _, y, x in F.ffloat(p, y, x) })
        }
        let (first, info) = try ImageIO.readWithInfo(path)
        #expect(first == pages[0])
        #expect(info.pages == 3 && info.isFloat)
    }

    @Test("Big-endian float and 16-bit TIFF read in native order")
    func bigEndianTIFF() throws {
        #expect(try ImageIO.read(F.fixture("float_gray_be.tif")) == Image(channels: 1, height: 4, width: 7) { _, y, x in F.ffloat(0, y, x) })
        #expect(try ImageIO.read(F.fixture("gray16_be.tif")) == F.expected(channels: 1, height: 4, width: 5, maximum: 65535, F.f16))
    }

    @Test("64-bit float TIFF (NumPy's default) and big-endian half-float TIFF read as the nearest Float32, ±∞ and NaN kept")
    func float64AndHalfTIFF() throws {
        let (rgb, info) = try ImageIO.readWithInfo(F.fixture("float64_rgb.tif"))
        #expect(info.isFloat && info.bitsPerSample == 64 && info.channels == 3)
        // The file holds k / 255 in Double; each sample is that Double rounded to Float32.
        #expect(rgb == Image(channels: 3, height: 5, width: 6) { c, y, x in Float(Double(F.f8(c, y, x)) / 255) })

        let (halves, halfInfo) = try ImageIO.readWithInfo(F.fixture("float16_gray_be.tif"))
        #expect(halfInfo.isFloat && halfInfo.bitsPerSample == 16 && halves.width == 8)
        // 0, the smallest subnormal, another subnormal, 1/3 rounded to half, −2.5, the largest half, −∞, NaN.
        #expect(Array(halves.pixels.prefix(7)) == [0, 0x1p-24, 3 * 0x1p-24, 0.333251953125, -2.5, 65504, -.infinity])
        #expect(halves.pixels[7].isNaN)
    }

    @Test("RGBA TIFF drops the alpha extra sample; min-is-white gray reads as 1 − k/255")
    func alphaAndMinIsWhiteTIFF() throws {
        let (rgba, info) = try ImageIO.readWithInfo(F.fixture("rgba8.tif"))
        #expect(rgba == F.expected(channels: 3, height: 6, width: 4, maximum: 255, F.f8))
        #expect(info.hasAlpha && info.channels == 3)
        #expect(try ImageIO.read(F.fixture("miniswhite8.tif")) == F.expected(channels: 1, height: 3, width: 5, maximum: 255) { c, y, x in 255 - F.f8(c, y, x) })
    }

    @Test("ImageIO.info reads the header without decoding and agrees with readWithInfo")
    func infoMatchesRead() throws {
        for name in ["palette.png", "gray2.png", "rgba16.png", "tiled_rgb16.tif", "multipage_float.tif", "rgba8.tif"] {
            #expect(try ImageIO.info(F.fixture(name)) == ImageIO.readWithInfo(F.fixture(name)).info, "\(name)")
        }
    }
}
