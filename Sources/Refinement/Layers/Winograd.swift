import DeblurCore

/// Winograd's minimal filtering F(2×2, 3×3) for 3 × 3, stride 1, padding 1 convolutions
/// (Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural Networks").
///
/// Each 2 × 2 block of outputs ("tile") is `Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A` for its 4 × 4
/// input patch `d` and a 3 × 3 kernel `g`. Summed over input channels, the 16 element-wise
/// products become 16 independent matrix products `M[ξ] = U[ξ] · V[ξ]` (`U[ξ]` is
/// `outChannels × inChannels`, `V[ξ]` is `inChannels × tiles`): 16 multiply–adds per tile
/// and channel pair instead of 36, a 2.25 × cut in the arithmetic that im2col + `sgemm`
/// does, and no 9 × column copy of the input. The backward pass gets the same cut:
/// `∂L/∂x` is this convolution with the kernel rotated by 180° and its channel axes
/// swapped, and `∂L/∂g = Gᵀ [Σ_tiles (A ∂Y Aᵀ) ⊙ (Bᵀ d B)] G`.
///
/// Rounding differs from the direct sum by a few units in the last place (the transforms
/// add at most four terms with coefficients ±1, ±½), far below the 10⁻⁵ the tests hold the
/// convolution to.
///
/// Tiles are numbered row-major over `⌈H/2⌉ × ⌈W/2⌉`; outputs of a last, half-outside tile
/// are dropped and inputs outside the image are zero (the padding). Work is done on ranges
/// of tiles so the transformed chunk stays in cache between the transform and `sgemm`.
enum Winograd {
    /// The 16 transform positions ξ = 4·i + j of a 4 × 4 tile.
    static let positions = 16

    /// True for the geometry this algorithm computes: 3 × 3, stride 1, padding 1.
    @inlinable static func applies(to g: ConvGeometry) -> Bool { g.kernel == 3 && g.stride == 1 && g.padding == 1 }

    /// Tiles per chunk: the chunk's transformed input and product (`16 · (in + out)` floats
    /// per tile) stay within `chunkBudget` floats, about half of one core's L2 cache.
    static func chunkTiles(inChannels: Int, outChannels: Int, tiles: Int) -> Int {
        max(1, min(tiles, chunkBudget / (positions * (inChannels + outChannels))))
    }

    static let chunkBudget = 1 << 17

