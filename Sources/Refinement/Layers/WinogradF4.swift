import DeblurCore

/// Winograd F(4×4, 3×3): 4 × 4 output tiles from 6 × 6 input patches, 36 positions: 2.25
/// multiply–adds per output and channel pair where the direct sum needs 9 (F(2×2, 3×3): 4).
///
/// Interpolation points 0, ±1, ±2 and ∞ (Lavin & Gray 2016):
/// ```
/// Bᵀ = [4  0 −5  0 1 0]    G = [ 1/4     0    0 ]    Aᵀ = [1 1  1 1  1 0]
///      [0 −4 −4  1 1 0]        [−1/6 −1/6 −1/6]         [0 1 −1 2 −2 0]
///      [0  4 −4 −1 1 0]        [−1/6  1/6 −1/6]         [0 1  1 4  4 0]
///      [0 −2 −1  2 1 0]        [1/24 1/12  1/6]         [0 1 −1 8 −8 1]
///      [0  2 −1 −2 1 0]        [1/24 −1/12 1/6]
///      [0  4  0 −5 0 1]        [   0    0    1]
/// ```
/// The larger coefficients cost accuracy: on unit-range inputs the error of a 128-channel
/// sum is a few 10⁻⁶ against 10⁻⁷ for F(2×2, 3×3) (tests hold both to the definition).
enum WinogradF4 {
    static let tile = 4
    static let positions = 36

    /// Calls `body(ty, tx0, tx1, offset)` for each run of the tiles `first ..< first + count`
    /// that lies in one tile row `ty` (columns `tx0 ..< tx1`); `offset` is the run's first
    /// tile's index in the chunk.
    @inline(__always) static func forEachRun(first: Int, count: Int, tilesPerRow: Int,
                                             _ body: (_ ty: Int, _ tx0: Int, _ tx1: Int, _ offset: Int) -> Void) {
        var t = first
        while t < first + count {
            let ty = t / tilesPerRow, tx0 = t - ty * tilesPerRow
            let tx1 = min(tilesPerRow, tx0 + first + count - t)
            body(ty, tx0, tx1, t - first)
            t += tx1 - tx0
        }
    }

    /// `G·(a, b, c)`: one kernel row or column to six positions.
    @inline(__always) static func kernelTransform(_ a: Float, _ b: Float, _ c: Float) -> (Float, Float, Float, Float, Float, Float) {
        let p = a + c, q = a / 24 + c / 6
        return (a / 4, -(p + b) / 6, -(p - b) / 6, q + b / 12, q - b / 12, c)
    }

    /// `Gᵀ·q`: six positions back to one kernel row or column (the adjoint of `kernelTransform`).
    @inline(__always) static func kernelAdjoint(_ q: (Float, Float, Float, Float, Float, Float)) -> (Float, Float, Float) {
        let s12 = q.1 + q.2, s34 = q.3 + q.4
        return (q.0 / 4 - s12 / 6 + s34 / 24, (q.2 - q.1) / 6 + (q.3 - q.4) / 12, (s34 - s12) / 6 + q.5)
    }

