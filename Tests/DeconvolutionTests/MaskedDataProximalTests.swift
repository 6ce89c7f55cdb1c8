import Testing
import DeblurCore
import _TestSupport
@testable import Deconvolution
import Foundation

@Suite struct MaskedDataProximalTests {
    static let psf: PSF = {
        var rng = SeededRandom(seed: 71)
        return try! PSF(Image(height: 5, width: 7) { _, _, _ in Float(rng.uniform()) + 0.05 })
    }()

    /// `M·v`: zero outside the observed window of the extended domain.
    static func masked(_ v: Image, _ data: MaskedDataProximal) -> Image {
        let d = data.domain
        return Image(height: v.height, width: v.width) { _, r, c in
            r >= d.top && r < d.top + d.height && c >= d.left && c < d.left + d.width ? v[r, c] : 0
        }
    }

    /// The solution satisfies `(KᵀMK + α) x = KᵀMy + α z`, with every operator the naive
    /// spatial one (no FFT), to a small fraction of the right-hand side.
    @Test(arguments: [Float(0.002), 0.05, 1])
    func solutionSatisfiesTheNormalEquations(alpha: Float) throws {
        let y = randomImage(height: 14, width: 12, seed: 72)
        let data = try MaskedDataProximal(observation: y, psf: Self.psf)
        let z = randomImage(height: data.paddedHeight, width: data.paddedWidth, seed: 73)
        var steps = 0
        let x = data.solve(prior: z, alpha: alpha, maxIterations: 1000, tolerance: 1e-9) { steps = $0 }
        var embedded = Image(height: data.paddedHeight, width: data.paddedWidth)
        for r in 0..<y.height { for c in 0..<y.width { embedded[data.domain.top + r, data.domain.left + c] = y[r, c] } }
        let lhs = naiveCircularCorrelate(Self.masked(naiveCircularConvolve(x, Self.psf), data), Self.psf)
        let rhs = naiveCircularCorrelate(embedded, Self.psf)
        var error = 0.0, norm = 0.0
        for i in x.pixels.indices {
            let b = Double(rhs.pixels[i]) + Double(alpha) * Double(z.pixels[i])
            let a = Double(lhs.pixels[i]) + Double(alpha) * Double(x.pixels[i])
            error += (a - b) * (a - b); norm += b * b
        }
        #expect((error / norm).squareRoot() < 1e-4, "relative residual \((error / norm).squareRoot()) after \(steps) CG steps")
        #expect(steps > 1, "the mask must leave work for CG")
    }

    /// A prior that already explains the observation is the solution: no CG step moves it.
    @Test func consistentPriorIsAFixedPoint() throws {
        let y0 = Image(height: 16, width: 18)
        let probe = try MaskedDataProximal(observation: y0, psf: Self.psf)
        let z = testScene(height: probe.paddedHeight, width: probe.paddedWidth, seed: 74)
        let y = probe.window(naiveCircularConvolve(z, Self.psf))
        let data = try MaskedDataProximal(observation: y, psf: Self.psf)
        let x = data.solve(prior: z, alpha: 0.01, tolerance: 1e-3)
        #expect(maxAbsDifference(x, z) < 1e-4)
    }