    /// `U[ξ][o][c] = (G w[o][c] Gᵀ)[ξ]` for weights `w` laid out `outChannels × inChannels × 3 × 3`.
    ///
    /// With `transposed`, the kernels of the input gradient instead: channel axes swapped
    /// and each kernel rotated by 180°, `U[ξ][c][o] = (G rot180(w[o][c]) Gᵀ)[ξ]`.
    static func transformWeights(_ w: UnsafePointer<Float>, outChannels: Int, inChannels: Int, transposed: Bool,
                                 into u: UnsafeMutablePointer<Float>) {
        let pairs = outChannels * inChannels
        for o in 0..<outChannels {
            for c in 0..<inChannels {
                let g = w + (o * inChannels + c) * 9
                var k = (g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8])
                if transposed { k = (k.8, k.7, k.6, k.5, k.4, k.3, k.2, k.1, k.0) }
                // t = G g (4 × 3), row by row.
                let t0 = (k.0, k.1, k.2)
                let t1 = (0.5 * (k.0 + k.3 + k.6), 0.5 * (k.1 + k.4 + k.7), 0.5 * (k.2 + k.5 + k.8))
                let t2 = (0.5 * (k.0 - k.3 + k.6), 0.5 * (k.1 - k.4 + k.7), 0.5 * (k.2 - k.5 + k.8))
                let t3 = (k.6, k.7, k.8)
                let index = transposed ? c * outChannels + o : o * inChannels + c
                // Then · Gᵀ along each row of t.
                @inline(__always) func store(_ i: Int, _ r: (Float, Float, Float)) {
                    let base = u + (4 * i) * pairs + index
                    base[0] = r.0
                    base[pairs] = 0.5 * (r.0 + r.1 + r.2)
                    base[2 * pairs] = 0.5 * (r.0 - r.1 + r.2)
                    base[3 * pairs] = r.2
                }
                store(0, t0); store(1, t1); store(2, t2); store(3, t3)
            }
        }
    }

    /// `∂L/∂w[o][c] += Gᵀ ∂U[·][o][c] G` (3 × 3 from 4 × 4), the adjoint of `transformWeights`.
    static func accumulateWeightGradient(_ du: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
                                         into dw: UnsafeMutablePointer<Float>) {
        let pairs = outChannels * inChannels
        for index in 0..<pairs {
            let p = du + index
            // r = Gᵀ q (3 × 4), row by row, where q's row i is positions 4i ..< 4i + 4.
            @inline(__always) func row(_ i: Int) -> (Float, Float, Float, Float) {
                (p[(4 * i) * pairs], p[(4 * i + 1) * pairs], p[(4 * i + 2) * pairs], p[(4 * i + 3) * pairs])
            }
            let q0 = row(0), q1 = row(1), q2 = row(2), q3 = row(3)
            let r0 = (q0.0 + 0.5 * (q1.0 + q2.0), q0.1 + 0.5 * (q1.1 + q2.1), q0.2 + 0.5 * (q1.2 + q2.2), q0.3 + 0.5 * (q1.3 + q2.3))
            let r1 = (0.5 * (q1.0 - q2.0), 0.5 * (q1.1 - q2.1), 0.5 * (q1.2 - q2.2), 0.5 * (q1.3 - q2.3))
            let r2 = (0.5 * (q1.0 + q2.0) + q3.0, 0.5 * (q1.1 + q2.1) + q3.1, 0.5 * (q1.2 + q2.2) + q3.2, 0.5 * (q1.3 + q2.3) + q3.3)
            let g = dw + index * 9
            // Then · G along each row of r.
            @inline(__always) func add(_ i: Int, _ r: (Float, Float, Float, Float)) {
                g[3 * i] += r.0 + 0.5 * (r.1 + r.2)
                g[3 * i + 1] += 0.5 * (r.1 - r.2)
                g[3 * i + 2] += 0.5 * (r.1 + r.2) + r.3
            }
            add(0, r0); add(1, r1); add(2, r2)
        }
    }

    /// `V[ξ][c][t − first] = (Bᵀ d B)[ξ]` for tiles `first ..< first + count` of one image's
    /// channels (`source` planes `height × width`), rows `channels.lowerBound ..< upperBound`
    /// of a `totalChannels`-row block per ξ (blocks `blockStride` apart, rows `count` long).
    ///
    /// `rows` is scratch of at least `rowScratch(width:)` floats.
    @inline(never) static func transformInput(_ source: ChannelPlanes, channels: Range<Int>, totalChannels: Int, height: Int, width: Int,
                               first: Int, count: Int, into v: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>) {
        let tilesPerRow = (width + 1) / 2
        let xi = blockStride(totalChannels, count)
        // A tile's four input columns 2tx − 1 ... 2tx + 2 are even[tx], odd[tx], even[tx + 1],
        // odd[tx + 1] with even[m] = column 2m − 1 and odd[m] = column 2m: split that way, the
        // loops below read and write consecutive floats and vectorize.
        let span = tilesPerRow + 1
        let combined = rows  // the four rows of Bᵀ d, each as even then odd entries
        let zeros = rows + 8 * span
        zeros.update(repeating: 0, count: width)
        for c in channels {
            let plane = source.plane(c)
            var t = first
            while t < first + count {
                let ty = t / tilesPerRow, tx0 = t - ty * tilesPerRow
                let tx1 = min(tilesPerRow, tx0 + first + count - t)
                let n = tx1 - tx0 + 1  // split entries tx0 ... tx1
                // The tile row's input rows 2ty − 1 ... 2ty + 2; rows outside the image read zeros.
                @inline(__always) func inputRow(_ k: Int) -> UnsafePointer<Float> {
                    let iy = 2 * ty - 1 + k
                    return iy >= 0 && iy < height ? plane + iy * width : UnsafePointer(zeros)
                }
                let d0 = inputRow(0), d1 = inputRow(1), d2 = inputRow(2), d3 = inputRow(3)
                let e0 = combined, o0 = e0 + span, e1 = o0 + span, o1 = e1 + span
                let e2 = o1 + span, o2 = e2 + span, e3 = o2 + span, o3 = e3 + span
                // Bᵀ d down the columns: (d0 − d2, d1 + d2, d2 − d1, d1 − d3), for column x.
                @inline(__always) func column(_ x: Int, into r0: UnsafeMutablePointer<Float>, _ r1: UnsafeMutablePointer<Float>,
                                              _ r2: UnsafeMutablePointer<Float>, _ r3: UnsafeMutablePointer<Float>, at k: Int) {
                    if x < 0 || x >= width { r0[k] = 0; r1[k] = 0; r2[k] = 0; r3[k] = 0; return }
                    let a = d0[x], b = d1[x], c = d2[x], d = d3[x]
                    r0[k] = a - c; r1[k] = b + c; r2[k] = c - b; r3[k] = b - d
                }
                // Entries whose both columns 2m − 1 and 2m are inside, without bounds checks.
                let lo = max(tx0, 1), hi = min(tx1 + 1, tilesPerRow)
                // (Swift does not vectorize these loops itself: it cannot prove the rows do not alias.)
                var m = lo
                while m + 4 <= hi {
                    // Columns 2m − 1 ... 2m + 6: even entries m ..< m + 4, then odd ones.
                    let k = m - tx0, x = 2 * m - 1
                    let r0 = load8(d0 + x), r1 = load8(d1 + x), r2 = load8(d2 + x), r3 = load8(d3 + x)
                    let a = r0.evenHalf, b = r1.evenHalf, c = r2.evenHalf, d = r3.evenHalf
                    store(a - c, e0 + k); store(b + c, e1 + k); store(c - b, e2 + k); store(b - d, e3 + k)
                    let p = r0.oddHalf, q = r1.oddHalf, r = r2.oddHalf, u = r3.oddHalf
                    store(p - r, o0 + k); store(q + r, o1 + k); store(r - q, o2 + k); store(q - u, o3 + k)
                    m += 4
                }
                while m < hi {
                    let x = 2 * m, k = m - tx0
                    let a = d0[x - 1], b = d1[x - 1], c = d2[x - 1], d = d3[x - 1]
                    e0[k] = a - c; e1[k] = b + c; e2[k] = c - b; e3[k] = b - d
                    let p = d0[x], q = d1[x], r = d2[x], u = d3[x]
                    o0[k] = p - r; o1[k] = q + r; o2[k] = r - q; o3[k] = q - u
                    m += 1
                }
                // The one or two entries at the image's left and right edges.
                @inline(__always) func edge(_ m: Int) {
                    guard m < lo || m >= hi else { return }
                    column(2 * m - 1, into: e0, e1, e2, e3, at: m - tx0)
                    column(2 * m, into: o0, o1, o2, o3, at: m - tx0)
                }
                edge(tx0); edge(tx1)
                // Then · B along each tile's columns (e, o, e′, o′): (e − e′, o + e′, e′ − o, o − o′).
                let out = v + c * count + (t - first)
                for i in 0..<4 {
                    let e = combined + 2 * i * span, o = e + span
                    let w0 = out + (4 * i) * xi, w1 = w0 + xi, w2 = w1 + xi, w3 = w2 + xi
                    var k = 0
                    while k + 4 < n {
                        let ek = load4(e + k), ek1 = load4(e + k + 1), ok = load4(o + k), ok1 = load4(o + k + 1)
                        store(ek - ek1, w0 + k); store(ok + ek1, w1 + k); store(ek1 - ok, w2 + k); store(ok - ok1, w3 + k)
                        k += 4
                    }
                    while k < n - 1 {
                        w0[k] = e[k] - e[k + 1]; w1[k] = o[k] + e[k + 1]; w2[k] = e[k + 1] - o[k]; w3[k] = o[k] - o[k + 1]
                        k += 1
                    }
                }
                t += tx1 - tx0
            }
        }
    }

    /// Distance in floats between the blocks of two positions ξ holding `rows × count`
    /// values: one cache line more than the block, so the 16 streams a transform reads or
    /// writes at once do not fall into the same cache set (at the U-Net's power-of-two
    /// sizes they did, and the output transform ran 3 × slower).
    @inline(__always) static func blockStride(_ rows: Int, _ count: Int) -> Int { rows * count + 16 }

    /// Floats of row scratch `transformInput` and `transformOutputGradient` need.
    static func rowScratch(width: Int) -> Int { 16 * ((width + 1) / 2 + 1) + width }

    /// `y[o] ← f(Aᵀ M[·][o][t] A + bias[o])` for tiles `first ..< first + count`: writes the
    /// 2 × 2 outputs of each tile into one image's `channels × height × width` planes.
    /// `rows` is scratch of at least `rowScratch(width:)` floats.
    @inline(never) static func transformOutput(_ m: UnsafePointer<Float>, channels: Int, height: Int, width: Int, first: Int, count: Int,
                                bias: UnsafePointer<Float>?, slope: Float?, into y: UnsafeMutablePointer<Float>,
                                rows: UnsafeMutablePointer<Float>) {
        let tilesPerRow = (width + 1) / 2
        let xi = blockStride(channels, count)
        // The four outputs of consecutive tiles go to four contiguous scratch rows first (a loop
        // that vectorizes), then are interleaved into the image.
        let y00 = rows, y01 = rows + tilesPerRow, y10 = y01 + tilesPerRow, y11 = y10 + tilesPerRow
        let a = slope ?? 1
        for o in 0..<channels {
            let b = bias?[o] ?? 0
            let plane = y + o * height * width
            var t = first
            while t < first + count {
                let ty = t / tilesPerRow, tx0 = t - ty * tilesPerRow
                let tx1 = min(tilesPerRow, tx0 + first + count - t)
                let n = tx1 - tx0
                let p = m + o * count + (t - first)
                let p0 = p, p1 = p + xi, p2 = p + 2 * xi, p3 = p + 3 * xi, p4 = p + 4 * xi, p5 = p + 5 * xi
                let p6 = p + 6 * xi, p7 = p + 7 * xi, p8 = p + 8 * xi, p9 = p + 9 * xi, p10 = p + 10 * xi
                let p11 = p + 11 * xi, p12 = p + 12 * xi, p13 = p + 13 * xi, p14 = p + 14 * xi, p15 = p + 15 * xi
                var k = 0
                while k + 4 <= n {
                    // Aᵀ down the rows (s0 = m0 + m1 + m2, s1 = m1 − m2 − m3), then along them.
                    let s00 = load4(p0 + k) + load4(p4 + k) + load4(p8 + k), s01 = load4(p1 + k) + load4(p5 + k) + load4(p9 + k)
                    let s02 = load4(p2 + k) + load4(p6 + k) + load4(p10 + k), s03 = load4(p3 + k) + load4(p7 + k) + load4(p11 + k)
                    let s10 = load4(p4 + k) - load4(p8 + k) - load4(p12 + k), s11 = load4(p5 + k) - load4(p9 + k) - load4(p13 + k)
                    let s12 = load4(p6 + k) - load4(p10 + k) - load4(p14 + k), s13 = load4(p7 + k) - load4(p11 + k) - load4(p15 + k)
                    store(leaky(s00 + s01 + s02 + b, a), y00 + k); store(leaky(s01 - s02 - s03 + b, a), y01 + k)
                    store(leaky(s10 + s11 + s12 + b, a), y10 + k); store(leaky(s11 - s12 - s13 + b, a), y11 + k)
                    k += 4
                }
                while k < n {
                    let s00 = p0[k] + p4[k] + p8[k], s01 = p1[k] + p5[k] + p9[k]
                    let s02 = p2[k] + p6[k] + p10[k], s03 = p3[k] + p7[k] + p11[k]
                    let s10 = p4[k] - p8[k] - p12[k], s11 = p5[k] - p9[k] - p13[k]
                    let s12 = p6[k] - p10[k] - p14[k], s13 = p7[k] - p11[k] - p15[k]
                    let v00 = s00 + s01 + s02 + b, v01 = s01 - s02 - s03 + b
                    let v10 = s10 + s11 + s12 + b, v11 = s11 - s12 - s13 + b
                    // With no activation a = 1 and both branches are the identity.
                    y00[k] = v00 > 0 ? v00 : a * v00; y01[k] = v01 > 0 ? v01 : a * v01
                    y10[k] = v10 > 0 ? v10 : a * v10; y11[k] = v11 > 0 ? v11 : a * v11
                    k += 1
                }
                let row0 = plane + 2 * ty * width + 2 * tx0, row1 = row0 + width
                let hasRow1 = 2 * ty + 1 < height
                // Tiles with both columns inside, then the half-outside last tile of an odd width.
                let full = min(tx1, width / 2) - tx0
                interleave(y00, y01, count: full, into: row0)
                if hasRow1 { interleave(y10, y11, count: full, into: row1) }
                if full < n {
                    row0[2 * full] = y00[full]
                    if hasRow1 { row1[2 * full] = y10[full] }
                }
                t += n
            }
        }
    }

    /// `Z[ξ][o][t − first] = (A ∂Y Aᵀ)[ξ]` for the 2 × 2 output-gradient tiles `first ..< first + count`
    /// of one image's `channels × height × width` planes (outputs outside the image are 0).
    /// `rows` is scratch of at least `rowScratch(width:)` floats.
    @inline(never) static func transformOutputGradient(_ dy: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                                        first: Int, count: Int, into z: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>) {
        let tilesPerRow = (width + 1) / 2
        let xi = blockStride(channels, count)
        // Each tile [[a, b], [c, e]] from four contiguous scratch rows, so the loop vectorizes.
        let ra = rows, rb = ra + tilesPerRow, rc = rb + tilesPerRow, re = rc + tilesPerRow
        for o in 0..<channels {
            let plane = dy + o * height * width
            var t = first
            while t < first + count {
                let ty = t / tilesPerRow, tx0 = t - ty * tilesPerRow
                let tx1 = min(tilesPerRow, tx0 + first + count - t)
                let n = tx1 - tx0
                let row0 = plane + 2 * ty * width + 2 * tx0, row1 = row0 + width
                let hasRow1 = 2 * ty + 1 < height
                let full = min(tx1, width / 2) - tx0
                deinterleave(row0, count: full, into: ra, rb)
                if hasRow1 {
                    deinterleave(row1, count: full, into: rc, re)
                } else {
                    rc.update(repeating: 0, count: n); re.update(repeating: 0, count: n)
                }
                if full < n {
                    ra[full] = row0[2 * full]; rb[full] = 0
                    rc[full] = hasRow1 ? row1[2 * full] : 0; re[full] = 0
                }
                // A ∂Y: rows (a, b), (a + c, b + e), (a − c, b − e), (−c, −e); then each row
                // (u, w) · Aᵀ = (u, u + w, u − w, −w).
                let q = z + o * count + (t - first)
                let q0 = q, q1 = q + xi, q2 = q + 2 * xi, q3 = q + 3 * xi, q4 = q + 4 * xi, q5 = q + 5 * xi
                let q6 = q + 6 * xi, q7 = q + 7 * xi, q8 = q + 8 * xi, q9 = q + 9 * xi, q10 = q + 10 * xi
                let q11 = q + 11 * xi, q12 = q + 12 * xi, q13 = q + 13 * xi, q14 = q + 14 * xi, q15 = q + 15 * xi
                var k = 0
                while k + 4 <= n {
                    let a = load4(ra + k), b = load4(rb + k), c = load4(rc + k), e = load4(re + k)
                    let u1 = a + c, w1 = b + e, u2 = a - c, w2 = b - e
                    store(a, q0 + k); store(a + b, q1 + k); store(a - b, q2 + k); store(-b, q3 + k)
                    store(u1, q4 + k); store(u1 + w1, q5 + k); store(u1 - w1, q6 + k); store(-w1, q7 + k)
                    store(u2, q8 + k); store(u2 + w2, q9 + k); store(u2 - w2, q10 + k); store(-w2, q11 + k)
                    store(-c, q12 + k); store(-c - e, q13 + k); store(e - c, q14 + k); store(e, q15 + k)
                    k += 4
                }
                while k < n {
                    let a = ra[k], b = rb[k], c = rc[k], e = re[k]
                    let u1 = a + c, w1 = b + e, u2 = a - c, w2 = b - e
                    q0[k] = a; q1[k] = a + b; q2[k] = a - b; q3[k] = -b
                    q4[k] = u1; q5[k] = u1 + w1; q6[k] = u1 - w1; q7[k] = -w1
                    q8[k] = u2; q9[k] = u2 + w2; q10[k] = u2 - w2; q11[k] = -w2
                    q12[k] = -c; q13[k] = -c - e; q14[k] = e - c; q15[k] = e
                    k += 1
                }
                t += n
            }
        }
    }
}

