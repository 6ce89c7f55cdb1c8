import DeblurCore
import Foundation

/// BM3D's second stage (Dabov, Foi, Katkovnik, Egiazarian 2007, "Image denoising by sparse 3-D
/// transform-domain collaborative filtering"): a noisy image filtered with the help of a pilot
/// estimate of the same scene.
///
/// For reference blocks on a grid of `step` pixels, the blocks of the pilot most like the
/// reference one (up to `maxGroup`, a power of two, within `searchRadius` and below the match
/// threshold) are stacked into a group. The group's 3-D spectrum (the 8 × 8 DCT of each block,
/// then a Haar transform across the blocks) is computed for the pilot `P` and for the noisy
/// image; the noisy spectrum is multiplied by the empirical Wiener gain `P² / (P² + σ²)` and
/// transformed back, and every filtered block is added into the image with the weight
/// `1 / (σ² ‖gain‖²)` times a Kaiser window. Matching on the pilot rather than the noisy image
/// lets blocks find their like through the noise; filtering the noisy image rather than the
/// pilot recovers detail the pilot smoothed away wherever similar blocks repeat it.
///
/// The defaults are the reference implementation's for this stage (the `bm3d` package's "np"
/// profile). The result does not depend on `threads`: reference rows are cut in fixed bands,
/// each accumulated on its own and summed in band order.
public struct CollaborativeWiener: Sendable {
    /// Block side: the DCT is the 8-point one.
    public static let blockSize = 8
    /// Reference blocks every `step` pixels (the last row and column always included).
    public var step = 3
    /// Candidates within this many pixels of the reference, both ways (a 39 × 39 window).
    public var searchRadius = 19
    /// At most this many blocks per group; groups are cut to a power of two.
    public var maxGroup = 32
    /// A candidate joins when its mean squared difference from the reference block, on the
    /// pilot, is below this (the reference's 400 on the 0–255 scale).
    public var matchThreshold: Float = 400.0 / (255.0 * 255.0)
    /// The Kaiser window's β.
    public var kaiserBeta = 2.0
    public var threads = ProcessorInfo.cores

    public init() {}

    /// `noisy` filtered with `pilot` as the estimate of its clean image, for white noise of
    /// standard deviation `sigma` (the [0, 1] scale). Images narrower or lower than a block
    /// come back as the pilot.
    /// - Throws: `DeconvolutionError.invalidParameter` for images of different shapes, several
    ///   channels, or a σ that is not > 0; `DeconvolutionError.invalidInput` for NaN or infinite
    ///   samples in either image.
    public func filter(_ noisy: Image, pilot: Image, sigma: Double) throws -> Image {
        try filter([noisy], pilot: pilot, sigma: sigma)[0]
    }

    /// Each of `noisy` filtered with the one `pilot`, as `filter(_:pilot:sigma:)` would one at a
    /// time (the same bytes), but with the block matching, which depends on the pilot alone,
    /// and the pilot's spectra done once for all: plug-and-play's SURE check filters the step's
    /// input and its probed copy with one pilot. Throws as `filter(_:pilot:sigma:)`.
    public func filter(_ images: [Image], pilot: Image, sigma: Double) throws -> [Image] {
        for noisy in images { try check(noisy, pilot: pilot, sigma: sigma) }
        let b = Self.blockSize
        guard let noisy = images.first, noisy.height >= b, noisy.width >= b else { return images.map { _ in pilot } }
        // A radius past the image reaches no further block, and a group holds no more blocks than
        // the image has: clamped to those, the result is the same, and a radius of Int.max no
        // longer overflows the search bounds (a trap) nor a group of Int.max sizes the match tables.
        var settings = self
        settings.searchRadius = min(searchRadius, max(noisy.height, noisy.width))
        settings.maxGroup = min(maxGroup, (noisy.height - b + 1) * (noisy.width - b + 1))
        let plan = Plan(settings: settings, height: noisy.height, width: noisy.width)
        let bands = (plan.referenceRows.count + Plan.bandRows - 1) / Plan.bandRows
        var sums = [[Accumulator]?](repeating: nil, count: bands)
        let variance = Float(sigma * sigma)
        // Each image's samples, held through the parallel loop.
        func held(_ k: Int, _ pointers: [UnsafePointer<Float>], _ body: ([UnsafePointer<Float>]) -> Void) {
            guard k < images.count else { return body(pointers) }
            images[k].withUnsafeBufferPointer { held(k + 1, pointers + [$0.baseAddress!], body) }
        }
        held(0, []) { z in
            sums.withUnsafeMutableBufferPointer { out in
                pilot.withUnsafeBufferPointer { p in
                    let out = out
                    parallelFor(bands, threads: threads) { band in
                        out[band] = plan.filterBand(band, noisy: z, pilot: p.baseAddress!, variance: variance)
                    }
                }
            }
        }
        return images.indices.map { k in
            var numerator = [Float](repeating: 0, count: noisy.count), denominator = numerator
            for case let band? in sums {
                let sum = band[k]
                let offset = sum.firstRow * noisy.width
                for i in 0..<sum.numerator.count {
                    numerator[offset + i] += sum.numerator[i]
                    denominator[offset + i] += sum.denominator[i]
                }
            }
            var result = pilot
            result.withUnsafeMutableBufferPointer { r in
                for i in 0..<r.count where denominator[i] > 0 { r[i] = numerator[i] / denominator[i] }
            }
            return result
        }
    }

