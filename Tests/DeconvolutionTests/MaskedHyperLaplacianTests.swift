import Testing
import DeblurCore
import _TestSupport
@testable import Deconvolution
import Foundation

@Suite struct MaskedHyperLaplacianTests {
    /// `(λ/2)‖M (k ⊛ x) − y‖² + Σ |∇x|^α` on the extended domain, all spatial and naive.
    static func maskedObjective(_ x: Image, observed: Image, psf: PSF, domain: RestorationDomain, alpha: Float, lambda: Float) -> Double {
        let blurred = naiveCircularConvolve(x, psf)
        var data = 0.0, prior = 0.0
        for y in 0..<domain.height {
            for c in 0..<domain.width {
                let d = Double(blurred[domain.top + y, domain.left + c] - observed[y, c]); data += d * d
            }
        }
        let h = x.height, w = x.width
        for y in 0..<h {
            for c in 0..<w {
                let v = x[y, c]
                prior += pow(Double(abs(x[y, (c + 1) % w] - v)), Double(alpha))
                prior += pow(Double(abs(x[(y + 1) % h, c] - v)), Double(alpha))
            }
        }
        return Double(lambda) / 2 * data + prior
    }

    @Test func maskedObjectiveDecreasesOverOuterIterations() throws {
        let psf = lineMotionPSF()
        let data = validProtocolData(size: 40, psf: psf, sigma: 0.01, seed: 9)
        let domain = try RestorationDomain(height: 40, width: 40, psf: psf, boundary: .masked)
        for alpha: Float in [2.0 / 3.0, 1] {
            let settings = HyperLaplacian(alpha: alpha, lambda: 2000, boundary: .masked)
            let solver = MaskedHyperLaplacianSolver(domain: domain, psf: psf)
            var start = Image(height: domain.paddedHeight, width: domain.paddedWidth)
            start.withUnsafeMutableBufferPointer { b in data.observed.withUnsafeBufferPointer { domain.embed($0, into: b.baseAddress!, extend: true) } }
            var objectives = [Self.maskedObjective(start, observed: data.observed, psf: psf, domain: domain, alpha: alpha, lambda: 2000)]
            _ = solver.run(data.observed, settings: settings, lambda: 2000) { _ in
                let x = Image(height: domain.paddedHeight, width: domain.paddedWidth,
                              pixels: Array(UnsafeBufferPointer(start: solver.core.x.pointer, count: domain.paddedCount)))
                objectives.append(Self.maskedObjective(x, observed: data.observed, psf: psf, domain: domain, alpha: alpha, lambda: 2000))
                return true
            }
            #expect(objectives.count == settings.outerIterations + 1)
            // Half-quadratic splitting at the first, tiny β may trade data fit for smoothness
            // from the reflected start; from then on every β lowers the masked objective.
            for k in 2..<objectives.count { #expect(objectives[k] < objectives[k - 1], "α \(alpha): \(objectives)") }
            #expect(objectives.last! < 0.6 * objectives[0], "α \(alpha): \(objectives)")
        }
    }

    @Test func maskedRestorationReturnsTheObservedWindowAndIsDeterministic() throws {
        let psf = lineMotionPSF()
        let data = validProtocolData(size: 30, psf: psf, sigma: 0.01, seed: 10)
        let method = HyperLaplacian(alpha: 1, lambda: 1000, boundary: .masked)
        let a = try method.restore(data.observed, psf: psf), b = try method.restore(data.observed, psf: psf)
        #expect(a.height == 30 && a.width == 30)
        #expect(maxAbsDifference(a, b) == 0)
        #expect(psnr(a, data.truth) > psnr(data.observed, data.truth) + 2)
        #expect(method.innerIterations == 5 && HyperLaplacian(boundary: .reflect).innerIterations == 1)
    }
}
