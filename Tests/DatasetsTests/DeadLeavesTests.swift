import Testing
import Foundation
import DeblurCore
import _TestSupport
@testable import Datasets

@Suite struct DeadLeavesTests {
    @Test func sameSeedGivesTheSameImageAndValuesStayInTheUnitInterval() {
        let model = DeadLeaves(minRadius: 2, maxRadius: 40)
        let a = model.generate(height: 64, width: 48, seed: 1)
        let b = model.generate(height: 64, width: 48, seed: 1)
        let c = model.generate(height: 64, width: 48, seed: 2)
        #expect(a == b)
        #expect(a != c)
        #expect(a.height == 64 && a.width == 48 && a.channels == 1)
        #expect(a.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test func radiiOfVisibleDisksFollowTheInverseCubeDensityWeightedByTheirReach() {
        // Disks whose centre is within r of an H × W image have density ∝ r⁻³(H + 2r)(W + 2r);
        // compare the sampler's empirical CDF with that CDF integrated numerically.
        let rmin = 1.0, rmax = 100.0, h = 64, w = 48
        let sampler = DeadLeaves.RadiusSampler(minRadius: rmin, maxRadius: rmax, height: h, width: w)
        var rng = SeededRandom(seed: 3)
        let radii = (0..<200_000).map { _ in sampler.next(&rng) }
        #expect(radii.allSatisfy { $0 >= rmin && $0 <= rmax })
        func density(_ r: Double) -> Double { (Double(h) + 2 * r) * (Double(w) + 2 * r) / (r * r * r) }
        func integral(_ lo: Double, _ hi: Double) -> Double {
            let n = 20_000
            var s = 0.0
            for i in 0..<n { let r = exp(log(lo) + (Double(i) + 0.5) / Double(n) * log(hi / lo)); s += density(r) * r }
            return s * log(hi / lo) / Double(n)   // ∫ f(r) dr with r = e^t
        }
        let total = integral(rmin, rmax)
        for r in [1.2, 2.0, 5.0, 20.0, 60.0] {
            let empirical = Double(radii.filter { $0 <= r }.count) / Double(radii.count)
            #expect(abs(empirical - integral(rmin, r) / total) < 0.005)
        }
    }

    @Test func imagesArePiecewiseConstantWithManyOccludingDisks() {
        // Flat disks: most horizontal neighbours are equal (inside a disk), and many distinct
        // grey levels appear (many disks); nothing is left at the 0.5 background.
        let image = DeadLeaves(minRadius: 2, maxRadius: 30).generate(height: 96, width: 96, seed: 4)
        var equal = 0
        for y in 0..<96 { for x in 1..<96 where image[y, x] == image[y, x - 1] { equal += 1 } }
        #expect(Double(equal) / Double(96 * 95) > 0.7)
        #expect(Set(image.pixels).count > 30)
        #expect(!image.pixels.contains(0.5))
    }

    @Test func rgbTextureAndDefocusOptionsChangeTheImageButStayDeterministic() {
        let plain = DeadLeaves(minRadius: 2, maxRadius: 30, channels: 3)
        var textured = plain
        textured.textureAmplitude = 0.2
        var defocused = plain
        defocused.defocusSigma = 2
        let p = plain.generate(height: 40, width: 40, seed: 5)
        let t = textured.generate(height: 40, width: 40, seed: 5)
        let d = defocused.generate(height: 40, width: 40, seed: 5)
        #expect(p.channels == 3 && t.channels == 3 && d.channels == 3)
        #expect(t != p && d != p)
        #expect(d == defocused.generate(height: 40, width: 40, seed: 5))
        #expect(t.pixels.allSatisfy { $0 >= 0 && $0 <= 1 } && d.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Texture breaks the flat disks: far fewer equal neighbours.
        func flatFraction(_ image: Image) -> Double {
            var equal = 0
            for y in 0..<40 { for x in 1..<40 where image[0, y, x] == image[0, y, x - 1] { equal += 1 } }
            return Double(equal) / Double(40 * 39)
        }
        #expect(flatFraction(t) < flatFraction(p) / 2)
        // The in-focus foreground stays exactly as in the plain image where it covers pixels.
        let same = zip(p.pixels, d.pixels).filter { $0 == $1 }.count
        #expect(Double(same) / Double(p.count) >= 0.45)
    }