    /// The refusals of `filter`: shapes, σ, settings and non-finite samples.
    private func check(_ noisy: Image, pilot: Image, sigma: Double) throws {
        guard noisy.channels == 1, pilot.channels == 1, noisy.height == pilot.height, noisy.width == pilot.width else {
            throw DeconvolutionError.invalidParameter(name: "collaborative Wiener images",
                value: "\(noisy.channels)×\(noisy.height)×\(noisy.width) and \(pilot.channels)×\(pilot.height)×\(pilot.width)",
                expected: "one channel each, the same size")
        }
        guard sigma > 0, sigma.isFinite else {
            throw DeconvolutionError.invalidParameter(name: "sigma", value: "\(sigma)", expected: "a number > 0")
        }
        guard step >= 1, searchRadius >= 0, maxGroup >= 1, matchThreshold >= 0, kaiserBeta >= 0, kaiserBeta.isFinite else {
            throw DeconvolutionError.invalidParameter(name: "collaborative Wiener settings",
                value: "step \(step), radius \(searchRadius), group \(maxGroup), threshold \(matchThreshold), β \(kaiserBeta)",
                expected: "step ≥ 1, radius ≥ 0, group ≥ 1, threshold ≥ 0, β ≥ 0")
        }
        // A NaN reached the blocks' spectra and the weights, and came out as NaN patches (88
        // samples of a 32² image from one).
        for (what, image) in [("noisy image", noisy), ("pilot", pilot)] where !image.isFinite {
            let bad = image.nonFiniteCount
            throw DeconvolutionError.invalidInput("the collaborative Wiener \(what) has \(bad) NaN or infinite sample\(bad == 1 ? "" : "s"): expected finite values")
        }
    }

    /// One band's weighted sums over the rows its blocks touch.
    struct Accumulator {
        var firstRow: Int
        var numerator: [Float]
        var denominator: [Float]
    }

    /// The grid, transforms and window for one image size.
    struct Plan: Sendable {
        /// Reference rows per band: small enough for both cores to share the bands, large
        /// enough that the DCTs of the band's search area are not recomputed too often.
        static let bandRows = 16
        let settings: CollaborativeWiener
        let height: Int, width: Int
        let referenceRows: [Int], referenceColumns: [Int]
        /// The orthonormal 8-point DCT-II: `dctRows[u]` is its row `u`, `dctColumns[j]` its column `j`.
        let dctRows: [SIMD8<Float>], dctColumns: [SIMD8<Float>]
        /// The 2-D Kaiser window, a row of eight per block row.
        let kaiserRows: [SIMD8<Float>]
        let group: Int

        init(settings: CollaborativeWiener, height: Int, width: Int) {
            let b = CollaborativeWiener.blockSize
            self.settings = settings; self.height = height; self.width = width
            func grid(_ n: Int) -> [Int] {
                var g = Array(stride(from: 0, through: n - b, by: settings.step))
                if g.last != n - b { g.append(n - b) }
                return g
            }
            referenceRows = grid(height); referenceColumns = grid(width)
            let c = (0..<b * b).map { i in
                let u = i / b, j = i % b
                let scale = u == 0 ? (1.0 / Double(b)).squareRoot() : (2.0 / Double(b)).squareRoot()
                return Float(scale * cos(Double.pi * Double((2 * j + 1) * u) / Double(2 * b)))
            }
            dctRows = (0..<b).map { u in SIMD8<Float>((0..<b).map { c[u * b + $0] }) }
            dctColumns = (0..<b).map { j in SIMD8<Float>((0..<b).map { c[$0 * b + j] }) }
            let window = (0..<b).map { n in
                let t = 2 * Double(n) / Double(b - 1) - 1
                return besselI0(settings.kaiserBeta * (1 - t * t).squareRoot()) / besselI0(settings.kaiserBeta)
            }
            kaiserRows = (0..<b).map { i in SIMD8<Float>((0..<b).map { Float(window[i] * window[$0]) }) }
            var g = 1
            while g * 2 <= settings.maxGroup { g *= 2 }
            group = g
        }

