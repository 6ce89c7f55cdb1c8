import DeblurCore
import Foundation

/// Procedural dead-leaves images: occluding disks with radius density ∝ r⁻³ in [rmin, rmax].
///
/// The model of Matheron (1968) as used for natural-image statistics by Lee, Mumford &
/// Huang (2001): disks of random colour fall on the plane; each pixel shows the first disk
/// that covers it. With `p(r) ∝ r⁻³` the images are scale-invariant, with the `1/f²` power
/// spectrum and the sharp occlusion edges of natural photographs — training and test
/// material without any download.
///
/// Rendering is front to back: disks are drawn in order and paint only still-uncovered
/// pixels, until every pixel is covered (or `maxDisks` is reached; the rest keeps the
/// image mean 0.5). Radii are drawn by inverting the CDF,
/// `r = (rmin⁻² − u·(rmin⁻² − rmax⁻²))^(−1/2)`, centres uniformly over the image grown by
/// `rmax` on every side, colours uniformly in `[a, 1 − a]` per channel (`a` the texture
/// amplitude), so no sample ever needs clamping.
///
/// Options: a sinusoidal texture per disk (random orientation, period 4–50 pixels, phase);
/// an out-of-focus background: once `foregroundCoverage` of the image is covered, the
/// remaining pixels come from an independent dead-leaves layer blurred by a Gaussian of
/// `defocusSigma`, as a shallow depth of field would show it; a fine stochastic grain per disk
/// (a unit-variance Gaussian field correlated over about a pixel, scaled by an amplitude drawn
/// per disk in [0, `grainAmplitude`), then clamped to [0, 1]), the sand, foliage and fabric
/// that flat or sinusoidal leaves lack, so that a network trained on leaves does not learn to
/// erase every fine texture as noise (with `grainOctaves` > 1 each disk's grain is correlated
/// over 0.8 · 2ᵏ px for a k of its own, coarser textures too, and with `strandFraction` > 0 that
/// fraction of the grained leaves has its grain drawn out along a direction of its own, the
/// fur, grass and wood grain whose fine detail is oriented where noise is not); a linear shading per disk (a ramp across the disk in a
/// random direction, its amplitude drawn per disk in [0, `shadingAmplitude`), then clamped),
/// the smooth illumination gradients of photographed surfaces that flat leaves turn into
/// plateaus; and leaves of other shapes (`shapeFraction` of them: ellipses, rectangles and
/// triangles, elongated up to 6:1, inscribed in the disk they replace, so the size law and the
/// coverage logic are unchanged), for the straight edges, corners and thin strokes of man-made
/// scenes and text that disks never make; and leaves filled with a periodic motif
/// (`patternFraction` of them: stripes, dots, a brick or tile wall, or rows of glyphs, on a
/// lattice of period 3–24 px at a random or axis-aligned orientation), the repeated structure
/// of fabric, masonry and print that no other option makes; and a lens blur, a Gaussian of
/// `lensSigma` px over the finished image, the soft edges an optical system gives every edge
/// where the rendering gives steps one pixel wide.
public struct DeadLeaves: Sendable, Equatable, Codable {
    /// Smallest disk radius in pixels (> 0; default 1).
    public var minRadius: Double = 1
    /// Largest disk radius in pixels (≥ minRadius; default 100).
    public var maxRadius: Double = 100
    /// 1 (gray) or 3 (RGB, independent colours per channel).
    public var channels: Int = 1
    /// Amplitude of each disk's sinusoidal texture on the [0, 1] scale, in [0, 0.5) (0: flat disks).
    public var textureAmplitude: Double = 0
    /// Largest per-disk amplitude of the fine grain on the [0, 1] scale, in [0, 0.5) (0: none).
    public var grainAmplitude: Double = 0
    /// Grain correlation lengths: each disk's grain is correlated over σ = 0.8 · 2ᵏ px, k drawn
    /// per disk in 0..<`grainOctaves` (1…4; 1: the fine grain only), from sand to pebbles.
    public var grainOctaves: Int = 1
    /// Fraction of grained leaves whose grain is drawn out into strands, in [0, 1] (0: none):
    /// the fine grain (σ 0.6 px) smoothed along one of 8 directions per image by a Gaussian of
    /// σ 1.5–6 px (log-uniform per direction), at the leaf's grain amplitude. Inert without grain.
    public var strandFraction: Double = 0
    /// Largest per-disk shading amplitude on the [0, 1] scale, in [0, 0.5): the ramp rises by
    /// up to this much from the disk's centre to its edge (0: none).
    public var shadingAmplitude: Double = 0
    /// Fraction of leaves that are not disks but an ellipse, a rectangle or a triangle, in [0, 1] (0: disks only).
    public var shapeFraction: Double = 0
    /// Fraction of leaves filled with a periodic motif, in [0, 1] (0: none).
    public var patternFraction: Double = 0
    /// Gaussian σ in pixels of a blur over the whole finished image, in [0, 10] (0: none).
    public var lensSigma: Double = 0
    /// Gaussian σ in pixels of the out-of-focus background layer (0: everything in focus).
    public var defocusSigma: Double = 0
    /// Fraction of the image covered by in-focus disks before the background starts, in (0, 1].
    public var foregroundCoverage: Double = 0.5
    /// Upper bound on disks drawn per layer, a guard for tiny radii on big images.
    public var maxDisks: Int = 2_000_000