    /// The solution moves from the prior towards the data as α falls: the data misfit on the
    /// window shrinks and the distance to the prior grows, monotonically.
    @Test func alphaTradesTheDataTermAgainstThePrior() throws {
        let y = testScene(height: 20, width: 20, seed: 75)
        let data = try MaskedDataProximal(observation: y, psf: Self.psf)
        let z = data.start()
        var misfits: [Double] = [], distances: [Double] = []
        for alpha: Float in [1, 0.1, 0.01, 0.001] {
            let x = data.solve(prior: z, alpha: alpha, maxIterations: 500, tolerance: 1e-7)
            let reblurred = data.window(naiveCircularConvolve(x, Self.psf))
            misfits.append(zip(reblurred.pixels, y.pixels).reduce(0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) })
            distances.append(zip(x.pixels, z.pixels).reduce(0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) })
        }
        #expect(zip(misfits, misfits.dropFirst()).allSatisfy { $0 > $1 }, "misfits \(misfits)")
        #expect(zip(distances, distances.dropFirst()).allSatisfy { $0 < $1 }, "distances \(distances)")
    }

    @Test func startHoldsTheObservationInItsWindow() throws {
        let y = randomImage(height: 15, width: 13, seed: 76)
        let data = try MaskedDataProximal(observation: y, psf: Self.psf)
        let start = data.start()
        #expect(start.height == data.paddedHeight && start.width == data.paddedWidth)
        #expect(data.paddedHeight >= 15 + 4 && data.paddedWidth >= 13 + 6)
        #expect(data.window(start).pixels == y.pixels)
    }

    @Test func badObservationsAreErrors() {
        #expect(throws: DeconvolutionError.self) { try MaskedDataProximal(observation: Image(channels: 2, height: 12, width: 12), psf: Self.psf) }
        #expect(throws: DeconvolutionError.self) { try MaskedDataProximal(observation: Image(height: 4, width: 12), psf: Self.psf) }
        var nan = Image(height: 12, width: 12)
        nan[3, 4] = .nan
        #expect(throws: DeconvolutionError.self) { try MaskedDataProximal(observation: nan, psf: Self.psf) }
    }

    /// The data step is affine in its prior, x(z + v) − x(z) = J v, and `priorDerivative` is J
    /// (= Jᵀ): checked against the difference of two solves, and for symmetry by ⟨J u, v⟩ = ⟨u, J v⟩.
    @Test func priorDerivativeIsTheDataStepsJacobian() throws {
        let y = randomImage(height: 14, width: 12, seed: 74)
        let data = try MaskedDataProximal(observation: y, psf: Self.psf)
        let z = randomImage(height: data.paddedHeight, width: data.paddedWidth, seed: 75)
        let u = randomImage(height: data.paddedHeight, width: data.paddedWidth, seed: 76)
        let v = randomImage(height: data.paddedHeight, width: data.paddedWidth, seed: 77)
        let alpha: Float = 0.03
        let shifted = Image(height: z.height, width: z.width) { _, r, c in z[r, c] + v[r, c] }
        let xz = data.solve(prior: z, alpha: alpha, maxIterations: 1000, tolerance: 1e-9)
        let xzv = data.solve(prior: shifted, alpha: alpha, maxIterations: 1000, tolerance: 1e-9)
        let jv = data.priorDerivative(v, alpha: alpha, maxIterations: 1000, tolerance: 1e-9)
        var error = 0.0, norm = 0.0
        for i in jv.pixels.indices {
            let d = Double(xzv.pixels[i]) - Double(xz.pixels[i])
            error += (Double(jv.pixels[i]) - d) * (Double(jv.pixels[i]) - d); norm += d * d
        }
        #expect((error / norm).squareRoot() < 1e-3)
        let ju = data.priorDerivative(u, alpha: alpha, maxIterations: 1000, tolerance: 1e-9)
        var a = 0.0, b = 0.0
        for i in ju.pixels.indices { a += Double(ju.pixels[i]) * Double(v.pixels[i]); b += Double(u.pixels[i]) * Double(jv.pixels[i]) }
        #expect(abs(a - b) < 1e-4 * abs(a))
        // Not the identity: the observed window is pulled towards the data, the margin is not.
        #expect(abs(jv[data.domain.top + 5, data.domain.left + 5] - v[data.domain.top + 5, data.domain.left + 5]) > 1e-3)
        #expect(abs(jv[0, 0] - v[0, 0]) < abs(jv[data.domain.top + 5, data.domain.left + 5] - v[data.domain.top + 5, data.domain.left + 5]))
    }

    /// `embedWindow` is the transpose of `window`: ⟨window(a), b⟩ = ⟨a, embedWindow(b)⟩.
    @Test func embedWindowIsTheTransposeOfWindow() throws {
        let data = try MaskedDataProximal(observation: randomImage(height: 14, width: 12, seed: 78), psf: Self.psf)
        let a = randomImage(height: data.paddedHeight, width: data.paddedWidth, seed: 79)
        let b = randomImage(height: 14, width: 12, seed: 80)
        let wa = data.window(a), eb = data.embedWindow(b)
        var lhs = 0.0, rhs = 0.0
        for i in wa.pixels.indices { lhs += Double(wa.pixels[i]) * Double(b.pixels[i]) }
        for i in eb.pixels.indices { rhs += Double(a.pixels[i]) * Double(eb.pixels[i]) }
        #expect(abs(lhs - rhs) < 1e-4 * abs(lhs))
        #expect(eb.pixels.filter { $0 != 0 }.count == b.pixels.filter { $0 != 0 }.count)
    }
}
