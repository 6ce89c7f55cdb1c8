import DeblurCore

/// The geometry of a square convolution window: kernel size, stride and zero padding (pixels).
///
/// A convolution of an `H × W` input gives `⌊(H + 2·padding − kernel) / stride⌋ + 1` rows
/// (PyTorch's `Conv2d`, ONNX `Conv` with `pads` all equal to `padding`).
public struct ConvGeometry: Sendable, Equatable, Codable {
    public var kernel: Int
    public var stride: Int
    public var padding: Int

    public init(kernel: Int, stride: Int = 1, padding: Int = 0) {
        precondition(kernel >= 1 && stride >= 1 && padding >= 0,
                     "ConvGeometry needs kernel ≥ 1, stride ≥ 1, padding ≥ 0, got \(kernel), \(stride), \(padding)")
        self.kernel = kernel; self.stride = stride; self.padding = padding
    }

    /// Output length of a convolution along an axis of `length` samples.
    @inlinable public func outputLength(_ length: Int) -> Int { (length + 2 * padding - kernel) / stride + 1 }

    /// True when im2col is the identity (1×1, stride 1, no padding): the input is used as is.
    @inlinable public var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }
}

/// Unfolds the patches of one `channels × height × width` image into columns:
/// row `(c·k + ky)·k + kx`, column `p − first` holds `input[c, oy·s − pad + ky, ox·s − pad + kx]`
/// (0 outside) for output pixels `p = oy·outWidth + ox` in `first ..< first + count`.
///
/// Working on a range of output pixels bounds the column buffer (`channels·k² × count`)
/// whatever the image size; `col2im` is its exact adjoint. Both are shared by `Conv2D` and
/// `ConvTranspose2D` (the transposed convolution is the input-gradient of a convolution).
@usableFromInline
func im2col(_ input: UnsafePointer<Float>, channels: Int, height: Int, width: Int, geometry g: ConvGeometry,
            first: Int, count: Int, into columns: UnsafeMutablePointer<Float>) {
    // Channels write disjoint rows: split them over the cores between two sgemm calls (never
    // during one, so OpenBLAS and this loop do not compete for the cores).
    forChannelBlocks(channels, work: channels * g.kernel * g.kernel * count) { range in
        im2col(input, channels: range, height: height, width: width, geometry: g, first: first, count: count, into: columns)
    }
}

@inline(__always)
func forChannelBlocks(_ channels: Int, work: Int, _ body: (Range<Int>) -> Void) {
    let workers = work >= 1 << 16 ? min(ProcessorInfo.cores, channels) : 1
    if workers <= 1 { body(0..<channels); return }
    parallelFor(workers, threads: workers) { w in body(channels * w / workers ..< channels * (w + 1) / workers) }
}

func im2col(_ input: UnsafePointer<Float>, channels: Range<Int>, height: Int, width: Int, geometry g: ConvGeometry,
            first: Int, count: Int, into columns: UnsafeMutablePointer<Float>) {
    let outWidth = g.outputLength(width)
    let k = g.kernel, s = g.stride, pad = g.padding
    for c in channels {
        let plane = input + c * height * width
        for ky in 0..<k {
            for kx in 0..<k {
                var dst = columns + ((c * k + ky) * k + kx) * count
                var p = first
                let end = first + count
                while p < end {
                    let oy = p / outWidth, ox0 = p - oy * outWidth
                    let run = min(outWidth - ox0, end - p)
                    let iy = oy * s - pad + ky
                    if iy < 0 || iy >= height {
                        dst.update(repeating: 0, count: run)
                    } else {
                        let row = plane + iy * width
                        if s == 1 {
                            // Columns ox with 0 ≤ ox − pad + kx < width are a contiguous copy.
                            let shift = kx - pad
                            let lo = max(ox0, -shift), hi = min(ox0 + run, width - shift)
                            if hi <= lo {
                                dst.update(repeating: 0, count: run)
                            } else {
                                if lo > ox0 { dst.update(repeating: 0, count: lo - ox0) }
                                (dst + (lo - ox0)).update(from: row + lo + shift, count: hi - lo)
                                if ox0 + run > hi { (dst + (hi - ox0)).update(repeating: 0, count: ox0 + run - hi) }
                            }
                        } else {
                            for j in 0..<run {
                                let ix = (ox0 + j) * s - pad + kx
                                dst[j] = ix >= 0 && ix < width ? row[ix] : 0
                            }
                        }
                    }
                    dst += run
                    p += run
                }
            }
        }
    }
}

/// The adjoint of `im2col`: adds every column entry back into the image sample it was copied
/// from (entries that came from the zero padding are dropped). `output` is accumulated into.
@usableFromInline
func col2im(_ columns: UnsafePointer<Float>, channels: Int, height: Int, width: Int, geometry g: ConvGeometry,
            first: Int, count: Int, addingInto output: UnsafeMutablePointer<Float>) {
    // Each channel accumulates into its own plane: channel blocks are independent.
    forChannelBlocks(channels, work: channels * g.kernel * g.kernel * count) { range in
        col2im(columns, channels: range, height: height, width: width, geometry: g, first: first, count: count, addingInto: output)
    }
}

func col2im(_ columns: UnsafePointer<Float>, channels: Range<Int>, height: Int, width: Int, geometry g: ConvGeometry,
            first: Int, count: Int, addingInto output: UnsafeMutablePointer<Float>) {
    let outWidth = g.outputLength(width)
    let k = g.kernel, s = g.stride, pad = g.padding
    for c in channels {
        let plane = output + c * height * width
        for ky in 0..<k {
            for kx in 0..<k {
                var src = columns + ((c * k + ky) * k + kx) * count
                var p = first
                let end = first + count
                while p < end {
                    let oy = p / outWidth, ox0 = p - oy * outWidth
                    let run = min(outWidth - ox0, end - p)
                    let iy = oy * s - pad + ky
                    if iy >= 0 && iy < height {
                        let row = plane + iy * width
                        if s == 1 {
                            let shift = kx - pad
                            let lo = max(ox0, -shift), hi = min(ox0 + run, width - shift)
                            if hi > lo {
                                let d = row + lo + shift, sp = src + (lo - ox0)
                                for j in 0..<(hi - lo) { d[j] += sp[j] }
                            }
                        } else {
                            for j in 0..<run {
                                let ix = (ox0 + j) * s - pad + kx
                                if ix >= 0 && ix < width { row[ix] += src[j] }
                            }
                        }
                    }
                    src += run
                    p += run
                }
            }
        }
    }
}

/// How many output pixels one im2col chunk covers: the column buffer stays under
/// `columnBudget` floats (1 MB) whatever the image size. A chunk small enough to stay in
/// cache between im2col writing it and OpenBLAS packing it measured up to 2× faster than
/// 16 MB chunks (`deblur bench --cases train,infer`).
@usableFromInline let columnBudget = 1 << 18

@inlinable
func chunkLength(rows: Int, pixels: Int) -> Int { max(1, min(pixels, columnBudget / max(1, rows))) }