// Four-lane vector helpers for the transforms (SSE on any x86-64; unaligned access is fine).

@inline(__always) private func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
}

@inline(__always) private func load4(_ p: UnsafeMutablePointer<Float>) -> SIMD4<Float> { load4(UnsafePointer(p)) }

@inline(__always) private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always) private func store(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
}

/// `v > 0 ? v : slope · v` per lane (the identity for slope 1).
@inline(__always) private func leaky(_ v: SIMD4<Float>, _ slope: Float) -> SIMD4<Float> {
    v.replacing(with: slope * v, where: .!(v .> 0))
}

/// `out[2k] = a[k]`, `out[2k + 1] = b[k]` for `k < count`.
@inline(__always) private func interleave(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, count: Int,
                                          into out: UnsafeMutablePointer<Float>) {
    var k = 0
    while k + 4 <= count {
        let x = load4(a + k), y = load4(b + k)
        let pairs = SIMD8<Float>(x[0], y[0], x[1], y[1], x[2], y[2], x[3], y[3])
        UnsafeMutableRawPointer(out + 2 * k).storeBytes(of: pairs, as: SIMD8<Float>.self)
        k += 4
    }
    while k < count { out[2 * k] = a[k]; out[2 * k + 1] = b[k]; k += 1 }
}

/// `even[k] = x[2k]`, `odd[k] = x[2k + 1]` for `k < count`.
@inline(__always) private func deinterleave(_ x: UnsafePointer<Float>, count: Int, into even: UnsafeMutablePointer<Float>,
                                            _ odd: UnsafeMutablePointer<Float>) {
    var k = 0
    while k + 4 <= count {
        let v = load8(x + 2 * k)
        store(v.evenHalf, even + k); store(v.oddHalf, odd + k)
        k += 4
    }
    while k < count { even[k] = x[2 * k]; odd[k] = x[2 * k + 1]; k += 1 }
}

