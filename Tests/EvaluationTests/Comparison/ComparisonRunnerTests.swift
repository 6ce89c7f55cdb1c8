import Testing
import Foundation
import DeblurCore
import _TestSupport
@testable import Evaluation

private func psnrOfOffset(_ e: Double) -> Double { 10 * log10(1 / (e * e)) }

@Suite struct ComparisonRunnerTests {
    let methods = [ComparisonMethod(Passthrough()), ComparisonMethod(label: "subtract", restorer: Subtract(shift: 0.05))]

    @Test func scoresAreTheAnalyticValuesInInputOrder() {
        let items = (0..<7).map { offsetItem(String(format: "%03d", 6 - $0), seed: UInt64($0)) }
        let result = ComparisonRunner(settings: ComparisonSettings(threads: 2)).run(items: items, methods: methods)
        #expect(result.items.map(\.id) == items.map(\.id))
        #expect(result.methods == ["blurred", "subtract"])
        for record in result.items {
            // Blurred is off by 0.1, subtract by 0.05 (up to Float rounding of the shifted samples).
            #expect(abs(record.results[0].scores!.psnr - 20) < 1e-4)
            #expect(abs(record.results[1].scores!.psnr - psnrOfOffset(0.05)) < 1e-4)
            #expect(record.results[1].seconds! >= 0)
        }
        #expect(result.settings.baseline == "blurred")
        #expect(result.wins.count == 1 && result.wins[0].psnrWins == 7 && result.wins[0].psnrLosses == 0)
    }

    @Test func resultsDoNotDependOnThreadCount() {
        let items = (0..<5).map { offsetItem("i\($0)", seed: UInt64(10 + $0)) }
        let one = ComparisonRunner(settings: ComparisonSettings(threads: 1)).run(items: items, methods: methods)
        let two = ComparisonRunner(settings: ComparisonSettings(threads: 2)).run(items: items, methods: methods)
        #expect(one.items.map { $0.results.map(\.scores) } == two.items.map { $0.results.map(\.scores) })
    }

    @Test func failuresAreRecordedAndTheRunGoesOn() {
        var items = [offsetItem("ok", seed: 1), offsetItem("narrow", width: 17, seed: 2)]
        items.append(ComparisonItem(id: "missing") { throw TestFailure(description: "cannot open missing.tif") })
        let wide = offsetItem("x", width: 30, seed: 3)
        items.append(ComparisonItem(id: "mismatch") {
            let loaded = try wide.load()
            return LoadedItem(sharp: loaded.sharp.cropped(top: 0, left: 0, height: 20, width: 29), blurred: loaded.blurred, psf: .identity)
        })
        let result = ComparisonRunner().run(items: items, methods: [ComparisonMethod(FailsOnWidth(width: 17)), ComparisonMethod(WrongSize())])
        #expect(result.items.count == 4)
        #expect(result.items[0].results[0].scores != nil)
        #expect(result.items[1].results[0].error == "cannot handle width 17")
        #expect(result.items[0].results[1].error?.contains("size mismatch for output of wrong-size") == true)
        #expect(result.items[2].failure == "cannot open missing.tif")
        #expect(result.items[3].failure?.contains("size mismatch") == true)
        // 2 whole-item failures + 1 thrown + 2 wrong sizes on the loadable items.
        #expect(result.failures.count == 5)
        #expect(result.summaries[0].count == 1 && result.summaries[0].failures == 3)
        // Counted per result, a failed item once per method: 3 + 4, what the failed columns add up to.
        #expect(result.failedResultCount == 7 && result.summaries.map(\.failures).reduce(0, +) == 7)
    }

    @Test func nonFiniteOutputIsAFailureNotANaNMean() {
        let result = ComparisonRunner().run(items: [offsetItem("a", seed: 1)], methods: [ComparisonMethod(Diverges()), ComparisonMethod(Passthrough())])
        #expect(result.items[0].results[0].scores == nil)
        #expect(result.items[0].results[0].error?.contains("NaN") == true)
        #expect(result.summaries[0].failures == 1 && result.summaries[1].psnr.mean.isFinite)
    }

    @Test func progressReportsEveryItemOnce() {
        final class Counter: @unchecked Sendable { var seen: [Int] = []; var ids: Set<String> = []; let lock = NSLock() }
        let counter = Counter()
        var runner = ComparisonRunner(settings: ComparisonSettings(threads: 2))
        runner.progress = { record, done, total in
            counter.lock.lock(); counter.seen.append(done); counter.ids.insert(record.id); counter.lock.unlock()
            #expect(total == 5)
        }
        _ = runner.run(items: (0..<5).map { offsetItem("i\($0)", seed: UInt64($0)) }, methods: methods)
        #expect(counter.seen.sorted() == [1, 2, 3, 4, 5] && counter.ids.count == 5)
    }