        /// Block matching and filtering for the reference rows of `band`, one accumulator per
        /// noisy image.
        func filterBand(_ band: Int, noisy: [UnsafePointer<Float>], pilot: UnsafePointer<Float>, variance: Float) -> [Accumulator] {
            let b = CollaborativeWiener.blockSize
            let rows = referenceRows[(band * Self.bandRows)..<min(referenceRows.count, (band + 1) * Self.bandRows)]
            // Blocks whose top row lies in lo...hi can join this band's groups.
            let lo = max(0, rows.first! - settings.searchRadius), hi = min(height - b, rows.last! + settings.searchRadius)
            // The spectra of the block rows one reference row can reach (y ± radius), in rings
            // filled as the rows advance: a band's whole search area at once held 2.2× as many.
            let pilotSpectra = SpectrumRing(plan: self, image: pilot), noisySpectra = noisy.map { SpectrumRing(plan: self, image: $0) }
            defer { pilotSpectra.deallocate(); for ring in noisySpectra { ring.deallocate() } }
            let count = (hi - lo + b) * width
            func zeros() -> UnsafeMutableBufferPointer<Float> {
                let p = UnsafeMutableBufferPointer<Float>.allocate(capacity: count); p.initialize(repeating: 0); return p
            }
            let numerators = noisy.map { _ in zeros() }, denominators = noisy.map { _ in zeros() }
            defer { for p in numerators + denominators { p.deallocate() } }
            let scratch = Scratch(references: referenceColumns.count, maxGroup: settings.maxGroup, group: group, width: width)
            defer { scratch.deallocate() }
            for y in rows {
                let reach = min(height - b, y + settings.searchRadius)
                pilotSpectra.fill(through: reach, from: lo)
                for ring in noisySpectra { ring.fill(through: reach, from: lo) }
                findMatches(row: y, pilot: pilot, scratch: scratch)
                for r in referenceColumns.indices {
                    for k in noisy.indices {
                        filterGroup(r, firstRow: lo, pilotSpectra: pilotSpectra, noisySpectra: noisySpectra[k], variance: variance,
                                    scratch: scratch, numerator: numerators[k].baseAddress!, denominator: denominators[k].baseAddress!)
                    }
                }
            }
            return noisy.indices.map { k in Accumulator(firstRow: lo, numerator: Array(numerators[k]), denominator: Array(denominators[k])) }
        }

        /// Each reference block of row `y`: its best matches on the pilot, sorted by distance
        /// (`scratch.distances`, `matches` as block positions `row · positions + column`, `found`).
        func findMatches(row y: Int, pilot: UnsafePointer<Float>, scratch: Scratch) {
            let b = CollaborativeWiener.blockSize, radius = settings.searchRadius, capacity = settings.maxGroup
            let positions = width - b + 1, threshold = settings.matchThreshold * Float(b * b)
            let dist = scratch.distances, match = scratch.matches, found = scratch.found, col = scratch.columnSums
            // Each group starts with its reference block, which stays first: on a flat patch many
            // blocks tie at distance 0, and every block must filter itself.
            for (r, x) in referenceColumns.enumerated() {
                dist[r * capacity] = 0; match[r * capacity] = y * positions + x; found[r] = 1
            }
            // Distances for every displacement, one row of references at a time: the squared
            // differences summed down the block's 8 rows, then across its 8 columns.
            for dy in max(-radius, -y)...min(radius, height - b - y) {
                for dx in -radius...radius where dy != 0 || dx != 0 {
                    let x0 = max(0, -dx), x1 = min(width, width - dx)
                    if x1 - x0 < b { continue }
                    for x in x0..<x1 { col[x] = 0 }
                    for i in 0..<b {
                        let a = pilot + (y + i) * width, o = pilot + (y + dy + i) * width + dx
                        for x in x0..<x1 { let d = a[x] - o[x]; col[x] += d * d }
                    }
                    for (r, x) in referenceColumns.enumerated() where x + dx >= 0 && x + dx <= width - b {
                        let d = load8(col.baseAddress! + x).sum()
                        guard d < threshold else { continue }
                        let base = r * capacity
                        var n = found[r]
                        if n == capacity {
                            if d >= dist[base + n - 1] { continue }
                            n -= 1
                        }
                        // Insertion keeps the list sorted; equal distances keep search order.
                        var k = n
                        while k > 0 && dist[base + k - 1] > d {
                            dist[base + k] = dist[base + k - 1]; match[base + k] = match[base + k - 1]; k -= 1
                        }
                        dist[base + k] = d; match[base + k] = (y + dy) * positions + x + dx
                        found[r] = n + 1
                    }
                }
            }
        }

