import DeblurCore

/// The sample types a file can hold, as they sit in a decoded buffer (native byte order).
enum SampleType: Sendable {
    case uint8, uint16, float32

    var bytes: Int {
        switch self {
        case .uint8: return 1
        case .uint16: return 2
        case .float32: return 4
        }
    }

    var depth: SampleDepth {
        switch self {
        case .uint8: return .uint8
        case .uint16: return .uint16
        case .float32: return .float32
        }
    }

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
/// Rows are split over the cores with `parallelFor`; the codecs themselves are single-threaded,
/// so this is the only parallel work while reading or writing.
enum SampleConversion {
    /// Decodes `channels` leading samples of each pixel of `raw` (layout `layout`, type
    /// `type`) into a new planar image; further samples (alpha, extra samples) are skipped.
    /// `invert` maps v to 1 − v (TIFF `PHOTOMETRIC_MINISWHITE`, integer samples only).
    static func toImage(_ raw: UnsafeRawBufferPointer, type: SampleType, layout: SampleLayout,
                        channels: Int, height: Int, width: Int, invert: Bool = false) -> Image {
        var image = Image(channels: channels, height: height, width: width)
        let plane = height * width
        image.withUnsafeMutableBufferPointer { out in
            let out = out.baseAddress!
            parallelFor(height, threads: height * width >= 1 << 16 ? ProcessorInfo.cores : 1) { y in
                for c in 0..<channels {
                    let (start, stride): (Int, Int)
                    switch layout {
                    case .interleaved(let spp): (start, stride) = ((y * width) * spp + c, spp)
                    case .planar: (start, stride) = (c * plane + y * width, 1)
                    }
                    let row = out + c * plane + y * width
                    switch type {
                    case .uint8:
                        convertRow(raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + start, stride, row, width, invert: invert)
                    case .uint16:
                        convertRow(raw.baseAddress!.assumingMemoryBound(to: UInt16.self) + start, stride, row, width, invert: invert)
                    case .float32:
                        let source = raw.baseAddress!.assumingMemoryBound(to: Float.self) + start
                        for x in 0..<width { row[x] = source[x * stride] }
                    }
                }
            }
        }
        return image
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

    @inline(__always)
    private static func convertRow(_ source: UnsafePointer<UInt16>, _ stride: Int, _ row: UnsafeMutablePointer<Float>,
                                   _ width: Int, invert: Bool) {
        if invert {
            for x in 0..<width { row[x] = Float(65535 - source[x * stride]) / 65535 }
        } else if stride == 1 {
            for x in 0..<width { row[x] = Float(source[x]) / 65535 }
        } else {
            for x in 0..<width { row[x] = Float(source[x * stride]) / 65535 }
        }
    }

    /// Encodes `image` as interleaved samples of `type` into `raw` (which holds
    /// `image.count · type.bytes` bytes). Integer types clamp to [0, 1] and round half up.
    /// Returns the number of samples that were clamped (outside [0, 1] or NaN).
    @discardableResult
    static func fromImage(_ image: Image, type: SampleType, into raw: UnsafeMutableRawBufferPointer) -> Int {
        precondition(raw.count >= image.count * type.bytes, "buffer of \(raw.count) bytes is too small")
        let channels = image.channels, width = image.width, height = image.height, plane = image.planeSize
        var clampedPerRow = [Int](repeating: 0, count: height)
        image.withUnsafeBufferPointer { input in
            let input = input.baseAddress!
            clampedPerRow.withUnsafeMutableBufferPointer { clamped in
                let clamped = clamped.baseAddress!
                parallelFor(height, threads: image.count >= 1 << 16 ? ProcessorInfo.cores : 1) { y in
                    var outside = 0
                    for c in 0..<channels {
                        let row = input + c * plane + y * width
                        let start = y * width * channels + c
                        switch type {
                        case .uint8:
                            outside += encodeRow(row, raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + start,
                                                 channels, width)
                        case .uint16:
                            outside += encodeRow(row, raw.baseAddress!.assumingMemoryBound(to: UInt16.self) + start,
                                                 channels, width)
                        case .float32:
                            let out = raw.baseAddress!.assumingMemoryBound(to: Float.self) + start
                            for x in 0..<width { out[x * channels] = row[x] }
                        }
                    }
                    clamped[y] = outside
                }
            }
        }
        return clampedPerRow.reduce(0, +)
    }

    // Written so that NaN fails `v > 0` and lands on 0; the clamped value is in
    // [0, maximum + ½), so the unchecked float → integer conversion below cannot overflow.
    @inline(__always)
    private static func encodeRow(_ row: UnsafePointer<Float>, _ out: UnsafeMutablePointer<UInt8>, _ stride: Int, _ width: Int) -> Int {
        var outside = 0
        for x in 0..<width {
            let v = row[x]
            let clamped: Float = v > 0 ? (v < 1 ? v : 1) : 0
            outside &+= clamped == v ? 0 : 1
            out[x * stride] = UInt8(truncatingIfNeeded: Int32(clamped * 255 + 0.5))
        }
        return outside
    }

    @inline(__always)
    private static func encodeRow(_ row: UnsafePointer<Float>, _ out: UnsafeMutablePointer<UInt16>, _ stride: Int, _ width: Int) -> Int {
        var outside = 0
        for x in 0..<width {
            let v = row[x]
            let clamped: Float = v > 0 ? (v < 1 ? v : 1) : 0
            outside &+= clamped == v ? 0 : 1
            out[x * stride] = UInt16(truncatingIfNeeded: Int32(clamped * 65535 + 0.5))
        }
        return outside
    }
}