    @Test func pixelsArePinnedSoReleasesReproduceOldDatasets() {
        // SHA-256 of the Float32 samples, recorded when the generator was written; a change
        // here breaks the promise that a seed reproduces a dataset across releases.
        let cases: [(DeadLeaves, String)] = [
            (DeadLeaves(minRadius: 1, maxRadius: 100), "7000cc4d34714165d8366acd5fadf228f9a70baa2c52e4c691365edd5f276260"),
            (DeadLeaves(minRadius: 2, maxRadius: 30, channels: 3, textureAmplitude: 0.2, defocusSigma: 2),
             "509874e3ac89ac51d0271cef1debdbd4d8fa09c839ca557ebca0fd45fd599270"),
            ({ var leaves = DeadLeaves(minRadius: 2, maxRadius: 30)
               leaves.grainAmplitude = 0.3; leaves.shadingAmplitude = 0.2; leaves.shapeFraction = 0.5
               return leaves }(), "6c0e728ac04164c7c31175d082c5b027e980a3cfd8deb05cb73389f3dfb949ed"),
            ({ var leaves = DeadLeaves(minRadius: 2, maxRadius: 30)
               leaves.patternFraction = 0.4
               return leaves }(), "8020851a55fcc04c491d3de29c55a78a7720c2d736e0af9bf853daf65aba7010"),
            ({ var leaves = DeadLeaves(minRadius: 2, maxRadius: 30)
               leaves.grainAmplitude = 0.3; leaves.strandFraction = 0.5
               return leaves }(), "c685e5771f395c58b8d43480a54f09b96d6dc832dc7da49ad6a117d5fb2d0ced"),
        ]
        for (model, expected) in cases {
            let image = model.generate(height: 100, width: 90, seed: 42)
            #expect(SHA256.hex(image.pixels.withUnsafeBufferPointer { Data(buffer: $0) }) == expected)
        }
    }

    @Test func invalidSettingsAreTypedErrors() {
        #expect(throws: DatasetsError.self) { try DeadLeaves(minRadius: 0).validate() }
        #expect(throws: DatasetsError.self) { try DeadLeaves(minRadius: 5, maxRadius: 2).validate() }
        #expect(throws: DatasetsError.self) { try DeadLeaves(channels: 2).validate() }
        #expect(throws: DatasetsError.self) { try DeadLeaves(textureAmplitude: 0.6).validate() }
        #expect(throws: DatasetsError.self) { try DeadLeaves(foregroundCoverage: 0).validate() }
        var grainy = DeadLeaves()
        grainy.grainAmplitude = 0.5
        #expect(throws: DatasetsError.self) { try grainy.validate() }
        var shaded = DeadLeaves()
        shaded.shadingAmplitude = -0.1
        #expect(throws: DatasetsError.self) { try shaded.validate() }
    }

    /// A 96 × 96 image (seed 9) of `leaves` and of the same radii with no other option; checks
    /// that the former is deterministic and stays in [0, 1].
    static func withAndWithoutOption(_ leaves: DeadLeaves, sourceLocation: SourceLocation = #_sourceLocation) -> (flat: Image, image: Image) {
        let flat = DeadLeaves(minRadius: leaves.minRadius, maxRadius: leaves.maxRadius).generate(height: 96, width: 96, seed: 9)
        let image = leaves.generate(height: 96, width: 96, seed: 9)
        #expect(image == leaves.generate(height: 96, width: 96, seed: 9), sourceLocation: sourceLocation)
        #expect(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 }, sourceLocation: sourceLocation)
        return (flat, image)
    }