/// The channel planes of one image, read from one tensor or two concatenated ones.
struct ChannelPlanes {
    let first: UnsafePointer<Float>
    let firstChannels: Int
    let second: UnsafePointer<Float>?
    let planeSize: Int

    @inline(__always) func plane(_ c: Int) -> UnsafePointer<Float> {
        c < firstChannels ? first + c * planeSize : second! + (c - firstChannels) * planeSize
    }
}

extension Winograd {
    /// Floats of work memory `convolve` needs: the transformed weights, then per worker a
    /// transformed input chunk, its product and row scratch.
    static func convolveWork(inChannels: Int, outChannels: Int, height: Int, width: Int, workers: Int) -> Int {
        let tiles = ((height + 1) / 2) * ((width + 1) / 2)
        let chunk = chunkTiles(inChannels: inChannels, outChannels: outChannels, tiles: tiles)
        return positions * outChannels * inChannels + workers * workerFloats(inChannels, outChannels, chunk, width)
    }

    static func workerFloats(_ inChannels: Int, _ outChannels: Int, _ chunk: Int, _ width: Int) -> Int {
        positions * (blockStride(inChannels, chunk) + blockStride(outChannels, chunk)) + rowScratch(width: width)
    }

    /// `y[n] = f(conv₃ₓ₃(x[n]) + bias)` for every image, with `U` from `transformWeights`
    /// already at the start of `work` (`16 · outChannels · inChannels` floats).
    ///
    /// Chunks of tiles are spread over `workers` threads, each running single-threaded
    /// `sgemm`s; a chunk's result does not depend on which worker runs it, so the output is
    /// the same bit for bit for any worker count.
    static func convolve(_ planes: (Int) -> ChannelPlanes, inChannels: Int, outChannels: Int, batch: Int,
                         height: Int, width: Int, bias: UnsafePointer<Float>?, slope: Float?,
                         into y: UnsafeMutablePointer<Float>, work: UnsafeMutablePointer<Float>, workers: Int) {
        let tiles = ((height + 1) / 2) * ((width + 1) / 2)
        let chunk = chunkTiles(inChannels: inChannels, outChannels: outChannels, tiles: tiles)
        let chunksPerImage = (tiles + chunk - 1) / chunk, tasks = batch * chunksPerImage
        let workers = max(1, min(workers, tasks))
        let u = work, perWorker = workerFloats(inChannels, outChannels, chunk, width)
        let slab = work + positions * outChannels * inChannels
        let outputSize = outChannels * height * width
        BLAS.serially {
            parallelFor(workers, threads: workers) { worker in
                let v = slab + worker * perWorker
                let m = v + positions * blockStride(inChannels, chunk), rows = m + positions * blockStride(outChannels, chunk)
                var task = worker
                while task < tasks {
                    let n = task / chunksPerImage, first = (task - n * chunksPerImage) * chunk
                    let count = min(chunk, tiles - first)
                    transformInput(planes(n), channels: 0..<inChannels, totalChannels: inChannels, height: height, width: width,
                                   first: first, count: count, into: v, rows: rows)
                    for xi in 0..<positions {
                        sgemm(transposeA: false, transposeB: false, m: outChannels, n: count, k: inChannels,
                              u + xi * outChannels * inChannels, lda: inChannels, v + xi * blockStride(inChannels, count), ldb: count,
                              beta: 0, m + xi * blockStride(outChannels, count), ldc: count)
                    }
                    transformOutput(m, channels: outChannels, height: height, width: width, first: first, count: count,
                                    bias: bias, slope: slope, into: y + n * outputSize, rows: rows)
                    task += workers
                }
            }
        }
    }

