import Testing
import Foundation
import DeblurCore
@testable import Evaluation

@Suite struct HTMLReportTests {
    @Test func pageIsSelfContainedWithTablesChartsCurvesAndCrops() {
        let result = sampleResult()
        var encoded = 0
        let html = HTMLReport.render(result) { image in encoded += 1; return Data([0x89, 0x50, 0x4E, 0x47, UInt8(image.width)]) }
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("<link"))
        #expect(html.components(separatedBy: "<table class=\"sortable\">").count - 1 == 6)  // summary, against the baseline, kernel, blur support, noise, items
        #expect(html.contains("<td>motion-9</td>") && html.contains("<td>σ=0.02</td>"))
        #expect(html.contains("<script>") && html.contains("localeCompare"))
        // Two bar charts and one PSNR-vs-iteration chart (one traced item: preview 1, trace default 2 of which 1 iterative item succeeded twice).
        #expect(html.contains("aria-label=\"mean PSNR (dB)\"") && html.contains("aria-label=\"mean SSIM\""))
        #expect(html.contains("PSNR versus iteration, item 001") && html.contains("<polyline"))
        // sharp, blurred, the method: three crops of the first item.
        #expect(encoded == 3)
        #expect(html.components(separatedBy: "data:image/png;base64,").count - 1 == 3)
        #expect(html.contains(Data([0x89, 0x50, 0x4E, 0x47, 8]).base64EncodedString()))
        // Labels are escaped.
        #expect(html.contains("rl&lt;x&gt;:iterations=4") && !html.contains("rl<x>"))
    }

    /// A `"` or `<` followed by a combining mark is one Swift Character, which the escape passed
    /// through: an item id `x"\u{301} onmouseover=alert(1) y="` ended its failed cell's `title`
    /// attribute and added an event handler of its own. Escaped by Unicode scalar now.
    @Test func quotesAndBracketsFollowedByCombiningMarksAreEscaped() {
        #expect(HTMLReport.escape("x\"\u{301} on=1 <\u{301}b>&\u{301}'\u{301}") == "x&quot;\u{301} on=1 &lt;\u{301}b&gt;&amp;\u{301}&#39;\u{301}")
        let id = "x\"\u{301} onmouseover=alert(1) y=\""
        let result = ComparisonRunner().run(items: [ComparisonItem(id: id) { throw TestFailure(description: "no file for \(id)") }],
                                            methods: [ComparisonMethod(Passthrough())])
        let html = HTMLReport.render(result)
        #expect(html.contains("title=\"no file for x&quot;\u{301} onmouseover=alert(1) y=&quot;\">failed</td>"))
        #expect(!html.unicodeScalars.split(separator: "<").contains { $0.starts(with: "td class=\"failed\" data-v=\"-1e300\" title=\"no file for x\"".unicodeScalars) })
    }

    /// The page's headline dropped every backtick (the Markdown headline's code spans, taken
    /// out for HTML), so a dataset folder `runs`v2` read `runsv2`; it is now written as named.
    @Test func headlineShowsTheDatasetAndBaselineAsNamed() {
        var result = sampleResult()
        result.settings.dataset = "runs`v2 <b>"
        let html = HTMLReport.render(result)
        #expect(html.contains("<p class=\"meta\">3 item(s) · dataset runs`v2 &lt;b&gt; · SSIM wang2004 · data range 1 · wins vs blurred by PSNR</p>"))
    }

    /// The per-item table lists the first `itemRows` items and says how many it leaves out: a
    /// row per item of a 100 000-item run made a 50 MB page that a browser took minutes to open.
    @Test func perItemTableListsTheFirstItemRowsAndSaysSo() throws {
        let result = sampleResult()
        func perItem(_ html: String) throws -> String {
            try #require(html.components(separatedBy: "<h2>Per item</h2>\n").dropFirst().first?.components(separatedBy: "</section>").first)
        }
        let all = try perItem(HTMLReport.render(result))
        #expect(["001", "002", "003"].allSatisfy { all.contains("<tr><td>\($0)</td>") } && !all.contains("The first"))
        let two = try perItem(HTMLReport.render(result, itemRows: 2))
        #expect(two.contains("<tr><td>001</td>") && two.contains("<tr><td>002</td>") && !two.contains("<td>003</td>"))
        #expect(two.contains("The first 2 of 3 items; the CSV and JSON reports list every item."))
        let none = try perItem(HTMLReport.render(result, itemRows: 0))
        #expect(!none.contains("<table") && none.contains("The first 0 of 3 items"))
        // The summary still counts every item.
        #expect(HTMLReport.render(result, itemRows: 0).contains("3 item(s)"))
    }

    /// The Settings section shows the JSON report's `settings` object, written from the settings
    /// alone (rendering the whole JSON object for it bootstrapped the intervals a second time).
    @Test func settingsSectionIsTheJSONReportsSettings() throws {
        var result = sampleResult()
        result.settings.shard = ComparisonShard(index: 2, count: 3, datasetItems: 9)
        let html = HTMLReport.render(result)
        let json = JSONWriter.write(JSONReport.object(result)["settings"]!)
        #expect(json.contains("\"dataset_items\": 9") && json.contains("\"ssim_preset\": \"wang2004\""))
        #expect(html.contains("<h2>Settings</h2>\n<pre>\(HTMLReport.escape(json))</pre>"))
    }

    /// A bar chart's labels are whole, each above its bar, and the chart is as wide as the
    /// longest: cut to 26 characters beside the bars, `saved:dir=runs/2026-11-27/a` and
    /// `…/b` read alike, and long specs were clipped on the left.
    @Test func barChartLabelsAreWholeAndTheChartFitsThem() throws {
        let short = ("blurred", 20.0), long = (String(repeating: "x", count: 70) + ":dir=runs/2026-11-27/b", 25.5)
        let svg = HTMLReport.barChart(title: "mean PSNR (dB)", values: [short, long], decimals: 2, fromZero: false)
        #expect(svg.contains(">\(long.0)</text>") && svg.contains(">blurred</text>"))
        #expect(!svg.contains("…"))
        let width = try #require(svg.firstMatch(of: #/width="(\d+)"/#).flatMap { Double($0.1) })
        #expect(width >= Double(long.0.count) * 6.2, "\(width)")
        // The longer bar is the better mean; both values printed after their bars.
        let bars = svg.matches(of: #/<rect x="0" y="[\d.]+" width="([\d.]+)"/#).compactMap { Double($0.1) }
        #expect(bars.count == 2 && bars[1] > bars[0], "\(bars)")
        #expect(svg.contains(">20.00</text>") && svg.contains(">25.50</text>"))
    }

    /// A method whose mean PSNR is +inf (every restoration equal to its reference, as
    /// `saved:dir=` of the sharp images gives) drew the best finite mean's bar as long as its
    /// own: both were scaled to the whole width. The finite bars now end short of the infinite one.
    @Test func aFiniteBarIsShorterThanAnInfiniteOne() throws {
        func bars(_ values: [(String, Double)]) -> [Double] {
            HTMLReport.barChart(title: "mean PSNR (dB)", values: values, decimals: 2, fromZero: false)
                .matches(of: #/<rect x="0" y="[\d.]+" width="([\d.]+)"/#).compactMap { Double($0.1) }
        }
        let withInfinity = bars([("blurred", 14.78), ("perfect", .infinity), ("wiener", 18.78)])
        #expect(withInfinity.count == 3 && withInfinity[1] == 340, "\(withInfinity)")
        #expect(withInfinity[2] < withInfinity[1] && withInfinity[0] < withInfinity[2], "\(withInfinity)")
        // Without an infinite mean the best one still spans the width, the others as before.
        let finite = bars([("blurred", 14.78), ("wiener", 18.78)])
        #expect(finite == [104.7, 340], "\(finite)")
    }

    /// The iteration chart's legend names each method whole (it was cut at 40 characters, so
    /// two `cnn:model=runs/…` sweeps read alike), and the picture widens to hold it.
    @Test func lineChartLegendsAreWhole() throws {
        let long = "rl:iterations=50,boundary=masked,init=constant,acceleration=true"
        let svg = HTMLReport.lineChart(item: "001", traces: [IterationTrace(item: "001", method: long, points: [(1, 20), (2, 21), (3, 21.5)])],
                                       methods: [long])
        #expect(svg.contains(">\(long) (3 iterations)</text>"), "\(svg)")
        let width = try #require(svg.firstMatch(of: #/width="(\d+)"/#).flatMap { Double($0.1) })
        #expect(width >= 48 + 14 + Double(long.count + 15) * 6.2, "\(width)")
    }

    /// Every table scrolls sideways inside the page column, and headers wrap: the summary, the
    /// differences to the baseline and the tuning table were bare and their headers kept on one
    /// line, so the summary's last column ("failed") went past the window at 1280 px, where
    /// only the page could scroll.
    @Test func everyTableScrollsInsideThePageColumn() throws {
        var result = sampleResult()
        result.tuning = [TuningRecord(method: "wiener", parameter: "nsr", candidates: [("0.01", 20.5), ("0.1", nil)], chosen: "0.01",
                                      tunedSpec: try MethodSpec.parse("wiener:nsr=0.01"))]
        let html = HTMLReport.render(result)
        let tables = html.components(separatedBy: "<table").count - 1
        #expect(tables == 7)  // summary, against the baseline, kernel, blur support, noise, items, tuning
        #expect(html.components(separatedBy: "<div class=\"scroll\"><table").count - 1 == tables)
        #expect(html.components(separatedBy: "</table></div>").count - 1 == tables)
        #expect(html.contains(".scroll{overflow-x:auto}"))
        // Headers may wrap, so the summary fits the column before it has to scroll.
        #expect(html.contains("th{background:#f6f6f6;cursor:pointer;user-select:none;white-space:normal"))
    }

    @Test func cropsSectionExplainsAMissingEncoder() {
        #expect(HTMLReport.render(sampleResult()).contains("no PNG encoder"))
    }
}
