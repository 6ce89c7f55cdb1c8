import Foundation

/// Number formatting shared by the text reports, so Markdown, CSV and HTML agree.
enum ReportFormat {
    /// What the reports say instead of one group per noise level when no level repeats.
    static func ownNoiseLevels(_ count: Int) -> String {
        "Each item has a noise level of its own (\(count) levels), so a group per level would repeat the items; "
            + "each item's σ and scores are in the CSV and JSON reports (and the JSON's by_noise)."
    }

    /// The Markdown and HTML reports list this many failures, the first ones: a method that
    /// fails on every item (a PSF larger than the images) listed 72 570 of them, 8 MB of Markdown.
    static let listedFailures = 1000

    /// What follows the listed failures when there are more.
    static func moreFailures(_ count: Int) -> String {
        "… and \(count) more; the JSON report's failures and the CSV's error column list every one."
    }

    /// What the reports say instead of one group per source photograph when none repeats.
    static func ownSources(_ count: Int) -> String {
        "Each item has a source image of its own (\(count) sources), so a group per source would repeat the items; "
            + "each item's source and scores are in the CSV and JSON reports (and the JSON's by_source)."
    }

    /// What the reports say instead of one group per blur support when none repeats.
    static func ownSupports(_ count: Int) -> String {
        "Each item has a blur support of its own (\(count) supports), so a group per support would repeat the items; "
            + "each item's support and scores are in the CSV and JSON reports (and the JSON's by_blur_support)."
    }

    /// What the reports say instead of one group per kernel when no kernel repeats.
    static func ownKernels(_ count: Int) -> String {
        "Each item has a kernel of its own (\(count) kernels), so a group per kernel would repeat the items; "
            + "each item's scores are in the CSV and JSON reports (and the JSON's by_kernel)."
    }

    /// PSNR with 2 decimals; `inf` for a perfect restoration, `—` when missing.
    static func decibels(_ v: Double?) -> String {
        guard let v else { return "—" }
        if v.isNaN { return "—" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        return String(format: "%.2f", v)
    }
    /// SSIM with 4 decimals.
    static func ssim(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "—" }
        return String(format: "%.4f", v)
    }
    /// A mean difference, signed, and its interval: `+5.77 [+5.12, +6.40]`; `[—]` without an
    /// interval, `—` without a mean (no items).
    static func difference(_ d: BootstrapInterval, decimals: Int) -> String {
        func signed(_ v: Double) -> String {
            v.isInfinite ? (v > 0 ? "+inf" : "-inf") : String(format: "%+.\(decimals)f", v)
        }
        guard !d.mean.isNaN else { return "—" }
        guard let low = d.low, let high = d.high else { return signed(d.mean) + " [—]" }
        return "\(signed(d.mean)) [\(signed(low)), \(signed(high))]"
    }
    /// What the reports say above the differences to the baseline.
    static func againstBaselineNote(_ baseline: String, markdown: Bool) -> String {
        let name = markdown ? MarkdownReport.code(baseline) : baseline
        return "Mean difference to \(name) (method − baseline) over the items both scored, with a \(percent(Bootstrap.level)) "
            + "percentile-bootstrap interval (\(Bootstrap.resamples) resamples of those items, seed \(Bootstrap.seed)); "
            + "items either failed on are left out, and fewer than 2 items give no interval (—)."
    }
    static func percent(_ v: Double) -> String { String(format: "%g %%", 100 * v) }
    /// Seconds with 3 significant digits.
    static func seconds(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "—" }
        return String(format: "%.3g", v)
    }
    /// A full-precision number for machine-readable outputs: Swift's shortest representation
    /// that reads back to the same Double (`0.01`, not `0.01000000000000000021`), as the JSON
    /// report writes it; empty when missing.
    static func exact(_ v: Double?) -> String {
        guard let v else { return "" }
        if v.isNaN { return "nan" }
        if v.isInfinite { return v > 0 ? "inf" : "-inf" }
        return v.description
    }
    /// Noise σ of an item as its group label uses it.
    static func sigma(_ v: Double?) -> String { v.map { String(format: "%g", $0) } ?? "" }
}