    @Test func shadingIsALinearRampInsideEachDiskBoundedByItsAmplitude() throws {
        var shaded = DeadLeaves(minRadius: 6, maxRadius: 40)
        shaded.shadingAmplitude = 0.3
        let (flat, image) = Self.withAndWithoutOption(shaded)
        // Its own random stream keeps the disks of the flat image, so inside a disk (a flat 3 × 3
        // neighbourhood) the difference is the disk's ramp: linear, zero second differences.
        var interior = 0, curved = 0, squares = 0.0
        for y in 0..<96 { for x in 0..<96 {
            let d = Double(image[y, x] - flat[y, x])
            #expect(abs(d) <= 0.3 + 1e-6)
            squares += d * d
            guard y > 0, y < 95, x > 0, x < 95 else { continue }
            var same = true
            for dy in -1...1 { for dx in -1...1 where flat[y + dy, x + dx] != flat[y, x] { same = false } }
            var unclamped = true
            for dy in -1...1 { for dx in -1...1 where image[y + dy, x + dx] <= 0 || image[y + dy, x + dx] >= 1 { unclamped = false } }
            guard same, unclamped else { continue }
            interior += 1
            func ramp(_ yy: Int, _ xx: Int) -> Double { Double(image[yy, xx] - flat[yy, xx]) }
            let second = max(abs(ramp(y, x - 1) - 2 * ramp(y, x) + ramp(y, x + 1)), abs(ramp(y - 1, x) - 2 * ramp(y, x) + ramp(y + 1, x)))
            if second > 1e-5 { curved += 1 }
        } }
        #expect(interior > 96 * 96 / 2, "\(interior) interior pixels")
        #expect(curved == 0)
        let rms = (squares / Double(96 * 96)).squareRoot()
        #expect(rms > 0.02 && rms < 0.3, "shading RMS \(rms)")
        // Settings without shading encode as before; with it they round-trip.
        #expect(!String(decoding: try JSONEncoder().encode(DeadLeaves()), as: UTF8.self).contains("shading"))
        let round = try JSONDecoder().decode(DeadLeaves.self, from: JSONEncoder().encode(shaded))
        #expect(round == shaded)
    }

    /// Every leaf shape lies inside the disk it replaces, and the area its row spans sweep is
    /// the shape's own: π/√det Q for an ellipse `pᵀQp ≤ 1`, the shoelace formula for a polygon.
    @Test func leafShapesAreInscribedAndTheirRowSpansSweepTheirArea() {
        var rng = SeededRandom(seed: 31)
        var kinds = Set<String>()
        for _ in 0..<150 {
            let r = rng.uniform(2, 60)
            let shape = DeadLeaves.LeafShape.random(radius: r, rng: &rng)
            let expected: Double
            switch shape {
            case .disk: Issue.record("random() gave a disk"); continue
            case let .ellipse(a, bxy, cyy):
                kinds.insert("ellipse")
                expected = Double.pi / (a * cyy - bxy * bxy / 4).squareRoot()
            case let .polygon(x, y):
                kinds.insert(x.0 == x.3 && y.0 == y.3 ? "triangle" : "rectangle")
                let xs = [x.0, x.1, x.2, x.3], ys = [y.0, y.1, y.2, y.3]
                var shoelace = 0.0
                for i in 0..<4 {
                    let j = (i + 1) % 4
                    shoelace += xs[i] * ys[j] - xs[j] * ys[i]
                }
                expected = shoelace / 2
            }
            let rows = 4000
            var area = 0.0
            for k in 0..<rows {
                let dy = -r + (Double(k) + 0.5) * 2 * r / Double(rows)
                guard let (lo, hi) = shape.span(atHeight: dy) else { continue }
                #expect(lo <= hi)
                #expect(lo * lo + dy * dy <= r * r * (1 + 1e-9) && hi * hi + dy * dy <= r * r * (1 + 1e-9))
                area += (hi - lo) * 2 * r / Double(rows)
            }
            #expect(expected > 0 && abs(area - expected) < 2e-3 * r * r, "area \(area), expected \(expected), r \(r)")
        }
        #expect(kinds == ["ellipse", "rectangle", "triangle"])
    }

    @Test func otherShapesReplaceAFractionOfTheDisks() throws {
        var mixed = DeadLeaves(minRadius: 4, maxRadius: 60)
        mixed.shapeFraction = 0.5
        let (disks, image) = Self.withAndWithoutOption(mixed)
        #expect(image != disks)
        // Inscribed shapes cover less than their disks, so more leaves show: more distinct values.
        #expect(Set(image.pixels).count > Set(disks.pixels).count)
        mixed.shapeFraction = 1.5
        #expect(throws: DatasetsError.self) { try mixed.validate() }
        #expect(!String(decoding: try JSONEncoder().encode(DeadLeaves()), as: UTF8.self).contains("shape"))
    }

