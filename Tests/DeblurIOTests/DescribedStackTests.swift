import CTIFF
import DeblurCore
import Foundation
import Testing
@testable import DeblurIO

/// ImageJ above 4 GB, and tifffile with `truncate=True`, store a stack's images back to back
/// after a single TIFF directory and give their number only in the ImageDescription: libtiff sees
/// one page, so the reader counts them from the description, for the "only the first" note.
@Suite struct DescribedStackTests {
    /// A one-directory 16-bit gray 4 × 5 TIFF with `description`, followed by `extra` more images'
    /// samples (which no directory points to, as those writers leave them).
    static func write(_ path: String, description: String?, extra: Int) throws -> Image {
        let (height, width) = (4, 5)
        let handle = try TIFFHandle.open(path, mode: "w")
        for (tag, value) in [(TIFFTAG_IMAGEWIDTH, width), (TIFFTAG_IMAGELENGTH, height), (TIFFTAG_SAMPLESPERPIXEL, 1),
                             (TIFFTAG_BITSPERSAMPLE, 16), (TIFFTAG_PHOTOMETRIC, Int(PHOTOMETRIC_MINISBLACK)), (TIFFTAG_ROWSPERSTRIP, height)] {
            try handle.set(tag, value)
        }
        if let description {
            let ok = description.withCString { text in withVaList([text]) { TIFFVSetField(handle.tiff, UInt32(TIFFTAG_IMAGEDESCRIPTION), $0) } }
            #expect(ok == 1)
        }
        var samples = (0..<(height * width)).map { UInt16($0 * 3000) }
        let written = samples.withUnsafeMutableBytes { TIFFWriteEncodedStrip(handle.tiff, 0, $0.baseAddress, tmsize_t($0.count)) }
        #expect(written >= 0)
        #expect(TIFFWriteDirectory(handle.tiff) == 1)
        try handle.close()
        if extra > 0 {
            let file = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try file.seekToEnd()
            try file.write(contentsOf: Data(count: extra * height * width * 2))
            try file.close()
        }
        return Image(channels: 1, height: height, width: width) { _, y, x in Float((y * width + x) * 3000) / 65535 }
    }

    @Test("A one-directory stack counts the images its description gives; the first reads exactly",
          arguments: [("ImageJ=1.53t\nimages=4\nslices=4\nloop=false\n", 4),
                      ("{\"shape\": [2, 3, 4, 5], \"truncated\": true}", 6),
                      ("{\"shape\": [4, 5]}", 1),
                      ("a scanner's note: images=9", 1)])
    func describedImages(description: String, pages: Int) throws {
        let directory = TestFiles.scratch()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/stack.tif"
        let first = try Self.write(path, description: description, extra: pages - 1)
        let (image, info) = try ImageIO.readWithInfo(path)
        #expect(image == first)
        #expect(info.pages == pages)
        #expect(try ImageIO.info(path).pages == pages)
        if pages > 1 {
            #expect(throws: IOError.self) { try ImageIO.readTIFFPages(path) }
        } else {
            #expect(try ImageIO.readTIFFPages(path) == [first])
        }
    }
}