    @Test func aggregatesGroupByKernelAndNoise() {
        let items = [offsetItem("a", kernel: "k10", noise: 0.01, seed: 1), offsetItem("b", kernel: "k9", noise: 0.02, seed: 2),
                     offsetItem("c", kernel: "k10", noise: 0.02, seed: 3)]
        let result = ComparisonRunner().run(items: items, methods: methods)
        #expect(result.byKernel.map(\.group) == ["k9", "k10"])
        #expect(result.byKernel.map { $0.summaries[0].count } == [1, 2])
        #expect(result.byNoise.map(\.group) == ["σ=0.01", "σ=0.02"])
        #expect(result.byNoise.map { $0.summaries[1].count } == [1, 2])
        let subtract = result.summaries[1]
        #expect(abs(subtract.psnr.mean - psnrOfOffset(0.05)) < 1e-4 && subtract.psnr.std < 1e-4)
    }

    @Test func cropIsAppliedBeforeScoring() {
        // Blurred differs from sharp only on the border: a crop of 2 makes it perfect.
        var rng = SeededRandom(seed: 4)
        let sharp = Image(height: 20, width: 20) { _, _, _ in rng.uniformFloat() }
        var blurred = sharp
        for x in 0..<20 { blurred[0, x] = 0; blurred[19, x] = 1 }
        let item = ComparisonItem(id: "b", sharp: sharp, blurred: blurred, psf: .identity)
        var settings = ComparisonSettings()
        settings.metrics.crop = 2
        settings.metrics.ssimPreset = .matlab
        let result = ComparisonRunner(settings: settings).run(items: [item], methods: [ComparisonMethod(Passthrough())])
        #expect(result.items[0].results[0].scores!.psnr == .infinity)
    }

