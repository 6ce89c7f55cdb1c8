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

    @Test(arguments: [2.3, 3.0, 4.7, 7.9])
    func eachPixelIsTheAreaOfItsSquareInsideTheDisk(radius: Double) throws {
        // Exact for radii outside MATLAB's end-pixel correction band (crad − ½, √((crad − ½)² + ¼)).
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

    @Test func smallRadiusIsTheIdentityAndBadRadiiThrow() throws {
        #expect(try PSF.disk(radius: 0.4) == PSF.identity)
        for bad in [0.0, -1, .nan, .infinity] {
            #expect(throws: DeconvolutionError.self) { try PSF.disk(radius: bad) }
        }
    }
}
