import Testing
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

    @Test func pipesInLabelsAreEscaped() {
        #expect(MarkdownReport.cell("a|b") == "a\\|b")
    }
}
