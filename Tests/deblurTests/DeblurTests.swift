import DeblurKit
import Foundation
import Testing

@Suite struct DeblurRootTests {
    @Test func versionPrintsTheLibraryVersionAndExitsZero() throws {
        try withScratch { dir in
            let result = try dir.deblur("--version")
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == DeblurKitVersion.string)
        }
    }

    @Test func helpListsEverySubcommandAndExitsZero() throws {
        try withScratch { dir in
            let result = try dir.deblur("--help")
            #expect(result.status == 0, "\(result)")
            for command in ["info", "convert", "psf", "blur", "deconvolve", "refine", "train", "synth", "compare", "metrics", "export-onnx"] {
                #expect(result.stdout.contains(command), "--help does not mention \(command)")
            }
        }
    }

    @Test func unknownSubcommandExitsOneNamingIt() throws {
        try withScratch { dir in
            let result = try dir.deblur("frobnicate")
            expectCleanFailure(result, naming: "frobnicate", directory: dir, before: [], usageFollows: true)
        }
    }
}
