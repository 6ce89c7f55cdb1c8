import DeblurCore

/// The sample types a file can hold, as they sit in a decoded buffer (native byte order).
/// `float16` and `float64` are read only (TIFF from NumPy, tifffile and scikit-image, whose
/// floats are 64-bit by default); their samples become the nearest Float32.
enum SampleType: Sendable {
    case uint8, uint16, float32, float16, float64

    var bytes: Int {
        switch self {
        case .uint8: return 1
        case .uint16, .float16: return 2
        case .float32: return 4
        case .float64: return 8
        }
    }

    var isFloat: Bool { self == .float16 || self == .float32 || self == .float64 }

    init(_ depth: SampleDepth) {
        switch depth {
        case .uint8: self = .uint8
        case .uint16: self = .uint16
        case .float32: self = .float32
        }
    }
}

/// Where the samples of a decoded file buffer sit: `interleaved` holds `samplesPerPixel`
/// samples per pixel, row after row (PNG, contiguous TIFF); `planar` holds one whole plane
/// per sample (TIFF `PLANARCONFIG_SEPARATE`).
enum SampleLayout: Sendable {
    case interleaved(samplesPerPixel: Int)
    case planar(samplesPerPlane: Int)
}

/// Conversion between a file's samples and `Image`'s planar Float32, the only place where
/// the value mapping of Docs/FileFormats.md is implemented:
///
///     read:  v = k / (2^b − 1)            (b = 8 or 16; float samples as they are)
///     write: k = ⌊clamp(v, 0, 1)·(2^b − 1) + ½⌋   (NaN → 0)
///
/// Rows are split over `ImageIO.conversionThreads` threads with `parallelFor`; the codecs
/// themselves are single-threaded, so this is the only parallel work while reading or writing.
enum SampleConversion {
    /// Benchmark instrumentation: while `timing` is on, `convert` and `fromImage` add their wall
    /// time to `elapsed` (seconds). Not thread-safe; only `IOBenchmarks` turns it on.
    nonisolated(unsafe) static var timing = false
    nonisolated(unsafe) static var elapsed = 0.0

    /// Decodes `channels` leading samples of each pixel of `raw` (layout `layout`, type
    /// `type`) into a new planar image; further samples (alpha, extra samples) are skipped.
    /// `invert` maps v to 1 − v (TIFF `PHOTOMETRIC_MINISWHITE`, integer samples only).
    static func toImage(_ raw: UnsafeRawBufferPointer, type: SampleType, layout: SampleLayout,
                        channels: Int, height: Int, width: Int, invert: Bool = false) -> Image {
        makeImage(channels: channels, height: height, width: width) { out in
            switch layout {
            case .interleaved(let spp):
                convert(raw.baseAddress!, type: type, rowStride: width * spp, pixelStride: spp, channels: channels,
                        firstChannel: 0, rows: height, columns: width, into: out, width: width, height: height,
                        y0: 0, x0: 0, invert: invert)
            case .planar(let plane):
                for c in 0..<channels {
                    convert(raw.baseAddress! + c * plane * type.bytes, type: type, rowStride: width, pixelStride: 1,
                            channels: 1, firstChannel: c, rows: height, columns: width, into: out, width: width,
                            height: height, y0: 0, x0: 0, invert: invert)
                }
            }
        }
    }

    /// A new image whose samples `fill` writes, every one of them, into uninitialized storage
    /// (skipping the zero fill saves a pass over the output; its pages are first touched by
    /// the conversion itself, on both cores).
    static func makeImage(channels: Int, height: Int, width: Int,
                          _ fill: (UnsafeMutablePointer<Float>) throws -> Void) rethrows -> Image {
        let count = channels * height * width
        let pixels = try [Float](unsafeUninitializedCapacity: count) { out, initialized in
            initialized = 0
            if count > 0 { try fill(out.baseAddress!) }
            initialized = count
        }
        return Image(channels: channels, height: height, width: width, pixels: pixels)
    }

