import Foundation

/// The comparison as Markdown: the summary table (printed by `deblur compare`), then the
/// differences to the baseline with their intervals, the tables by kernel and by noise
/// level, the tuning decisions and the failures (`--report`).
public enum MarkdownReport {
    /// The full report.
    /// - Parameter againstBaseline: `result.againstBaseline`, when the caller already has it:
    ///   reports written together then share one bootstrap (computed when nil).
    public static func render(_ result: Comparison, againstBaseline: [PairedDifference]? = nil) -> String {
        var out = "# Comparison\n\n" + headline(result) + "\n\n" + summaryTable(result)
        let differences = againstBaseline ?? result.againstBaseline
        if !differences.isEmpty {
            out += "\n## Against the baseline\n\n" + ReportFormat.againstBaselineNote(result.settings.baseline, markdown: true) + "\n\n"
                + baselineTable(differences)
        }
        let kernels = result.byKernel
        if kernels.count > 1 || kernels.first?.group != "unknown" {
            out += "\n## By kernel\n"
            if result.kernelGroupsAreInformative {
                for (group, summaries) in kernels { out += "\n### \(group)\n\n" + groupTable(summaries) }
            } else {
                out += "\n" + ReportFormat.ownKernels(kernels.count) + "\n"
            }
        }
        let noise = result.byNoise
        if noise.count > 1 || noise.first?.group != "unknown" {
            out += "\n## By noise level\n"
            if result.noiseGroupsAreInformative {
                for (group, summaries) in noise { out += "\n### \(group)\n\n" + groupTable(summaries) }
            } else {
                out += "\n" + ReportFormat.ownNoiseLevels(noise.count) + "\n"
            }
        }
        if !result.tuning.isEmpty {
            out += "\n## Tuning\n\nChosen on \(result.validationItems.count) validation item(s) (split seed \(result.settings.splitSeed)) by mean PSNR; not scored above.\n\n"
            out += "| method | parameter | chosen | candidates (mean validation PSNR, dB) |\n| --- | --- | --- | --- |\n"
            for t in result.tuning {
                let candidates = t.candidates.map { "\($0.value): \(ReportFormat.decibels($0.meanPSNR))" }.joined(separator: ", ")
                out += "| \(cell(t.method)) | \(t.parameter) | \(t.chosen) | \(cell(candidates)) |\n"
            }
        }
        let failures = result.failures
        if !failures.isEmpty {
            out += "\n## Failures\n\n"
            for f in failures { out += "- item \(f.item)\(f.method.map { ", \($0)" } ?? ""): \(f.reason)\n" }
        }
        return out
    }

    /// One line: items, metric settings, baseline.
    public static func headline(_ result: Comparison) -> String {
        let m = result.settings.metrics
        var parts = ["\(result.items.count) item(s)"]
        if !result.settings.dataset.isEmpty { parts.append("dataset `\(result.settings.dataset)`") }
        // A shard's table alone would read as the whole dataset's.
        if let shard = result.settings.shard { parts.append("shard \(shard)") }
        parts.append("SSIM \(m.ssimPreset.rawValue)")
        parts.append("data range \(String(format: "%g", m.dataRange))")
        if m.crop > 0 { parts.append("border crop \(m.crop) px") }
        if m.luminanceOnly { parts.append("luminance only") }
        parts.append("wins vs `\(result.settings.baseline)` by PSNR")
        return parts.joined(separator: " · ")
    }

    /// The per-method summary table: mean / median / std of PSNR and SSIM, time, wins, failures.
    public static func summaryTable(_ result: Comparison) -> String {
        let wins = Dictionary(result.wins.map { ($0.method, $0) }, uniquingKeysWith: { a, _ in a })
        var out = "| method | PSNR mean | PSNR median | PSNR std | SSIM mean | SSIM median | SSIM std | s / item | wins / ties / losses | failed |\n"
        out += "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: |\n"
        for s in result.summaries {
            let w = wins[s.method].map { "\($0.psnrWins) / \($0.psnrTies) / \($0.psnrLosses)" } ?? "baseline"
            out += "| \(cell(s.method)) | \(ReportFormat.decibels(s.psnr.mean)) | \(ReportFormat.decibels(s.psnr.median)) | "
                + "\(ReportFormat.decibels(s.psnr.std)) | \(ReportFormat.ssim(s.ssim.mean)) | \(ReportFormat.ssim(s.ssim.median)) | "
                + "\(ReportFormat.ssim(s.ssim.std)) | \(ReportFormat.seconds(s.seconds.mean)) | \(w) | \(s.failures) |\n"
        }
        return out
    }

    /// Each method's mean paired PSNR and SSIM difference to the baseline with its interval.
    static func baselineTable(_ differences: [PairedDifference]) -> String {
        var out = "| method | ΔPSNR mean [95 % CI] | ΔSSIM mean [95 % CI] | items |\n| --- | ---: | ---: | ---: |\n"
        for d in differences {
            out += "| \(cell(d.method)) | \(ReportFormat.difference(d.psnr, decimals: 2)) | "
                + "\(ReportFormat.difference(d.ssim, decimals: 4)) | \(d.count) |\n"
        }
        return out
    }

    static func groupTable(_ summaries: [MethodSummary]) -> String {
        var out = "| method | items | PSNR mean | SSIM mean |\n| --- | ---: | ---: | ---: |\n"
        for s in summaries {
            out += "| \(cell(s.method)) | \(s.count) | \(ReportFormat.decibels(s.psnr.mean)) | \(ReportFormat.ssim(s.ssim.mean)) |\n"
        }
        return out
    }

    /// Escapes the characters that would break a table cell.
    static func cell(_ text: String) -> String { text.replacingOccurrences(of: "|", with: "\\|") }
}
