import DeblurCore
import Foundation
import Testing
import _TestSupport
@testable import DeblurIO

/// APNG (animated PNG): libpng decodes the default (IDAT) image and skips the animation's
/// chunks; the reader says how many images the file holds, so the CLI can say what it left out.
@Suite struct AnimatedPNGTests {
    /// CRC-32 of PNG chunks (ISO 3309), for chunks spliced into a PNG the toolkit wrote.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + body + bigEndian(crc32(body))
    }

    /// `png` with an acTL of `frames` frames, and (when `defaultIsFrame`) a frame control for the
    /// IDAT image, inserted before the first IDAT, as APNG writers (Pillow, ffmpeg) place them.
    static func animated(_ png: Data, frames: UInt32, defaultIsFrame: Bool, width: Int, height: Int) -> Data {
        var bytes = [UInt8](png)
        let idat = Array("IDAT".utf8)
        let typeAt = (8..<bytes.count - 4).first { Array(bytes[$0..<$0 + 4]) == idat }!
        var inserted = chunk("acTL", bigEndian(frames) + bigEndian(0))
        if defaultIsFrame {
            // sequence 0, width, height, x 0, y 0, delay 1/10 s, dispose none, blend source
            let control = bigEndian(0) + bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + bigEndian(0) + bigEndian(0) + [0, 1, 0, 10, 0, 0]
            inserted += chunk("fcTL", control)
        }
        bytes.insert(contentsOf: inserted, at: typeAt - 4)
        return Data(bytes)
    }

    @Test("An APNG reads as its default image, values exact, and reports its images as pages",
          arguments: [(3 as UInt32, true, 3), (3, false, 4)])
    func animatedPNG(frames: UInt32, defaultIsFrame: Bool, pages: Int) throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let image = ImageIOTests.quantizedImage(channels: 3, height: 5, width: 7, levels: 255, seed: 11)
        let path = directory + "/animated.png"
        try Self.animated(try ImageIO.encodePNG(image), frames: frames, defaultIsFrame: defaultIsFrame, width: 7, height: 5)
            .write(to: URL(fileURLWithPath: path))
        let (read, info) = try ImageIO.readWithInfo(path)
        #expect(read == image)
        #expect(info.pages == pages)
        #expect(try ImageIO.info(path).pages == pages)
    }

    @Test("A still PNG is one page")
    func stillPNG() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/still.png"
        try ImageIO.write(ImageIOTests.quantizedImage(channels: 1, height: 3, width: 4, levels: 255, seed: 2), to: path)
        #expect(try ImageIO.info(path).pages == 1)
    }
}
