import DeblurCore
import Foundation
import Testing
import _TestSupport
@testable import DeblurIO

/// Round trips through every writable format × channel count × depth, and the value mapping.
@Suite struct ImageIOTests {
    static let sizes = [(1, 1), (3, 7), (1, 1023), (1023, 1), (5, 4)]

    /// Random integer samples k/(2^b − 1): exactly what an integer file can hold.
    static func quantizedImage(channels: Int, height: Int, width: Int, levels: Int, seed: UInt64) -> Image {
        var rng = SeededRandom(seed: seed)
        return Image(channels: channels, height: height, width: width) { _, _, _ in
            Float(rng.integer(below: levels + 1)) / Float(levels)
        }
    }

    @Test("Integer PNG and TIFF round trips are bit-exact for 1 and 3 channels at 8 and 16 bits, odd sizes included",
          arguments: [ImageFormat.png, .tiff], [SampleDepth.uint8, .uint16])
    func integerRoundTripIsBitExact(format: ImageFormat, depth: SampleDepth) throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for channels in [1, 3] {
            for (height, width) in Self.sizes {
                let levels = depth == .uint8 ? 255 : 65535
                let image = Self.quantizedImage(channels: channels, height: height, width: width, levels: levels,
                                                seed: UInt64(height * 1000 + width + channels))
                let path = "\(directory)/image-\(channels)-\(height)x\(width).\(format == .png ? "png" : "tif")"
                try ImageIO.write(image, to: path, depth: depth)
                let (read, info) = try ImageIO.readWithInfo(path)
                #expect(read == image, "\(path)")
                #expect(info == ImageFileInfo(format: format, width: width, height: height, channels: channels,
                                              bitsPerSample: depth.rawValue, isFloat: false, hasAlpha: false, pages: 1))
            }
        }
    }

    @Test("Float TIFF round trip keeps every bit, including NaN, ±∞, subnormals and values outside [0, 1]")
    func floatTIFFRoundTripKeepsBits() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let specials: [Float] = [.nan, .infinity, -.infinity, .leastNonzeroMagnitude, -0.0, 1e30, -7.5, 1.5, .ulpOfOne]
        for channels in [1, 3] {
            for (height, width) in Self.sizes {
                var rng = SeededRandom(seed: UInt64(31 * height + width))
                var image = Image(channels: channels, height: height, width: width) { _, _, _ in Float(rng.gaussian()) }
                for (i, v) in specials.enumerated() where i < image.count { image.pixels[i * 7 % image.count] = v }
                let path = "\(directory)/float-\(channels)-\(height)x\(width).tif"
                try ImageIO.write(image, to: path)
                let (read, info) = try ImageIO.readWithInfo(path)
                #expect(read.pixels.map(\.bitPattern) == image.pixels.map(\.bitPattern))
                #expect(info.isFloat && info.bitsPerSample == 32 && info.channels == channels)
            }
        }
    }

    @Test("Integer writes clamp to [0, 1], map NaN to 0 and round half up: k = ⌊v·(2^b − 1) + ½⌋")
    func integerWriteClampsAndRounds() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let values: [Float] = [-0.5, 1.5, .nan, .infinity, -.infinity, 10.49 / 255, 10.51 / 255, 0.5, 1000.4 / 65535]
        let image = Image(channels: 1, height: 1, width: values.count, pixels: values)
        let expected8: [Float] = [0, 255, 0, 255, 0, 10, 11, 128, 4].map { $0 / 255 }
        let expected16: [Float] = [0, 65535, 0, 65535, 0, 2696, 2701, 32768, 1000].map { $0 / 65535 }
        for ext in ["png", "tif"] {
            try ImageIO.write(image, to: "\(directory)/c8.\(ext)", depth: .uint8)
            #expect(try ImageIO.read("\(directory)/c8.\(ext)").pixels == expected8)
            try ImageIO.write(image, to: "\(directory)/c16.\(ext)", depth: .uint16)
            #expect(try ImageIO.read("\(directory)/c16.\(ext)").pixels == expected16)
        }
    }

    @Test("Reading maps k to k / 255 and k / 65535 exactly as Float division does")
    func readMappingIsDivision() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let all8 = Image(channels: 1, height: 1, width: 256) { _, _, x in Float(x) / 255 }
        try ImageIO.write(all8, to: "\(directory)/all8.png", depth: .uint8)
        let read8 = try ImageIO.read("\(directory)/all8.png")
        #expect(read8.pixels[0] == 0 && read8.pixels[255] == 1 && read8.pixels[128] == Float(128) / 255)
        let all16 = Image(channels: 1, height: 256, width: 256) { _, y, x in Float(y * 256 + x) / 65535 }
        try ImageIO.write(all16, to: "\(directory)/all16.tif", depth: .uint16)
        #expect(try ImageIO.read("\(directory)/all16.tif") == all16)
    }

    @Test("encodePNG bytes decode to the image, and equal the bytes write() puts in a file")
    func encodePNGMatchesFile() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let image = Self.quantizedImage(channels: 3, height: 9, width: 11, levels: 65535, seed: 5)
        let data = try ImageIO.encodePNG(image, depth: .uint16)
        #expect(Array(data.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(try ImageIO.decodePNG(data) == image)
        try ImageIO.write(image, to: "\(directory)/x.png", depth: .uint16)
        #expect(FileManager.default.contents(atPath: "\(directory)/x.png") == data)
    }

    @Test("8- and 16-bit PNGs carry the same colour tag, sRGB, and no gAMA 1.0 or cHRM; every chunk's CRC holds",
          arguments: [SampleDepth.uint8, .uint16], [1, 3])
    func pngColourTagsAgreeAcrossDepths(depth: SampleDepth, channels: Int) throws {
        let image = Self.quantizedImage(channels: channels, height: 5, width: 6, levels: depth == .uint8 ? 255 : 65535, seed: 9)
        let data = [UInt8](try ImageIO.encodePNG(image, depth: depth))
        // A naive CRC-32 (ISO 3309, the polynomial PNG uses), bit by bit.
        func crc(_ bytes: ArraySlice<UInt8>) -> UInt32 {
            var value: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                value ^= UInt32(byte)
                for _ in 0..<8 { value = value & 1 == 1 ? (value >> 1) ^ 0xEDB8_8320 : value >> 1 }
            }
            return ~value
        }
        var chunks: [String] = []
        var offset = 8
        while offset + 12 <= data.count {
            let length = data[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let stored = data[offset + 8 + length..<offset + 12 + length].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let type = String(decoding: data[offset + 4..<offset + 8], as: UTF8.self)
            #expect(crc(data[offset + 4..<offset + 8 + length]) == stored, "\(type) CRC")
            if type == "sRGB" { #expect(data[offset + 8] == 0, "rendering intent") }
            if chunks.last != type { chunks.append(type) }
            offset += 12 + length
        }
        #expect(offset == data.count)
        #expect(chunks == ["IHDR", "sRGB", "IDAT", "IEND"])
        #expect(try ImageIO.decodePNG(Data(data)) == image)
    }

    @Test("Multi-page float TIFF: writeTIFFPages then readTIFFPages gives the pages back; read() gives the first")
    func multiPageRoundTrip() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pages = (0..<4).map { randomImage(channels: $0 == 2 ? 3 : 1, height: 5, width: 3, seed: UInt64($0)) }
        let path = "\(directory)/pages.tif"
        try ImageIO.writeTIFFPages(pages, to: path)
        #expect(try ImageIO.readTIFFPages(path) == pages)
        let (first, info) = try ImageIO.readWithInfo(path)
        #expect(first == pages[0])
        #expect(info.pages == 4)
    }

    @Test("The same image always writes the same bytes (no timestamps)")
    func writesAreDeterministic() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let image = randomImage(channels: 3, height: 6, width: 5, seed: 9)
        for ext in ["png", "tif"] {
            try ImageIO.write(image, to: "\(directory)/a.\(ext)")
            try ImageIO.write(image, to: "\(directory)/b.\(ext)")
            #expect(FileManager.default.contents(atPath: "\(directory)/a.\(ext)") == FileManager.default.contents(atPath: "\(directory)/b.\(ext)"))
        }
    }

    @Test("Write errors are typed and leave no file: float PNG, 2 channels, unknown extension, missing directory")
    func writeErrorsLeaveNoFile() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let image = Image(channels: 1, height: 2, width: 2, value: 0.5)
        #expect(throws: IOError.unsupported(path: "\(directory)/f.png", reason: "PNG holds 8- or 16-bit samples, not 32-bit float; use a .tif file")) {
            try ImageIO.write(image, to: "\(directory)/f.png", depth: .float32)
        }
        #expect(throws: IOError.self) { try ImageIO.write(Image(channels: 2, height: 2, width: 2), to: "\(directory)/two.tif") }
        #expect(throws: IOError.self) { try ImageIO.write(image, to: "\(directory)/x.jpg") }
        #expect(throws: (any Error).self) { try ImageIO.write(image, to: "\(directory)/missing/x.tif") }
        #expect(throws: (any Error).self) { try ImageIO.write(image, to: "\(directory)/missing/x.png") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    @Test("A full disk is named as the reason a TIFF or PNG write failed (libtiff said only 'Write error at scanline 0')",
          arguments: ["tif", "png"])
    func aFullDiskIsTheReason(ext: String) throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // A link to /dev/full is written in place, and every write to it fails with ENOSPC.
        try FileManager.default.createSymbolicLink(atPath: "\(directory)/out.\(ext)", withDestinationPath: "/dev/full")
        let image = Image(channels: 1, height: 64, width: 64, value: 0.5)
        #expect {
            try ImageIO.write(image, to: "\(directory)/out.\(ext)")
        } throws: { error in
            guard case let IOError.writeFailed(path, reason) = error else { return false }
            return path == "\(directory)/out.\(ext)" && reason.contains("No space left on device")
        }
    }

    /// An 8-bit gray TIFF of `width` × `height` in one Deflate strip that holds `rows` rows of
    /// `sample(i) = 10 + i`, zlib stored (uncompressed) blocks, as writers at level 0 make them.
    static func deflateTIFF(width: Int, height: Int, rows: Int) -> Data {
        let samples = (0..<width * rows).map { UInt8(10 + $0 % 240) }
        var a = 1, b = 0
        for v in samples { a = (a + Int(v)) % 65521; b = (b + a) % 65521 }
        var zlib: [UInt8] = [0x78, 0x01, 0x01, UInt8(samples.count & 0xFF), UInt8(samples.count >> 8),
                             UInt8(~samples.count & 0xFF), UInt8((~samples.count >> 8) & 0xFF)] + samples
        zlib += [UInt8(b >> 8), UInt8(b & 0xFF), UInt8(a >> 8), UInt8(a & 0xFF)]
        var bytes: [UInt8] = [0x49, 0x49, 42, 0, 8, 0, 0, 0]
        func le(_ v: Int, _ n: Int) -> [UInt8] { (0..<n).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        let entries: [(tag: Int, type: Int, value: Int)] = [(256, 3, width), (257, 3, height), (258, 3, 8), (259, 3, 8), (262, 3, 1),
                                                            (273, 4, 8 + 2 + 9 * 12 + 4), (277, 3, 1), (278, 3, height), (279, 4, zlib.count)]
        bytes += le(entries.count, 2)
        for entry in entries { bytes += le(entry.tag, 2) + le(entry.type, 2) + le(1, 4) + le(entry.value, 4) }
        bytes += le(0, 4) + zlib
        return Data(bytes)
    }

    @Test("A Deflate TIFF strip holding more rows than the header gives reads the header's rows, the same on every read (libdeflate left them unwritten)",
          arguments: [(5, 3, 4), (24, 1, 20), (7, 4, 4)])
    func deflateStripLongerThanTheHeader(width: Int, height: Int, rows: Int) throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/long-strip.tif"
        _ = FileManager.default.createFile(atPath: path, contents: Self.deflateTIFF(width: width, height: height, rows: rows))
        let expected = Image(channels: 1, height: height, width: width) { _, y, x in Float(10 + (y * width + x) % 240) / 255 }
        for _ in 0..<3 {
            let image = try ImageIO.read(path)
            #expect(image == expected)
        }
    }

    @Test("The file type comes from the first bytes: a PNG named .tif reads as PNG")
    func formatIsSniffed() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let image = ImageIOTests.quantizedImage(channels: 1, height: 3, width: 4, levels: 255, seed: 1)
        _ = try FileManager.default.createFile(atPath: "\(directory)/png.tif", contents: ImageIO.encodePNG(image))
        let (read, info) = try ImageIO.readWithInfo("\(directory)/png.tif")
        #expect(read == image && info.format == .png)
    }

    @Test("PSF files: a float TIFF PSF round-trips; a PNG PSF is scaled to its maximum")
    func psfFiles() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let psf = try PSF(Image(channels: 1, height: 3, width: 3, pixels: [0, 1, 0, 1, 4, 1, 0, 1, 0]))
        try ImageIO.writePSF(psf, to: "\(directory)/k.tif")
        #expect(try ImageIO.readPSF("\(directory)/k.tif").image == psf.image)
        try ImageIO.writePSF(psf, to: "\(directory)/k.png")
        #expect(try ImageIO.read("\(directory)/k.png").pixels == [0, 64, 0, 64, 255, 64, 0, 64, 0].map { Float($0) / 255 })
    }

    /// `PSF.init` refused an even side only once the whole image was decoded: 1 GB of samples
    /// for a 16384 × 16384 kernel. A header with no pixel data behind it shows that none is read.
    @Test("A PSF file whose header gives an even side is refused from its header, with PSF.init's message, before any pixel is read; through a named pipe too")
    func psfSizeIsCheckedOnTheHeader() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let headerOnly = compactGrayTIFF(width: 16384, height: 16384, pixels: false)
        let path = directory + "/even.tif"
        _ = FileManager.default.createFile(atPath: path, contents: headerOnly)
        let reason = "is 16384×16384, expected odd width and height (`deblur psf import` or `PSF.importing` pads it)"
        #expect(throws: CoreError.invalidPSF(source: path, reason: reason)) { try ImageIO.readPSF(path) }
        // With an odd size the reading goes on to the pixels, and finds them missing.
        _ = FileManager.default.createFile(atPath: directory + "/odd.tif", contents: compactGrayTIFF(width: 5, height: 5, pixels: false))
        #expect { try ImageIO.readPSF(directory + "/odd.tif") } throws: { error in
            guard case IOError.corrupt(let named, _) = error else { return false }
            return named == directory + "/odd.tif"
        }

        // A pipe is read once, into one copy that both the header check and the decoder read.
        let pipe = directory + "/pipe"
        #expect(mkfifo(pipe, 0o600) == 0)
        func feed(_ data: Data) {
            Thread {
                let handle = FileHandle(forWritingAtPath: pipe)!
                handle.write(data)
                try? handle.close()
            }.start()
        }
        feed(headerOnly)
        #expect(throws: CoreError.invalidPSF(source: pipe, reason: reason)) { try ImageIO.readPSF(pipe) }
        let psf = try PSF(Image(channels: 1, height: 3, width: 5, pixels: (0..<15).map { Float($0 % 4) }))
        try ImageIO.writePSF(psf, to: directory + "/k.tif")
        feed(try Data(contentsOf: URL(fileURLWithPath: directory + "/k.tif")))
        let (piped, info) = try ImageIO.readPSFWithInfo(pipe)
        #expect(piped == psf && info.width == 5 && info.height == 3 && info.isFloat)
    }

    @Test("A TIFF is read without mapping the file: its pages do not stay resident beside the decoded image")
    func tiffReadingMapsNoFile() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/m.tif"
        let image = Image(channels: 3, height: 64, width: 64, pixels: (0..<3 * 64 * 64).map { Float($0 % 97) / 96 })
        try ImageIO.write(image, to: path)
        let handle = try TIFFHandle.open(path, mode: "r")
        // libtiff maps a file opened "r" at once; the map is listed under the file's name.
        let maps = try String(contentsOfFile: "/proc/self/maps", encoding: .utf8)
        #expect(!maps.contains(path), "\(maps.split(separator: "\n").filter { $0.contains(path) })")
        #expect(try TIFFReader.readPage(handle, try TIFFReader.describe(handle)) == image)
    }
}
