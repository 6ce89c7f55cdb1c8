/// How samples outside an image are defined when it is padded or filtered.
///
/// | mode | `… | a b c d | …` extends as | MATLAB `padarray` | NumPy `pad` |
/// | --- | --- | --- | --- |
/// | `zero` | `0 0 | a b c d | 0 0` | `0` | `constant` |
/// | `reflect` | `b a | a b c d | d c` (edge repeated) | `'symmetric'` | `symmetric` |
/// | `mirror` | `c b | a b c d | c b` (edge not repeated) | — | `reflect` |
/// | `replicate` | `a a | a b c d | d d` | `'replicate'` | `edge` |
/// | `circular` | `c d | a b c d | a b` | `'circular'` | `wrap` |
public enum PaddingMode: String, Sendable, CaseIterable, Codable {
    case zero, reflect, mirror, replicate, circular

    /// The source index for coordinate `i` on an axis of length `n`, or nil for `zero` outside.
    /// Works for any distance outside the image (the pattern repeats).
    @inlinable
    public func sourceIndex(_ i: Int, count n: Int) -> Int? {
        if i >= 0 && i < n { return i }
        switch self {
        case .zero:
            return nil
        case .replicate:
            return i < 0 ? 0 : n - 1
        case .circular:
            let m = i % n
            return m < 0 ? m + n : m
        case .reflect:
            let period = 2 * n
            var m = i % period
            if m < 0 { m += period }
            return m < n ? m : period - 1 - m
        case .mirror:
            if n == 1 { return 0 }
            let period = 2 * n - 2
            var m = i % period
            if m < 0 { m += period }
            return m < n ? m : period - m
        }
    }
}

extension Image {
    /// The sub-image of `height × width` starting at `(top, left)`; must lie inside the image.
    public func cropped(top: Int, left: Int, height h: Int, width w: Int) -> Image {
        precondition(top >= 0 && left >= 0 && h >= 0 && w >= 0 && top + h <= height && left + w <= width,
                     "crop \(h)×\(w) at (\(top), \(left)) does not fit in \(height)×\(width)")
        var out = [Float](repeating: 0, count: channels * h * w)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for c in 0..<channels {
                    for y in 0..<h {
                        let s = (c * height + top + y) * width + left
                        let d = (c * h + y) * w
                        for x in 0..<w { dst[d + x] = src[s + x] }
                    }
                }
            }
        }
        return Image(channels: channels, height: h, width: w, pixels: out)
    }

    /// The centred crop of `height × width` (offset `(H − h) / 2`, `(W − w) / 2`).
    public func centerCropped(height h: Int, width w: Int) -> Image {
        cropped(top: (height - h) / 2, left: (width - w) / 2, height: h, width: w)
    }

    /// Removes `border` samples on every side (the benchmark convention `--crop N`).
    public func shaved(_ border: Int) -> Image {
        cropped(top: border, left: border, height: height - 2 * border, width: width - 2 * border)
    }

    /// Pads by the given amounts on each side, extending the samples as `mode` says.
    public func padded(top: Int, bottom: Int, left: Int, right: Int, mode: PaddingMode) -> Image {
        precondition(top >= 0 && bottom >= 0 && left >= 0 && right >= 0,
                     "padding must be non-negative, got top \(top) bottom \(bottom) left \(left) right \(right)")
        precondition(mode == .zero || (height > 0 && width > 0), "cannot extend an empty image with \(mode)")
        let h = height + top + bottom, w = width + left + right
        // Source column for every output column, computed once.
        let columns = (0..<w).map { mode.sourceIndex($0 - left, count: width) }
        var out = [Float](repeating: 0, count: channels * h * w)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for c in 0..<channels {
                    for y in 0..<h {
                        guard let sy = mode.sourceIndex(y - top, count: height) else { continue }
                        let s = (c * height + sy) * width
                        let d = (c * h + y) * w
                        for x in 0..<w {
                            if let sx = columns[x] { dst[d + x] = src[s + sx] }
                        }
                    }
                }
            }
        }
        return Image(channels: channels, height: h, width: w, pixels: out)
    }

    /// Pads by `amount` on every side.
    public func padded(_ amount: Int, mode: PaddingMode) -> Image {
        padded(top: amount, bottom: amount, left: amount, right: amount, mode: mode)
    }

    /// Mirrors left–right (`fliplr`).
    public func flippedHorizontally() -> Image {
        Image(channels: channels, height: height, width: width) { c, y, x in self[c, y, width - 1 - x] }
    }

    /// Mirrors top–bottom (`flipud`).
    public func flippedVertically() -> Image {
        Image(channels: channels, height: height, width: width) { c, y, x in self[c, height - 1 - y, x] }
    }

    /// Rotates by 180° (`rot90(x, 2)`): the adjoint of convolution by a PSF is correlation,
    /// which is convolution by the PSF rotated by 180°.
    public func rotated180() -> Image {
        Image(channels: channels, height: height, width: width, pixels: pixels.reversed().chunkedReversingPlanes(channels: channels))
    }

    /// Rotates by 90° counter-clockwise `times` times (NumPy's `rot90(x, k)`).
    public func rotated90(times: Int = 1) -> Image {
        let k = ((times % 4) + 4) % 4
        switch k {
        case 0: return self
        case 2: return rotated180()
        case 1: return Image(channels: channels, height: width, width: height) { c, y, x in self[c, x, width - 1 - y] }
        default: return Image(channels: channels, height: width, width: height) { c, y, x in self[c, height - 1 - x, y] }
        }
    }

    /// Transposes each channel (`x'` in MATLAB).
    public func transposed() -> Image {
        Image(channels: channels, height: width, width: height) { c, y, x in self[c, x, y] }
    }

    /// A copy with every sample clamped to [lo, hi] (NaN becomes lo).
    public func clamped(to range: ClosedRange<Float> = 0...1) -> Image {
        var out = self
        out.withUnsafeMutableBufferPointer { p in
            for i in p.indices {
                let v = p[i]
                p[i] = v >= range.lowerBound ? (v <= range.upperBound ? v : range.upperBound) : range.lowerBound
            }
        }
        return out
    }
}

extension Array where Element == Float {
    /// After reversing all samples of a planar image, the planes come out in reverse order;
    /// this puts them back in channel order.
    @usableFromInline
    func chunkedReversingPlanes(channels: Int) -> [Float] {
        if channels == 1 { return self }
        let n = count / channels
        var out = [Float]()
        out.reserveCapacity(count)
        for c in (0..<channels).reversed() { out.append(contentsOf: self[c * n ..< (c + 1) * n]) }
        return out
    }
}
