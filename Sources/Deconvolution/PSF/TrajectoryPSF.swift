import DeblurCore
import Foundation

/// Parameters of the Boracchi & Foi (2012) camera-shake trajectory model.
///
/// Defaults are the model's: a 64-pixel canvas, 2000 samples, a maximum length of 60
/// pixels, anxiety drawn as 0.1·U(0, 1) per trajectory, the whole exposure integrated.
/// The other per-trajectory terms are always drawn: a centripetal term 0.7·U(0, 1), a
/// Gaussian shake weight 10·U(0, 1) and a big-shake probability 0.2·U(0, 1).
public struct TrajectoryParameters: Sendable, Equatable, Codable {
    /// Canvas of the model (pixels): the walk's length must stay below it. PSFs show the walk
    /// one canvas pixel per PSF pixel (shrunk only when it does not fit; see `rasterize`).
    public var canvas: Int = 64
    /// Samples of the random walk (≥ 2).
    public var samples: Int = 2000
    /// Total length of the walk on the canvas (pixels).
    public var maxLength: Double = 60
    /// Anxiety in [0, 1]; nil draws 0.1·U(0, 1) per trajectory. 0 gives a straight line.
    public var anxiety: Double? = nil
    /// Fraction of the trajectory integrated by the exposure, in (0, 1]: the model's
    /// exposure fractions are 1/100, 1/10, 1/2 and 1.
    public var exposure: Double = 1
    public init() {}

    /// Parameters with the given fields changed from the defaults.
    public init(canvas: Int = 64, samples: Int = 2000, maxLength: Double = 60, anxiety: Double? = nil, exposure: Double = 1) {
        self.canvas = canvas; self.samples = samples; self.maxLength = maxLength; self.anxiety = anxiety; self.exposure = exposure
    }

    /// The model's four exposure fractions.
    public static let exposureFractions: [Double] = [1.0 / 100, 1.0 / 10, 1.0 / 2, 1]

    /// Checks every field; throws naming the first one out of its domain.
    public func validate() throws {
        guard canvas >= 1 && canvas <= 4096 else {
            throw DeconvolutionError.invalidParameter(name: "trajectory canvas", value: "\(canvas)", expected: "a canvas of 1 to 4096 pixels")
        }
        guard samples >= 2 && samples <= 10_000_000 else {
            throw DeconvolutionError.invalidParameter(name: "trajectory samples", value: "\(samples)", expected: "2 to 10000000 samples")
        }
        guard maxLength.isFinite && maxLength > 0 && maxLength < Double(canvas) else {
            throw DeconvolutionError.invalidParameter(name: "trajectory maximum length", value: "\(maxLength)", expected: "a length in (0, canvas = \(canvas)) pixels")
        }
        if let anxiety, !(anxiety >= 0 && anxiety <= 1) {
            throw DeconvolutionError.invalidParameter(name: "trajectory anxiety", value: "\(anxiety)", expected: "a value in [0, 1]")
        }
        guard exposure > 0 && exposure <= 1 else {
            throw DeconvolutionError.invalidParameter(name: "trajectory exposure", value: "\(exposure)", expected: "a fraction in (0, 1]")
        }
        // The first sample's weight is exposure · samples: below 1e-30 the single-precision
        // kernel received nothing ("it sums to 0", naming neither the option nor its value).
        guard exposure * Double(samples) >= 1e-30 else {
            throw DeconvolutionError.invalidParameter(name: "trajectory exposure", value: "\(exposure)",
                                                      expected: "a fraction in (0, 1] of at least 1e-30 / samples = \(String(format: "%.3g", 1e-30 / Double(samples)))")
        }
    }
}

/// A random camera-shake trajectory: the positions of the Boracchi & Foi (2012) random walk.
///
/// Each step keeps the speed `maxLength / (samples − 1)` and turns the velocity by
/// `Δv = jerk + a·(g·(n₁ + i n₂) − c·x_t)·maxLength/(samples − 1)`, where `a` is the anxiety,
/// `g` the Gaussian shake weight, `c` the centripetal term pulling back to the start,
/// `n₁, n₂ ~ N(0, 1)`, and `jerk = 2·v·e^{i(π + U − ½)}` (an abrupt reversal) with
/// probability `p_big · a`, else 0. Positions are complex numbers `x + i y` in canvas pixels.
public struct CameraShakeTrajectory: Sendable, Equatable {
    /// Positions `(x, y)` in canvas pixels, the first at the origin.
    public var points: [(x: Double, y: Double)]
    /// The anxiety used (drawn when the parameters leave it nil).
    public var anxiety: Double
    /// Number of big shakes (jerks) in the walk.
    public var bigShakes: Int

