import DeblurCore

/// Winograd F(2×2, 3×3): 2 × 2 output tiles from 4 × 4 input patches, 16 positions.
///
/// `Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]`,
/// `G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]`, `Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]`
/// (Lavin & Gray 2016). Transform coefficients are 0, ±½ and ±1: the results differ from
/// the direct sum by a few units in the last place.
enum WinogradF2: WinogradTiling {
    static let tile = 2
    static let positions = 16

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
                @inline(__always) func put(_ i: Int, _ r: (Float, Float, Float)) {
                    let base = u + (4 * i) * pairs + index
                    base[0] = r.0
                    base[pairs] = 0.5 * (r.0 + r.1 + r.2)
                    base[2 * pairs] = 0.5 * (r.0 - r.1 + r.2)
                    base[3 * pairs] = r.2
                }
                put(0, t0); put(1, t1); put(2, t2); put(3, t3)
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
    static func transformInput(_ source: ChannelPlanes, channels: Range<Int>, totalChannels: Int, height: Int, width: Int,
                               first: Int, count: Int, into v: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>) {
        let tilesPerRow = (width + 1) / 2
        let xi = Winograd.blockStride(totalChannels, count)
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
                    storeLanes(a - c, e0 + k); storeLanes(b + c, e1 + k); storeLanes(c - b, e2 + k); storeLanes(b - d, e3 + k)
                    let p = r0.oddHalf, q = r1.oddHalf, r = r2.oddHalf, u = r3.oddHalf
                    storeLanes(p - r, o0 + k); storeLanes(q + r, o1 + k); storeLanes(r - q, o2 + k); storeLanes(q - u, o3 + k)
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
                        storeLanes(ek - ek1, w0 + k); storeLanes(ok + ek1, w1 + k); storeLanes(ek1 - ok, w2 + k); storeLanes(ok - ok1, w3 + k)
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

    /// Floats of row scratch `transformInput` and `transformOutputGradient` need.
    static func rowScratch(width: Int) -> Int { 16 * ((width + 1) / 2 + 1) + width }

    /// `y[o] ← f(Aᵀ M[·][o][t] A + bias[o])` for tiles `first ..< first + count`: writes the
    /// 2 × 2 outputs of each tile into one image's `channels × height × width` planes.
    /// `rows` is scratch of at least `rowScratch(width:)` floats.
    static func transformOutput(_ m: UnsafePointer<Float>, channels: Int, height: Int, width: Int, first: Int, count: Int,
                                bias: UnsafePointer<Float>?, slope: Float?, into y: UnsafeMutablePointer<Float>,
                                rows: UnsafeMutablePointer<Float>) {
        let tilesPerRow = (width + 1) / 2
        let xi = Winograd.blockStride(channels, count)
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
                    storeLanes(leakyLanes(s00 + s01 + s02 + b, a), y00 + k); storeLanes(leakyLanes(s01 - s02 - s03 + b, a), y01 + k)
                    storeLanes(leakyLanes(s10 + s11 + s12 + b, a), y10 + k); storeLanes(leakyLanes(s11 - s12 - s13 + b, a), y11 + k)
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
    static func transformOutputGradient(_ dy: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                                        first: Int, count: Int, into z: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>) {
        let tilesPerRow = (width + 1) / 2
        let xi = Winograd.blockStride(channels, count)
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
                    storeLanes(a, q0 + k); storeLanes(a + b, q1 + k); storeLanes(a - b, q2 + k); storeLanes(-b, q3 + k)
                    storeLanes(u1, q4 + k); storeLanes(u1 + w1, q5 + k); storeLanes(u1 - w1, q6 + k); storeLanes(-w1, q7 + k)
                    storeLanes(u2, q8 + k); storeLanes(u2 + w2, q9 + k); storeLanes(u2 - w2, q10 + k); storeLanes(-w2, q11 + k)
                    storeLanes(-c, q12 + k); storeLanes(-c - e, q13 + k); storeLanes(e - c, q14 + k); storeLanes(e, q15 + k)
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
    }}
