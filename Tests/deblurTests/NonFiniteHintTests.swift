@testable import deblur
import Testing

/// The hint of "produced non-finite values … nothing written". No cheap input makes a method
/// come out non-finite from the CLI (RL guards its divisions and keeps the image's flux; a float
/// TIFF far outside [0, 1] gets the --data-range hint instead), so the hints are tested here.
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
}
