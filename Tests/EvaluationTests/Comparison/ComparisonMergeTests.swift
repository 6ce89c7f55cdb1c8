import Testing
import Foundation
import DeblurCore
@testable import Evaluation

@Suite struct ComparisonMergeTests {
    let methods = [ComparisonMethod(Passthrough()), ComparisonMethod(label: "subtract", restorer: Subtract(shift: 0.05))]

    func items(_ ids: [Int]) -> [ComparisonItem] {
        ids.map { offsetItem(String(format: "%03d", $0), kernel: $0 % 2 == 0 ? "disk-3" : "motion-9", noise: 0.01 * Double(1 + $0 % 3), seed: UInt64($0)) }
    }

    func reparsed(_ c: Comparison, _ source: String = "part.json") throws -> Comparison {
        try Comparison.parseJSON(Data(JSONReport.render(c).utf8), source: source)
    }

    @Test func jsonRoundTripKeepsScoresGroupsTracesAndFailures() throws {
        let original = sampleResult()
        let back = try reparsed(original)
        #expect(back.methods == original.methods && back.items.map(\.id) == original.items.map(\.id))
        #expect(back.settings.metrics == original.settings.metrics && back.settings.baseline == original.settings.baseline)
        for (a, b) in zip(back.items, original.items) {
            #expect(a.kernel == b.kernel && a.noiseSigma == b.noiseSigma && a.failure == b.failure)
            #expect(a.results.map(\.scores) == b.results.map(\.scores) && a.results.map(\.error) == b.results.map(\.error))
        }
        #expect(back.traces.map(\.points.count) == original.traces.map(\.points.count))
        // The reports rendered from the parsed run equal the original's (previews aside).
        var withoutPreviews = original
        withoutPreviews.previews = []
        #expect(MarkdownReport.render(back) == MarkdownReport.render(withoutPreviews))
        #expect(CSVReport.render(back) == CSVReport.render(original))
    }

    @Test func shardsMergeToTheAggregatesOfOneRun() throws {
        let whole = ComparisonRunner().run(items: items(Array(0..<9)), methods: methods)
        let parts = try (0..<3).map { k in
            (source: "part-\(k).json", comparison: try reparsed(ComparisonRunner().run(items: items(Array(stride(from: k, to: 9, by: 3))), methods: methods)))
        }
        let merged = try Comparison.merge(parts.reversed())
        #expect(merged.items.map(\.id) == whole.items.map(\.id))
        for (a, b) in zip(merged.summaries, whole.summaries) {
            #expect(a.method == b.method && a.count == b.count)
            #expect(abs(a.psnr.mean - b.psnr.mean) < 1e-12 && abs(a.ssim.median - b.ssim.median) < 1e-12)
        }
        #expect(merged.byNoise.map(\.group) == whole.byNoise.map(\.group))
        #expect(merged.wins.map(\.psnrWins) == whole.wins.map(\.psnrWins))
    }

    @Test func mismatchedOrOverlappingPartsAreRefusedNamingTheFile() throws {
        let a = try reparsed(ComparisonRunner().run(items: items([0, 1]), methods: methods))
        let other = try reparsed(ComparisonRunner().run(items: items([2]), methods: [methods[0]]))
        #expect(throws: EvaluationError.self) { try Comparison.merge([("a.json", a), ("b.json", other)]) }
        do { _ = try Comparison.merge([("a.json", a), ("again.json", a)]); Issue.record("overlap accepted") } catch {
            #expect("\(error)".contains("again.json") && "\(error)".contains("000"))
        }
        #expect(throws: EvaluationError.self) { try Comparison.merge([]) }
        for text in ["", "[]", #"{"format": "other"}"#, #"{"format": "deblurkit-comparison", "format_version": 1}"#] {
            do { _ = try Comparison.parseJSON(Data(text.utf8), source: "bad.json"); Issue.record("accepted \(text)") } catch {
                #expect("\(error)".contains("bad.json"))
            }
        }
    }
}