        /// Reference `r`'s group (its matches, cut to a power of two) Wiener-filtered in the 3-D
        /// transform domain and added, weighted and windowed, into the band's sums.
        func filterGroup(_ r: Int, firstRow lo: Int, pilotSpectra ps: SpectrumRing, noisySpectra zs: SpectrumRing,
                         variance: Float, scratch: Scratch, numerator num: UnsafeMutablePointer<Float>, denominator den: UnsafeMutablePointer<Float>) {
            let b = CollaborativeWiener.blockSize, bb = b * b, positions = width - b + 1
            let pg = scratch.pilotGroup.baseAddress!, zg = scratch.noisyGroup.baseAddress!, tmp = scratch.transform.baseAddress!
            var n = 1
            while n * 2 <= min(scratch.found[r], group) { n *= 2 }
            let base = r * settings.maxGroup
            for j in 0..<n {
                let at = scratch.matches[base + j]
                let p = ps.block(row: at / positions, column: at % positions), z = zs.block(row: at / positions, column: at % positions)
                for i in 0..<bb { pg[j * bb + i] = p[i]; zg[j * bb + i] = z[i] }
            }
            haar(pg, count: n, scratch: tmp)
            haar(zg, count: n, scratch: tmp)
            var energy: Float = 0
            for i in 0..<(n * bb) {
                let p2 = pg[i] * pg[i]
                let gain = p2 / (p2 + variance)
                zg[i] *= gain
                energy += gain * gain
            }
            inverseHaar(zg, count: n, scratch: tmp)
            let weight = 1 / (variance * max(energy, 1e-6))
            for j in 0..<n {
                // The inverse DCT, Cᵀ S C, a row of eight at a time: down the columns, then along the rows.
                let spectrum = zg + j * bb
                let at = scratch.matches[base + j], top = at / positions, left = at % positions
                for i in 0..<b {
                    var t = SIMD8<Float>()
                    for v in 0..<b { t += dctColumns[i][v] * load8(spectrum + v * b) }
                    var pixels = SIMD8<Float>()
                    for u in 0..<b { pixels += t[u] * dctRows[u] }
                    let w = weight * kaiserRows[i]
                    let row = num + (top - lo + i) * width + left, rowWeights = den + (top - lo + i) * width + left
                    store8(load8(row) + w * pixels, row)
                    store8(load8(rowWeights) + w, rowWeights)
                }
            }
        }

        /// One band's working memory, allocated once for all its rows.
        struct Scratch {
            /// Per reference of a row, its best matches so far (`maxGroup` slots each) and their count.
            let distances: UnsafeMutableBufferPointer<Float>, matches: UnsafeMutableBufferPointer<Int>, found: UnsafeMutableBufferPointer<Int>
            let columnSums: UnsafeMutableBufferPointer<Float>
            /// One group of the pilot's and the noisy image's spectra, and the Haar transform's scratch.
            let pilotGroup: UnsafeMutableBufferPointer<Float>, noisyGroup: UnsafeMutableBufferPointer<Float>, transform: UnsafeMutableBufferPointer<Float>

            init(references: Int, maxGroup: Int, group: Int, width: Int) {
                let bb = CollaborativeWiener.blockSize * CollaborativeWiener.blockSize
                func floats(_ n: Int) -> UnsafeMutableBufferPointer<Float> {
                    let p = UnsafeMutableBufferPointer<Float>.allocate(capacity: n); p.initialize(repeating: 0); return p
                }
                func ints(_ n: Int) -> UnsafeMutableBufferPointer<Int> {
                    let p = UnsafeMutableBufferPointer<Int>.allocate(capacity: n); p.initialize(repeating: 0); return p
                }
                distances = floats(references * maxGroup); matches = ints(references * maxGroup); found = ints(references)
                columnSums = floats(width)
                pilotGroup = floats(group * bb); noisyGroup = floats(group * bb); transform = floats(group * bb)
            }

            func deallocate() {
                for p in [distances, columnSums, pilotGroup, noisyGroup, transform] { p.deallocate() }
                matches.deallocate(); found.deallocate()
            }
        }