    /// Floats of work memory `accumulateWeightGradient(planes:…)` needs.
    static func weightGradientWork(inChannels: Int, outChannels: Int, height: Int, width: Int, workers: Int) -> Int {
        let tiles = ((height + 1) / 2) * ((width + 1) / 2)
        let chunk = chunkTiles(inChannels: inChannels, outChannels: outChannels, tiles: tiles)
        return workers * (positions * outChannels * inChannels + workerFloats(inChannels, outChannels, chunk, width))
    }

    /// `∂L/∂w += Σₙ Σ_tiles Gᵀ [(A ∂Y Aᵀ) ⊙ (Bᵀ d B)] G` over every image: per worker, 16
    /// products `∂U[ξ] += Z[ξ] · V[ξ]ᵀ` (output-gradient tiles against input tiles), summed
    /// over the workers in a fixed order, so the result depends only on the worker count.
    static func accumulateWeightGradient(_ planes: (Int) -> ChannelPlanes, inChannels: Int, outChannels: Int, batch: Int,
                                         height: Int, width: Int, outputGradient dy: UnsafePointer<Float>,
                                         into dw: UnsafeMutablePointer<Float>, work: UnsafeMutablePointer<Float>, workers: Int) {
        let tiles = ((height + 1) / 2) * ((width + 1) / 2)
        let chunk = chunkTiles(inChannels: inChannels, outChannels: outChannels, tiles: tiles)
        let chunksPerImage = (tiles + chunk - 1) / chunk, tasks = batch * chunksPerImage
        let workers = max(1, min(workers, tasks))
        let weights = positions * outChannels * inChannels
        let perWorker = weights + workerFloats(inChannels, outChannels, chunk, width)
        let outputSize = outChannels * height * width
        BLAS.serially {
            parallelFor(workers, threads: workers) { worker in
                let du = work + worker * perWorker
                let v = du + weights, z = v + positions * blockStride(inChannels, chunk), rows = z + positions * blockStride(outChannels, chunk)
                du.update(repeating: 0, count: weights)
                var task = worker
                while task < tasks {
                    let n = task / chunksPerImage, first = (task - n * chunksPerImage) * chunk
                    let count = min(chunk, tiles - first)
                    transformInput(planes(n), channels: 0..<inChannels, totalChannels: inChannels, height: height, width: width,
                                   first: first, count: count, into: v, rows: rows)
                    transformOutputGradient(dy + n * outputSize, channels: outChannels, height: height, width: width,
                                            first: first, count: count, into: z, rows: rows)
                    for xi in 0..<positions {
                        sgemm(transposeA: false, transposeB: true, m: outChannels, n: inChannels, k: count,
                              z + xi * blockStride(outChannels, count), lda: count, v + xi * blockStride(inChannels, count), ldb: count,
                              beta: 1, du + xi * outChannels * inChannels, ldc: inChannels)
                    }
                    task += workers
                }
            }
        }
        for worker in 1..<workers {
            let from = work + worker * perWorker
            for i in 0..<weights { work[i] += from[i] }
        }
        accumulateWeightGradient(work, outChannels: outChannels, inChannels: inChannels, into: dw)
    }
}