    @Test func patternLeavesAddTheirTwoValuedMotifToTheSameDisks() throws {
        var patterned = DeadLeaves(minRadius: 4, maxRadius: 60)
        patterned.patternFraction = 1
        let (flat, image) = Self.withAndWithoutOption(patterned)
        // Own stream: the disks and colours are the flat image's, each moved by ± contrast / 2 ≤ 0.25.
        var moved = 0
        for (a, b) in zip(flat.pixels, image.pixels) {
            #expect(abs(a - b) <= 0.25 + 1e-6)
            if a != b { moved += 1 }
        }
        #expect(Double(moved) > 0.99 * Double(flat.pixels.count))
        patterned.patternFraction = 0.3
        let (_, some) = Self.withAndWithoutOption(patterned)
        let someMoved = zip(flat.pixels, some.pixels).filter { $0 != $1 }.count
        #expect(someMoved > flat.pixels.count / 20 && someMoved < moved)
        patterned.patternFraction = 1.5
        #expect(throws: DatasetsError.self) { try patterned.validate() }
        patterned.patternFraction = -0.1
        #expect(throws: DatasetsError.self) { try patterned.validate() }
        #expect(!String(decoding: try JSONEncoder().encode(DeadLeaves()), as: UTF8.self).contains("pattern"))
    }

    /// Stripes, dots and walls repeat along their lattice (a brick bond every second row) and
    /// cover the share of the plane their size gives; glyph rows cover half of their glyph boxes.
    @Test func periodicMotifsRepeatAlongTheirLatticeAndCoverTheirShare() {
        var rng = SeededRandom(seed: 5)
        var seen = Set<String>()
        for _ in 0..<60 {
            let p = DeadLeaves.LeafPattern.random(rng: &rng)
            seen.insert("\(p.motif)")
            let nu = p.ux * p.ux + p.uy * p.uy, nv = p.vx * p.vx + p.vy * p.vy
            // Steps of one cell along u and of two rows along v (the rows are orthogonal).
            let stepU = (p.ux / nu, p.uy / nu), stepV = (2 * p.vx / nv, 2 * p.vy / nv)
            #expect(abs(p.ux * p.vx + p.uy * p.vy) < 1e-12)
            var sampler = SeededRandom(seed: 6)
            var on = 0, mismatches = 0
            let n = 20_000
            for _ in 0..<n {
                let x = sampler.uniform(0, 500), y = sampler.uniform(0, 500)
                let value = p.value(x: x, y: y)
                #expect(value == p.contrast / 2 || value == -p.contrast / 2)
                if value == p.contrast / 2 { on += 1 }
                if p.motif != .glyphs {
                    if p.value(x: x + stepU.0, y: y + stepU.1) != value { mismatches += 1 }
                    if p.value(x: x + stepV.0, y: y + stepV.1) != value { mismatches += 1 }
                }
            }
            #expect(mismatches <= n / 500, "\(p.motif): \(mismatches) of \(2 * n) shifted samples differ")
            let expected: Double
            switch p.motif {
            case .stripes: expected = p.size
            case .dots: expected = Double.pi * p.size * p.size
            case .wall: expected = 1 - (1 - p.size) * (1 - p.size)
            case .glyphs: expected = 0.75 * 0.75 * 0.5
            }
            #expect(abs(Double(on) / Double(n) - expected) < 0.04, "\(p.motif) covers \(Double(on) / Double(n)), expected \(expected)")
        }
        #expect(seen.count == 4)
    }