        /// The 8 × 8 DCTs of the blocks whose top rows lie in a window sliding down the image, 64
        /// values per block position (`(v, u)` within), kept in a ring of `2 · radius + 1` block
        /// rows (row `r` in slot `r mod capacity`); the rows' horizontal 8-point DCTs, each 8-pixel
        /// segment transformed once, in a ring of their own. The values are those of a whole-band
        /// computation, the same operations in the same order.
        final class SpectrumRing {
            let plan: Plan, image: UnsafePointer<Float>
            let capacity: Int, lineCapacity: Int, positions: Int
            let spectra: UnsafeMutableBufferPointer<Float>, lines: UnsafeMutableBufferPointer<SIMD8<Float>>
            /// The last block row and image line computed (−1: none yet).
            private var lastRow = -1, lastLine = -1

            init(plan: Plan, image: UnsafePointer<Float>) {
                let b = CollaborativeWiener.blockSize
                self.plan = plan; self.image = image
                positions = plan.width - b + 1
                capacity = min(2 * plan.settings.searchRadius + 1, plan.height - b + 1)
                lineCapacity = capacity + b
                spectra = .allocate(capacity: capacity * positions * b * b)
                lines = .allocate(capacity: lineCapacity * positions)
            }

            func deallocate() { spectra.deallocate(); lines.deallocate() }

            /// The block whose top-left pixel is (`row`, `column`); its row must be within the
            /// window last filled.
            @inline(__always) func block(row: Int, column: Int) -> UnsafePointer<Float> {
                UnsafePointer(spectra.baseAddress! + ((row % capacity) * positions + column) * 64)
            }

            /// Computes the block rows up to `last`, starting at `first` on the first call.
            func fill(through last: Int, from first: Int) {
                let b = CollaborativeWiener.blockSize, width = plan.width
                if lastRow < 0 { lastRow = first - 1; lastLine = first - 1 }
                guard last > lastRow else { return }
                while lastLine < last + b - 1 {
                    lastLine += 1
                    let line = image + lastLine * width, h = lines.baseAddress! + (lastLine % lineCapacity) * positions
                    for x in 0..<positions {
                        var out = SIMD8<Float>()
                        for j in 0..<b { out += line[x + j] * plan.dctColumns[j] }
                        h[x] = out
                    }
                }
                for y in (lastRow + 1)...last {
                    for x in 0..<positions {
                        let out = spectra.baseAddress! + ((y % capacity) * positions + x) * b * b
                        for v in 0..<b {
                            var sum = SIMD8<Float>()
                            for i in 0..<b { sum += plan.dctRows[v][i] * lines[((y + i) % lineCapacity) * positions + x] }
                            store8(sum, out + v * b)
                        }
                    }
                }
                lastRow = last
            }
        }
    }
}

@inline(__always) private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always) private func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> { load8(UnsafePointer(p)) }

@inline(__always) private func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// The orthonormal Haar transform along a group of `count` (a power of two) blocks of 64
/// values: averages to the front, details behind, level by level.
private func haar(_ group: UnsafeMutablePointer<Float>, count: Int, scratch: UnsafeMutablePointer<Float>) {
    let bb = CollaborativeWiener.blockSize * CollaborativeWiener.blockSize
    let r = Float(0.5).squareRoot()
    var n = count
    while n > 1 {
        let h = n / 2
        for k in 0..<h {
            let a = group + 2 * k * bb, b = group + (2 * k + 1) * bb
            let s = scratch + k * bb, d = scratch + (h + k) * bb
            for i in 0..<bb { s[i] = (a[i] + b[i]) * r; d[i] = (a[i] - b[i]) * r }
        }
        group.update(from: scratch, count: n * bb)
        n = h
    }
}

private func inverseHaar(_ group: UnsafeMutablePointer<Float>, count: Int, scratch: UnsafeMutablePointer<Float>) {
    let bb = CollaborativeWiener.blockSize * CollaborativeWiener.blockSize
    let r = Float(0.5).squareRoot()
    var n = 2
    while n <= count {
        let h = n / 2
        for k in 0..<h {
            let s = group + k * bb, d = group + (h + k) * bb
            let a = scratch + 2 * k * bb, b = scratch + (2 * k + 1) * bb
            for i in 0..<bb { a[i] = (s[i] + d[i]) * r; b[i] = (s[i] - d[i]) * r }
        }
        group.update(from: scratch, count: n * bb)
        n *= 2
    }
}

/// The modified Bessel function of the first kind, order 0 (its power series; the window's
/// arguments are small).
private func besselI0(_ x: Double) -> Double {
    var sum = 1.0, term = 1.0, k = 1.0
    while term > 1e-16 * sum {
        term *= (x / (2 * k)) * (x / (2 * k))
        sum += term
        k += 1
    }
    return sum
}
