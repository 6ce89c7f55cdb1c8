import Testing
import DeblurCore
import Foundation
@testable import Evaluation

@Suite struct MarkdownReportTests {
    @Test func summaryRowsCarryFormattedStatisticsAndWins() {
        let result = sampleResult()
        let text = MarkdownReport.render(result)
        let s = result.summaries[1]
        let row = text.split(separator: "\n").first { $0.hasPrefix("| rl\\<x>") }!
        #expect(row.contains("| \(ReportFormat.decibels(s.psnr.mean)) |"))
        #expect(row.contains("| \(ReportFormat.ssim(s.ssim.mean)) |"))
        #expect(row.contains("| 2 / 0 / 0 | 1 |"))  // beats blurred on both scored items; one failure
        #expect(text.contains("### motion-9") && text.contains("### σ=0.02"))
        #expect(text.contains("- item 003: cannot open"))
    }

    /// Items cut from photographs (`deblur synth --images`) carry their source: every report
    /// groups or lists by it, the JSON keeps it through a merge; items without one add nothing.
    @Test func sourcePhotographsGroupEveryReport() throws {
        var runner = ComparisonRunner()
        runner.previewItems = 0
        let sources = ["moon.png", "grass.png", "moon.png"]
        let items = sources.enumerated().map { i, source in
            var item = offsetItem("00\(i + 1)", kernel: "k", noise: 0.01, seed: UInt64(i + 1))
            item.source = source
            return item
        }
        let result = runner.run(items: items, methods: [ComparisonMethod(Passthrough())])
        #expect(result.items.map(\.source) == sources && result.sourceGroupsAreInformative)
        #expect(result.bySource.map(\.group) == ["grass.png", "moon.png"] && result.bySource.map { $0.summaries[0].count } == [1, 2])
        let moon = [result.items[0], result.items[2]].map { $0.results[0].scores!.psnr }
        #expect(abs(result.bySource[1].summaries[0].psnr.mean - (moon[0] + moon[1]) / 2) < 1e-12)
        let text = MarkdownReport.render(result)
        #expect(text.contains("## By source image\n\n### grass.png\n") && text.contains("### moon.png"))
        let csv = CSVReport.render(result).split(separator: "\n")
        #expect(csv.dropFirst().map { String($0.split(separator: ",", omittingEmptySubsequences: false)[9]) } == sources)
        let json = try JSONSerialization.jsonObject(with: Data(JSONReport.render(result).utf8)) as! [String: Any]
        #expect((json["items"] as! [[String: Any]]).map { $0["source"] as? String } == sources)
        #expect(Set(((json["aggregates"] as! [String: Any])["by_source"] as! [String: Any]).keys) == ["grass.png", "moon.png"])
        #expect(try Comparison.parseJSON(Data(JSONReport.render(result).utf8), source: "r.json").items.map(\.source) == sources)
        let html = HTMLReport.render(result)
        #expect(html.contains("By kernel, blur support, source image and noise level") && html.contains("<th>source image</th>"))
        #expect(html.contains("<th>kernel</th><th>source</th><th>noise σ</th>") && html.contains("<td>k</td><td>grass.png</td>"))

        // One photograph per item: a note instead of a table per item.
        let own = runner.run(items: items.enumerated().map { i, item in var o = item; o.source = "p\(i).png"; return o },
                             methods: [ComparisonMethod(Passthrough())])
        #expect(!own.sourceGroupsAreInformative)
        #expect(MarkdownReport.render(own).contains("## By source image\n\nEach item has a source image of its own (3 sources)"))

        // Dead leaves and other tools' datasets: no section, an empty group, an empty column.
        let none = sampleResult()
        #expect(none.bySource.isEmpty && !MarkdownReport.render(none).contains("By source"))
        #expect(!HTMLReport.render(none).contains("source image"))
        #expect(CSVReport.render(none).split(separator: "\n")[1].hasSuffix(",,1"))  // no source; the identity PSF's support
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

    /// σ drawn per item from a range: with more than 16 levels the groups are ranges, even when
    /// two items happen to share a printed level (which made a table per level, one item each).
    @Test func drawnNoiseLevelsAreGroupedInRanges() {
        var rng = SeededRandom(seed: 4)
        var levels = (0..<40).map { _ in 0.01 + 0.02 * rng.uniform() }
        levels[39] = levels[0]
        var runner = ComparisonRunner()
        runner.previewItems = 0
        let result = runner.run(items: levels.enumerated().map { offsetItem(String(format: "%03d", $0.offset), noise: $0.element, seed: UInt64($0.offset)) },
                                methods: [ComparisonMethod(Passthrough())])
        #expect(result.noiseGroups.width == 0.0025)
        let groups = result.byNoise
        #expect(groups.count <= NoiseGroups.maximumRanges && result.noiseGroupsAreInformative)
        // Each item lies in its group's range [a, b), b − a the width, and the groups are in order.
        var previous = -Double.infinity
        for group in groups {
            let bounds = group.group.dropFirst(2).split(separator: "–").map { Double($0)! }
            guard bounds.count == 2 else { Issue.record("\(group.group) is not a range"); return }
            #expect(abs(bounds[1] - bounds[0] - 0.0025) < 1e-12 && bounds[0] > previous)
            previous = bounds[0]
            let members = levels.filter { $0 >= bounds[0] && $0 < bounds[1] }
            #expect(group.summaries[0].count == members.count)
        }
        #expect(groups.map { $0.summaries[0].count }.reduce(0, +) == 40)
        let text = MarkdownReport.render(result)
        #expect(text.contains("### σ=0.0125–0.015\n") && !text.contains("### \(String(format: "σ=%g", levels[0]))\n"))
    }

    @Test func noiseRangesHaveRoundBoundsAndFewLevelsKeepTheirGroups() {
        let wide = NoiseGroups(levels: (0...20).map { 0.005 + 0.025 * Double($0) / 20 })
        #expect(wide.width == 0.005)
        #expect(wide.label(0.015) == "σ=0.015–0.02" && wide.label(0.03) == "σ=0.03–0.035" && wide.label(0.0149) == "σ=0.01–0.015")
        // 0.3 / 0.1 is 2.9999999999999996 in Float64: the level still opens its range.
        let tenths = NoiseGroups(levels: (0..<17).map { 0.05 + 0.045 * Double($0) })
        #expect(tenths.width == 0.1 && tenths.label(0.3) == "σ=0.3–0.4" && tenths.label(0.7) == "σ=0.7–0.8")
        #expect(wide.label(nil) == "unknown")
        let fine = NoiseGroups(levels: (0..<17).map { 0.2 + 0.0008 * Double($0) })
        #expect(fine.width == 0.002 && fine.label(0.207) == "σ=0.206–0.208")
        // Bounds print in full: 0.01000025 is not rounded to six digits as a level would be.
        let narrow = NoiseGroups(levels: (0..<17).map { 0.01 + 1e-7 * Double($0) })
        #expect(narrow.width == 2.5e-7 && narrow.label(0.0100003) == "σ=0.01000025–0.0100005")
        let large = NoiseGroups(levels: (0..<17).map { 0.5 * Double($0) })
        #expect(large.width == 2 && large.label(2.5) == "σ=2–4")
        let few = NoiseGroups(levels: (0..<16).map { 0.01 * Double($0 + 1) })
        #expect(few.width == nil && few.label(0.03) == "σ=0.03")
    }

    /// Every report groups items by how far their PSF reaches, the CSV and JSON give each
    /// item's, and a merge keeps it; an item that could not be loaded has none.
    @Test func itemsAreGroupedByBlurSupportInEveryReport() throws {
        func line(_ length: Int) throws -> PSF { try PSF(Image(height: 1, width: length, value: 1)) }
        let psfs = [try line(5), try line(3), try line(5)]
        let items = psfs.enumerated().map { i, psf in
            let sharp = Image(height: 20, width: 24) { _, y, x in Float((y * 7 + x * 3 + i) % 11) / 11 }
            let blurred = Image(height: 20, width: 24) { _, y, x in sharp[y, x] * 0.9 + 0.05 }
            return ComparisonItem(id: "00\(i + 1)", kernel: "trajectory-\(i)", noiseSigma: 0.01, sharp: sharp, blurred: blurred, psf: psf)
        } + [ComparisonItem(id: "004", kernel: "trajectory-3", noiseSigma: 0.01) { throw TestFailure(description: "cannot open 004.tif") }]
        var runner = ComparisonRunner()
        runner.previewItems = 0
        let result = runner.run(items: items, methods: [ComparisonMethod(Passthrough())])
        #expect(result.items.map(\.blurSupport) == [5, 3, 5, nil])
        #expect(result.bySupport.map(\.group) == ["3 px", "5 px", "unknown"] && result.bySupport.map { $0.summaries[0].count } == [1, 2, 0])
        let five = [result.items[0], result.items[2]].map { $0.results[0].scores!.psnr }
        #expect(abs(result.bySupport[1].summaries[0].psnr.mean - (five[0] + five[1]) / 2) < 1e-12)
        #expect(result.supportGroupsAreInformative && !result.kernelGroupsAreInformative)
        #expect(MarkdownReport.render(result).contains("## By blur support\n\n### 3 px\n"))
        #expect(HTMLReport.render(result).contains("<th>blur support</th><th>items</th>"))
        let csv = CSVReport.render(result).split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).last! }
        #expect(csv == ["5", "3", "5", ""])
        let text = JSONReport.render(result)
        let json = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        #expect((json["items"] as! [[String: Any]]).map { $0["blur_support"] as? Int } == [5, 3, 5, nil])
        #expect(Set(((json["aggregates"] as! [String: Any])["by_blur_support"] as! [String: Any]).keys) == ["3 px", "5 px", "unknown"])
        #expect(try Comparison.parseJSON(Data(text.utf8), source: "r.json").items.map(\.blurSupport) == [5, 3, 5, nil])
        // Reports written before the field read as having no support: no section.
        let old = try Comparison.parseJSON(Data(text.replacing(#/"blur_support": (\d+|null),?/#, with: "").utf8), source: "old.json")
        #expect(old.items.allSatisfy { $0.blurSupport == nil } && old.bySupport.isEmpty && !MarkdownReport.render(old).contains("blur support"))
        #expect(throws: EvaluationError.self) { try Comparison.parseJSON(Data(text.replacing("\"blur_support\": 3", with: "\"blur_support\": 0").utf8), source: "bad.json") }
    }

    @Test func manySupportsAreGroupedInRanges() {
        let many = SupportGroups(supports: Array(5...30))
        #expect(many.width == 5 && many.label(13) == "10–14 px" && many.label(30) == "30–34 px" && many.label(nil) == "unknown")
        let wide = SupportGroups(supports: Array(1...17) + [101])
        #expect(wide.width == 20 && wide.label(17) == "0–19 px" && wide.label(101) == "100–119 px")
        let few = SupportGroups(supports: Array(1...16) + [16])
        #expect(few.width == nil && few.label(13) == "13 px")
    }

    /// A method that fails on every item listed each failure in the Markdown and HTML reports
    /// (72 570 lines, 8 MB); they list the first 1 000 and count the rest, the JSON keeps all.
    @Test func theTextReportsListTheFirstThousandFailures() throws {
        var runner = ComparisonRunner()
        runner.previewItems = 0
        let result = runner.run(items: (0..<1002).map { offsetItem(String(format: "%04d", $0), seed: UInt64($0)) },
                                methods: [ComparisonMethod(Passthrough()), ComparisonMethod(FailsOnWidth(width: 24))])
        #expect(result.failures.count == 1002)
        let text = MarkdownReport.render(result)
        #expect(text.contains("- item 0999, ") && !text.contains("- item 1000, ")
                && text.contains("\n… and 2 more; the JSON report's failures and the CSV's error column list every one.\n"))
        let html = HTMLReport.render(result)
        #expect(html.contains("Failures (1002)") && html.contains("<li><b>0999</b>") && !html.contains("<li><b>1000</b>")
                && html.contains("<p class=\"note\">… and 2 more;"))
        #expect((JSONReport.object(result)["failures"] as! [Any]).count == 1002)
        let few = runner.run(items: [offsetItem("0001", seed: 1)], methods: [ComparisonMethod(FailsOnWidth(width: 24))])
        #expect(!MarkdownReport.render(few).contains("more;") && !HTMLReport.render(few).contains("more;"))
    }

