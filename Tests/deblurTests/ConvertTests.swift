import DeblurKit
import Foundation
import Testing
import _TestSupport

@Suite struct ConvertTests {
    /// PNG (8 or 16 bits) → float TIFF → PNG of the same depth gives the same samples: the
    /// float TIFF holds k/(2^b − 1) exactly enough for the integer encoder to round back to k.
    @Test(arguments: [8, 16], [1, 3])
    func pngThroughFloatTIFFRoundTripsBitExactly(bits: Int, channels: Int) throws {
        try withScratch { dir in
            let depth: SampleDepth = bits == 8 ? .uint8 : .uint16
            try ImageIO.write(randomImage(channels: channels, height: 9, width: 13, seed: 7), to: dir.file("in.png").path, depth: depth)
            let original = try ImageIO.read(dir.file("in.png").path)

            let toTIFF = try dir.deblur("convert", "in.png", "mid.tif", "--bit-depth", "32")
            #expect(toTIFF.status == 0, "\(toTIFF)")
            let (mid, midInfo) = try ImageIO.readWithInfo(dir.file("mid.tif").path)
            #expect(midInfo.isFloat && midInfo.bitsPerSample == 32)
            #expect(mid.pixels == original.pixels)

            let back = try dir.deblur("convert", "mid.tif", "out.png", "--bit-depth", "\(bits)")
            #expect(back.status == 0, "\(back)")
            let (roundTrip, info) = try ImageIO.readWithInfo(dir.file("out.png").path)
            #expect(info.bitsPerSample == bits)
            #expect(roundTrip.channels == channels && roundTrip.height == 9 && roundTrip.width == 13)
            #expect(roundTrip.pixels == original.pixels)
            // Same encoder, same samples: the file itself is identical.
            #expect(try Data(contentsOf: dir.file("out.png")) == Data(contentsOf: dir.file("in.png")))
        }
    }

    /// Integer outputs clamp to [0, 1] and say how many samples they clamped.
    @Test func floatToPNGReportsTheClampedSampleCount() throws {
        try withScratch { dir in
            let values: [Float] = [-0.5, 0, 0.25, 0.4, 1, 1.5, 2, 0.75]
            try ImageIO.write(Image(height: 2, width: 4, pixels: values), to: dir.file("f.tif").path, depth: .float32)
            let result = try dir.deblur("convert", "f.tif", "out.png", "--bit-depth", "8")
            #expect(result.status == 0, "\(result)")
            #expect(result.stderr.contains("3 of 8 samples"), "\(result)")
            let out = try ImageIO.read(dir.file("out.png").path)
            #expect(out.pixels.map { Int(($0 * 255).rounded()) } == [0, 0, 64, 102, 255, 255, 255, 191])
        }
    }