    @Test func tracesRecordPSNRPerIterationForTheFirstItems() {
        let items = (0..<3).map { offsetItem("t\($0)", seed: UInt64(20 + $0)) }
        var runner = ComparisonRunner()
        runner.traceItems = 2
        let result = runner.run(items: items, methods: [ComparisonMethod(IterativeSubtract(shift: 0.08, iterations: 4)), ComparisonMethod(Passthrough())])
        #expect(result.traces.map(\.item) == ["t0", "t1"])  // Passthrough never iterates
        let points = result.traces[0].points
        #expect(points.map(\.iteration) == [1, 2, 3, 4])
        // Iteration k has error 0.1 − 0.08·k/4.
        for (k, p) in points.enumerated() { #expect(abs(p.psnr - psnrOfOffset(0.1 - 0.02 * Double(k + 1))) < 1e-3) }
        #expect(abs(points.last!.psnr - result.items[0].results[0].scores!.psnr) < 1e-12)
    }

    /// A color item restored channel by channel: its trace is the whole image's PSNR after each
    /// iteration, as the item is scored (over all channels, or the luma with --luminance), a
    /// channel that stopped early standing at its last iterate. Before, its per-channel iterates
    /// were scored against the whole sharp image: no trace at all, or with --luminance each
    /// channel's iterate against the luma, 10 points numbered 1–4, 1–2, 1–4.
    @Test(arguments: [false, true])
    func colorItemsTraceTheWholeImage(luminance: Bool) throws {
        var rng = SeededRandom(seed: 31)
        let sharp = Image(channels: 3, height: 14, width: 16) { _, _, _ in 0.2 + 0.6 * rng.uniformFloat() }
        var blurred = sharp
        blurred.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] += 0.1 + 0.05 * rng.uniformFloat() } }
        let method = ChannelwiseIterative(shifts: [0.08, 0.12, 0.05], iterations: [4, 2, 4])
        var settings = ComparisonSettings()
        settings.metrics.crop = 1
        settings.metrics.luminanceOnly = luminance
        var runner = ComparisonRunner(settings: settings)
        runner.traceItems = 1
        let result = runner.run(items: [ComparisonItem(id: "c", sharp: sharp, blurred: blurred, psf: .identity)],
                                methods: [ComparisonMethod(method)])
        let trace = try #require(result.traces.first, "no trace for the color item")
        #expect(trace.points.map(\.iteration) == [1, 2, 3, 4])
        for (index, point) in trace.points.enumerated() {
            var image = blurred
            for c in 0..<3 {
                let plane = ChannelwiseIterative.iterate(blurred, channel: c, shift: method.shifts[c], step: min(index + 1, method.iterations[c]), of: method.iterations[c])
                for y in 0..<14 { for x in 0..<16 { image[c, y, x] = plane[0, y, x] } }
            }
            let expected = try score(sharp, image, settings: settings.metrics).psnr
            #expect(abs(point.psnr - expected) < 1e-9, "iteration \(point.iteration): \(point.psnr) against \(expected)")
        }
        #expect(abs(trace.points.last!.psnr - result.items[0].results[0].scores!.psnr) < 1e-9)
    }

    /// Evaluation.md: a color item's preview crops are in color, or with --luminance the luma
    /// that was scored.
    @Test(arguments: [false, true])
    func colorPreviewsAreInColorOrTheScoredLuma(luminance: Bool) throws {
        let sharp = randomImage(channels: 3, height: 12, width: 12, seed: 41)
        var blurred = sharp
        blurred.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] *= 0.9 } }
        var settings = ComparisonSettings()
        settings.metrics.luminanceOnly = luminance
        settings.metrics.ssimPreset = .matlab
        var runner = ComparisonRunner(settings: settings)
        runner.previewItems = 1
        runner.previewSize = 6
        let result = runner.run(items: [ComparisonItem(id: "c", sharp: sharp, blurred: blurred, psf: .identity)], methods: [ComparisonMethod(Passthrough())])
        let panels = try #require(result.previews.first).panels
        #expect(panels.map(\.label) == ["sharp", "blurred"])
        let shown = luminance ? sharp.luminance() : sharp
        #expect(panels[0].image.pixels == shown.cropped(top: 3, left: 3, height: 6, width: 6).clamped().pixels)
        #expect(panels.allSatisfy { $0.image.channels == (luminance ? 1 : 3) })
    }

    @Test func previewsHoldTheSameRegionOfEveryImage() {
        var runner = ComparisonRunner()
        runner.previewItems = 1
        runner.previewSize = 8
        let result = runner.run(items: [offsetItem("p", seed: 5), offsetItem("q", seed: 6)], methods: methods)
        #expect(result.previews.count == 1)
        let preview = result.previews[0]
        #expect(preview.panels.map(\.label) == ["sharp", "blurred", "subtract"])
        #expect(preview.top == 6 && preview.left == 8)
        #expect(preview.panels.allSatisfy { $0.image.height == 8 && $0.image.width == 8 })
        let sharp = preview.panels[0].image, blurred = preview.panels[1].image
        #expect(abs(blurred[0, 0] - sharp[0, 0] - 0.1) < 1e-6)
    }

    @Test func restoredImagesAreHandedToTheSaver() {
        final class Box: @unchecked Sendable { var saved: [String] = []; let lock = NSLock() }
        let box = Box()
        var runner = ComparisonRunner(settings: ComparisonSettings(threads: 2))
        runner.saveRestored = { item, method, _ in box.lock.lock(); box.saved.append("\(item)/\(method)"); box.lock.unlock() }
        _ = runner.run(items: [offsetItem("a", seed: 1), offsetItem("b", seed: 2)], methods: methods)
        #expect(box.saved.sorted() == ["a/blurred", "a/subtract", "b/blurred", "b/subtract"])
    }

    /// Scores and win counts find a method by its label: two methods of one label were each
    /// counted against the other's results (both rows read 1 / 0 / 0 wins, the baseline too).
    @Test func aLabelGivenTwiceIsRefusedBeforeAnyItemRuns() async throws {
        let specs = [try MethodSpec.parse("subtract:shift=0.05"), try MethodSpec.parse("blurred"), try MethodSpec.parse("subtract:shift=0.05")]
        #expect(throws: EvaluationError.invalidMethodSpec(spec: "subtract:shift=0.05", reason: "listed twice")) {
            try ComparisonRunner().run(items: [offsetItem("a", seed: 1)], specs: specs, factory: testFactory)
        }
        await #expect(processExitsWith: .failure) {
            _ = ComparisonRunner().run(items: [offsetItem("a", seed: 1)],
                                       methods: [ComparisonMethod(label: "m", restorer: Passthrough()),
                                                 ComparisonMethod(label: "m", restorer: Subtract(shift: 0.05))])
        }
        // Distinct labels for the same two restorers run and count as expected.
        let result = ComparisonRunner().run(items: [offsetItem("a", seed: 1)],
                                            methods: [ComparisonMethod(label: "m", restorer: Passthrough()),
                                                      ComparisonMethod(label: "m2", restorer: Subtract(shift: 0.05))])
        #expect(result.wins.map(\.method) == ["m2"] && result.wins[0].psnrWins == 1)
    }

    @Test func unknownMethodFailsBeforeAnyItemRuns() throws {
        let specs = try MethodSpec.parseList("blurred,nonesuch")
        #expect(throws: EvaluationError.self) {
            try ComparisonRunner().run(items: [offsetItem("a", seed: 1)], specs: specs, factory: testFactory)
        }
    }
}
