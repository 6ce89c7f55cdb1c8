import Testing
import Foundation
import DeblurCore
import _TestSupport
@testable import Deconvolution

@Suite struct PSFTrajectoryTests {
    /// Fewer than 2 samples trapped on an empty range ("Range requires lowerBound <= upperBound").
    @Test func invalidParametersStopNamingTheValue() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var rng = SeededRandom(seed: 1)
            _ = CameraShakeTrajectory(parameters: TrajectoryParameters(samples: 0), rng: &rng)
        }
        let message = String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
        #expect(message.contains("CameraShakeTrajectory: invalid trajectory samples 0"), "\(message)")
    }

    @Test func sameSeedGivesTheSameKernelAndOtherSeedsDiffer() throws {
        let a = try PSF.trajectory(size: 31, seed: 7)
        let b = try PSF.trajectory(size: 31, seed: 7)
        let c = try PSF.trajectory(size: 31, seed: 8)
        #expect(a == b)
        #expect(a != c)
        #expect(a.height == 31 && a.width == 31)
        let sum = a.image.pixels.reduce(0, +)
        #expect(abs(sum - 1) < 1e-5)
        #expect(a.image.pixels.allSatisfy { $0 >= 0 })
    }

    @Test func walkHasConstantSpeedAndTotalLengthMaxLength() {
        var rng = SeededRandom(seed: 3)
        let parameters = TrajectoryParameters(samples: 500, maxLength: 40)
        let walk = CameraShakeTrajectory(parameters: parameters, rng: &rng)
        #expect(walk.points.count == 500)
        #expect(walk.points[0].x == 0 && walk.points[0].y == 0)
        var total = 0.0
        for t in 1..<walk.points.count {
            let dx = walk.points[t].x - walk.points[t - 1].x, dy = walk.points[t].y - walk.points[t - 1].y
            let step = (dx * dx + dy * dy).squareRoot()
            #expect(abs(step - 40.0 / 499) < 1e-9)
            total += step
        }
        #expect(abs(total - 40) < 1e-9)
    }

    @Test func zeroAnxietyGivesAStraightLineShrunkToFit() throws {
        var parameters = TrajectoryParameters()
        parameters.anxiety = 0
        let psf = try PSF.trajectory(size: 33, seed: 11, parameters: parameters)
        // Second moments of the kernel: a segment of length ℓ has variance ℓ²/12 along it and
        // ~0 across it (bilinear splatting adds at most 1/6 pixel² per axis).
        var mx = 0.0, my = 0.0
        for y in 0..<33 { for x in 0..<33 { let w = Double(psf[y, x]); mx += w * Double(x); my += w * Double(y) } }
        var sxx = 0.0, syy = 0.0, sxy = 0.0
        for y in 0..<33 {
            for x in 0..<33 {
                let w = Double(psf[y, x]), dx = Double(x) - mx, dy = Double(y) - my
                sxx += w * dx * dx; syy += w * dy * dy; sxy += w * dx * dy
            }
        }
        let trace = sxx + syy, det = sxx * syy - sxy * sxy
        let major = trace / 2 + (trace * trace / 4 - det).squareRoot()
        let minor = trace / 2 - (trace * trace / 4 - det).squareRoot()
        // A 60-pixel line does not fit in 33 pixels: its wider axis is shrunk to size − 2 = 31.
        let phi = 0.5 * atan2(2 * sxy, sxx - syy)
        let length = 31 / max(abs(cos(phi)), abs(sin(phi)))
        #expect(abs(major - length * length / 12) < 1.0)
        #expect(minor < 0.2)
    }

    @Test func bilinearSplattingKeepsTheWeightedCentroidOfTheExposedSamples() throws {
        var rng = SeededRandom(seed: 5)
        let parameters = TrajectoryParameters(exposure: 0.5)
        let walk = CameraShakeTrajectory(parameters: parameters, rng: &rng)
        let kernel = walk.rasterize(size: 41, exposure: 0.5)
        // Expected: the exposure-weighted mean position, shifted (and shrunk when wider than
        // 39 pixels) as rasterize does.
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        var wsum = 0.0, wx = 0.0, wy = 0.0
        for (t, p) in walk.points.enumerated() {
            let w = CameraShakeTrajectory.weight(sample: t, exposure: 0.5, samples: 2000)
            if w == 0 { continue }
            minX = min(minX, p.x); maxX = max(maxX, p.x); minY = min(minY, p.y); maxY = max(maxY, p.y)
            wsum += w; wx += w * p.x; wy += w * p.y
        }
        let scale = min(1, 39 / max(maxX - minX, maxY - minY))
        let ex = 20 + scale * (wx / wsum - (minX + maxX) / 2), ey = 20 + scale * (wy / wsum - (minY + maxY) / 2)
        var m = 0.0, cx = 0.0, cy = 0.0
        for y in 0..<41 { for x in 0..<41 { let w = Double(kernel[y, x]); m += w; cx += w * Double(x); cy += w * Double(y) } }
        #expect(abs(m - wsum) / wsum < 1e-5)
        #expect(abs(cx / m - ex) < 1e-3 && abs(cy / m - ey) < 1e-3)
    }

    @Test func exposureWeightsCoverTheFractionOfTheSamples() {
        for fraction in TrajectoryParameters.exposureFractions {
            let total = (0..<2000).reduce(0.0) { $0 + CameraShakeTrajectory.weight(sample: $1, exposure: fraction, samples: 2000) }
            #expect(abs(total - min(fraction * 2000, 1999)) < 1e-9)
        }
        #expect(CameraShakeTrajectory.weight(sample: 22, exposure: 0.0105, samples: 2000) == 0)
        #expect(abs(CameraShakeTrajectory.weight(sample: 21, exposure: 0.0102, samples: 2000) - 0.4) < 1e-9)
    }

    @Test func kernelsShowTheWalkAtOnePixelPerCanvasPixelUnlessItDoesNotFit() throws {
        // A straight line (anxiety 0) of length 20 on the default canvas is 20 pixels long in
        // a 31 × 31 kernel and in a 63 × 63 kernel alike; 40 pixels is shrunk to 29 in 31.
        func length(_ psf: PSF) -> Double {
            var xs = [Int](), ys = [Int]()
            for y in 0..<psf.height { for x in 0..<psf.width where psf[y, x] > 0 { xs.append(x); ys.append(y) } }
            let dx = Double(xs.max()! - xs.min()!), dy = Double(ys.max()! - ys.min()!)
            return (dx * dx + dy * dy).squareRoot()
        }
        let short = TrajectoryParameters(maxLength: 20, anxiety: 0)
        let a = length(try PSF.trajectory(size: 31, seed: 2, parameters: short))
        let b = length(try PSF.trajectory(size: 63, seed: 2, parameters: short))
        #expect(abs(a - b) < 1e-9 && a >= 19 && a <= 22)
        let long = length(try PSF.trajectory(size: 31, seed: 2, parameters: TrajectoryParameters(maxLength: 40, anxiety: 0)))
        #expect(long <= 29 * 2.0.squareRoot() + 1.5 && long >= 28)
    }

    @Test func shortExposureGivesASmallerSupport() throws {
        let full = try PSF.trajectory(size: 31, seed: 21)
        let short = try PSF.trajectory(size: 31, seed: 21, parameters: TrajectoryParameters(exposure: 0.01))
        #expect(short.image.pixels.filter { $0 > 0 }.count < full.image.pixels.filter { $0 > 0 }.count)
    }

    @Test func exposureFamilyUsesOneWalkAndMatchesSingleExposureKernels() throws {
        let family = try PSF.trajectoryExposures(size: 25, seed: 13)
        #expect(family.count == 4)
        for (psf, fraction) in zip(family, TrajectoryParameters.exposureFractions) {
            #expect(psf == (try PSF.trajectory(size: 25, seed: 13, parameters: TrajectoryParameters(exposure: fraction))))
        }
        #expect(throws: DeconvolutionError.self) { try PSF.trajectoryExposures(size: 25, seed: 13, fractions: [0.5, 1.5]) }
    }

    @Test func badSizeOrParametersAreTypedErrors() {
        #expect(throws: DeconvolutionError.self) { try PSF.trajectory(size: 30, seed: 1) }
        #expect(throws: DeconvolutionError.self) { try PSF.trajectory(size: 1, seed: 1) }
        #expect(throws: DeconvolutionError.self) { try PSF.trajectory(size: 31, seed: 1, parameters: TrajectoryParameters(exposure: 0)) }
        #expect(throws: DeconvolutionError.self) { try PSF.trajectory(size: 31, seed: 1, parameters: TrajectoryParameters(maxLength: .nan)) }
        #expect(throws: DeconvolutionError.self) { try PSF.trajectory(size: 31, seed: 1, parameters: TrajectoryParameters(anxiety: -0.1)) }
    }
}
