import DeblurCore
import Foundation
import Testing
import _TestSupport
@testable import DeblurIO

/// Damaged, hostile and unsupported files get a typed error naming the file, never a crash,
/// a huge allocation or raw library output on stderr.
@Suite(.serialized) struct BadInputTests {
    static func bad(_ name: String) -> String { TestFiles.fixture("bad/" + name) }

    /// The error `ImageIO.read` throws for `path`, and what the process wrote to stderr meanwhile.
    static func failure(_ path: String) -> (error: IOError?, printed: String) {
        let capture = NSTemporaryDirectory() + "stderr-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: capture, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: capture) }
        fflush(stderr)
        let saved = dup(2)
        let file = open(capture, O_WRONLY)
        dup2(file, 2)
        var caught: IOError?
        do { _ = try ImageIO.read(path) } catch { caught = error as? IOError }
        fflush(stderr)
        dup2(saved, 2)
        close(file); close(saved)
        let written = String(decoding: FileManager.default.contents(atPath: capture) ?? Data(), as: UTF8.self)
        // Swift Testing reports other tests, running in parallel, on the same stderr: keep only
        // lines that are not its own, i.e. what libpng or libtiff would have printed.
        let markers = ["✔", "✘", "◇", "↳", "􀟈", "􁁛", "􀢄", "Test ", "Suite "]
        let foreign = written.split(separator: "\n").filter { line in !markers.contains { line.contains($0) } }
        return (caught, foreign.joined(separator: "\n"))
    }

