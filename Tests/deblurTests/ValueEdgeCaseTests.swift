import DeblurKit
import Foundation
import Testing

/// Extreme values of numeric options (found by trying 0, -0, ±inf, NaN, denormals, 2^31, 2^63
/// on every option): each is refused in one line naming the option or value, leaving nothing
/// behind, or gives a finite, sensible result.
@Suite struct ValueEdgeCaseTests {
    /// `-inf` and `-nan` after an option reached ArgumentParser as an option name: "Missing
    /// value for '--length <length>'", not the check that names the value.
    @Test(arguments: [["psf", "motion", "--length", "-inf"], ["psf", "gaussian", "--sigma", "-INF"],
                      ["psf", "disk", "--radius", "-nan"], ["psf", "motion", "--length", "5", "--angle", "-Infinity"]])
    func negativeInfinityAndNaNReachTheCheckThatNamesThem(arguments: [String]) throws {
        try withScratch { dir in
            let result = try dir.deblur(arguments + ["-o", "k.tif"])
            expectCleanFailure(result, naming: "invalid", directory: dir, before: [])
            #expect(!result.stderr.contains("Missing value"), "\(result)")
            if arguments.last!.lowercased().contains("inf") {
                #expect(result.stderrLines.first?.contains("-inf") == true, "\(result)")
            }
        }
    }
}