extension Conv2D {
    /// True when this layer runs on Winograd F(2×2, 3×3): a 3 × 3, stride 1, padding 1
    /// convolution with enough input channels for the 16 small products to run near
    /// `sgemm`'s rate (the U-Net's first layer, 3 input planes, stays on im2col).
    var usesWinograd: Bool { Winograd.applies(to: geometry) && inChannels >= Winograd.minimumChannels }

    func winogradForward(_ source: ConvSource, batch: Int, height: Int, width: Int, _ y: UnsafeMutablePointer<Float>,
                         parameters: UnsafePointer<Float>, scratch: Scratch, activation: LeakyReLU?, workers: Int) {
        let work = scratch.floats(Winograd.convolveWork(inChannels: inChannels, outChannels: outChannels,
                                                        height: height, width: width, workers: workers))
        Winograd.transformWeights(parameters + offset, outChannels: outChannels, inChannels: inChannels, transposed: false, into: work)
        Winograd.convolve({ source.planes(image: $0, size: height * width) }, inChannels: inChannels, outChannels: outChannels,
                          batch: batch, height: height, width: width, bias: parameters + biasOffset, slope: activation?.slope,
                          into: y, work: work, workers: workers)
    }

    /// ∂L/∂w and ∂L/∂x (when `dx` is given) by Winograd; ∂L/∂b is the caller's.
    func winogradBackward(_ source: ConvSource, batch: Int, height: Int, width: Int, outputGradient dy: UnsafePointer<Float>,
                          inputGradient dx: UnsafeMutablePointer<Float>?, parameters: UnsafePointer<Float>,
                          gradients: UnsafeMutablePointer<Float>, scratch: Scratch, workers: Int) {
        let weightWork = Winograd.weightGradientWork(inChannels: inChannels, outChannels: outChannels,
                                                     height: height, width: width, workers: workers)
        let dataWork = Winograd.convolveWork(inChannels: outChannels, outChannels: inChannels, height: height, width: width,
                                             workers: workers)
        let work = scratch.floats(max(weightWork, dataWork))
        Winograd.accumulateWeightGradient({ source.planes(image: $0, size: height * width) }, inChannels: inChannels,
                                          outChannels: outChannels, batch: batch, height: height, width: width,
                                          outputGradient: dy, into: gradients + offset, work: work, workers: workers)
        guard let dx else { return }
        // ∂L/∂x is the convolution of ∂L/∂y with the rotated, channel-transposed kernels.
        Winograd.transformWeights(parameters + offset, outChannels: outChannels, inChannels: inChannels, transposed: true, into: work)
        let plane = height * width, outChannels = outChannels
        Winograd.convolve({ ChannelPlanes(first: dy + $0 * outChannels * plane, firstChannels: outChannels, second: nil, planeSize: plane) },
                          inChannels: outChannels, outChannels: inChannels, batch: batch, height: height, width: width,
                          bias: nil, slope: nil, into: dx, work: work, workers: workers)
    }
}

extension Winograd {
    /// Fewest input channels for which Winograd beats im2col + `sgemm` here: below it the
    /// 16 products have too short an inner dimension (`deblur bench --cases train,infer`).
    static let minimumChannels = 8
}

extension ConvSource {
    /// Image `n`'s channel planes (`size` samples each).
    func planes(image n: Int, size: Int) -> ChannelPlanes {
        ChannelPlanes(first: first + n * channels * size, firstChannels: channels,
                      second: second.map { $0 + n * secondChannels * size }, planeSize: size)
    }
}
