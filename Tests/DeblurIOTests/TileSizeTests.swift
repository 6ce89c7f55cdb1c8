import CTIFF
import DeblurCore
import Foundation
import Testing
@testable import DeblurIO

/// Tiles are decoded whole, so their size bounds the memory a read takes: tiles far larger than
/// the image are refused, the sizes writers use are read.
@Suite struct TileSizeTests {
    /// Writes an 8-bit gray tiled TIFF whose every tile holds `value(y, x)` of the image (zeros
    /// beyond it), deflate-compressed.
    static func writeTiled(_ path: String, height: Int, width: Int, tileHeight: Int, tileWidth: Int,
                           value: (Int, Int) -> UInt8) throws {
        let handle = try TIFFHandle.open(path, mode: "w")
        try handle.set(TIFFTAG_IMAGEWIDTH, width)
        try handle.set(TIFFTAG_IMAGELENGTH, height)
        try handle.set(TIFFTAG_SAMPLESPERPIXEL, 1)
        try handle.set(TIFFTAG_BITSPERSAMPLE, 8)
        try handle.set(TIFFTAG_PHOTOMETRIC, Int(PHOTOMETRIC_MINISBLACK))
        try handle.set(TIFFTAG_COMPRESSION, Int(COMPRESSION_ADOBE_DEFLATE))
        try handle.set(TIFFTAG_TILEWIDTH, tileWidth)
        try handle.set(TIFFTAG_TILELENGTH, tileHeight)
        var tile = [UInt8](repeating: 0, count: tileWidth * tileHeight)
        var index: UInt32 = 0
        for y0 in stride(from: 0, to: height, by: tileHeight) {
            for x0 in stride(from: 0, to: width, by: tileWidth) {
                for y in 0..<tileHeight {
                    for x in 0..<tileWidth {
                        tile[y * tileWidth + x] = y0 + y < height && x0 + x < width ? value(y0 + y, x0 + x) : 0
                    }
                }
                let written = tile.withUnsafeMutableBytes {
                    TIFFWriteEncodedTile(handle.tiff, index, $0.baseAddress, tmsize_t($0.count))
                }
                #expect(written >= 0, "\(handle.messages.summary ?? "")")
                index += 1
            }
        }
        #expect(TIFFWriteDirectory(handle.tiff) == 1)
        try handle.close()
    }

    @Test("A 1×1 image in one 4096×4096 tile (16 MB of deflated zeros) is refused before decoding it")
    func tilesFarLargerThanTheImageAreRefused() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/bomb.tif"
        try Self.writeTiled(path, height: 1, width: 1, tileHeight: 4096, tileWidth: 4096) { _, _ in 9 }
        #expect(throws: IOError.unsupported(path: path, reason: "tiles of 4096×4096 pixels for a 1×1 image; "
                                                + "expected tiles no larger than the image (rounded up to 16) or 2048 per side; rewrite it in strips or smaller tiles")) {
            try ImageIO.read(path)
        }
    }

    @Test("Tiles larger than a small image (256×256 for 10×12) or the whole image rounded up to 16 (2064×16 for 2050×3) read exactly",
          arguments: [(10, 12, 256, 256), (3, 2050, 16, 2064)])
    func usualTileSizesAreRead(height: Int, width: Int, tileHeight: Int, tileWidth: Int) throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/tiled.tif"
        let value = { (y: Int, x: Int) in UInt8((31 * x + 7 * y) % 256) }
        try Self.writeTiled(path, height: height, width: width, tileHeight: tileHeight, tileWidth: tileWidth, value: value)
        let image = try ImageIO.read(path)
        #expect(image == Image(channels: 1, height: height, width: width) { _, y, x in Float(value(y, x)) / 255 })
    }

    /// GDAL's SPARSE_OK files leave empty blocks unwritten (offset and byte count 0), as libtiff
    /// does with a tile never written: refused as unsupported, saying so, not as damage.
    @Test("A sparse tiled TIFF (a tile never written) is refused as unsupported, naming the tile and GDAL's option")
    func sparseTileIsUnsupported() throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/sparse.tif"
        let handle = try TIFFHandle.open(path, mode: "w")
        for (tag, value) in [(TIFFTAG_IMAGEWIDTH, 40), (TIFFTAG_IMAGELENGTH, 20), (TIFFTAG_SAMPLESPERPIXEL, 1), (TIFFTAG_BITSPERSAMPLE, 8),
                             (TIFFTAG_PHOTOMETRIC, Int(PHOTOMETRIC_MINISBLACK)), (TIFFTAG_TILEWIDTH, 16), (TIFFTAG_TILELENGTH, 16)] {
            try handle.set(tag, value)
        }
        var tile = [UInt8](repeating: 200, count: 16 * 16)
        for index: UInt32 in [0, 2, 3, 4, 5] {  // tile 1 is left out
            _ = tile.withUnsafeMutableBytes { TIFFWriteEncodedTile(handle.tiff, index, $0.baseAddress, tmsize_t($0.count)) }
        }
        #expect(TIFFWriteDirectory(handle.tiff) == 1)
        try handle.close()
        do {
            _ = try ImageIO.read(path)
        } catch let IOError.unsupported(reported, reason) {
            #expect(reported == path)
            #expect(reason.hasPrefix("tile 1 is not stored") && reason.contains("SPARSE_OK"), "\(reason)")
        } catch {
            Issue.record("expected IOError.unsupported, got \(error)")
        }
    }
}