    @Test func pipesInLabelsAreEscaped() {
        #expect(MarkdownReport.escape("a|b") == "a\\|b")
        #expect(MarkdownReport.escape("a|\u{301}b") == "a\\|\u{301}b")
    }

    /// Names went into the Markdown as written: a kernel `new\nline` split its heading, a label
    /// `<b>x</b>` became bold HTML (a `<script>` ran where a renderer passes HTML), `&amp;` read
    /// `&`, and a dataset folder with a backtick or a line break broke the headline's code span
    /// (a line `# x` after the break became a heading).
    @Test func namesAreEscapedSoTheyShowAsWritten() {
        #expect(MarkdownReport.escape("new\nline\r") == "new\\nline\\r")
        #expect(MarkdownReport.escape("<b>x</b> &amp; a\\b `c` *d* é 核") == "\\<b>x\\</b> \\&amp; a\\\\b \\`c\\` \\*d\\* é 核")
        #expect(MarkdownReport.code("ds`3\n# x") == "``ds`3\\n# x``")
        #expect(MarkdownReport.code("`a``") == "``` `a`` ```")
        #expect(MarkdownReport.code("plain") == "`plain`")

        var runner = ComparisonRunner()
        runner.previewItems = 0
        let items = [offsetItem("1", kernel: "new\nline", noise: 0.01, seed: 1), offsetItem("2", kernel: "new\nline", noise: 0.01, seed: 2),
                     ComparisonItem(id: "3 <i>", kernel: "k|<b>", noiseSigma: 0.01) { throw TestFailure(description: "no\nfile") }]
        var result = runner.run(items: items, methods: [ComparisonMethod(label: "saved:dir=a|<b>&amp;", restorer: Passthrough())])
        result.settings.dataset = "ds`3\n# x"
        result.settings.baseline = "saved:dir=a|<b>&amp;"
        let text = MarkdownReport.render(result)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[2] == "3 item(s) · dataset ``ds`3\\n# x`` · SSIM wang2004 · data range 1 · wins vs `saved:dir=a|<b>&amp;` by PSNR")
        #expect(lines.contains { $0.hasPrefix("| saved:dir=a\\|\\<b>\\&amp; | ") })
        #expect(lines.contains("### new\\nline") && lines.contains("### k\\|\\<b>"))
        #expect(lines.contains("- item 3 \\<i>: no\\nfile"))
        // Every row of a table has its header's cell count, counting only unescaped pipes.
        func pipes(_ line: Substring) -> Int {
            var count = 0, escaped = false
            for ch in line { if ch == "|" && !escaped { count += 1 }; escaped = ch == "\\" && !escaped }
            return count
        }
        var header: Int?
        for line in lines {
            guard line.hasPrefix("|") else { header = nil; continue }
            if header == nil { header = pipes(line) }
            #expect(pipes(line) == header, "\(line)")
        }
    }
}