    /// Converts a decoded block (a strip, a tile, a batch of PNG rows) into the image.
    ///
    /// Sample `(r, x, c)` of the block is at `base + (r·rowStride + x·pixelStride + c)` samples;
    /// it lands at channel `firstChannel + c`, row `y0 + r`, column `x0 + x` of the planar
    /// image `out` (`width` × `height` per plane). Rows run in parallel when the block is large.
    static func convert(_ base: UnsafeRawPointer, type: SampleType, rowStride: Int, pixelStride: Int, channels: Int,
                        firstChannel: Int, rows: Int, columns: Int, into out: UnsafeMutablePointer<Float>,
                        width: Int, height: Int, y0: Int, x0: Int, invert: Bool) {
        let start = timing ? monotonicSeconds() : 0
        defer { if timing { elapsed += monotonicSeconds() - start } }
        let plane = width * height
        // Below ~16K samples a dispatch costs more than it saves.
        let threads = rows * columns * channels >= 1 << 14 ? ImageIO.conversionThreads : 1
        parallelFor(rows, threads: threads) { r in
            let source = base + r * rowStride * type.bytes
            let target = out + firstChannel * plane + (y0 + r) * width + x0
            // The common RGB case reads each pixel once instead of striding the row three times.
            if channels == 3 && !invert && (type == .uint16 || type == .float32) {
                let red = target, green = red + plane, blue = green + plane
                if type == .uint16 {
                    let samples = source.assumingMemoryBound(to: UInt16.self)
                    uint16Scale.withUnsafeBufferPointer { table in
                        let table = table.baseAddress!
                        for x in 0..<columns {
                            let p = samples + x * pixelStride
                            red[x] = table[Int(p[0])]; green[x] = table[Int(p[1])]; blue[x] = table[Int(p[2])]
                        }
                    }
                } else {
                    let samples = source.assumingMemoryBound(to: Float.self)
                    for x in 0..<columns {
                        let p = samples + x * pixelStride
                        red[x] = p[0]; green[x] = p[1]; blue[x] = p[2]
                    }
                }
                return
            }
            for c in 0..<channels {
                let row = target + c * plane
                switch type {
                case .uint8:
                    convertRow(source.assumingMemoryBound(to: UInt8.self) + c, pixelStride, row, columns, invert: invert)
                case .uint16:
                    convertRow(source.assumingMemoryBound(to: UInt16.self) + c, pixelStride, row, columns, invert: invert)
                case .float32:
                    let samples = source.assumingMemoryBound(to: Float.self) + c
                    for x in 0..<columns { row[x] = samples[x * pixelStride] }
                case .float64:
                    let samples = source.assumingMemoryBound(to: Double.self) + c
                    for x in 0..<columns { row[x] = Float(samples[x * pixelStride]) }
                case .float16:
                    let samples = source.assumingMemoryBound(to: UInt16.self) + c
                    for x in 0..<columns { row[x] = floatFromHalf(samples[x * pixelStride]) }
                }
            }
        }
    }

