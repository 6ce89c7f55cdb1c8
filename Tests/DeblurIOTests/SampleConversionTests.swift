import DeblurCore
import Testing
@testable import DeblurIO

/// The sample converter against a naive per-sample reference.
@Suite struct SampleConversionTests {
    /// The dataset writer converts in `ImageIO.serially`, each item on its own thread.
    @Test func conversionThreadsReadOneInASerialRegion() {
        #expect(ImageIO.serially { ImageIO.conversionThreads } == 1)
    }

    @Test("Interleaved and planar decoding match a naive loop, extra samples skipped, min-is-white inverted")
    func decodingMatchesNaiveLoop() {
        let height = 300, width = 301, spp = 4  // above the parallel threshold, odd width
        var raw = [UInt16](repeating: 0, count: height * width * spp)
        var rng = SeededRandom(seed: 3)
        for i in raw.indices { raw[i] = UInt16(rng.integer(below: 65536)) }
        let interleaved = raw.withUnsafeBytes {
            SampleConversion.toImage($0, type: .uint16, layout: .interleaved(samplesPerPixel: spp), channels: 3, height: height, width: width)
        }
        let naive = Image(channels: 3, height: height, width: width) { c, y, x in Float(raw[(y * width + x) * spp + c]) / 65535 }
        #expect(interleaved == naive)
        let planar = raw.withUnsafeBytes {
            SampleConversion.toImage($0, type: .uint16, layout: .planar(samplesPerPlane: height * width), channels: 3,
                                     height: height, width: width, invert: true)
        }
        #expect(planar == Image(channels: 3, height: height, width: width) { c, y, x in Float(65535 - raw[(c * height + y) * width + x]) / 65535 })
    }

    @Test("Encoding interleaves planes, rounds half up, clamps, and writes only the rows asked for")
    func encodingInterleavesAndCounts() {
        let image = Image(channels: 3, height: 1, width: 2, pixels: [0, 1, 2, -1, .nan, 0.5])
        var bytes = [UInt8](repeating: 9, count: 6)
        bytes.withUnsafeMutableBytes { SampleConversion.fromImage(image, type: .uint8, into: $0) }
        #expect(bytes == [0, 255, 0, 255, 0, 128])
        let tall = Image(channels: 3, height: 4, width: 2) { c, y, x in Float(c * 100 + y * 10 + x) / 65535 }
        var middle = [UInt16](repeating: 7, count: 14)
        middle.withUnsafeMutableBytes { SampleConversion.fromImage(tall, type: .uint16, rows: 1..<3, into: $0) }
        #expect(middle == [10, 110, 210, 11, 111, 211, 20, 120, 220, 21, 121, 221, 7, 7])
        var floats = [Float](repeating: 0, count: 6)
        floats.withUnsafeMutableBytes { SampleConversion.fromImage(image, type: .float32, into: $0) }
        #expect(floats.map(\.bitPattern) == [0, 2, .nan, 1, -1, 0.5].map { Float($0).bitPattern })
    }

    @Test("Integer encoding is k = ⌊v·(2^b − 1) + ½⌋ in exact arithmetic, also for the floats next to a tie, whose Float32 product rounds onto it")
    func encodingRoundsTheExactProduct() {
        for (type, maximum) in [(SampleType.uint8, 255), (.uint16, 65535)] {
            // Every tie (k + ½) / maximum and its two Float32 neighbours (every 7th k for 16 bits).
            var values: [Float] = []
            for k in stride(from: 0, to: maximum, by: maximum == 255 ? 1 : 7) {
                let tie = Float((Double(k) + 0.5) / Double(maximum))
                values += [tie.nextDown, tie, tie.nextUp]
            }
            let image = Image(channels: 1, height: 1, width: values.count, pixels: values)
            let expected = values.map { Int((Double($0) * Double(maximum) + 0.5).rounded(.down)) }
            var written: [Int]
            if type == .uint8 {
                var bytes = [UInt8](repeating: 0, count: values.count)
                bytes.withUnsafeMutableBytes { SampleConversion.fromImage(image, type: .uint8, into: $0) }
                written = bytes.map(Int.init)
            } else {
                var words = [UInt16](repeating: 0, count: values.count)
                words.withUnsafeMutableBytes { SampleConversion.fromImage(image, type: .uint16, into: $0) }
                written = words.map(Int.init)
            }
            let wrong = zip(written, expected).filter { $0 != $1 }.count
            #expect(wrong == 0, "\(type): \(wrong) of \(values.count) samples one level off")
        }
    }
}
