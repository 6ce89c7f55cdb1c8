import DeblurKit
import Foundation
import Testing

@Suite struct CompareTests {
    static func dataset(in dir: URL) throws {
        let result = try dir.deblur(SynthTests.arguments)
        #expect(result.status == 0, "\(result)")
    }

    @Test func blurredAndWienerOnThreeItemsWriteSixCSVRows() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            let result = try dir.deblur("compare", "ds", "--methods", "blurred,wiener", "--csv", "scores.csv", "--quiet", "--threads", "1")
            #expect(result.status == 0, "\(result)")
            let lines = try String(contentsOf: dir.file("scores.csv"), encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            #expect(lines.count == 1 + 3 * 2, "\(lines)")
            let header = lines[0].split(separator: ",").map(String.init)
            let methodColumn = try #require(header.firstIndex(of: "method"), "no method column: \(lines[0])")
            let methods = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)[methodColumn] }
            #expect(methods.filter { $0 == "blurred" }.count == 3)
            #expect(methods.filter { $0.hasPrefix("wiener") }.count == 3)
        }
    }

    @Test func unknownMethodExitsOneNamingItWithoutOutput() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            let before = dir.listing()
            let result = try dir.deblur("compare", "ds", "--methods", "blurred,sharpen-magic", "--csv", "scores.csv", "--quiet")
            expectCleanFailure(result, naming: "sharpen-magic", directory: dir, before: before)
        }
    }

    @Test func missingDatasetExitsOneNamingIt() throws {
        try withScratch { dir in
            let result = try dir.deblur("compare", "nodata", "--methods", "blurred", "--csv", "scores.csv", "--quiet")
            expectCleanFailure(result, naming: "nodata", directory: dir, before: [])
        }
    }
}
