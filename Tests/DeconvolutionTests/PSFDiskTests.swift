import Testing
import Foundation
import DeblurCore
import _TestSupport
@testable import Deconvolution

@Suite struct PSFDiskTests {
    @Test func radiusOneMatchesMATLABValues() throws {
        // fspecial('disk', 1), 4 decimals: centre 1/π, edges and corners the exact covered areas / π.
        let expected: [Float] = [0.0251, 0.1453, 0.0251,
                                 0.1453, 0.3183, 0.1453,
                                 0.0251, 0.1453, 0.0251]
        let psf = try PSF.disk(radius: 1)
        #expect(maxAbsDifference(psf.image.pixels, expected) < 6e-5)
    }

    /// Area of the pixel square centred at (cx, cy) inside the disk of radius r at the
    /// origin, by integrating the chord length over x with the midpoint rule.
    func coveredArea(cx: Double, cy: Double, r: Double) -> Double {
        let steps = 4000
        var area = 0.0
        for i in 0..<steps {
            let x = cx - 0.5 + (Double(i) + 0.5) / Double(steps)
            if abs(x) >= r { continue }
            let h = (r * r - x * x).squareRoot()
            let lo = max(cy - 0.5, -h), hi = min(cy + 0.5, h)
            if hi > lo { area += (hi - lo) / Double(steps) }
        }
        return area
    }

    /// Radii inside MATLAB's end-pixel correction band (crad − ½, √((crad − ½)² + ¼)) are
    /// included: there MATLAB's correction makes the four axis end pixels exact too (before the
    /// fix, the sliver was computed as if crad were 1, and fspecial('disk', 1.55) put 0.107
    /// instead of 0.0035 on each end pixel).
    @Test(arguments: [0.6, 1.51, 1.55, 2.3, 2.52, 3.0, 3.52, 4.7, 7.51, 7.9])
    func eachPixelIsTheAreaOfItsSquareInsideTheDisk(radius: Double) throws {
        let psf = try PSF.disk(radius: radius)
        let crad = Int((radius - 0.5).rounded(.up))
        #expect(psf.height == 2 * crad + 1 && psf.width == 2 * crad + 1)
        var areas = [Double]()
        for y in 0..<psf.height {
            for x in 0..<psf.width { areas.append(coveredArea(cx: Double(x - crad), cy: Double(y - crad), r: radius)) }
        }
        let total = areas.reduce(0, +)
        #expect(abs(total - Double.pi * radius * radius) < 1e-3)
        let expected = areas.map { Float($0 / total) }
        #expect(maxAbsDifference(psf.image.pixels, expected) < 2e-5)
    }

    @Test func radiiInTheEndPixelBandMatchFspecial() throws {
        // From `/tmp/peers/bin/python Tests/References/fspecial_references.py` (fspecial.m's
        // algorithm in NumPy): fspecial('disk', 1.55) and fspecial('disk', 2.52).
        let fspecialDisk155: [Float] = [0, 0, 0.0034605783, 0, 0, 0, 0.081380918, 0.13203573, 0.081380918, 0, 0.0034605783, 0.13203573, 0.13249111, 0.13203573, 0.0034605783, 0, 0.081380918, 0.13203573, 0.081380918, 0, 0, 0, 0.0034605783, 0, 0]
        let fspecialDisk252: [Float] = [0, 0, 0, 0.00042386773, 0, 0, 0, 0, 0.0075889625, 0.039669022, 0.049869263, 0.039669022, 0.0075889625, 0, 0, 0.039669022, 0.050124384, 0.050124384, 0.050124384, 0.039669022, 0, 0.00042386773, 0.049869263, 0.050124384, 0.050124384, 0.050124384, 0.049869263, 0.00042386773, 0, 0.039669022, 0.050124384, 0.050124384, 0.050124384, 0.039669022, 0, 0, 0.0075889625, 0.039669022, 0.049869263, 0.039669022, 0.0075889625, 0, 0, 0, 0, 0.00042386773, 0, 0, 0]
        let small = try PSF.disk(radius: 1.55), large = try PSF.disk(radius: 2.52)
        #expect(small.height == 5 && large.height == 7)
        #expect(maxAbsDifference(small.image.pixels, fspecialDisk155) < 1e-7)
        #expect(maxAbsDifference(large.image.pixels, fspecialDisk252) < 1e-7)
    }

    @Test func smallRadiusIsTheIdentityAndBadRadiiThrow() throws {
        #expect(try PSF.disk(radius: 0.4) == PSF.identity)
        for bad in [0.0, -1, .nan, .infinity] {
            #expect(throws: DeconvolutionError.self) { try PSF.disk(radius: bad) }
        }
    }
}