    /// A stack whose channels are pages (tifffile's (c, y, x) arrays, ImageJ, OME-TIFF) reads as
    /// its first page only: every command that reads it says so, once, on stderr.
    @Test func multiPageInputsAreNotedOnStderr() throws {
        try withScratch { dir in
            let pages = (0..<3).map { randomImage(height: 16, width: 16, seed: UInt64($0)) }
            try ImageIO.writeTIFFPages(pages, to: dir.file("stack.tif").path)
            try ImageIO.write(pages[0], to: dir.file("single.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1), to: dir.file("k.tif").path)
            let note = "note: stack.tif has 3 pages; only the first (16×16, gray) is read"
            for arguments in [["convert", "stack.tif", "out.tif"], ["blur", "stack.tif", "--psf", "k.tif", "-o", "b.tif"],
                              ["deconvolve", "stack.tif", "--psf", "k.tif", "--method", "wiener", "-o", "d.tif"],
                              ["metrics", "single.tif", "stack.tif"]] {
                let result = try dir.deblur(arguments)
                #expect(result.status == 0, "\(result)")
                #expect(result.stderr.components(separatedBy: note).count == 2, "\(arguments): \(result.stderr)")
            }
            #expect(try ImageIO.read(dir.file("out.tif").path) == pages[0])
            let single = try dir.deblur("convert", "single.tif", "out2.tif")
            #expect(single.status == 0 && single.stderr.isEmpty, "\(single)")
        }
    }

    /// An APNG reads as its default image; its other frames are left out, and every command says so.
    @Test func animatedPNGInputsAreNotedOnStderr() throws {
        try withScratch { dir in
            let image = randomImage(height: 16, width: 16, seed: 4)
            var bytes = [UInt8](try ImageIO.encodePNG(image))
            func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
                let body = Array(type.utf8) + data
                var crc: UInt32 = 0xFFFF_FFFF
                for byte in body {
                    crc ^= UInt32(byte)
                    for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
                }
                let be = { (v: UInt32) in [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }
                return be(UInt32(data.count)) + body + be(~crc)
            }
            // acTL: 2 frames, looping; no fcTL before IDAT, so the default image is not a frame.
            let idat = (8..<bytes.count - 4).first { Array(bytes[$0..<$0 + 4]) == Array("IDAT".utf8) }!
            bytes.insert(contentsOf: chunk("acTL", [0, 0, 0, 2, 0, 0, 0, 0]), at: idat - 4)
            try Data(bytes).write(to: dir.file("anim.png"))
            let info = try dir.deblur("info", "anim.png")
            #expect(info.status == 0 && info.stdout.contains(", animated, 3 images (default image read)"), "\(info)")
            let result = try dir.deblur("convert", "anim.png", "out.tif")
            #expect(result.status == 0, "\(result)")
            #expect(result.stderr.contains("note: anim.png is an animated PNG of 3 images; only its default image (16×16, gray)"), "\(result)")
            #expect(try ImageIO.read(dir.file("out.tif").path) == ImageIO.read(dir.file("anim.png").path))
        }
    }

    @Test func outputInAMissingFolderExitsOneNamingIt() throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 4, width: 4, seed: 1), to: dir.file("in.png").path)
            let before = dir.listing()
            expectCleanFailure(try dir.deblur("convert", "in.png", "nofolder/out.tif"), naming: "nofolder/out.tif", directory: dir, before: before)
        }
    }

    /// The encoder writes a hidden temporary file next to OUT and then renames it; renaming onto
    /// a directory fails after the file is complete, and the temporary file must go too.
    @Test func outputThatIsADirectoryExitsOneLeavingNoTemporaryFile() throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 4, width: 4, seed: 1), to: dir.file("in.png").path)
            try FileManager.default.createDirectory(at: dir.file("taken.tif"), withIntermediateDirectories: false)
            let before = dir.listing()
            expectCleanFailure(try dir.deblur("convert", "in.png", "taken.tif"), naming: "taken.tif", directory: dir, before: before)
        }
    }

    @Test func garbageInputExitsOneWithoutOutput() throws {
        try withScratch { dir in
            try Data(repeating: 0x89, count: 100).write(to: dir.file("junk.tif"))
            let before = dir.listing()
            expectCleanFailure(try dir.deblur("convert", "junk.tif", "out.png"), naming: "junk.tif", directory: dir, before: before)
        }
    }

    @Test func truncatedPNGExitsOneWithoutOutput() throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 32, width: 32, seed: 2), to: dir.file("full.png").path)
            let bytes = try Data(contentsOf: dir.file("full.png"))
            try bytes.prefix(bytes.count / 2).write(to: dir.file("cut.png"))
            let before = dir.listing()
            expectCleanFailure(try dir.deblur("convert", "cut.png", "out.tif"), naming: "cut.png", directory: dir, before: before)
        }
    }

    @Test func missingInputExitsOneWithoutOutput() throws {
        try withScratch { dir in
            expectCleanFailure(try dir.deblur("convert", "absent.png", "out.tif"), naming: "absent.png", directory: dir, before: [])
        }
    }

    @Test func unknownOutputExtensionExitsOneNamingIt() throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 4, width: 4, seed: 1), to: dir.file("in.png").path)
            let before = dir.listing()
            expectCleanFailure(try dir.deblur("convert", "in.png", "out.jpg"), naming: "out.jpg", directory: dir, before: before,
                               usageFollows: true)
        }
    }

    @Test func unsupportedInputFormatExitsOneNamingItWithoutOutput() throws {
        try withScratch { dir in
            // A GIF header: neither the PNG signature nor a TIFF byte-order mark.
            try Data("GIF89a".utf8 + [UInt8](repeating: 0, count: 40)).write(to: dir.file("in.gif"))
            let before = dir.listing()
            expectCleanFailure(try dir.deblur("convert", "in.gif", "out.png"), naming: "in.gif", directory: dir, before: before)
        }
    }
}