    /// The Float32 of an IEEE 754 binary16 bit pattern, exact (every half is a float), ±∞ and
    /// NaN kept. Written out because Swift's `Float16` is missing on some platforms.
    @inline(__always)
    static func floatFromHalf(_ bits: UInt16) -> Float {
        let sign: Float = bits & 0x8000 == 0 ? 1 : -1
        let exponent = Int(bits >> 10 & 0x1F), fraction = Float(bits & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1p-24                     // zero and subnormals: f · 2⁻²⁴
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }

    // Concrete per-type loops: the generic BinaryInteger ↔ BinaryFloatingPoint conversions
    // are not always specialized inside the parallelFor closure, and are then ~10× slower.
    @inline(__always)
    private static func convertRow(_ source: UnsafePointer<UInt8>, _ stride: Int, _ row: UnsafeMutablePointer<Float>,
                                   _ width: Int, invert: Bool) {
        // Division, not multiplication by a reciprocal: k / 255 is then the correctly rounded
        // Float of the exact ratio, the same number NumPy's `k / np.float32(255)` gives.
        if invert {
            for x in 0..<width { row[x] = Float(255 - source[x * stride]) / 255 }
        } else if stride == 1 {
            for x in 0..<width { row[x] = Float(source[x]) / 255 }
        } else {
            for x in 0..<width { row[x] = Float(source[x * stride]) / 255 }
        }
    }

    /// k / 65535 for every 16-bit k, computed once with the same division: a table lookup is
    /// ~3× faster than a scalar division on strided (interleaved RGB) samples.
    private static let uint16Scale: [Float] = (0...65535).map { Float($0) / 65535 }

    @inline(__always)
    private static func convertRow(_ source: UnsafePointer<UInt16>, _ stride: Int, _ row: UnsafeMutablePointer<Float>,
                                   _ width: Int, invert: Bool) {
        uint16Scale.withUnsafeBufferPointer { table in
            let table = table.baseAddress!
            if invert {
                for x in 0..<width { row[x] = table[Int(65535 - source[x * stride])] }
            } else {
                for x in 0..<width { row[x] = table[Int(source[x * stride])] }
            }
        }
    }

    /// Encodes rows `rows` (default: all) of `image` as interleaved samples of `type` into
    /// `raw`, which receives `rows.count · width · channels` samples starting with the first
    /// of those rows. Integer types clamp to [0, 1] (NaN → 0) and round half up.
    static func fromImage(_ image: Image, type: SampleType, rows: Range<Int>? = nil, into raw: UnsafeMutableRawBufferPointer) {
        let rows = rows ?? 0..<image.height
        let channels = image.channels, width = image.width, plane = image.planeSize
        precondition(rows.lowerBound >= 0 && rows.upperBound <= image.height, "rows \(rows) outside 0..<\(image.height)")
        precondition(raw.count >= rows.count * width * channels * type.bytes, "buffer of \(raw.count) bytes is too small")
        let start = timing ? monotonicSeconds() : 0
        defer { if timing { elapsed += monotonicSeconds() - start } }
        image.withUnsafeBufferPointer { input in
            let input = input.baseAddress!
            parallelFor(rows.count, threads: rows.count * width * channels >= 1 << 14 ? ImageIO.conversionThreads : 1) { r in
                let y = rows.lowerBound + r
                for c in 0..<channels {
                    let row = input + c * plane + y * width
                    let first = r * width * channels + c
                    switch type {
                    case .uint8:
                        encodeRow(row, raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + first, channels, width)
                    case .uint16:
                        encodeRow(row, raw.baseAddress!.assumingMemoryBound(to: UInt16.self) + first, channels, width)
                    case .float32:
                        let out = raw.baseAddress!.assumingMemoryBound(to: Float.self) + first
                        for x in 0..<width { out[x * channels] = row[x] }
                    case .float16, .float64:
                        preconditionFailure("\(type) samples are read, never written")
                    }
                }
            }
        }
    }

    // `nearestLevel`'s rounding, which the noise stage's quantization shares.
    @inline(__always)
    private static func encodeRow(_ row: UnsafePointer<Float>, _ out: UnsafeMutablePointer<UInt8>, _ stride: Int, _ width: Int) {
        for x in 0..<width {
            out[x * stride] = UInt8(truncatingIfNeeded: nearestLevel(row[x], levels: 255))
        }
    }

    @inline(__always)
    private static func encodeRow(_ row: UnsafePointer<Float>, _ out: UnsafeMutablePointer<UInt16>, _ stride: Int, _ width: Int) {
        for x in 0..<width {
            out[x * stride] = UInt16(truncatingIfNeeded: nearestLevel(row[x], levels: 65535))
        }
    }
}
