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

    /// compare and metrics share the scoring code: the `blurred` rows are `metrics sharp blurred`.
    @Test func blurredRowsEqualMetricsOfSharpAgainstBlurred() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            let result = try dir.deblur("compare", "ds", "--methods", "blurred", "--csv", "scores.csv", "--quiet", "--threads", "1")
            #expect(result.status == 0, "\(result)")
            let lines = try String(contentsOf: dir.file("scores.csv"), encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: true).map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            let header = lines[0]
            let id = try #require(header.firstIndex(of: "item")), p = try #require(header.firstIndex(of: "psnr")),
                s = try #require(header.firstIndex(of: "ssim"))
            #expect(lines.count == 4)
            for row in lines.dropFirst() {
                let metrics = try dir.deblur("metrics", "ds/sharp/\(row[id]).png", "ds/blurred/\(row[id]).tif", "--json")
                let object = try MetricsTests.json(metrics)
                let psnr = try #require(object["psnr"] as? Double), ssim = try #require(object["ssim"] as? Double)
                #expect(abs(psnr - (Double(row[p]) ?? .nan)) < 1e-9, "item \(row[id])")
                #expect(abs(ssim - (Double(row[s]) ?? .nan)) < 1e-9, "item \(row[id])")
            }
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
