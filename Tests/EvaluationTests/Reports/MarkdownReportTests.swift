import Testing
import DeblurCore
@testable import Evaluation

@Suite struct MarkdownReportTests {
    @Test func summaryRowsCarryFormattedStatisticsAndWins() {
        let result = sampleResult()
        let text = MarkdownReport.render(result)
        let s = result.summaries[1]
        let row = text.split(separator: "\n").first { $0.hasPrefix("| rl<x>") }!
        #expect(row.contains("| \(ReportFormat.decibels(s.psnr.mean)) |"))
        #expect(row.contains("| \(ReportFormat.ssim(s.ssim.mean)) |"))
        #expect(row.contains("| 2 / 0 / 0 | 1 |"))  // beats blurred on both scored items; one failure
        #expect(text.contains("### motion-9") && text.contains("### σ=0.02"))
        #expect(text.contains("- item 003: cannot open"))
    }

    /// A dataset that draws a fresh trajectory per item has as many kernels as items: a table
    /// per kernel repeated each item (600 sections for 600 items); the reports say so instead.
    @Test func kernelsOfOneItemEachAreNotGrouped() {
        var runner = ComparisonRunner()
        runner.previewItems = 0
        let own = runner.run(items: (1...3).map { offsetItem("00\($0)", kernel: "trajectory-\($0)", noise: 0.01, seed: UInt64($0)) },
                             methods: [ComparisonMethod(Passthrough())])
        #expect(!own.kernelGroupsAreInformative)
        let text = MarkdownReport.render(own)
        #expect(text.contains("## By kernel\n\nEach item has a kernel of its own (3 kernels)") && !text.contains("### trajectory-"))
        #expect(text.contains("### σ=0.01"))
        let html = HTMLReport.render(own)
        #expect(html.contains("Each item has a kernel of its own (3 kernels)") && !html.contains("<th>kernel</th><th>items</th>"))

        // One item, one kernel: its group is shown, not a note about "1 kernels".
        let single = runner.run(items: [offsetItem("001", kernel: "trajectory-1", noise: 0.01, seed: 1)],
                                methods: [ComparisonMethod(Passthrough())])
        #expect(single.kernelGroupsAreInformative && MarkdownReport.render(single).contains("### trajectory-1"))

        let shared = sampleResult()
        #expect(shared.kernelGroupsAreInformative && MarkdownReport.render(shared).contains("### disk-3"))
        #expect(HTMLReport.render(shared).contains("<th>kernel</th><th>items</th>"))
    }

    /// A dataset that draws σ per item from a range (`--noise-sigma 0.005:0.03`) has as many
    /// levels as items: a table per level repeated each item; the reports say so instead.
    @Test func noiseLevelsOfOneItemEachAreNotGrouped() {
        var runner = ComparisonRunner()
        runner.previewItems = 0
        let own = runner.run(items: (1...3).map { offsetItem("00\($0)", kernel: "disk-3", noise: 0.01 + 0.001 * Double($0), seed: UInt64($0)) },
                             methods: [ComparisonMethod(Passthrough())])
        #expect(!own.noiseGroupsAreInformative && own.byNoise.count == 3)
        let text = MarkdownReport.render(own)
        #expect(text.contains("## By noise level\n\nEach item has a noise level of its own (3 levels)") && !text.contains("### σ="))
        #expect(text.contains("### disk-3"))
        let html = HTMLReport.render(own)
        #expect(html.contains("Each item has a noise level of its own (3 levels)") && !html.contains("<th>noise σ</th><th>items</th>"))

        // Levels shared by items, or one level in all, keep their groups.
        let shared = runner.run(items: [offsetItem("001", noise: 0.01, seed: 1), offsetItem("002", noise: 0.01, seed: 2),
                                        offsetItem("003", noise: 0.02, seed: 3)], methods: [ComparisonMethod(Passthrough())])
        #expect(shared.noiseGroupsAreInformative && MarkdownReport.render(shared).contains("### σ=0.02"))
        #expect(HTMLReport.render(shared).contains("<th>noise σ</th><th>items</th>"))
        let single = runner.run(items: [offsetItem("001", noise: 0.013, seed: 1)], methods: [ComparisonMethod(Passthrough())])
        #expect(single.noiseGroupsAreInformative && MarkdownReport.render(single).contains("### σ=0.013"))
    }

    @Test func pipesInLabelsAreEscaped() {
        #expect(MarkdownReport.cell("a|b") == "a\\|b")
    }
}