    /// The lens blur is a normalized Gaussian (radius ⌈3σ⌉, edges reflected) over the image the
    /// same seed gives without it: checked against a direct two-dimensional sum.
    @Test func lensBlurIsAGaussianOverTheFinishedImage() throws {
        var soft = DeadLeaves(minRadius: 2, maxRadius: 30)
        soft.lensSigma = 0.8
        let (sharp, image) = Self.withAndWithoutOption(soft)
        let sigma = 0.8, radius = 3
        let taps = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = taps.reduce(0, +)
        var worst = 0.0, sharpJumps = 0.0, softJumps = 0.0
        for y in 0..<96 { for x in 0..<96 {
            var sum = 0.0
            for dy in -radius...radius { for dx in -radius...radius {
                let sy = PaddingMode.reflect.sourceIndex(y + dy, count: 96)!, sx = PaddingMode.reflect.sourceIndex(x + dx, count: 96)!
                sum += taps[dy + radius] * taps[dx + radius] * Double(sharp[sy, sx])
            } }
            worst = max(worst, abs(sum / (total * total) - Double(image[y, x])))
            if x > 0 { sharpJumps += pow(Double(sharp[y, x] - sharp[y, x - 1]), 2); softJumps += pow(Double(image[y, x] - image[y, x - 1]), 2) }
        } }
        #expect(worst < 1e-5, "largest difference from the direct sum \(worst)")
        // A step edge's squared differences fall with the blur (to ~0.3 of a one-pixel step at σ = 0.8).
        #expect(softJumps < 0.5 * sharpJumps, "gradient energy \(softJumps) against \(sharpJumps) without the blur")
        soft.lensSigma = 11
        #expect(throws: DatasetsError.self) { try soft.validate() }
        #expect(!String(decoding: try JSONEncoder().encode(DeadLeaves()), as: UTF8.self).contains("lens"))
    }

    @Test func grainAddsFinePixelToPixelDetailInsideDisksAndStaysInTheUnitInterval() throws {
        var grainy = DeadLeaves(minRadius: 4, maxRadius: 60)
        grainy.grainAmplitude = 0.3
        let (flat, image) = Self.withAndWithoutOption(grainy)
        // The grain has its own random stream, so the disks are those of the grain-free image:
        // the difference is the grain alone, zero-mean and fine (neighbours correlated, not equal).
        var differences = [Double](), equal = 0
        for y in 0..<96 { for x in 0..<95 {
            differences.append(Double(image[y, x] - flat[y, x]))
            if image[y, x] == image[y, x + 1] { equal += 1 }
        } }
        let spread = (differences.reduce(0) { $0 + $1 * $1 } / Double(differences.count)).squareRoot()
        #expect(spread > 0.03 && spread < 0.3, "grain RMS \(spread)")
        #expect(abs(differences.reduce(0, +) / Double(differences.count)) < 0.02)
        #expect(equal < 96 * 95 / 10, "\(equal) equal neighbours")
        // Settings without grain encode as before and old manifests decode as grain-free.
        let text = String(decoding: try JSONEncoder().encode(DeadLeaves()), as: UTF8.self)
        #expect(!text.contains("grain"))
        let decoded = try JSONDecoder().decode(DeadLeaves.self, from: Data(text.utf8))
        #expect(decoded == DeadLeaves())
        let round = try JSONDecoder().decode(DeadLeaves.self, from: JSONEncoder().encode(grainy))
        #expect(round.grainAmplitude == 0.3)
        // More octaves: some disks get coarser grain, so neighbours differ less on average.
        var coarse = grainy
        coarse.grainOctaves = 4
        let (_, coarseImage) = Self.withAndWithoutOption(coarse)
        func neighbourStep(_ im: Image) -> Double {
            var total = 0.0
            for y in 0..<96 { for x in 0..<95 { total += Double(abs(im[y, x + 1] - im[y, x])) } }
            return total / Double(96 * 95)
        }
        #expect(neighbourStep(coarseImage) < 0.8 * neighbourStep(image), "\(neighbourStep(coarseImage)) vs \(neighbourStep(image))")
        coarse.grainOctaves = 5
        #expect(throws: DatasetsError.self) { try coarse.validate() }
    }