    static func expectCorrupt(_ name: String, mentioning words: [String]) {
        let path = bad(name)
        let (error, stderr) = failure(path)
        guard case let .corrupt(reportedPath, reason)? = error else {
            Issue.record("\(name): expected IOError.corrupt, got \(String(describing: error))")
            return
        }
        #expect(reportedPath == path)
        for word in words { #expect(reason.localizedCaseInsensitiveContains(word), "\(name): \(reason)") }
        #expect(stderr.isEmpty, "\(name) printed: \(stderr)")
    }

    @Test("An empty file is corrupt: 'the file is empty'")
    func emptyFile() { Self.expectCorrupt("empty.png", mentioning: ["empty"]) }

    @Test("A truncated PNG is corrupt, with libpng's reason")
    func truncatedPNG() { Self.expectCorrupt("truncated.png", mentioning: ["truncated"]) }

    @Test("A PNG whose IDAT data no longer matches its CRC is corrupt, with libpng's 'CRC error'")
    func corruptCRC() { Self.expectCorrupt("bad_crc.png", mentioning: ["CRC"]) }

    @Test("A PNG whose compressed IDAT data is damaged is corrupt, with zlib's reason through libpng")
    func damagedDeflate() { Self.expectCorrupt("bad_deflate.png", mentioning: ["IDAT"]) }

    @Test("A zero-width PNG header is corrupt, with libpng's reason")
    func zeroWidthPNG() { Self.expectCorrupt("zero_width.png", mentioning: ["width"]) }

    /// libtiff's own message gave the file's size minus the offset as an unsigned count: "Read
    /// error on strip 0; got 18446744071562068118 bytes, expected 12".
    @Test("A TIFF whose strip offset points past the end is corrupt, naming the offset and the file's size")
    func bogusStripOffsets() {
        Self.expectCorrupt("bogus_offsets.tif", mentioning: ["strip 0 starts at byte 2147483632, past the end of the 134-byte file"])
    }

    /// A tile past the end was "tile 1 cannot be read", with no reason at all.
    @Test("A tile that starts past the end of the file is named with its offset and the file's size")
    func tilePastTheEnd() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: TestFiles.fixture("tiled_rgb16.tif"))))
        func le(_ at: Int, _ n: Int) -> Int { (0..<n).reversed().reduce(0) { $0 << 8 | Int(bytes[at + $1]) } }
        // The first directory's TileOffsets entry (tag 324, LONG): the offsets array it points at.
        let directoryAt = le(4, 4)
        let entry = try #require((0..<le(directoryAt, 2)).map { directoryAt + 2 + 12 * $0 }.first { le($0, 2) == 324 })
        #expect(le(entry + 2, 2) == 4 && le(entry + 4, 4) > 1)
        let second = le(entry + 8, 4) + 4
        for k in 0..<4 { bytes[second + k] = UInt8((1_000_000 >> (8 * k)) & 0xFF) }
        let path = directory + "/tile.tif"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        #expect(throws: IOError.corrupt(path: path, reason: "tile 1 starts at byte 1000000, past the end of the \(bytes.count)-byte file "
                                        + "(truncated, or its offsets damaged)")) { try ImageIO.read(path) }
    }

    @Test("A TIFF listing 2 strip offsets for 3 strips is corrupt, naming the strip: libtiff pads the offsets with 0 and read the file's header as its last row")
    func missingStripOffset() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // 8-bit gray, 4 × 3, one row per strip, rows of 200 after the directory and its two arrays.
        func le(_ v: Int, _ n: Int) -> [UInt8] { (0..<n).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        let arrays = 8 + 2 + 8 * 12 + 4, rows = arrays + 8 + 12
        let entries: [(tag: Int, type: Int, count: Int, value: Int)] = [
            (256, 3, 1, 4), (257, 3, 1, 3), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
            (273, 4, 2, arrays), (278, 3, 1, 1), (279, 4, 3, arrays + 8)]
        var bytes: [UInt8] = [0x49, 0x49, 42, 0, 8, 0, 0, 0] + le(entries.count, 2)
        for entry in entries { bytes += le(entry.tag, 2) + le(entry.type, 2) + le(entry.count, 4) + le(entry.value, 4) }
        bytes += le(0, 4) + le(rows, 4) + le(rows + 4, 4) + le(4, 4) + le(4, 4) + le(4, 4)
        bytes += [UInt8](repeating: 200, count: 12)
        let path = directory + "/two-offsets.tif"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let (error, _) = Self.failure(path)
        guard case let .corrupt(reportedPath, reason)? = error else {
            Issue.record("expected corrupt, got \(String(describing: error))")
            return
        }
        #expect(reportedPath == path)
        #expect(reason.contains("strip 2 has no offset"), "\(reason)")
        #expect(reason.contains("Incorrect count for \"StripOffsets\""), "\(reason)")
        // Byte counts as short as the offsets: padded with zeros too, which is not a sparse file.
        var both = bytes
        both[8 + 2 + 7 * 12 + 4] = 2
        _ = FileManager.default.createFile(atPath: path, contents: Data(both))
        let (padded, _) = Self.failure(path)
        guard case let .corrupt(_, paddedReason)? = padded else {
            Issue.record("expected corrupt, got \(String(describing: padded))")
            return
        }
        #expect(paddedReason.contains("strip 2 has no offset") && !paddedReason.contains("sparse"), "\(paddedReason)")
    }

    /// A named pipe in a new scratch folder: (the folder, the pipe's path).
    static func namedPipe() -> (directory: String, path: String) {
        let directory = TestFiles.scratch()
        let path = directory + "/pipe"
        #expect(mkfifo(path, 0o600) == 0)
        return (directory, path)
    }

    /// The copies of pipes in the temporary folder, which every read must remove.
    static func pipeCopies() throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix("deblurkit-pipe-") })
    }

    /// Reading a pipe opened it twice (its first bytes, then the decoder): the second open of a
    /// named pipe waited forever for a new writer, and a shell's `<(…)` lost the bytes read first.
    @Test("A named pipe is read whole, as the file written into it; damage in it is named after the pipe, and no copy is left")
    func namedPipe() throws {
        let (directory, path) = Self.namedPipe()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let before = try Self.pipeCopies()
        // One writer per read, as a shell gives one per `<(…)`.
        func feed(_ data: Data) -> Thread {
            let writer = Thread {
                let handle = FileHandle(forWritingAtPath: path)!
                handle.write(data)
                try? handle.close()
            }
            writer.start()
            return writer
        }
        let tiff = try Data(contentsOf: URL(fileURLWithPath: TestFiles.fixture("tiled_rgb16.tif")))
        _ = feed(tiff)
        let (image, info) = try ImageIO.readWithInfo(path)
        #expect(image == (try ImageIO.read(TestFiles.fixture("tiled_rgb16.tif"))))
        #expect(info.format == .tiff && info.bitsPerSample == 16)
        _ = feed(tiff.prefix(600))
        #expect {
            try ImageIO.read(path)
        } throws: { error in
            guard case let IOError.corrupt(named, reason) = error else { return false }
            return named == path && !reason.contains("deblurkit-pipe-")
        }
        _ = feed(Data("hello\n".utf8))
        #expect(throws: IOError.unsupported(path: path, reason: "not a PNG or TIFF file (it starts with bytes 68 65 6c 6c 6f 0a)")) {
            try ImageIO.info(path)
        }
        #expect(try Self.pipeCopies() == before)
    }

    /// A pipe was read to its end into memory before its first bytes were looked at: one that
    /// never ends (`<(cat /dev/zero)`) grew until the process was killed. Here the writer holds
    /// the pipe open for 20 s after its first bytes; the refusal must not wait for it.
    @Test("A pipe that does not start as a PNG or TIFF is refused from its first 8 bytes, before its writer closes it")
    func pipeOfSomethingElse() throws {
        let (directory, path) = Self.namedPipe()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let before = try Self.pipeCopies()
        Thread {
            let handle = FileHandle(forWritingAtPath: path)!
            handle.write(Data("GIF89a, not a PNG".utf8))
            Thread.sleep(forTimeInterval: 20)
            try? handle.close()
        }.start()
        let start = Date()
        #expect(throws: IOError.unsupported(path: path, reason: "not a PNG or TIFF file (it starts with bytes 47 49 46 38 39 61 2c 20)")) {
            try ImageIO.read(path)
        }
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(try Self.pipeCopies() == before)
    }

    @Test("A truncated TIFF is corrupt")
    func truncatedTIFF() { Self.expectCorrupt("truncated.tif", mentioning: ["libtiff"]) }

    @Test("Damaged TIFF data that libtiff decodes with only a warning is corrupt, not samples made up (PackBits overrun, JPEG cut short)",
          arguments: [("packbits_overrun.tif", "Discarding 116 bytes"), ("jpeg_damaged.tif", "premature end of data segment"),
                      ("jpeg_zeroed.tif", "125 extraneous bytes before marker 0xd9")])
    func damagedDataWithWarnings(name: String, warning: String) {
        Self.expectCorrupt(name, mentioning: ["strip 0 is damaged", warning])
    }

    @Test("A zero-height TIFF is refused")
    func zeroHeightTIFF() {
        let (error, stderr) = Self.failure(Self.bad("zero_height.tif"))
        guard case .corrupt? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(stderr.isEmpty)
    }

    @Test("Wrong magic bytes are unsupported, naming the first bytes")
    func wrongMagic() {
        let (error, _) = Self.failure(Self.bad("wrong_magic.png"))
        #expect(error == .unsupported(path: Self.bad("wrong_magic.png"),
                                      reason: "not a PNG or TIFF file (it starts with bytes 47 49 46 38 39 61 1a 0a)"))
    }

    @Test("A PNG or TIFF cut within its signature is a truncated file, not 'not a PNG or TIFF file'",
          arguments: [([0x89, 0x50, 0x4E, 0x47] as [UInt8], "only 4 bytes long, the start of a PNG header"),
                      ([0x4D, 0x4D, 0], "only 3 bytes long, the start of a TIFF header"),
                      ([0x49], "only 1 byte long, the start of a TIFF header")])
    func truncatedSignature(bytes: [UInt8], words: String) throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/cut.png"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (error, _) = Self.failure(path)
        guard case let .corrupt(reportedPath, reason)? = error else {
            Issue.record("expected IOError.corrupt, got \(String(describing: error))")
            return
        }
        #expect(reportedPath == path)
        #expect(reason.contains(words) && reason.contains("truncated"), "\(reason)")
    }

    @Test("Headers claiming 100000 × 100000 pixels are refused before allocating (PNG and TIFF)",
          arguments: ["huge.png", "huge.tif"])
    func hugeHeader(name: String) {
        let (error, stderr) = Self.failure(Self.bad(name))
        #expect(error == .tooLarge(path: Self.bad(name), width: 100_000, height: 100_000, limit: ImageIO.maximumPixels))
        #expect(stderr.isEmpty)
    }

    @Test("A PNG header claiming 2147483647 × 1 pixels is too large, the pixel limit's error (not libpng's), nothing allocated")
    func hugeWidePNG() {
        let (error, stderr) = Self.failure(Self.bad("huge_wide.png"))
        #expect(error == .tooLarge(path: Self.bad("huge_wide.png"), width: 2_147_483_647, height: 1, limit: ImageIO.maximumPixels))
        #expect(stderr.isEmpty)
    }

    @Test("A PNG header 4194305 pixels wide (RGBA16, 4 bytes of data) is refused before libpng allocates its rows")
    func tooWidePNG() {
        let (error, stderr) = Self.failure(Self.bad("too_wide.png"))
        #expect(error == .unsupported(path: Self.bad("too_wide.png"),
                                      reason: "PNG 4194305 pixels wide; expected at most 4194304 (libpng holds whole rows); convert it to TIFF first"))
        #expect(stderr.isEmpty)
    }

    @Test("Unsupported TIFF sample formats name the format and the conversion to make: 32-bit int, 16-bit int",
          arguments: [("int32.tif", "32-bit signed integer", ImageIOAdvice.signed), ("int16.tif", "16-bit signed integer", ImageIOAdvice.signed)])
    func unsupportedSampleFormats(name: String, words: String, advice: String) {
        let (error, stderr) = Self.failure(Self.bad(name))
        #expect(error == .unsupported(path: Self.bad(name),
                                      reason: "\(words) samples; expected 1/2/4/8/16-bit unsigned integer or 16/32/64-bit float; \(advice)"))
        #expect(stderr.isEmpty)
    }

    @Test("A TIFF in a compression scheme libtiff was not built with is unsupported, naming the scheme, not a damaged strip",
          arguments: [("jpeg2000.tif", "JPEG 2000 compression (scheme 34712)"), ("aperio_jpeg2000.tif", "JPEG 2000 compression (scheme 33005)"),
                      ("jpegxl.tif", "JPEG XL compression (scheme 50002)")])
    func unconfiguredCompression(name: String, scheme: String) throws {
        let path = Self.bad(name)
        let (error, stderr) = Self.failure(path)
        #expect(error == .unsupported(path: path, reason: "\(scheme), which the system libtiff cannot decode; rewrite it uncompressed first "
                                      + "with a reader that has the codec, e.g. tifffile with imagecodecs: tifffile.imwrite(OUT, tifffile.imread(IN))"))
        #expect(throws: error!) { try ImageIO.info(path) }
        #expect(stderr.isEmpty)
    }

    @Test("A missing file cannot be opened, with the system's reason")
    func missingFile() {
        let (error, _) = Self.failure("/nonexistent/x.png")
        #expect(error == .cannotOpen(path: "/nonexistent/x.png", reason: "No such file or directory"))
    }

    @Test("Random corruption of valid PNG and TIFF files (seeded) never crashes: each read gives an image or an IOError",
          arguments: ["png", "tif", "tiled.tif"])
    func randomCorruption(kind: String) throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let original: Data
        if kind == "tiled.tif" {
            original = FileManager.default.contents(atPath: TestFiles.fixture("tiled_rgb16.tif"))!
        } else {
            let path = "\(directory)/original.\(kind)"
            try ImageIO.write(randomImage(channels: 3, height: 13, width: 17, seed: 4), to: path, depth: .uint16)
            original = FileManager.default.contents(atPath: path)!
        }
        var rng = SeededRandom(seed: 77)
        var failures = 0
        for trial in 0..<100 {
            var bytes = [UInt8](original)
            for _ in 0..<(1 + rng.integer(below: 4)) {
                bytes[rng.integer(below: bytes.count)] = UInt8(rng.integer(below: 256))
            }
            if trial % 5 == 0 { bytes.removeLast(rng.integer(below: bytes.count / 2)) }
            let path = "\(directory)/mutant.\(kind == "png" ? "png" : "tif")"
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            do {
                let image = try ImageIO.read(path)
                #expect(image.count == image.channels * image.height * image.width)
            } catch is IOError {
                failures += 1
            }
        }
        // Most mutants must be caught (CRCs, offsets, truncation), proving the files were damaged.
        #expect(failures > 15, "only \(failures) of 100 mutants were rejected")
    }

    @Test("Error descriptions name the file and the limit")
    func descriptions() {
        #expect(IOError.tooLarge(path: "a.png", width: 3, height: 4, limit: 5).description == "image a.png is 3×4 pixels, above the limit of 5 pixels")
        #expect(IOError.badDataset(file: "d/items.jsonl", line: 3, reason: "missing field \"psf\"").description
                == "dataset file d/items.jsonl line 3: missing field \"psf\"")
    }
}

/// The advice of refused TIFF sample formats, as the reader words it.
enum ImageIOAdvice {
    static let signed = "DeblurKit cannot know their range: scale them to 16-bit unsigned or to 32-bit float in [0, 1] first"
}
