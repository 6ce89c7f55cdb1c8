import Foundation

/// The comparison as Markdown: the summary table (printed by `deblur compare`), then the
/// differences to the baseline with their intervals, the tables by kernel, by source
/// photograph (when the items name theirs) and by noise level, the tuning decisions and the
/// failures (`--report`).
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
            out += groupSection("By kernel", kernels, informative: result.kernelGroupsAreInformative,
                                otherwise: ReportFormat.ownKernels(kernels.count))
        }
        let supports = result.bySupport
        if !supports.isEmpty {
            out += groupSection("By blur support", supports, informative: result.supportGroupsAreInformative,
                                otherwise: ReportFormat.ownSupports(supports.count))
        }
        // Only datasets cut from photographs (`deblur synth --images`) know their items' sources.
        let sources = result.bySource
        if !sources.isEmpty {
            out += groupSection("By source image", sources, informative: result.sourceGroupsAreInformative,
                                otherwise: ReportFormat.ownSources(sources.count))
        }
        let noise = result.byNoise
        if noise.count > 1 || noise.first?.group != "unknown" {
            out += groupSection("By noise level", noise, informative: result.noiseGroupsAreInformative,
                                otherwise: ReportFormat.ownNoiseLevels(noise.count))
        }
        if !result.tuning.isEmpty {
            out += "\n## Tuning\n\nChosen on \(result.validationItems.count) validation item(s) (split seed \(result.settings.splitSeed)) by mean PSNR; not scored above.\n\n"
            out += "| method | parameter | chosen | candidates (mean validation PSNR, dB) |\n| --- | --- | --- | --- |\n"
            for t in result.tuning {
                let candidates = t.candidates.map { "\($0.value): \(ReportFormat.decibels($0.meanPSNR))" }.joined(separator: ", ")
                out += "| \(escape(t.method)) | \(escape(t.parameter)) | \(escape(t.chosen)) | \(escape(candidates)) |\n"
            }
        }
        let failures = result.failures
        if !failures.isEmpty {
            out += "\n## Failures\n\n"
            for f in failures.prefix(ReportFormat.listedFailures) {
                out += "- item \(escape(f.item))\(f.method.map { ", \(escape($0))" } ?? ""): \(escape(f.reason))\n"
            }
            if failures.count > ReportFormat.listedFailures {
                out += "\n" + ReportFormat.moreFailures(failures.count - ReportFormat.listedFailures) + "\n"
            }
        }
        return out
    }

    /// A `##` section with a table per group, or the note `otherwise` when the groups would
    /// repeat the items one by one.
    static func groupSection(_ title: String, _ groups: [(group: String, summaries: [MethodSummary])],
                             informative: Bool, otherwise: String) -> String {
        guard informative else { return "\n## \(title)\n\n" + otherwise + "\n" }
        return "\n## \(title)\n" + groups.map { "\n### \(escape($0.group))\n\n" + groupTable($0.summaries) }.joined()
    }

    /// One line: items, metric settings, baseline.
    /// - Parameter markdown: the dataset and the baseline as Markdown code spans; false: as
    ///   named (the HTML report escapes the line for HTML).
    public static func headline(_ result: Comparison, markdown: Bool = true) -> String {
        let name: (String) -> String = markdown ? code : { $0 }
        let m = result.settings.metrics
        var parts = ["\(result.items.count) item(s)"]
        if !result.settings.dataset.isEmpty { parts.append("dataset \(name(result.settings.dataset))") }
        // A shard's table alone would read as the whole dataset's.
        if let shard = result.settings.shard { parts.append("shard \(shard)") }
        parts.append("SSIM \(m.ssimPreset.rawValue)")
        parts.append("data range \(String(format: "%g", m.dataRange))")
        if m.crop > 0 { parts.append("border crop \(m.crop) px") }
        if m.luminanceOnly { parts.append("luminance only") }
        parts.append("wins vs \(name(result.settings.baseline)) by PSNR")
        return parts.joined(separator: " · ")
    }

    /// The per-method summary table: mean / median / std of PSNR and SSIM, time, wins, failures.
    public static func summaryTable(_ result: Comparison) -> String {
        let wins = Dictionary(result.wins.map { ($0.method, $0) }, uniquingKeysWith: { a, _ in a })
        var out = "| method | PSNR mean | PSNR median | PSNR std | SSIM mean | SSIM median | SSIM std | s / item | wins / ties / losses | failed |\n"
        out += "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: |\n"
        for s in result.summaries {
            let w = wins[s.method].map { "\($0.psnrWins) / \($0.psnrTies) / \($0.psnrLosses)" } ?? "baseline"
            out += "| \(escape(s.method)) | \(ReportFormat.decibels(s.psnr.mean)) | \(ReportFormat.decibels(s.psnr.median)) | "
                + "\(ReportFormat.decibels(s.psnr.std)) | \(ReportFormat.ssim(s.ssim.mean)) | \(ReportFormat.ssim(s.ssim.median)) | "
                + "\(ReportFormat.ssim(s.ssim.std)) | \(ReportFormat.seconds(s.seconds.mean)) | \(w) | \(s.failures) |\n"
        }
        return out
    }

    /// Each method's mean paired PSNR and SSIM difference to the baseline with its interval.
    static func baselineTable(_ differences: [PairedDifference]) -> String {
        var out = "| method | ΔPSNR mean [95 % CI] | ΔSSIM mean [95 % CI] | items |\n| --- | ---: | ---: | ---: |\n"
        for d in differences {
            out += "| \(escape(d.method)) | \(ReportFormat.difference(d.psnr, decimals: 2)) | "
                + "\(ReportFormat.difference(d.ssim, decimals: 4)) | \(d.count) |\n"
        }
        return out
    }

    static func groupTable(_ summaries: [MethodSummary]) -> String {
        var out = "| method | items | PSNR mean | SSIM mean |\n| --- | ---: | ---: | ---: |\n"
        for s in summaries {
            out += "| \(escape(s.method)) | \(s.count) | \(ReportFormat.decibels(s.psnr.mean)) | \(ReportFormat.ssim(s.ssim.mean)) |\n"
        }
        return out
    }

    /// A name (item, kernel, method, reason) as Markdown text that shows it as written, in a
    /// table cell, a heading or a list item: `|` would end the cell, a line break the row or
    /// heading; `<` opened raw HTML (`<b>` vanished, `<script>` ran where a renderer passes HTML),
    /// `&amp;` showed as `&`, and backticks and `*` made code and emphasis. Those are escaped with
    /// a backslash (and the backslash itself); line breaks are written `\n` and `\r`.
    static func escape(_ text: String) -> String {
        // By Unicode scalar, as a Markdown reader sees it: `|` followed by a combining mark is
        // one Swift Character that is not `|`.
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\", "|", "<", "&", "`", "*": out += "\\"; out.unicodeScalars.append(scalar)
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `text` with its line breaks written `\n` and `\r`, so that a name holding one stays on
    /// its line (a report's headline, a message on stderr).
    public static func oneLine(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A name as a Markdown code span, shown as written: the fence is one backtick longer than
    /// the longest run inside (a dataset folder named ``a`b`` closed a single-backtick span
    /// early), padded when the name starts or ends with a backtick; line breaks are written
    /// `\n` and `\r`, since one would end the headline (and `# x` after it become a heading).
    static func code(_ text: String) -> String {
        let body = oneLine(text)
        var longest = 0, run = 0
        for scalar in body.unicodeScalars {
            run = scalar == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = body.unicodeScalars.first == "`" || body.unicodeScalars.last == "`" ? " " : ""
        return fence + pad + body + pad + fence
    }
}
