import Testing
import Foundation
import DeblurCore
@testable import Evaluation

@Suite struct PairedDifferenceTests {
    /// The exact bootstrap distribution of the mean of 3 values: all 27 equally likely resamples.
    func exactResampleMeans(_ v: [Double]) -> [Double] {
        var means = [Double]()
        for i in 0..<3 { for j in 0..<3 { for k in 0..<3 { means.append((v[i] + v[j] + v[k]) / 3) } } }
        return means.sorted()
    }

    /// The rule, naively: the smallest mean m with P(mean ≤ m) ≥ q, counted in integers
    /// (q = num / 1000) so that no rounding decides a boundary.
    func naivePercentile(_ means: [Double], num: Int) -> Double {
        means.first { m in means.filter { $0 <= m }.count * 1000 >= num * means.count }!
    }

    @Test func percentileRuleIsTheInverseDistributionFunctionOfTheExactResampleMeans() {
        let means = exactResampleMeans([0, 1, 10])
        for num in stride(from: 10, through: 990, by: 5) {
            #expect(Bootstrap.percentile(means, Double(num) / 1000) == naivePercentile(means, num: num), "q = \(num)/1000")
        }
    }

    /// With 3 values [0, 1, 10] the resample sums 0, 1, 2, 3, 10, 11, 12, 20, 21, 30 have
    /// probabilities 1, 3, 3, 1, 3, 6, 3, 3, 3, 1 / 27; every 2.5 / 97.5 / 10 / 90 % quantile
    /// lies ≥ 1.2 points from a step, 7 Monte Carlo standard errors at 10 000 resamples, so
    /// the seeded bootstrap must give the exact distribution's bounds.
    @Test func threeValuesGiveTheExactBootstrapDistributionsBounds() throws {
        let values: [Double] = [10, 0, 1]
        let means = exactResampleMeans(values)
        for (level, lowNum, highNum) in [(0.95, 25, 975), (0.8, 100, 900)] {
            let interval = try #require(Bootstrap.intervals([values], level: level).first)
            let low = try #require(interval.low), high = try #require(interval.high)
            #expect(abs(low - naivePercentile(means, num: lowNum)) < 1e-12 && abs(high - naivePercentile(means, num: highNum)) < 1e-12,
                    "level \(level): [\(low), \(high)]")
        }
        #expect(naivePercentile(means, num: 25) == 0 && naivePercentile(means, num: 975) == 10)
        #expect(naivePercentile(means, num: 100) == 1.0 / 3 && naivePercentile(means, num: 900) == 7)
    }

    /// The same seeded draws in a plain loop: n indices per resample from SeededRandom(seed: 0),
    /// the mean Σ/n, the 250th and 9 750th of the 10 000 sorted means; two samples share the draws.
    @Test func boundsEqualAStraightforwardBootstrapOnTheSameDraws() {
        var random = SeededRandom(seed: 5)
        let psnr = (0..<38).map { _ in random.gaussian(mean: 3, sigma: 2) }
        let ssim = (0..<38).map { _ in random.gaussian(mean: 0.1, sigma: 0.05) }
        var draws = SeededRandom(seed: 0)
        var psnrMeans = [Double](), ssimMeans = [Double]()
        for _ in 0..<10_000 {
            let picks = (0..<38).map { _ in draws.integer(below: 38) }
            psnrMeans.append(picks.reduce(0) { $0 + psnr[$1] } / 38)
            ssimMeans.append(picks.reduce(0) { $0 + ssim[$1] } / 38)
        }
        psnrMeans.sort(); ssimMeans.sort()
        let intervals = Bootstrap.intervals([psnr, ssim])
        for (interval, (values, means)) in zip(intervals, [(psnr, psnrMeans), (ssim, ssimMeans)]) {
            #expect(abs(interval.mean - values.reduce(0, +) / 38) < 1e-12)
            #expect(abs(interval.low! - means[249]) < 1e-12 && abs(interval.high! - means[9749]) < 1e-12, "\(interval)")
            #expect(interval.low! < interval.mean && interval.mean < interval.high!)
        }
        // The same values give the same bounds, bit for bit.
        #expect(Bootstrap.intervals([psnr, ssim]) == intervals)
    }

    @Test func constantDifferencesGiveADegenerateIntervalAtThatValue() {
        for (value, n) in [(0.1, 38), (-0.0137, 2), (0, 5)] {
            let interval = Bootstrap.intervals([Array(repeating: value, count: n)])[0]
            #expect(interval == BootstrapInterval(mean: value, low: value, high: value), "\(value) × \(n): \(interval)")
        }
    }

    @Test func theIntervalContainsTheMean() {
        var random = SeededRandom(seed: 11)
        for n in [2, 3, 5, 12, 38, 100] {
            // Skewed differences, as a method that helps a few items a lot gives.
            let values = (0..<n).map { _ in exp(random.gaussian()) - 1 }
            let interval = Bootstrap.intervals([values])[0]
            let low = interval.low ?? .nan, high = interval.high ?? .nan
            #expect(low <= interval.mean && interval.mean <= high && low < high, "n = \(n): \(interval)")
        }
    }

    @Test func fewerThanTwoValuesOrANonFiniteOneGiveNoInterval() {
        #expect(Bootstrap.intervals([[], []]).allSatisfy { $0.mean.isNaN && $0.low == nil && $0.high == nil })
        #expect(Bootstrap.intervals([[1.5]]) == [BootstrapInterval(mean: 1.5)])
        // A +∞ PSNR difference (a perfect restoration) leaves the SSIM sample its interval.
        let both = Bootstrap.intervals([[1, .infinity, 2], [0.1, 0.2, 0.3]])
        #expect(both[0] == BootstrapInterval(mean: .infinity) && both[1].low != nil)
    }

    /// Four methods on four items: pairs leave out an item either method failed on.
    static func fixture() -> Comparison {
        func r(_ method: String, _ psnr: Double?, _ ssim: Double = 0.5) -> MethodResult {
            MethodResult(method: method, scores: psnr.map { ImageScores(mse: 0.01, psnr: $0, ssim: ssim) }, seconds: 0.01,
                         error: psnr == nil ? "diverged" : nil)
        }
        let base: [(psnr: Double?, ssim: Double)] = [(20, 0.5), (21, 0.25), (22, 0.75), (nil, 0)]
        let a: [Double?] = [20, 22, 32, 25], b: [Double?] = [nil, 19.5, nil, 30]
        let items = (0..<4).map { i in
            ItemRecord(id: "00\(i + 1)", kernel: "disk-3", noiseSigma: 0.01, failure: nil,
                       results: [r("blurred", base[i].psnr, base[i].ssim), r("a", a[i], base[i].ssim + 0.0625),
                                 r("b", b[i], base[i].ssim), r("c", nil)])
        }
        var settings = ComparisonSettings(baseline: "blurred")
        settings.version = "test"
        return Comparison(settings: settings, methods: ["blurred", "a", "b", "c"], items: items, tuning: [],
                          validationItems: [], traces: [], previews: [])
    }

    @Test func pairsLeaveOutItemsEitherMethodFailedOn() {
        let differences = Self.fixture().againstBaseline
        #expect(differences.map(\.method) == ["a", "b", "c"] && differences.map(\.count) == [3, 1, 0])
        #expect(differences[0].psnr == BootstrapInterval(mean: 11.0 / 3, low: 0, high: 10))
        #expect(differences[0].ssim == BootstrapInterval(mean: 0.0625, low: 0.0625, high: 0.0625))
        #expect(differences[1].psnr == BootstrapInterval(mean: -1.5) && differences[1].ssim == BootstrapInterval(mean: 0))
        #expect(differences[2].psnr.mean.isNaN && differences[2].ssim.low == nil)
    }

    @Test func markdownReportShowsTheSectionAfterTheMainTable() throws {
        let text = MarkdownReport.render(Self.fixture())
        let start = try #require(text.range(of: "\n## Against the baseline\n"))
        let end = text.range(of: "\n## ", range: start.upperBound..<text.endIndex)?.lowerBound ?? text.endIndex
        #expect(String(text[start.lowerBound..<end]) == """

            ## Against the baseline

            Mean difference to `blurred` (method − baseline) over the items both scored, with a 95 % percentile-bootstrap interval (10000 resamples of those items, seed 0); items either failed on are left out, and fewer than 2 items give no interval (—).

            | method | ΔPSNR mean [95 % CI] | ΔSSIM mean [95 % CI] | items |
            | --- | ---: | ---: | ---: |
            | a | +3.67 [+0.00, +10.00] | +0.0625 [+0.0625, +0.0625] | 3 |
            | b | -1.50 [—] | +0.0000 [—] | 1 |
            | c | — | — | 0 |

            """)
        // The table deblur compare prints is unchanged, and comes first.
        #expect(text.range(of: MarkdownReport.summaryTable(Self.fixture()))!.upperBound <= start.lowerBound)
        #expect(!MarkdownReport.summaryTable(Self.fixture()).contains("Δ"))
        #expect(text.range(of: "## By kernel")!.lowerBound > start.lowerBound)
    }

    @Test func htmlAndJSONReportsCarryTheDifferences() throws {
        let html = HTMLReport.render(Self.fixture())
        #expect(html.contains("<h2>Against the baseline</h2>"))
        #expect(html.contains("<tr><td>a</td><td class=\"num\" data-v=\"3.666666667\">+3.67 [+0.00, +10.00]</td>"))
        #expect(html.contains("<td class=\"num\" data-v=\"-1e300\">—</td>"))  // c: no items, sorted last
        let json = JSONReport.render(Self.fixture())
        #expect(json.contains("\"bootstrap\": {\n      \"level\": 0.95,\n      \"resamples\": 10000,\n      \"seed\": 0\n    }"))
        let a = "\"baseline\": \"blurred\",\n        \"count\": 3,\n        \"method\": \"a\",\n        \"psnr\": {\n          \"high\": 10,\n"
            + "          \"low\": 0,\n          \"mean\": \(11.0 / 3)\n        }"
        #expect(json.contains(a), "\(json)")
        #expect(json.contains("\"count\": 1,\n        \"method\": \"b\",\n        \"psnr\": {\n          \"high\": null,\n          \"low\": null,\n          \"mean\": -1.5\n"))
    }
}