    /// Strands draw a leaf's grain out along one direction: the field is correlated along it
    /// and not across, where the plain grain is correlated in no direction at that distance.
    @Test func strandsDrawTheGrainOutAlongOneDirection() throws {
        // Leaves of radius 10⁵ on a 48² image: a seed whose first leaf covers it all (a constant
        // flat image), so the difference from the flat image is one leaf's grain alone.
        let size = 48
        let huge = DeadLeaves(minRadius: 1e5, maxRadius: 1e5)
        let seed = try #require((1...40).map(UInt64.init).first { Set(huge.generate(height: size, width: size, seed: $0).pixels).count == 1 })
        let flat = huge.generate(height: size, width: size, seed: seed)
        var grainy = huge
        grainy.grainAmplitude = 0.2
        var furry = grainy
        furry.strandFraction = 1
        // Lag-2 correlations of the grain in 8 directions about a half turn.
        func correlations(_ image: Image) -> [Double] {
            let d = (0..<(size * size)).map { Double(image.pixels[$0] - flat.pixels[$0]) }
            let mean = d.reduce(0, +) / Double(d.count)
            let variance = d.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(d.count)
            return [(0, 2), (1, 2), (2, 2), (2, 1), (2, 0), (2, -1), (2, -2), (1, -2)].map { (dy, dx) in
                var total = 0.0, count = 0
                for y in max(0, -dy)..<min(size, size - dy) { for x in max(0, -dx)..<min(size, size - dx) {
                    total += (d[y * size + x] - mean) * (d[(y + dy) * size + x + dx] - mean); count += 1
                } }
                return total / Double(count) / variance
            }
        }
        let plain = correlations(grainy.generate(height: size, width: size, seed: seed))
        let strands = correlations(furry.generate(height: size, width: size, seed: seed))
        #expect(plain.allSatisfy { abs($0) < 0.3 }, "\(plain)")
        #expect(strands.max()! > 0.5 && strands.min()! < 0.15, "\(strands)")
    }

    /// Strands come from their own stream: the leaves that do not get them keep the pixels of
    /// the same seed without strands, and those that do keep their place and colour.
    @Test func strandsChangeOnlyTheirOwnLeaves() throws {
        var grainy = DeadLeaves(minRadius: 8, maxRadius: 60)
        grainy.grainAmplitude = 0.3
        var furry = grainy
        furry.strandFraction = 0.5
        let (_, plain) = Self.withAndWithoutOption(grainy)
        let (_, image) = Self.withAndWithoutOption(furry)
        let changed = zip(plain.pixels, image.pixels).filter { $0 != $1 }.count
        #expect(changed > plain.pixels.count / 10 && changed < plain.pixels.count * 9 / 10, "\(changed) of \(plain.pixels.count)")
        // Strands longer than a tiny image is wide reflect back into it.
        #expect(furry.generate(height: 3, width: 5, seed: 1).pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Without grain the fraction has nothing to draw out: the same bytes as without it.
        var bare = DeadLeaves(minRadius: 8, maxRadius: 60)
        bare.strandFraction = 1
        #expect(bare.generate(height: 48, width: 48, seed: 3) == DeadLeaves(minRadius: 8, maxRadius: 60).generate(height: 48, width: 48, seed: 3))
        // Encoded only when used; decoded back; refused outside [0, 1].
        #expect(!String(decoding: try JSONEncoder().encode(grainy), as: UTF8.self).contains("strand"))
        #expect(try JSONDecoder().decode(DeadLeaves.self, from: JSONEncoder().encode(furry)).strandFraction == 0.5)
        for bad in [-0.1, 1.5, Double.nan] {
            furry.strandFraction = bad
            #expect(throws: DatasetsError.self) { try furry.validate() }
        }
    }

    /// Invalid settings stop `generate` (a precondition: it does not throw), and the message now
    /// names the field as `validate()` does; it printed the whole struct, "invalid dead-leaves
    /// settings DeadLeaves(minRadius: 0.0, maxRadius: 100.0, …", and left the reader to find it.
    @Test func invalidSettingsStopGenerateNamingTheField() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var leaves = DeadLeaves()
            leaves.minRadius = 0
            _ = leaves.generate(height: 8, width: 8, seed: 1)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("DeadLeaves.generate: invalid dead-leaves radii 0.0…100.0: expected 0 < rmin ≤ rmax ≤ 100000 pixels"), "\(message.prefix(400))")
    }
}