    public static func == (a: Self, b: Self) -> Bool {
        a.anxiety == b.anxiety && a.bigShakes == b.bigShakes && a.points.count == b.points.count
            && zip(a.points, b.points).allSatisfy { $0.x == $1.x && $0.y == $1.y }
    }

    /// Draws a walk from `rng`. The draws, in order: anxiety (if not given), centripetal term,
    /// big-shake probability, Gaussian weight, initial angle; then per step one uniform for the
    /// jerk test, one more uniform for a jerk's angle, and two normals. Parameters that
    /// `validate()` refuses are a precondition failure naming the first bad one.
    public init(parameters: TrajectoryParameters, rng: inout SeededRandom) {
        // Fewer than 2 samples trapped on an empty range, naming nothing.
        do { try parameters.validate() } catch { preconditionFailure("CameraShakeTrajectory: \(error)") }
        let anxiety = parameters.anxiety ?? 0.1 * rng.uniform()
        let centripetal = 0.7 * rng.uniform()
        let bigShakeProbability = 0.2 * rng.uniform()
        let gaussianWeight = 10 * rng.uniform()
        let initialAngle = 2 * Double.pi * rng.uniform()
        let n = parameters.samples
        let step = parameters.maxLength / Double(n - 1)
        // The model's initial speed; it is renormalized to `step` after the first update.
        let v0 = (cos(initialAngle), sin(initialAngle))
        var v = anxiety > 0 ? (v0.0 * anxiety, v0.1 * anxiety) : (v0.0 * step, v0.1 * step)
        var points = [(x: Double, y: Double)](repeating: (0, 0), count: n)
        var shakes = 0
        for t in 0..<(n - 1) {
            var jerk = (0.0, 0.0)
            if rng.uniform() < bigShakeProbability * anxiety {
                let turn = Double.pi + (rng.uniform() - 0.5)
                jerk = (2 * (v.0 * cos(turn) - v.1 * sin(turn)), 2 * (v.0 * sin(turn) + v.1 * cos(turn)))
                shakes += 1
            }
            let n1 = rng.gaussian(), n2 = rng.gaussian()
            let p = points[t]
            v.0 += jerk.0 + anxiety * (gaussianWeight * n1 - centripetal * p.x) * step
            v.1 += jerk.1 + anxiety * (gaussianWeight * n2 - centripetal * p.y) * step
            let speed = (v.0 * v.0 + v.1 * v.1).squareRoot()
            if speed > 0 { v = (v.0 / speed * step, v.1 / speed * step) } else { v = (step, 0) }
            points[t + 1] = (p.x + v.0, p.y + v.1)
        }
        self.points = points
        self.anxiety = anxiety
        self.bigShakes = shakes
    }

    /// The exposure weight of sample `t` (1-based time, as in the model): the overlap of
    /// `[t − 1, t]` with `[0, exposure · samples]`. Sample 0 opens the exposure and has none.
    public static func weight(sample t: Int, exposure: Double, samples: Int) -> Double {
        let end = exposure * Double(samples)
        return max(0, min(Double(t), end) - max(Double(t - 1), 0))
    }