    public init() {}

    enum CodingKeys: String, CodingKey {
        case minRadius, maxRadius, channels, textureAmplitude, grainAmplitude, grainOctaves, strandFraction, shadingAmplitude, shapeFraction, patternFraction, lensSigma, defocusSigma, foregroundCoverage, maxDisks
    }

    /// Decodes settings recorded before `grainAmplitude`, `grainOctaves`, `strandFraction`, `shadingAmplitude`, `shapeFraction`, `patternFraction` or `lensSigma` existed as free of them.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        minRadius = try c.decode(Double.self, forKey: .minRadius)
        maxRadius = try c.decode(Double.self, forKey: .maxRadius)
        channels = try c.decode(Int.self, forKey: .channels)
        textureAmplitude = try c.decode(Double.self, forKey: .textureAmplitude)
        grainAmplitude = try c.decodeIfPresent(Double.self, forKey: .grainAmplitude) ?? 0
        grainOctaves = try c.decodeIfPresent(Int.self, forKey: .grainOctaves) ?? 1
        strandFraction = try c.decodeIfPresent(Double.self, forKey: .strandFraction) ?? 0
        shadingAmplitude = try c.decodeIfPresent(Double.self, forKey: .shadingAmplitude) ?? 0
        shapeFraction = try c.decodeIfPresent(Double.self, forKey: .shapeFraction) ?? 0
        patternFraction = try c.decodeIfPresent(Double.self, forKey: .patternFraction) ?? 0
        lensSigma = try c.decodeIfPresent(Double.self, forKey: .lensSigma) ?? 0
        defocusSigma = try c.decode(Double.self, forKey: .defocusSigma)
        foregroundCoverage = try c.decode(Double.self, forKey: .foregroundCoverage)
        maxDisks = try c.decode(Int.self, forKey: .maxDisks)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(minRadius, forKey: .minRadius); try c.encode(maxRadius, forKey: .maxRadius)
        try c.encode(channels, forKey: .channels); try c.encode(textureAmplitude, forKey: .textureAmplitude)
        // Written only when used, so settings without them keep the bytes of earlier manifests.
        if grainAmplitude > 0 { try c.encode(grainAmplitude, forKey: .grainAmplitude) }
        if grainOctaves != 1 { try c.encode(grainOctaves, forKey: .grainOctaves) }
        if strandFraction > 0 { try c.encode(strandFraction, forKey: .strandFraction) }
        if shadingAmplitude > 0 { try c.encode(shadingAmplitude, forKey: .shadingAmplitude) }
        if shapeFraction > 0 { try c.encode(shapeFraction, forKey: .shapeFraction) }
        if patternFraction > 0 { try c.encode(patternFraction, forKey: .patternFraction) }
        if lensSigma > 0 { try c.encode(lensSigma, forKey: .lensSigma) }
        try c.encode(defocusSigma, forKey: .defocusSigma); try c.encode(foregroundCoverage, forKey: .foregroundCoverage)
        try c.encode(maxDisks, forKey: .maxDisks)
    }

    /// Settings with the given fields changed from the defaults.
    public init(minRadius: Double = 1, maxRadius: Double = 100, channels: Int = 1, textureAmplitude: Double = 0,
                defocusSigma: Double = 0, foregroundCoverage: Double = 0.5) {
        self.minRadius = minRadius; self.maxRadius = maxRadius; self.channels = channels
        self.textureAmplitude = textureAmplitude; self.defocusSigma = defocusSigma; self.foregroundCoverage = foregroundCoverage
    }

    /// Checks every field; throws naming the first one out of its domain.
    public func validate() throws {
        guard minRadius.isFinite, minRadius > 0, maxRadius.isFinite, maxRadius >= minRadius, maxRadius <= 1e5 else {
            throw DatasetsError.invalidSetting(name: "dead-leaves radii", value: "\(minRadius)…\(maxRadius)", expected: "0 < rmin ≤ rmax ≤ 100000 pixels")
        }
        guard channels == 1 || channels == 3 else {
            throw DatasetsError.invalidSetting(name: "dead-leaves channels", value: "\(channels)", expected: "1 (gray) or 3 (RGB)")
        }
        guard textureAmplitude >= 0, textureAmplitude < 0.5 else {
            throw DatasetsError.invalidSetting(name: "dead-leaves texture amplitude", value: "\(textureAmplitude)", expected: "a value in [0, 0.5)")
        }
        guard grainAmplitude >= 0, grainAmplitude < 0.5 else {
            throw DatasetsError.invalidSetting(name: "dead-leaves grain amplitude", value: "\(grainAmplitude)", expected: "a value in [0, 0.5)")
        }
        guard (1...4).contains(grainOctaves) else {
            throw DatasetsError.invalidSetting(name: "dead-leaves grain octaves", value: "\(grainOctaves)", expected: "an integer in 1…4")
        }
        guard strandFraction >= 0, strandFraction <= 1 else {
            throw DatasetsError.invalidSetting(name: "dead-leaves strand fraction", value: "\(strandFraction)", expected: "a fraction in [0, 1]")
        }
        guard shadingAmplitude >= 0, shadingAmplitude < 0.5 else {
            throw DatasetsError.invalidSetting(name: "dead-leaves shading amplitude", value: "\(shadingAmplitude)", expected: "a value in [0, 0.5)")
        }
        guard shapeFraction >= 0, shapeFraction <= 1 else {
            throw DatasetsError.invalidSetting(name: "dead-leaves shape fraction", value: "\(shapeFraction)", expected: "a fraction in [0, 1]")
        }
        guard patternFraction >= 0, patternFraction <= 1 else {
            throw DatasetsError.invalidSetting(name: "dead-leaves pattern fraction", value: "\(patternFraction)", expected: "a fraction in [0, 1]")
        }
        guard lensSigma >= 0, lensSigma <= 10 else {
            throw DatasetsError.invalidSetting(name: "dead-leaves lens blur sigma", value: "\(lensSigma)", expected: "a σ in [0, 10] pixels")
        }
        guard defocusSigma >= 0, defocusSigma <= 100 else {
            throw DatasetsError.invalidSetting(name: "dead-leaves defocus sigma", value: "\(defocusSigma)", expected: "a σ in [0, 100] pixels")
        }
        guard foregroundCoverage > 0, foregroundCoverage <= 1 else {
            throw DatasetsError.invalidSetting(name: "dead-leaves foreground coverage", value: "\(foregroundCoverage)", expected: "a fraction in (0, 1]")
        }
        guard maxDisks >= 1 else {
            throw DatasetsError.invalidSetting(name: "dead-leaves maximum disks", value: "\(maxDisks)", expected: "at least 1")
        }
    }

    /// A `height × width` image, deterministic for `seed` (`SeededRandom(seed: seed)`).
    /// A height or width below 1, and settings out of their domain, are a precondition failure
    /// (the latter naming the field as `validate()` does): check sizes and call `validate()`
    /// first where they come from a file or a flag.
    public func generate(height: Int, width: Int, seed: UInt64) -> Image {
        precondition(height > 0 && width > 0, "dead leaves need a positive size, got \(height)×\(width)")
        // The refusal `validate()` words, naming the field; the whole struct printed left the reader to find it.
        do { try validate() } catch { preconditionFailure("DeadLeaves.generate: \(error) (call validate() first for a thrown error)") }
        var rng = SeededRandom(seed: seed)
        // Grain, shading, shapes and patterns have their own streams: with and without them the disks are the same.
        var grainRng = SeededRandom(seed: seed, stream: 0x4752_4149_4E)
        var shadingRng = SeededRandom(seed: seed, stream: 0x5348_4144_45)
        var shapeRng = SeededRandom(seed: seed, stream: 0x5348_4150_45)
        var patternRng = SeededRandom(seed: seed, stream: 0x5041_5454_45)
        var strandRng = SeededRandom(seed: seed, stream: 0x5354_5241_4E)
        var image = Image(channels: channels, height: height, width: width, value: 0.5)
        var covered = [Bool](repeating: false, count: height * width)
        let stop = defocusSigma > 0 ? foregroundCoverage : 1
        paint(&image, covered: &covered, until: stop, rng: &rng, grainRng: &grainRng, shadingRng: &shadingRng, shapeRng: &shapeRng, patternRng: &patternRng, strandRng: &strandRng)
        if defocusSigma > 0 && covered.contains(false) {
            var background = Image(channels: channels, height: height, width: width, value: 0.5)
            var backgroundCovered = [Bool](repeating: false, count: height * width)
            paint(&background, covered: &backgroundCovered, until: 1, rng: &rng, grainRng: &grainRng, shadingRng: &shadingRng, shapeRng: &shapeRng, patternRng: &patternRng, strandRng: &strandRng)
            let blurred = gaussianBlurred(background, sigma: defocusSigma)
            for c in 0..<channels {
                for i in 0..<(height * width) where !covered[i] {
                    image.pixels[c * height * width + i] = blurred.pixels[c * height * width + i]
                }
            }
        }
        return lensSigma > 0 ? gaussianBlurred(image, sigma: lensSigma) : image
    }

    /// Drops disks front to back onto uncovered pixels until `fraction` of them are covered.
    ///
    /// Most late disks land on pixels already covered; each row keeps a union–find "next
    /// uncovered column" table, so a disk costs its row count plus the pixels it paints,
    /// not its area (10× faster on 256 × 256 with rmin = 1).
    private func paint(_ image: inout Image, covered: inout [Bool], until fraction: Double, rng: inout SeededRandom,
                       grainRng: inout SeededRandom, shadingRng: inout SeededRandom, shapeRng: inout SeededRandom,
                       patternRng: inout SeededRandom, strandRng: inout SeededRandom) {
        let height = image.height, width = image.width, plane = height * width
        let target = Int((fraction * Double(plane)).rounded(.up))
        let stride = width + 1
        // next[y·(W+1) + x]: a column ≥ x of row y that may be uncovered (W: none left).
        var next = [Int32](repeating: 0, count: height * stride)
        var coveredCount = 0
        for y in 0..<height {
            for x in 0...width { next[y * stride + x] = Int32(x) }
            for x in 0..<width where covered[y * width + x] { next[y * stride + x] = Int32(x + 1); coveredCount += 1 }
        }
        // Uncovered pixels per 8 × 8 block: late disks mostly land where every pixel is taken,
        // and a disk whose bounding box lies in full blocks is skipped without its rows.
        let blocksWide = (width + 7) >> 3, blocksHigh = (height + 7) >> 3
        var open = [Int32](repeating: 0, count: blocksWide * blocksHigh)
        for y in 0..<height {
            for x in 0..<width where !covered[y * width + x] { open[(y >> 3) * blocksWide + (x >> 3)] += 1 }
        }
        let sampler = RadiusSampler(minRadius: minRadius, maxRadius: maxRadius, height: height, width: width)
        let amplitude = textureAmplitude
        // The grain field is drawn only when enabled, so grain-free images keep their bytes.
        // One plane per octave, back to back; the first is the single-octave grain, bit for bit.
        var grainField: [Float] = []
        if grainAmplitude > 0 {
            for octave in 0..<grainOctaves { grainField += grain(height: height, width: width, sigma: 0.8 * Double(1 << octave), rng: &grainRng) }
        }
        // Strand planes follow the grain planes, from their own stream, so that the leaves
        // without strands keep the pixels of the same seed without them.
        let strandPlanes = grainAmplitude > 0 && strandFraction > 0 ? Self.strandDirections : 0
        if strandPlanes > 0 {
            let offset = strandRng.uniform()
            for k in 0..<strandPlanes {
                let angle = Double.pi * (Double(k) + offset) / Double(strandPlanes)
                let length = exp(strandRng.uniform(log(1.5), log(6.0)))
                grainField += strands(height: height, width: width, angle: angle, length: length, rng: &strandRng)
            }
        }
        var colour = [Double](repeating: 0, count: channels)
        var disks = 0
        image.withUnsafeMutableBufferPointer { pixels in
            covered.withUnsafeMutableBufferPointer { mask in
                next.withUnsafeMutableBufferPointer { next in open.withUnsafeMutableBufferPointer { open in
                    // The first uncovered column ≥ x of a row, with full path compression.
                    @inline(__always) func find(_ row: Int, _ x: Int) -> Int {
                        var root = x
                        while Int(next[row + root]) != root { root = Int(next[row + root]) }
                        var y = x
                        while y != root {
                            let following = Int(next[row + y])
                            next[row + y] = Int32(root)
                            y = following
                        }
                        return root
                    }
                    // ⌈v⌉ and ⌊v⌋ for |v| < 2⁶², without a libm call.
                    @inline(__always) func ceiling(_ v: Double) -> Int { let t = Int(v); return Double(t) < v ? t + 1 : t }
                    @inline(__always) func floor(_ v: Double) -> Int { let t = Int(v); return Double(t) > v ? t - 1 : t }
                    while coveredCount < target && disks < maxDisks {
                        disks += 1
                        let r = sampler.next(&rng)
                        let cx = rng.uniform(-r, Double(width) + r)
                        let cy = rng.uniform(-r, Double(height) + r)
                        for c in 0..<channels { colour[c] = amplitude + (1 - 2 * amplitude) * rng.uniform() }
                        var kx = 0.0, ky = 0.0, phase = 0.0
                        if amplitude > 0 {
                            let angle = 2 * Double.pi * rng.uniform()
                            let frequency = 2 * Double.pi / rng.uniform(4, 50)
                            kx = frequency * cos(angle); ky = frequency * sin(angle); phase = 2 * Double.pi * rng.uniform()
                        }
                        let grainScale = grainAmplitude > 0 ? Float(grainRng.uniform(0, grainAmplitude)) : 0
                        var grainPlane = grainScale > 0 && grainOctaves > 1 ? min(Int(grainRng.uniform() * Double(grainOctaves)), grainOctaves - 1) * plane : 0
                        if grainScale > 0 && strandPlanes > 0 && strandRng.uniform() < strandFraction {
                            grainPlane = (grainOctaves + min(Int(strandRng.uniform() * Double(strandPlanes)), strandPlanes - 1)) * plane
                        }
                        // The ramp's value is s·((x, y) − centre)·u / r: ±s at the edge along u.
                        var shadeX = 0.0, shadeY = 0.0
                        if shadingAmplitude > 0 {
                            let slope = shadingRng.uniform(0, shadingAmplitude) / r
                            let angle = 2 * Double.pi * shadingRng.uniform()
                            shadeX = slope * cos(angle); shadeY = slope * sin(angle)
                        }
                        let shaded = shadeX != 0 || shadeY != 0
                        let shape = shapeFraction > 0 && shapeRng.uniform() < shapeFraction ? LeafShape.random(radius: r, rng: &shapeRng) : LeafShape.disk(r)
                        let pattern = patternFraction > 0 && patternRng.uniform() < patternFraction ? LeafPattern.random(rng: &patternRng) : nil
                        let y0 = max(0, ceiling(cy - r)), y1 = min(height - 1, floor(cy + r))
                        if y0 > y1 { continue }
                        let xa = max(0, ceiling(cx - r)), xb = min(width - 1, floor(cx + r))
                        if xa > xb { continue }
                        var reachesOpenBlock = false
                        for by in (y0 >> 3)...(y1 >> 3) where !reachesOpenBlock {
                            for bx in (xa >> 3)...(xb >> 3) where open[by * blocksWide + bx] > 0 { reachesOpenBlock = true; break }
                        }
                        if !reachesOpenBlock { continue }
                        for y in y0...y1 {
                            guard let (left, right) = shape.span(atHeight: Double(y) - cy) else { continue }
                            let x0 = max(0, ceiling(cx + left)), x1 = min(width - 1, floor(cx + right))
                            if x0 > x1 { continue }
                            let row = y * stride
                            var x = find(row, x0)
                            if x > x1 { continue }
                            let start = x
                            while x <= x1 {
                                mask[y * width + x] = true
                                next[row + x] = Int32(x + 1)
                                open[(y >> 3) * blocksWide + (x >> 3)] -= 1
                                coveredCount += 1
                                var texture = amplitude > 0 ? amplitude * sin(kx * Double(x) + ky * Double(y) + phase) : 0
                                if shaded { texture += shadeX * (Double(x) - cx) + shadeY * (Double(y) - cy) }
                                if let pattern { texture += pattern.value(x: Double(x), y: Double(y)) }
                                if grainScale > 0 || shaded || pattern != nil {
                                    let g = grainScale > 0 ? grainScale * grainField[grainPlane + y * width + x] : 0
                                    for c in 0..<channels { pixels[c * plane + y * width + x] = min(max(Float(colour[c] + texture) + g, 0), 1) }
                                } else {
                                    for c in 0..<channels { pixels[c * plane + y * width + x] = Float(colour[c] + texture) }
                                }
                                x = find(row, x + 1)
                            }
                            // Point the first painted pixel past the run, so the next disk on
                            // this row skips it in one step.
                            next[row + start] = Int32(x)
                        }
                    }
                } }
            }
        }
    }

    /// A leaf's outline relative to its centre, inside the disk of its radius: the pixels of a
    /// row form one interval, since every shape is convex.
    enum LeafShape {
        case disk(Double)
        /// `a·x² + b(y)·x + c(y) ≤ 0` with `b = bxy·y`, `c = cyy·y² − 1`.
        case ellipse(a: Double, bxy: Double, cyy: Double)
        /// Up to four vertices, counter-clockwise (a triangle repeats its first).
        case polygon(x: (Double, Double, Double, Double), y: (Double, Double, Double, Double))

        /// An ellipse, rectangle or triangle inscribed in the disk of `radius`, elongated up to
        /// 6:1, at a random orientation.
        static func random(radius r: Double, rng: inout SeededRandom) -> LeafShape {
            let kind = Int(rng.uniform() * 3), theta = 2 * Double.pi * rng.uniform()
            let elongation = exp(rng.uniform() * log(6.0))
            let c = cos(theta), s = sin(theta)
            switch kind {
            case 0:
                // Semi-axes r and r/e along the rotated axes u = (c, s), v = (−s, c).
                let ia = 1 / (r * r), ib = elongation * elongation / (r * r)
                return .ellipse(a: c * c * ia + s * s * ib, bxy: 2 * s * c * (ia - ib), cyy: s * s * ia + c * c * ib)
            case 1:
                // Half-sides with a² + b² = r² and a / b = e: the corners lie on the circle.
                let b = r / (1 + elongation * elongation).squareRoot(), a = elongation * b
                func corner(_ u: Double, _ v: Double) -> (Double, Double) { (u * c - v * s, u * s + v * c) }
                let p0 = corner(a, b), p1 = corner(-a, b), p2 = corner(-a, -b), p3 = corner(a, -b)
                return .polygon(x: (p0.0, p1.0, p2.0, p3.0), y: (p0.1, p1.1, p2.1, p3.1))
            default:
                // Three points on the circle in increasing angle; the squeeze along v elongates it.
                var t0 = rng.uniform(), t1 = rng.uniform(), t2 = rng.uniform()
                if t0 > t1 { swap(&t0, &t1) }
                if t1 > t2 { swap(&t1, &t2) }
                if t0 > t1 { swap(&t0, &t1) }
                func point(_ t: Double) -> (Double, Double) {
                    let u = r * cos(2 * Double.pi * t), v = r * sin(2 * Double.pi * t) / elongation
                    return (u * c - v * s, u * s + v * c)
                }
                let p0 = point(t0), p1 = point(t1), p2 = point(t2)
                return .polygon(x: (p0.0, p1.0, p2.0, p0.0), y: (p0.1, p1.1, p2.1, p0.1))
            }
        }

        /// The outline's horizontal extent at height `dy` above the centre, or nil when the row misses it.
        @inline(__always)
        func span(atHeight dy: Double) -> (Double, Double)? {
            switch self {
            case .disk(let r):
                let q = r * r - dy * dy
                if q < 0 { return nil }
                let half = q.squareRoot()
                return (-half, half)
            case let .ellipse(a, bxy, cyy):
                let b = bxy * dy, c = cyy * dy * dy - 1
                let q = b * b - 4 * a * c
                if q < 0 { return nil }
                let root = q.squareRoot()
                return ((-b - root) / (2 * a), (-b + root) / (2 * a))
            case let .polygon(px, py):
                var lo = -Double.infinity, hi = Double.infinity
                // Inside is left of each edge (xᵢ, yᵢ) → (xⱼ, yⱼ): ex·(dy − yᵢ) − ey·(x − xᵢ) ≥ 0.
                func clip(_ xi: Double, _ yi: Double, _ xj: Double, _ yj: Double) -> Bool {
                    let ex = xj - xi, ey = yj - yi
                    let rhs = ex * (dy - yi) + ey * xi
                    if ey > 0 { hi = min(hi, rhs / ey) } else if ey < 0 { lo = max(lo, rhs / ey) } else if rhs < 0 && ex != 0 { return false }
                    return true
                }
                guard clip(px.0, py.0, px.1, py.1), clip(px.1, py.1, px.2, py.2), clip(px.2, py.2, px.3, py.3),
                      clip(px.3, py.3, px.0, py.0) else { return nil }
                return lo <= hi ? (lo, hi) : nil
            }
        }
    }

    /// A periodic motif on a lattice: `u`, `v` are the pixel's coordinates in cell units along
    /// the lattice's axes; the motif is two-valued, ± half the contrast about the leaf's colour.
    struct LeafPattern {
        enum Motif { case stripes, dots, wall, glyphs }
        let motif: Motif
        /// (x, y) ↦ u = ux·x + uy·y, v = vx·x + vy·y.
        let ux: Double, uy: Double, vx: Double, vy: Double
        /// Stripe duty cycle, dot radius or mortar width, in cell units.
        let size: Double
        /// Signed: the motif is lighter or darker than the leaf.
        let contrast: Double
        /// Brick bond: every other row of cells shifted by half a cell.
        let staggered: Bool
        /// Each glyph cell's 3 × 4 bitmap comes from a hash of this and the cell's index.
        let glyphSeed: UInt64

        /// Periods log-uniform in 3–24 px across and 1–2.5 times that along (glyph lines,
        /// bricks); half the patterns are axis-aligned, as print and masonry mostly are.
        static func random(rng: inout SeededRandom) -> LeafPattern {
            let motif: Motif
            switch min(Int(rng.uniform() * 4), 3) {
            case 0: motif = .stripes
            case 1: motif = .dots
            case 2: motif = .wall
            default: motif = .glyphs
            }
            let across = exp(rng.uniform(log(3.0), log(24.0)))
            let along = across * exp(rng.uniform(0, log(2.5)))
            let angle = rng.uniform() < 0.5 ? Double(Int(rng.uniform() * 2)) * Double.pi / 2 : 2 * Double.pi * rng.uniform()
            let c = cos(angle), s = sin(angle)
            let size: Double
            switch motif {
            case .stripes: size = rng.uniform(0.2, 0.8)
            case .dots: size = rng.uniform(0.15, 0.45)
            case .wall: size = rng.uniform(0.08, 0.3)
            case .glyphs: size = 0
            }
            let contrast = rng.uniform(0.1, 0.5) * (rng.uniform() < 0.5 ? -1 : 1)
            let staggered = rng.uniform() < 0.5
            return LeafPattern(motif: motif, ux: c / across, uy: s / across, vx: -s / along, vy: c / along,
                               size: size, contrast: contrast, staggered: staggered, glyphSeed: rng.next())
        }

        @inline(__always)
        func value(x: Double, y: Double) -> Double {
            var u = ux * x + uy * y
            let v = vx * x + vy * y
            let row = v.rounded(.down), fv = v - row
            if staggered && Int(row) & 1 == 1 { u += 0.5 }
            let column = u.rounded(.down), fu = u - column
            let on: Bool
            switch motif {
            case .stripes: on = fu < size
            case .dots: on = (fu - 0.5) * (fu - 0.5) + (fv - 0.5) * (fv - 0.5) < size * size
            case .wall: on = fu < size || fv < size
            case .glyphs:
                // A 3 × 4 bitmap in the cell's inner 3/4, the rest spacing between glyphs and lines.
                let gx = Int((fu - 0.125) * 4), gy = Int((fv - 0.125) * 16 / 3)
                if fu < 0.125 || fv < 0.125 || gx > 2 || gy > 3 { on = false; break }
                var h = glyphSeed ^ (UInt64(bitPattern: Int64(column)) &* 0x9E37_79B9_7F4A_7C15)
                h ^= UInt64(bitPattern: Int64(row)) &* 0xC2B2_AE3D_27D4_EB4F
                h = (h ^ (h >> 31)) &* 0xBF58_476D_1CE4_E5B9
                h = (h ^ (h >> 29)) &* 0x94D0_49BB_1331_11EB
                h ^= h >> 32
                on = (h >> UInt64(gy * 3 + gx)) & 1 == 1
            }
            return on ? contrast / 2 : -contrast / 2
        }
    }

    /// Draws the radii of the disks that can touch an `H × W` image.
    ///
    /// Disks fall on the whole plane with radius density `p(r) ∝ r⁻³`; those whose centre
    /// lies within `r` of the image (the only ones that can show) have radius density
    /// `∝ r⁻³ (H + 2r)(W + 2r) = HW·r⁻³ + 2(H + W)·r⁻² + 4·r⁻¹`, a mixture of three power
    /// laws sampled by inverting each CDF. The centre is then uniform in the image grown by
    /// `r`. This is the same image distribution as dropping disks uniformly over a large
    /// area, without the disks that miss (2.8× fewer draws at 256 × 256, rmax = 100).
    struct RadiusSampler {
        let rmin: Double, rmax: Double
        let a: Double, b: Double              // rmin⁻², rmax⁻²
        let i2: Double, i1: Double            // ∫r⁻², ∫r⁻¹ over [rmin, rmax]
        let p3: Double, p32: Double           // mixture thresholds

        init(minRadius: Double, maxRadius: Double, height: Int, width: Int) {
            rmin = minRadius; rmax = maxRadius
            a = 1 / (rmin * rmin); b = 1 / (rmax * rmax)
            i2 = 1 / rmin - 1 / rmax
            i1 = log(rmax / rmin)
            let w3 = Double(height * width) * (a - b) / 2, w2 = 2 * Double(height + width) * i2, w1 = 4 * i1
            let total = w3 + w2 + w1
            p3 = w3 / total; p32 = (w3 + w2) / total
        }

        /// One radius: a component by its weight, then that power law's inverse CDF at `u`.
        @inline(__always)
        func next(_ rng: inout SeededRandom) -> Double {
            let pick = rng.uniform(), u = rng.uniform()
            if rmax == rmin { return rmin }
            if pick < p3 { return 1 / (a - u * (a - b)).squareRoot() }
            if pick < p32 { return 1 / (1 / rmin - u * i2) }
            return rmin * exp(u * i1)
        }
    }

    /// Separable Gaussian blur, edges reflected; kept here so `generate` cannot throw.
    /// A zero-mean, unit-variance Gaussian field correlated over about `sigma` pixels (white
    /// noise blurred by a Gaussian of that σ, then rescaled).
    private func grain(height: Int, width: Int, sigma: Double, rng: inout SeededRandom) -> [Float] {
        var white = Image(height: height, width: width)
        for i in 0..<white.pixels.count { white.pixels[i] = Float(rng.gaussian()) }
        var field = gaussianBlurred(white, sigma: sigma).pixels
        Self.standardize(&field)
        return field
    }

    /// Shifts and scales `field` to mean 0 and variance 1.
    private static func standardize(_ field: inout [Float]) {
        let n = Float(field.count)
        let mean = field.reduce(0, +) / n
        let std = max((field.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot(), 1e-6)
        for i in 0..<field.count { field[i] = (field[i] - mean) / std }
    }

    /// Directions of the strand planes, evenly spaced over a half turn from a random start.
    static let strandDirections = 8

    /// A zero-mean, unit-variance field of strands: a fine grain (σ 0.6 px) smoothed along the
    /// direction `angle` by a Gaussian of σ `length` px, sampled on the nearest pixels of the line,
    /// so it is stationary and varies across the direction about as fast as the fine grain.
    private func strands(height: Int, width: Int, angle: Double, length: Double, rng: inout SeededRandom) -> [Float] {
        let fine = grain(height: height, width: width, sigma: 0.6, rng: &rng)
        let reach = Int((3 * length).rounded(.up))
        // The fine grain reflected into a margin of `reach` once, so each tap is one load at a
        // fixed offset (reflecting every tap's coordinates cost 9× the rest of the image).
        let paddedWidth = width + 2 * reach
        var padded = [Float](repeating: 0, count: (height + 2 * reach) * paddedWidth)
        for y in 0..<(height + 2 * reach) {
            let sy = PaddingMode.reflect.sourceIndex(y - reach, count: height)!
            for x in 0..<paddedWidth { padded[y * paddedWidth + x] = fine[sy * width + PaddingMode.reflect.sourceIndex(x - reach, count: width)!] }
        }
        var offsets: [Int] = [], weights: [Float] = []
        for t in -reach...reach {
            weights.append(Float(exp(-Double(t * t) / (2 * length * length))))
            offsets.append(Int((Double(t) * sin(angle)).rounded()) * paddedWidth + Int((Double(t) * cos(angle)).rounded()))
        }
        var field = [Float](repeating: 0, count: height * width)
        padded.withUnsafeBufferPointer { source in field.withUnsafeMutableBufferPointer { out in
            offsets.withUnsafeBufferPointer { offsets in weights.withUnsafeBufferPointer { weights in
                for y in 0..<height {
                    for x in 0..<width {
                        let centre = (y + reach) * paddedWidth + x + reach
                        var s: Float = 0
                        for k in 0..<offsets.count { s += weights[k] * source[centre + offsets[k]] }
                        out[y * width + x] = s
                    }
                }
            } }
        } }
        Self.standardize(&field)
        return field
    }

    private func gaussianBlurred(_ image: Image, sigma: Double) -> Image {
        let radius = Int((3 * sigma).rounded(.up))
        // The centre tap is 1 whatever σ: below about 1e-154 px 2σ² underflows to 0 and 0 / 0
        // made it NaN (--lens-blur 1e-320 wrote black sharp images and NaN blurred ones).
        var taps = (-radius...radius).map { $0 == 0 ? 1 : exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = taps.reduce(0, +)
        taps = taps.map { $0 / total }
        let h = image.height, w = image.width, plane = h * w
        var rows = image, out = image
        // Reflected indices and a padded line computed once, not per tap: the per-tap reflection
        // made this most of the time of grain, defocus and lens blur. The sums run in the same
        // order as a tap-by-tap loop, so every pixel keeps its bytes.
        let columns = (0..<(w + 2 * radius)).map { PaddingMode.reflect.sourceIndex($0 - radius, count: w)! }
        let sourceRows = (0..<(h + 2 * radius)).map { PaddingMode.reflect.sourceIndex($0 - radius, count: h)! }
        var line = [Double](repeating: 0, count: w + 2 * radius), sums = [Double](repeating: 0, count: w)
        image.withUnsafeBufferPointer { source in rows.withUnsafeMutableBufferPointer { middle in
            out.withUnsafeMutableBufferPointer { target in taps.withUnsafeBufferPointer { taps in
                line.withUnsafeMutableBufferPointer { line in sums.withUnsafeMutableBufferPointer { sums in
                    for c in 0..<image.channels {
                        let base = c * plane
                        for y in 0..<h {
                            for i in 0..<line.count { line[i] = Double(source[base + y * w + columns[i]]) }
                            for x in 0..<w {
                                var s = 0.0
                                for k in 0..<taps.count { s += taps[k] * line[x + k] }
                                middle[base + y * w + x] = Float(s)
                            }
                        }
                        for y in 0..<h {
                            for x in 0..<w { sums[x] = 0 }
                            for k in 0..<taps.count {
                                let row = base + sourceRows[y + k] * w, tap = taps[k]
                                for x in 0..<w { sums[x] += tap * Double(middle[row + x]) }
                            }
                            for x in 0..<w { target[base + y * w + x] = Float(sums[x]) }
                        }
                    }
                } }
            } }
        } }
        return out
    }
}
