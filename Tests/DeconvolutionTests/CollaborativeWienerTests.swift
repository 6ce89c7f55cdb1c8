import Testing
import Foundation
import DeblurCore
@testable import Deconvolution

@Suite struct CollaborativeWienerTests {
    static func noisy(_ image: Image, sigma: Double, seed: UInt64) -> Image {
        var rng = SeededRandom(seed: seed)
        var out = image
        for i in out.pixels.indices { out.pixels[i] += Float(rng.gaussian(mean: 0, sigma: sigma)) }
        return out
    }

    /// A scene that repeats itself: slanted stripes over a slow ramp.
    static func stripes(height: Int, width: Int) -> Image {
        Image(height: height, width: width) { _, y, x in
            0.5 + 0.3 * Float(sin(Double(x + y / 2) * 0.9)) + Float(y) / Float(4 * height)
        }
    }

    /// The filter written out directly: every candidate's distance, a stable sort, the 3-D
    /// transform as matrices, and the weighted sum over all filtered blocks.
    static func naive(_ z: Image, pilot: Image, sigma: Double, settings s: CollaborativeWiener) -> (image: Image, groupSizes: Set<Int>) {
        let b = 8, h = z.height, w = z.width, variance = sigma * sigma
        func grid(_ n: Int) -> [Int] { var g = Array(stride(from: 0, through: n - b, by: s.step)); if g.last != n - b { g.append(n - b) }; return g }
        func block(_ image: Image, _ y: Int, _ x: Int) -> [Double] { (0..<(b * b)).map { Double(image[0, y + $0 / b, x + $0 % b]) } }
        let c = (0..<(b * b)).map { i -> Double in
            let u = i / b, j = i % b
            return (u == 0 ? (1.0 / 8).squareRoot() : (2.0 / 8).squareRoot()) * cos(Double.pi * Double((2 * j + 1) * u) / 16)
        }
        func dct2(_ v: [Double]) -> [Double] {
            (0..<(b * b)).map { o in
                let p = o / b, q = o % b
                return (0..<(b * b)).reduce(0.0) { $0 + c[p * b + $1 / b] * c[q * b + $1 % b] * v[$1] }
            }
        }
        func idct2(_v v: [Double]) -> [Double] {
            (0..<(b * b)).map { o in
                let i = o / b, j = o % b
                return (0..<(b * b)).reduce(0.0) { $0 + c[($1 / b) * b + i] * c[($1 % b) * b + j] * v[$1] }
            }
        }
        /// The orthonormal Haar matrix of size n (rows: the coarse average, then details coarse to fine).
        func haarMatrix(_ n: Int) -> [[Double]] {
            if n == 1 { return [[1]] }
            let half = haarMatrix(n / 2), r = 0.5.squareRoot()
            let averages = half.map { row in row.flatMap { [$0 * r, $0 * r] } }
            let details = (0..<(n / 2)).map { k in (0..<n).map { j in j == 2 * k ? r : (j == 2 * k + 1 ? -r : 0) } }
            return averages + details
        }
        var numerator = [Double](repeating: 0, count: h * w), denominator = numerator
        var sizes = Set<Int>()
        let window = (0..<b).map { n -> Double in
            let t = 2 * Double(n) / 7 - 1
            func i0(_ x: Double) -> Double { (0..<30).reduce(0.0) { s, k in s + pow(x / 2, Double(2 * k)) / pow(tgamma(Double(k + 1)), 2) } }
            return i0(s.kaiserBeta * (1 - t * t).squareRoot()) / i0(s.kaiserBeta)
        }
        for y in grid(h) {
            for x in grid(w) {
                let reference = block(pilot, y, x)
                // The reference first, then the others in search order; a stable sort keeps it first.
                var candidates: [(Double, Int, Int)] = [(0, y, x)]
                for dy in -s.searchRadius...s.searchRadius where y + dy >= 0 && y + dy <= h - b {
                    for dx in -s.searchRadius...s.searchRadius where x + dx >= 0 && x + dx <= w - b && (dy != 0 || dx != 0) {
                        let other = block(pilot, y + dy, x + dx)
                        let d = zip(reference, other).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                        if d < Double(s.matchThreshold) * 64 { candidates.append((d, y + dy, x + dx)) }
                    }
                }
                let sorted = candidates.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element)
                var n = 1
                while n * 2 <= min(sorted.count, s.maxGroup) { n *= 2 }
                let members = sorted.prefix(n)
                sizes.insert(n)
                let p2 = members.map { dct2(block(pilot, $0.1, $0.2)) }, z2 = members.map { dct2(block(z, $0.1, $0.2)) }
                let m = haarMatrix(n)
                var energy = 0.0
                var filtered = [[Double]](repeating: [Double](repeating: 0, count: 64), count: n)
                for i in 0..<64 {
                    let p3 = (0..<n).map { r in (0..<n).reduce(0.0) { $0 + m[r][$1] * p2[$1][i] } }
                    let z3 = (0..<n).map { r in (0..<n).reduce(0.0) { $0 + m[r][$1] * z2[$1][i] } }
                    let gains = p3.map { $0 * $0 / ($0 * $0 + variance) }
                    energy += gains.reduce(0) { $0 + $1 * $1 }
                    for j in 0..<n { filtered[j][i] = (0..<n).reduce(0.0) { $0 + m[$1][j] * gains[$1] * z3[$1] } }
                }
                let weight = 1 / (variance * energy)
                for (j, member) in members.enumerated() {
                    let pixels = idct2(_v: filtered[j])
                    for i in 0..<64 {
                        let at = (member.1 + i / b) * w + member.2 + i % b
                        numerator[at] += weight * window[i / b] * window[i % b] * pixels[i]
                        denominator[at] += weight * window[i / b] * window[i % b]
                    }
                }
            }
        }
        return (Image(height: h, width: w, pixels: (0..<(h * w)).map { Float(numerator[$0] / denominator[$0]) }), sizes)
    }

    @Test func equalsTheFilterWrittenOutDirectly() throws {
        // Groups of mixed sizes (threshold and group cap both bite) and bands cut mid-image.
        // Flat on the left (many matches), stripes in the middle (a few), loud noise in the
        // pilot's lower right corner (none but the reference).
        // 60 rows: more reference rows than one band holds, and with radius 5 the rings of block
        // spectra (11 block rows) wrap several times within a band.
        let stripes = Self.stripes(height: 60, width: 23)
        let clean = Image(height: 60, width: 23) { _, y, x in x < 9 ? 0.5 : stripes[y, x] }
        let z = Self.noisy(clean, sigma: 0.05, seed: 3)
        var rng = SeededRandom(seed: 4)
        let pilot = Image(height: 60, width: 23) { _, y, x in
            clean[y, x] + Float(rng.gaussian(mean: 0, sigma: x > 14 && y > 40 ? 0.3 : 0.01))
        }
        #expect(CollaborativeWiener.Plan(settings: CollaborativeWiener(), height: 60, width: 23).referenceRows.count > CollaborativeWiener.Plan.bandRows)
        var filter = CollaborativeWiener()
        filter.searchRadius = 5; filter.maxGroup = 8; filter.matchThreshold = 0.004
        let fast = try filter.filter(z, pilot: pilot, sigma: 0.05)
        let slow = Self.naive(z, pilot: pilot, sigma: 0.05, settings: filter)
        let error = zip(fast.pixels, slow.image.pixels).map { abs($0 - $1) }.max()!
        #expect(error < 1e-5, "largest difference \(error)")
        #expect(slow.groupSizes == [1, 2, 4, 8], "group sizes \(slow.groupSizes.sorted())")
    }

    @Test func keepsTheNoisyImageWhenTheNoiseIsNegligible() throws {
        // Every gain is 1 − O(σ²/P²): each group comes back as it went in, and the weighted
        // mean of identical copies is the image itself.
        let clean = Self.stripes(height: 40, width: 36)
        let z = Self.noisy(clean, sigma: 0.02, seed: 5), pilot = Self.noisy(clean, sigma: 0.02, seed: 6)
        let out = try CollaborativeWiener().filter(z, pilot: pilot, sigma: 1e-7)
        let error = zip(out.pixels, z.pixels).map { abs($0 - $1) }.max()!
        #expect(error < 2e-5, "largest difference \(error)")
    }

    @Test func averagesNoiseAwayOnAFlatScene() throws {
        // A flat pilot passes only each group's mean (every other gain is 0): up to 32 blocks of
        // 64 pixels averaged, the noise falls far below σ and the level is kept.
        let level: Float = 0.4, sigma = 0.05
        let flat = Image(height: 64, width: 64, value: level)
        let out = try CollaborativeWiener().filter(Self.noisy(flat, sigma: sigma, seed: 8), pilot: flat, sigma: sigma)
        let mean = out.pixels.reduce(0, +) / Float(out.count)
        let spread = (out.pixels.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(out.count)).squareRoot()
        #expect(abs(mean - level) < 2e-3)
        #expect(Double(spread) < sigma / 20, "residual noise \(spread)")
    }

    @Test func restoresDetailThePilotLost() throws {
        // The pilot is the scene smoothed (as an over-eager denoiser leaves it); matching on
        // it still finds the repeated stripes, and filtering the noisy image brings them back.
        let clean = Self.stripes(height: 64, width: 64), sigma = 0.05
        let z = Self.noisy(clean, sigma: sigma, seed: 11)
        let pilot = Image(height: 64, width: 64) { _, y, x in
            // A 3 × 3 box mean of the clean scene, edges clamped.
            var s: Float = 0
            for i in -1...1 { for j in -1...1 { s += clean[0, min(max(y + i, 0), 63), min(max(x + j, 0), 63)] } }
            return s / 9
        }
        let out = try CollaborativeWiener().filter(z, pilot: pilot, sigma: sigma)
        let gained = psnr(out, clean) - psnr(pilot, clean), denoised = psnr(out, clean) - psnr(z, clean)
        #expect(gained > 3, "over the pilot: \(gained) dB")
        #expect(denoised > 8, "over the noisy image: \(denoised) dB")
    }

    @Test func resultDoesNotDependOnTheThreads() throws {
        let clean = Self.stripes(height: 70, width: 50)
        let z = Self.noisy(clean, sigma: 0.03, seed: 12), pilot = Self.noisy(clean, sigma: 0.005, seed: 13)
        var one = CollaborativeWiener(), two = CollaborativeWiener()
        one.threads = 1; two.threads = 2
        #expect(try one.filter(z, pilot: pilot, sigma: 0.03).pixels == two.filter(z, pilot: pilot, sigma: 0.03).pixels)
    }

    /// Plug-and-play's SURE check filters two images with one pilot in one call, matching the
    /// pilot's blocks once: each result must be the bytes of its own call, on both cores.
    @Test func severalImagesWithOnePilotGiveEachImagesOwnResult() throws {
        let clean = Self.stripes(height: 70, width: 50)
        let pilot = Self.noisy(clean, sigma: 0.005, seed: 13)
        let a = Self.noisy(clean, sigma: 0.03, seed: 12), b = Self.noisy(clean, sigma: 0.03, seed: 14)
        for threads in [1, 2] {
            var filter = CollaborativeWiener()
            filter.threads = threads
            let both = try filter.filter([a, b], pilot: pilot, sigma: 0.03)
            #expect(both.count == 2)
            #expect(both[0].pixels == (try filter.filter(a, pilot: pilot, sigma: 0.03)).pixels)
            #expect(both[1].pixels == (try filter.filter(b, pilot: pilot, sigma: 0.03)).pixels)
            #expect(both[0].pixels != both[1].pixels)
        }
        // A refusal of any image refuses the call.
        var bad = b
        bad[3, 4] = .nan
        #expect(throws: DeconvolutionError.self) { try CollaborativeWiener().filter([a, bad], pilot: pilot, sigma: 0.03) }
    }

    @Test func everyBlockFiltersItselfOnAFlatPatch() throws {
        // Every candidate ties at distance 0 with the reference; were the reference evicted by
        // the 32 found first, its pixels could fall outside every group and keep the pilot.
        let flat = Image(height: 48, width: 48, value: 0.3)
        let z = Self.noisy(flat, sigma: 0.02, seed: 21)
        var filter = CollaborativeWiener()
        filter.maxGroup = 2
        let out = try filter.filter(z, pilot: flat, sigma: 0.02)
        let slow = Self.naive(z, pilot: flat, sigma: 0.02, settings: filter)
        #expect(zip(out.pixels, slow.image.pixels).map { abs($0 - $1) }.max()! < 1e-5)
        // Averaging pairs: the noise falls, but no pixel is the pilot's exact 0.3.
        #expect(out.pixels.allSatisfy { $0 != 0.3 })
    }

    @Test func refusesMismatchedImagesAndABadSigma() throws {
        let a = Image(height: 16, width: 16, value: 0.5), b = Image(height: 16, width: 17, value: 0.5)
        #expect(throws: DeconvolutionError.self) { try CollaborativeWiener().filter(a, pilot: b, sigma: 0.01) }
        #expect(throws: DeconvolutionError.self) { try CollaborativeWiener().filter(a, pilot: a, sigma: 0) }
        #expect(throws: DeconvolutionError.self) { try CollaborativeWiener().filter(a, pilot: a, sigma: .nan) }
        var negative = CollaborativeWiener()
        negative.matchThreshold = -1
        #expect(throws: DeconvolutionError.self) { try negative.filter(a, pilot: a, sigma: 0.01) }
        // Smaller than a block: nothing to group, the pilot comes back.
        let tiny = Image(height: 5, width: 9, value: 0.25)
        #expect(try CollaborativeWiener().filter(Image(height: 5, width: 9, value: 0.75), pilot: tiny, sigma: 0.01) == tiny)
    }

    /// A NaN in either image came out as NaN patches (88 samples of a 32² image from one), with
    /// no error; both are refused now, naming the image and the count.
    @Test func refusesNonFiniteSamplesNamingTheImage() throws {
        let clean = Self.stripes(height: 32, width: 32)
        var bad = clean
        bad[5, 6] = .nan; bad[20, 1] = .infinity
        #expect(throws: DeconvolutionError.invalidInput("the collaborative Wiener noisy image has 2 NaN or infinite samples: expected finite values")) {
            try CollaborativeWiener().filter(bad, pilot: clean, sigma: 0.01)
        }
        #expect(throws: DeconvolutionError.invalidInput("the collaborative Wiener pilot has 2 NaN or infinite samples: expected finite values")) {
            try CollaborativeWiener().filter(clean, pilot: bad, sigma: 0.01)
        }
        var one = clean
        one[0, 0] = -.infinity
        #expect(throws: DeconvolutionError.invalidInput("the collaborative Wiener pilot has 1 NaN or infinite sample: expected finite values")) {
            try CollaborativeWiener().filter(clean, pilot: one, sigma: 0.01)
        }
    }

    /// A search radius or group past what the image holds changes nothing; at Int.max they
    /// trapped (the search bounds and the power-of-two group overflowed).
    @Test func aRadiusOrGroupPastTheImageGivesTheResultOfTheImagesOwn() throws {
        let clean = Self.stripes(height: 24, width: 30)
        let z = Self.noisy(clean, sigma: 0.03, seed: 31), pilot = Self.noisy(clean, sigma: 0.005, seed: 32)
        var wide = CollaborativeWiener(), huge = CollaborativeWiener()
        wide.searchRadius = 10_000; wide.maxGroup = 4096
        huge.searchRadius = .max; huge.maxGroup = .max
        let expected = try wide.filter(z, pilot: pilot, sigma: 0.03)
        #expect(try huge.filter(z, pilot: pilot, sigma: 0.03).pixels == expected.pixels)
        // The whole image searched differs from the default window: the setting is not ignored.
        #expect(try CollaborativeWiener().filter(z, pilot: pilot, sigma: 0.03).pixels != expected.pixels)
    }
}