    /// `U[ξ][o][c] = (G w[o][c] Gᵀ)[ξ]` for weights laid out `outChannels × inChannels × 3 × 3`;
    /// with `transposed`, the input gradient's kernels `U[ξ][c][o]` of the 180°-rotated `w[o][c]`.
    static func transformWeights(_ w: UnsafePointer<Float>, outChannels: Int, inChannels: Int, transposed: Bool,
                                 into u: UnsafeMutablePointer<Float>) {
        let pairs = outChannels * inChannels
        for o in 0..<outChannels {
            for c in 0..<inChannels {
                let g = w + (o * inChannels + c) * 9
                var k = (g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8])
                if transposed { k = (k.8, k.7, k.6, k.5, k.4, k.3, k.2, k.1, k.0) }
                // G g: each kernel column to six rows; then each of those rows · Gᵀ.
                let c0 = kernelTransform(k.0, k.3, k.6), c1 = kernelTransform(k.1, k.4, k.7), c2 = kernelTransform(k.2, k.5, k.8)
                let index = transposed ? c * outChannels + o : o * inChannels + c
                @inline(__always) func put(_ i: Int, _ a: Float, _ b: Float, _ e: Float) {
                    let r = kernelTransform(a, b, e), base = u + (6 * i) * pairs + index
                    base[0] = r.0; base[pairs] = r.1; base[2 * pairs] = r.2
                    base[3 * pairs] = r.3; base[4 * pairs] = r.4; base[5 * pairs] = r.5
                }
                put(0, c0.0, c1.0, c2.0); put(1, c0.1, c1.1, c2.1); put(2, c0.2, c1.2, c2.2)
                put(3, c0.3, c1.3, c2.3); put(4, c0.4, c1.4, c2.4); put(5, c0.5, c1.5, c2.5)
            }
        }
    }

    /// `∂L/∂w[o][c] += Gᵀ ∂U[·][o][c] G` (3 × 3 from 6 × 6), the adjoint of `transformWeights`.
    static func accumulateWeightGradient(_ du: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
                                         into dw: UnsafeMutablePointer<Float>) {
        let pairs = outChannels * inChannels
        for index in 0..<pairs {
            let p = du + index
            // Gᵀ down each of the six columns, then each of the three rows · G.
            @inline(__always) func column(_ j: Int) -> (Float, Float, Float) {
                kernelAdjoint((p[j * pairs], p[(6 + j) * pairs], p[(12 + j) * pairs], p[(18 + j) * pairs],
                               p[(24 + j) * pairs], p[(30 + j) * pairs]))
            }
            let q0 = column(0), q1 = column(1), q2 = column(2), q3 = column(3), q4 = column(4), q5 = column(5)
            let r0 = kernelAdjoint((q0.0, q1.0, q2.0, q3.0, q4.0, q5.0))
            let r1 = kernelAdjoint((q0.1, q1.1, q2.1, q3.1, q4.1, q5.1))
            let r2 = kernelAdjoint((q0.2, q1.2, q2.2, q3.2, q4.2, q5.2))
            let g = dw + index * 9
            g[0] += r0.0; g[1] += r0.1; g[2] += r0.2
            g[3] += r1.0; g[4] += r1.1; g[5] += r1.2
            g[6] += r2.0; g[7] += r2.1; g[8] += r2.2
        }
    }

    /// `Bᵀ·d` on six lanes of samples.
    @inline(__always) static func inputTransform(_ d0: SIMD4<Float>, _ d1: SIMD4<Float>, _ d2: SIMD4<Float>, _ d3: SIMD4<Float>,
                                                 _ d4: SIMD4<Float>, _ d5: SIMD4<Float>)
        -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
        let a = d4 - 4 * d2, b = d3 - 4 * d1, c = d4 - d2, e = 2 * (d3 - d1)
        return (4 * d0 - 5 * d2 + d4, a + b, a - b, c + e, c - e, 4 * d1 - 5 * d3 + d5)
    }

    static func rowLength(width: Int) -> Int { 4 * ((width + 3) / 4) + 20 }

    /// Floats of row scratch the transforms need for images `width` wide.
    static func rowScratch(width: Int) -> Int { max(6 * rowLength(width: width) + width, 16 * ((width + 3) / 4 + 4)) }

    /// `V[ξ][c][t − first] = (Bᵀ d B)[ξ]` for tiles `first ..< first + count` of the image's
    /// `channels` planes (blocks `Winograd.blockStride(channels, count)` apart).
    static func transformInput(_ source: ChannelPlanes, channels: Int, height: Int, width: Int,
                               first: Int, count: Int, into v: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>) {
        let tilesPerRow = (width + 3) / 4
        let xi = Winograd.blockStride(channels, count)
        // Six rows of Bᵀ d down the columns, index j holding column j − 1 (so a tile's six
        // columns start at 4·tx), then zeros standing for rows outside the image.
        let length = rowLength(width: width)
        let zeros = rows + 6 * length
        zeros.update(repeating: 0, count: width)
        for c in 0..<channels {
            let plane = source.plane(c)
            forEachRun(first: first, count: count, tilesPerRow: tilesPerRow) { ty, tx0, tx1, offset in
                let n = tx1 - tx0
                @inline(__always) func inputRow(_ k: Int) -> UnsafePointer<Float> {
                    let iy = 4 * ty - 1 + k
                    return iy >= 0 && iy < height ? plane + iy * width : UnsafePointer(zeros)
                }
                let d0 = inputRow(0), d1 = inputRow(1), d2 = inputRow(2), d3 = inputRow(3), d4 = inputRow(4), d5 = inputRow(5)
                // Columns 4·tx0 − 1 ..< 4·tx1 + 1 are needed; those outside the image are zero.
                let jLo = 4 * tx0, jHi = 4 * tx1 + 2
                let xLo = max(0, jLo - 1), xHi = min(width, jHi - 1)
                for j in jLo..<(xLo + 1) { for i in 0..<6 { rows[i * length + j] = 0 } }
                for j in (xHi + 1)..<max(xHi + 1, jHi) { for i in 0..<6 { rows[i * length + j] = 0 } }
                var x = xLo
                while x < xHi {
                    // Four columns at a time; the last group is moved back to end at xHi
                    // (recomputing a few columns) unless the segment is narrower than four.
                    if x + 4 > xHi { if xHi - xLo >= 4 { x = xHi - 4 } else { break } }
                    let r = inputTransform(load4(d0 + x), load4(d1 + x), load4(d2 + x), load4(d3 + x), load4(d4 + x), load4(d5 + x))
                    let out = rows + x + 1
                    storeLanes(r.0, out); storeLanes(r.1, out + length); storeLanes(r.2, out + 2 * length)
                    storeLanes(r.3, out + 3 * length); storeLanes(r.4, out + 4 * length); storeLanes(r.5, out + 5 * length)
                    x += 4
                }
                while x < xHi {
                    let a = d0[x], b = d1[x], e = d2[x], f = d3[x], g = d4[x], h = d5[x]
                    let p = g - 4 * e, q = f - 4 * b, s = g - e, u = 2 * (f - b)
                    let out = rows + x + 1
                    out[0] = 4 * a - 5 * e + g; out[length] = p + q; out[2 * length] = p - q
                    out[3 * length] = s + u; out[4 * length] = s - u; out[5 * length] = 4 * b - 5 * f + h
                    x += 1
                }
                // Then · B along each tile's six columns, four tiles at a time. Lanes past the
                // segment write into the following tiles' or channel's entries, which are
                // written again later, or into the block padding (`blockStride`).
                let out = v + c * count + offset
                for i in 0..<6 {
                    let row = rows + i * length + jLo
                    let w = out + (6 * i) * xi
                    var k = 0
                    while k < n {
                        // Columns 4·(tx0 + k) + 0 ... 15 split into their four phases mod 4.
                        let a = load16(row + 4 * k), b = load16(row + 4 * k + 4)
                        let r = inputTransform(a.evenHalf.evenHalf, a.oddHalf.evenHalf, a.evenHalf.oddHalf, a.oddHalf.oddHalf,
                                               b.evenHalf.evenHalf, b.oddHalf.evenHalf)
                        storeLanes(r.0, w + k); storeLanes(r.1, w + xi + k); storeLanes(r.2, w + 2 * xi + k)
                        storeLanes(r.3, w + 3 * xi + k); storeLanes(r.4, w + 4 * xi + k); storeLanes(r.5, w + 5 * xi + k)
                        k += 4
                    }
                }
            }
        }
    }

    /// `Aᵀ·m` on four lanes of six positions.
    @inline(__always) static func outputTransform(_ m0: SIMD4<Float>, _ m1: SIMD4<Float>, _ m2: SIMD4<Float>, _ m3: SIMD4<Float>,
                                                  _ m4: SIMD4<Float>, _ m5: SIMD4<Float>)
        -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
        let a = m1 + m2, b = m1 - m2, c = m3 + m4, e = m3 - m4
        return (m0 + a + c, b + 2 * e, a + 4 * c, b + 8 * e + m5)
    }

    /// `y[o] ← f(Aᵀ M[·][o][t] A + bias[o])` for tiles `first ..< first + count`, `f` the leaky
    /// rectifier of `slope` (none when nil); outputs outside the image are dropped.
    static func transformOutput(_ m: UnsafePointer<Float>, channels: Int, height: Int, width: Int, first: Int, count: Int,
                                bias: UnsafePointer<Float>?, slope: Float?, into y: UnsafeMutablePointer<Float>,
                                rows: UnsafeMutablePointer<Float>) {
        let tilesPerRow = (width + 3) / 4
        let xi = Winograd.blockStride(channels, count)
        // Output (a, b) of consecutive tiles goes to scratch row 4a + b, then rows are
        // interleaved into the image. Lanes past the segment read the next tiles' entries or
        // the block padding and are never written out.
        let stride = tilesPerRow + 4
        let slope = slope ?? 1
        for o in 0..<channels {
            let bias = bias?[o] ?? 0
            let plane = y + o * height * width
            forEachRun(first: first, count: count, tilesPerRow: tilesPerRow) { ty, tx0, tx1, offset in
                let n = tx1 - tx0
                let p = m + o * count + offset
                var k = 0
                while k < n {
                    // Aᵀ down each of the six columns, then along each of the four rows.
                    @inline(__always) func column(_ j: Int) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
                        let q = p + j * xi + k
                        return outputTransform(load4(q), load4(q + 6 * xi), load4(q + 12 * xi), load4(q + 18 * xi),
                                               load4(q + 24 * xi), load4(q + 30 * xi))
                    }
                    let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3), c4 = column(4), c5 = column(5)
                    @inline(__always) func put(_ a: Int, _ r: (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>)) {
                        let base = rows + 4 * a * stride + k
                        storeLanes(leakyLanes(r.0 + bias, slope), base); storeLanes(leakyLanes(r.1 + bias, slope), base + stride)
                        storeLanes(leakyLanes(r.2 + bias, slope), base + 2 * stride); storeLanes(leakyLanes(r.3 + bias, slope), base + 3 * stride)
                    }
                    put(0, outputTransform(c0.0, c1.0, c2.0, c3.0, c4.0, c5.0))
                    put(1, outputTransform(c0.1, c1.1, c2.1, c3.1, c4.1, c5.1))
                    put(2, outputTransform(c0.2, c1.2, c2.2, c3.2, c4.2, c5.2))
                    put(3, outputTransform(c0.3, c1.3, c2.3, c3.3, c4.3, c5.3))
                    k += 4
                }
                // Tiles with all four columns inside, then the part-outside last tile.
                let full = min(tx1, width / 4) - tx0
                for a in 0..<min(4, height - 4 * ty) {
                    let out = plane + (4 * ty + a) * width + 4 * tx0, from = rows + 4 * a * stride
                    var k = 0
                    while k + 4 <= full {
                        let r0 = load4(from + k), r1 = load4(from + stride + k), r2 = load4(from + 2 * stride + k)
                        let r3 = load4(from + 3 * stride + k)
                        // A 4 × 4 transpose: tile k + q's four outputs are lane q of r0 ... r3.
                        storeLanes(SIMD4(r0[0], r1[0], r2[0], r3[0]), out + 4 * k)
                        storeLanes(SIMD4(r0[1], r1[1], r2[1], r3[1]), out + 4 * k + 4)
                        storeLanes(SIMD4(r0[2], r1[2], r2[2], r3[2]), out + 4 * k + 8)
                        storeLanes(SIMD4(r0[3], r1[3], r2[3], r3[3]), out + 4 * k + 12)
                        k += 4
                    }
                    while k < n {
                        for b in 0..<min(4, width - 4 * (tx0 + k)) { out[4 * k + b] = from[b * stride + k] }
                        k += 1
                    }
                }
            }
        }
    }

    /// `A·y` on four lanes of four outputs: (y0, y0 + y1 + y2 + y3, y0 − y1 + y2 − y3,
    /// y0 + 2y1 + 4y2 + 8y3, y0 − 2y1 + 4y2 − 8y3, y3).
    @inline(__always) static func gradientTransform(_ y0: SIMD4<Float>, _ y1: SIMD4<Float>, _ y2: SIMD4<Float>, _ y3: SIMD4<Float>)
        -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
        let p = y0 + y2, q = y1 + y3, r = y0 + 4 * y2, s = 2 * y1 + 8 * y3
        return (y0, p + q, p - q, r + s, r - s, y3)
    }

    /// `Z[ξ][o][t − first] = (A ∂Y Aᵀ)[ξ]` for tiles `first ..< first + count`, with 0 for
    /// outputs outside the image.
    static func transformOutputGradient(_ dy: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                                        first: Int, count: Int, into z: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>) {
        let tilesPerRow = (width + 3) / 4
        let xi = Winograd.blockStride(channels, count)
        // Gradient (a, b) of consecutive tiles first goes to scratch row 4a + b (0 outside the
        // image), so the transform reads four-lane vectors. Lanes past the segment write into
        // entries written again later or into the block padding.
        let stride = tilesPerRow + 4
        for o in 0..<channels {
            let plane = dy + o * height * width
            forEachRun(first: first, count: count, tilesPerRow: tilesPerRow) { ty, tx0, tx1, offset in
                let n = tx1 - tx0
                let full = min(tx1, width / 4) - tx0
                for a in 0..<4 {
                    let to = rows + 4 * a * stride
                    guard 4 * ty + a < height else {
                        for b in 0..<4 { (to + b * stride).update(repeating: 0, count: n) }
                        continue
                    }
                    let from = plane + (4 * ty + a) * width + 4 * tx0
                    var k = 0
                    while k + 4 <= full {
                        let v = load16(from + 4 * k)
                        storeLanes(v.evenHalf.evenHalf, to + k); storeLanes(v.oddHalf.evenHalf, to + stride + k)
                        storeLanes(v.evenHalf.oddHalf, to + 2 * stride + k); storeLanes(v.oddHalf.oddHalf, to + 3 * stride + k)
                        k += 4
                    }
                    while k < n {
                        for b in 0..<4 { to[b * stride + k] = 4 * (tx0 + k) + b < width ? from[4 * k + b] : 0 }
                        k += 1
                    }
                }
                let q = z + o * count + offset
                var k = 0
                while k < n {
                    // A down the four columns b, then A along each of the six rows.
                    @inline(__always) func column(_ b: Int) -> (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>) {
                        let s = rows + b * stride + k
                        return gradientTransform(load4(s), load4(s + 4 * stride), load4(s + 8 * stride), load4(s + 12 * stride))
                    }
                    let c0 = column(0), c1 = column(1), c2 = column(2), c3 = column(3)
                    @inline(__always) func put(_ i: Int, _ r: (SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>, SIMD4<Float>)) {
                        let base = q + (6 * i) * xi + k
                        storeLanes(r.0, base); storeLanes(r.1, base + xi); storeLanes(r.2, base + 2 * xi)
                        storeLanes(r.3, base + 3 * xi); storeLanes(r.4, base + 4 * xi); storeLanes(r.5, base + 5 * xi)
                    }
                    put(0, gradientTransform(c0.0, c1.0, c2.0, c3.0)); put(1, gradientTransform(c0.1, c1.1, c2.1, c3.1))
                    put(2, gradientTransform(c0.2, c1.2, c2.2, c3.2)); put(3, gradientTransform(c0.3, c1.3, c2.3, c3.3))
                    put(4, gradientTransform(c0.4, c1.4, c2.4, c3.4)); put(5, gradientTransform(c0.5, c1.5, c2.5, c3.5))
                    k += 4
                }
            }
        }
    }
}
