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
        // The bootstrap intervals too, bit for bit, even against a run given the items in another order.
        let reordered = ComparisonRunner().run(items: items(Array((0..<9).reversed())), methods: methods)
        #expect(merged.againstBaseline == whole.againstBaseline && reordered.againstBaseline == whole.againstBaseline)
        #expect(merged.againstBaseline.first?.count == 9 && merged.againstBaseline.first?.psnr.low != nil)
    }

    /// Shard `k` of 3 over items 0…8 as `--shard k/3` writes it, read back from its JSON.
    func shard(_ k: Int, of n: Int = 3, datasetItems: Int = 9) throws -> (source: String, comparison: Comparison) {
        var settings = ComparisonSettings()
        settings.shard = ComparisonShard(index: k, count: n, datasetItems: datasetItems)
        let run = ComparisonRunner(settings: settings).run(items: items(Array(stride(from: k - 1, to: datasetItems, by: n))), methods: methods)
        return ("part-\(k).json", try reparsed(run))
    }

    @Test func shardRecordSurvivesTheJSONAndTheMergedResultHasNone() throws {
        let part = try shard(2)
        #expect(part.comparison.settings.shard == ComparisonShard(index: 2, count: 3, datasetItems: 9))
        let merged = try Comparison.merge([shard(3), part, shard(1)])
        #expect(merged.settings.shard == nil && merged.items.map(\.id) == (0..<9).map { String(format: "%03d", $0) })
    }

    @Test func mergedShardsGiveTheRunsTracesAndTheSameReportInAnyArgumentOrder() throws {
        let traced = [ComparisonMethod(Passthrough()), ComparisonMethod(label: "iterative", restorer: IterativeSubtract(shift: 0.05, iterations: 3))]
        let whole = ComparisonRunner().run(items: items(Array(0..<9)), methods: traced)
        let parts = try (1...3).map { k -> (source: String, comparison: Comparison) in
            var settings = ComparisonSettings()
            settings.shard = ComparisonShard(index: k, count: 3, datasetItems: 9)
            let run = ComparisonRunner(settings: settings).run(items: items(Array(stride(from: k - 1, to: 9, by: 3))), methods: traced)
            return ("part-\(k).json", try reparsed(run))
        }
        let forward = try Comparison.merge(parts), backward = try Comparison.merge([parts[2], parts[0], parts[1]])
        // Each shard traced its own first two items (000, 003 / 001, 004 / 002, 005); the run traced 000 and 001.
        #expect(whole.traces.map(\.item) == ["000", "001"])
        #expect(forward.traces.map(\.item) == whole.traces.map(\.item))
        #expect(forward.traces.map { $0.points.map(\.psnr) } == whole.traces.map { $0.points.map(\.psnr) })
        #expect(JSONReport.render(backward) == JSONReport.render(forward))
        #expect(HTMLReport.render(backward) == HTMLReport.render(forward))
    }

    /// Ids that are not zero-padded (img1 … img12) merge in a dataset's order, `<`, which the
    /// run had: numeric order listed img2 after img1 and kept img2's trace instead of img10's.
    @Test func mergedShardsKeepTheDatasetsOrderOfIdsThatAreNotZeroPadded() throws {
        let traced = [ComparisonMethod(Passthrough()), ComparisonMethod(label: "iterative", restorer: IterativeSubtract(shift: 0.05, iterations: 3))]
        let ids = (1...12).map { "img\($0)" }.sorted()   // as Dataset.load gives them: img1, img10, img11, img12, img2, …
        let all = ids.enumerated().map { offsetItem($1, kernel: "disk-3", noise: 0.01, seed: UInt64($0)) }
        let whole = ComparisonRunner().run(items: all, methods: traced)
        let parts = try (1...3).map { k -> (source: String, comparison: Comparison) in
            var settings = ComparisonSettings()
            settings.shard = ComparisonShard(index: k, count: 3, datasetItems: 12)
            let run = ComparisonRunner(settings: settings).run(items: all.enumerated().filter { $0.offset % 3 == k - 1 }.map(\.element), methods: traced)
            return ("part-\(k).json", try reparsed(run))
        }
        let merged = try Comparison.merge(parts)
        #expect(whole.traces.map(\.item) == ["img1", "img10"])
        #expect(merged.items.map(\.id) == ids && merged.traces.map(\.item) == whole.traces.map(\.item))
        #expect(CSVReport.render(merged).split(separator: "\n").map { $0.split(separator: ",").prefix(7) }
                == CSVReport.render(whole).split(separator: "\n").map { $0.split(separator: ",").prefix(7) })
    }

    @Test func aMissingShardIsRefusedNamingIt() throws {
        do { _ = try Comparison.merge([shard(1, of: 4, datasetItems: 8), shard(3, of: 4, datasetItems: 8)]); Issue.record("incomplete set accepted") } catch {
            #expect("\(error)".contains("missing 2 shard(s): 2/4, 4/4"), "\(error)")
        }
    }

    @Test func aRepeatedShardOrAnotherSplitIsRefusedNamingTheFile() throws {
        var again = try shard(2)
        again.source = "again.json"
        do { _ = try Comparison.merge([shard(1), shard(2), again, shard(3)]); Issue.record("repeated shard accepted") } catch {
            #expect("\(error)".contains("again.json") && "\(error)".contains("shard 2/3 is also part-2.json"), "\(error)")
        }
        // Shards of another --limit have the right ids for their own split but not for this one.
        var otherLimit = try shard(3, datasetItems: 6)
        otherLimit.source = "limit6.json"
        do { _ = try Comparison.merge([shard(1), shard(2), otherLimit]); Issue.record("other split accepted") } catch {
            #expect("\(error)".contains("limit6.json") && "\(error)".contains("6 items"), "\(error)")
        }
    }

    /// Reports without a shard record (an unsharded run, or older files) merge as before, but
    /// not together with sharded ones, whose set could then not be checked.
    @Test func partsWithoutAShardRecordMergeAsBeforeButNotWithShards() throws {
        let old = try shard(2)
        var document = JSONReport.object(old.comparison)
        var settings = try #require(document["settings"] as? [String: Any])
        #expect(settings.removeValue(forKey: "shard") != nil)
        document["settings"] = settings
        let parsed = try Comparison.parseJSON(Data(JSONWriter.write(document).utf8), source: "old.json")
        #expect(parsed.settings.shard == nil && parsed.items.count == 3)
        let unsharded = try reparsed(ComparisonRunner().run(items: items([0, 2]), methods: methods), "whole.json")
        #expect(try Comparison.merge([("old.json", parsed), ("whole.json", unsharded)]).items.count == 5)
        do { _ = try Comparison.merge([shard(1), ("old.json", parsed), shard(3)]); Issue.record("mixed set accepted") } catch {
            #expect("\(error)".contains("old.json") && "\(error)".contains("records none"), "\(error)")
        }
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
