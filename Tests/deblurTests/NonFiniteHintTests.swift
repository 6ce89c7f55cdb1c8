@testable import deblur
import DeblurIO
import Testing

/// The hint of "produced non-finite values … nothing written". Few inputs make a method come out
/// non-finite from the CLI (RL guards its divisions and keeps the image's flux; a float TIFF far
/// outside [0, 1] gets the --data-range hint instead): a Tikhonov λ near the top of single
/// precision does, and is run here; the other hints are tested as strings.
@Suite struct NonFiniteHintTests {
    /// Each option a hint names parses with its method: every method was told "try a larger
    /// --nsr or --lambda", and RL refuses both.
    @Test(arguments: ClassicalMethodName.allCases, [false, true])
    func aHintNamesOnlyOptionsItsMethodTakes(method: ClassicalMethodName, acceleration: Bool) throws {
        guard method == .rl || !acceleration else { return }
        let hint = Deconvolve.nonFiniteHint(for: method, acceleration: acceleration)
        let options = hint.split(whereSeparator: { $0 == " " || $0 == "," }).filter { $0.hasPrefix("--") }.map(String.init)
        #expect(!options.isEmpty, "\(hint)")
        let values = ["--nsr": "0.1", "--noise-sigma": "0.01", "--lambda": "0.01", "--iterations": "5", "--damping": "0.01"]
        for option in options {
            let arguments = ["b.tif", "--psf", "k.tif", "--method", method.rawValue, "-o", "nonfinite-hint.tif", option]
                + (values[option].map { [$0] } ?? []) + (acceleration && option != "--acceleration" ? ["--acceleration"] : [])
            #expect(throws: Never.self, "\(method.rawValue): \(hint)") { _ = try Deconvolve.parse(arguments) }
        }
    }

    @Test func rlIsToldOfItsIterationsAndDamping() {
        #expect(Deconvolve.nonFiniteHint(for: .rl) == "try fewer --iterations or a --damping threshold")
        #expect(Deconvolve.nonFiniteHint(for: .rl, acceleration: true).hasSuffix(", or leave out --acceleration"))
        #expect(Deconvolve.nonFiniteHint(for: .wiener).contains("--nsr"))
        for method in [ClassicalMethodName.tikhonov, .rlTV, .hyperLaplacian] { #expect(Deconvolve.nonFiniteHint(for: method).contains("--lambda")) }
        #expect(Refine.nonFiniteHint.contains("--noise-sigma") && Refine.nonFiniteHint.contains("--model"))
    }

    /// Tikhonov's λ |R|² of 1e38 overflows single precision; it was told to move λ further the
    /// same way ("try a smaller --lambda"), which only fails again.
    @Test func aLambdaThatOverflowsIsToldToMoveBack() throws {
        try withScratch { dir in
            try DeconvolveTests.blurred(in: dir)
            let before = dir.listing()
            let result = try dir.deblur("deconvolve", "blurred.tif", "--psf", "psf.tif", "--method", "tikhonov", "--lambda", "1e38",
                                        "-o", "out.tif", "--quiet")
            expectCleanFailure(result, naming: "produced non-finite values on blurred.tif", directory: dir, before: before)
            let first = result.stderrLines.first ?? ""
            #expect(first.contains("nothing written (try a smaller --lambda (the default is 0.002))"), "\(first)")
        }
    }

    /// The hyper-Laplacian's β/λ overflowed at λ = 1e-37 and the run failed with the hint to
    /// raise λ; β/λ is now capped, and such a λ gives the prior's flat limit: the image's level.
    @Test func aVanishingHyperLaplacianLambdaGivesAFlatImage() throws {
        try withScratch { dir in
            try DeconvolveTests.blurred(in: dir)
            let result = try dir.deblur("deconvolve", "blurred.tif", "--psf", "psf.tif", "--method", "hyper-laplacian",
                                        "--lambda", "1e-37", "-o", "out.tif", "--quiet")
            #expect(result.status == 0, "\(result.stderrLines)")
            let out = try ImageIO.read(dir.file("out.tif").path)
            #expect(out.pixels.allSatisfy { $0.isFinite })
            #expect(out.pixels.max()! - out.pixels.min()! < 1e-4)
        }
    }

    /// The direction comes from the value: below tikhonov's usual λ, or above the
    /// hyper-Laplacian's, the hint is the one given when no --lambda is.
    @Test func aLambdaOnTheUnstableSideKeepsTheUsualHint() {
        #expect(Deconvolve.nonFiniteHint(for: .tikhonov, lambda: 1e-6, usualLambda: 0.002) == Deconvolve.nonFiniteHint(for: .tikhonov))
        #expect(Deconvolve.nonFiniteHint(for: .tikhonov) == "try a larger --lambda")
        #expect(Deconvolve.nonFiniteHint(for: .hyperLaplacian, lambda: 1e9, usualLambda: 2000) == "try a smaller --lambda (the data weight)")
        #expect(Deconvolve.nonFiniteHint(for: .hyperLaplacian, lambda: 1, usualLambda: 2000)
                == "try a larger --lambda (the data weight; the image's noise level gives 2e+03)")
    }
}