/// `deblur compare --report --html --json` bootstrapped the intervals to the baseline once per
/// report (0.9 s each at 5 000 items × 3 methods); it now hands one computation to every
/// writer. Each report given the run's own differences is byte for byte the report that
/// computes them, and shows the differences it is given rather than computing its own.
@Suite struct SharedDifferencesTests {
    @Test func reportsGivenTheDifferencesShowThoseAndNoOthers() throws {
        let result = sampleResult()
        let differences = result.againstBaseline
        #expect(differences.count == 1 && differences[0].psnr.low != nil)
        #expect(MarkdownReport.render(result, againstBaseline: differences) == MarkdownReport.render(result))
        #expect(HTMLReport.render(result, againstBaseline: differences) == HTMLReport.render(result))
        // The OS version in the JSON is the same within one process.
        #expect(JSONReport.render(result, againstBaseline: differences) == JSONReport.render(result))

        // Differences the bootstrap would not give (a mean of +9.87 dB): found in every report.
        var planted = differences
        planted[0].psnr = BootstrapInterval(mean: 9.87, low: 9.5, high: 10.25)
        let shown = ReportFormat.difference(planted[0].psnr, decimals: 2)
        #expect(shown == "+9.87 [+9.50, +10.25]")
        #expect(MarkdownReport.render(result, againstBaseline: planted).contains("| \(shown) |"))
        #expect(HTMLReport.render(result, againstBaseline: planted).contains(">\(shown)</td>"))
        let json = try JSONSerialization.jsonObject(with: Data(JSONReport.render(result, againstBaseline: planted).utf8)) as! [String: Any]
        let against = try #require((json["aggregates"] as? [String: Any])?["against_baseline"] as? [[String: Any]])
        #expect((against[0]["psnr"] as? [String: Any])?["mean"] as? Double == 9.87)
    }
}