    /// Rasterizes the exposed part into an `size × size` kernel with bilinear splatting, one
    /// canvas pixel per kernel pixel, the exposed part's bounding box centred on the kernel's
    /// centre pixel. A part wider than `size − 2` pixels is shrunk to that width (its shape
    /// kept, its extent not), so no mass falls outside; with the model's defaults (length 60)
    /// a 64 × 64 kernel never shrinks, and is the model's PSF. Not normalized.
    public func rasterize(size: Int, exposure: Double) -> Image {
        let n = points.count
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        for t in 0..<n where Self.weight(sample: t, exposure: exposure, samples: n) > 0 {
            let p = points[t]
            minX = min(minX, p.x); maxX = max(maxX, p.x); minY = min(minY, p.y); maxY = max(maxY, p.y)
        }
        let extent = max(maxX - minX, maxY - minY)
        let scale = extent > Double(size - 2) ? Double(size - 2) / extent : 1
        let centre = Double(size / 2)
        let offsetX = centre - scale * (minX + maxX) / 2, offsetY = centre - scale * (minY + maxY) / 2
        var kernel = Image(height: size, width: size)
        kernel.withUnsafeMutableBufferPointer { k in
            for t in 0..<n {
                let w = Self.weight(sample: t, exposure: exposure, samples: n)
                if w == 0 { continue }
                let x = scale * points[t].x + offsetX, y = scale * points[t].y + offsetY
                let x0 = Int(x.rounded(.down)), y0 = Int(y.rounded(.down))
                let fx = x - Double(x0), fy = y - Double(y0)
                // Triangle (bilinear) weights to the four neighbouring pixel centres.
                @inline(__always) func splat(_ yy: Int, _ xx: Int, _ v: Double) {
                    if yy >= 0 && yy < size && xx >= 0 && xx < size { k[yy * size + xx] += Float(v) }
                }
                splat(y0, x0, w * (1 - fy) * (1 - fx))
                splat(y0, x0 + 1, w * (1 - fy) * fx)
                splat(y0 + 1, x0, w * fy * (1 - fx))
                splat(y0 + 1, x0 + 1, w * fy * fx)
            }
        }
        return kernel
    }
}

extension PSF {
    /// The model's family of PSFs from one trajectory: the same walk integrated over each
    /// exposure fraction (default 1/100, 1/10, 1/2, 1 — `TrajectoryParameters.exposureFractions`),
    /// as Boracchi & Foi study restoration against exposure time. `parameters.exposure` is ignored.
    /// - Throws: as `trajectory(size:seed:parameters:)`, and for a fraction outside (0, 1].
    public static func trajectoryExposures(size: Int, seed: UInt64, parameters: TrajectoryParameters = .init(),
                                           fractions: [Double] = TrajectoryParameters.exposureFractions) throws -> [PSF] {
        guard size >= 3, size <= 1023, size % 2 == 1 else {
            throw DeconvolutionError.invalidParameter(name: "trajectory PSF size", value: "\(size)", expected: "an odd size between 3 and 1023")
        }
        var checked = parameters
        for fraction in fractions {
            checked.exposure = fraction
            try checked.validate()
        }
        var rng = SeededRandom(seed: seed)
        let walk = CameraShakeTrajectory(parameters: parameters, rng: &rng)
        return try fractions.map { fraction in
            try PSF(walk.rasterize(size: size, exposure: fraction),
                    source: "trajectory(size: \(size), seed: \(seed), exposure: \(fraction))")
        }
    }

    /// A random camera-shake PSF of `size × size` (odd), deterministic for `seed`: a
    /// Boracchi & Foi (2012) trajectory (`CameraShakeTrajectory`) integrated over the exposure
    /// fraction and splatted bilinearly, then normalized to sum 1 (never min–max rescaled).
    ///
    /// This is the blur model DeblurGAN (Kupyn et al. 2018) uses to make training pairs.
    ///
    /// - Parameters:
    ///   - size: odd side length in pixels, 3…1023.
    ///   - seed: the trajectory's seed (`SeededRandom(seed: seed)`).
    ///   - parameters: model parameters, defaults as in the paper.
    /// - Throws: `DeconvolutionError.invalidParameter` for an even or out-of-range size or a
    ///   parameter out of its domain.
    /// - Reference: G. Boracchi, A. Foi, "Modeling the performance of image restoration from
    ///   motion blur", IEEE Trans. Image Processing 21(8), 2012.
    public static func trajectory(size: Int, seed: UInt64, parameters: TrajectoryParameters = .init()) throws -> PSF {
        guard size >= 3, size <= 1023, size % 2 == 1 else {
            throw DeconvolutionError.invalidParameter(name: "trajectory PSF size", value: "\(size)", expected: "an odd size between 3 and 1023")
        }
        try parameters.validate()
        var rng = SeededRandom(seed: seed)
        let walk = CameraShakeTrajectory(parameters: parameters, rng: &rng)
        let kernel = walk.rasterize(size: size, exposure: parameters.exposure)
        return try PSF(kernel, source: "trajectory(size: \(size), seed: \(seed))")
    }
}
