import DeblurCore
import Foundation

/// The comparison as one self-contained HTML page (no external files or scripts): the
/// sortable summary and per-item tables, the differences to the baseline with their
/// intervals, PSNR and SSIM bar charts per method (inline SVG), PSNR-versus-iteration curves
/// of the traced items, side-by-side crops of sharp / blurred / each method (base64 PNG), the
/// failures and the settings.
public enum HTMLReport {
    /// Rows of the per-item table by default (`deblur compare --html-items`): about 0.5 MB of
    /// page with four methods. A row per item of 100 000 made a 50 MB page that took Chromium
    /// 100 s to open; the CSV and JSON reports list every item.
    public static let defaultItemRows = 1000

    /// Renders the page.
    /// - Parameters:
    ///   - encodePNG: encodes a [0, 1] image as PNG bytes for the crops (the CLI
    ///     passes `ImageIO.encodePNG`; Evaluation itself does not depend on an image codec).
    ///     Without it the crops section says so.
    ///   - itemRows: the per-item table lists the first `itemRows` items (all when there are no
    ///     more), and says how many it leaves out.
    ///   - againstBaseline: `result.againstBaseline`, when the caller already has it: reports
    ///     written together then share one bootstrap (computed when nil).
    public static func render(_ result: Comparison, encodePNG: ((Image) throws -> Data)? = nil,
                              itemRows: Int = defaultItemRows, againstBaseline: [PairedDifference]? = nil) -> String {
        var html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>DeblurKit comparison\(result.settings.dataset.isEmpty ? "" : " — " + escape(result.settings.dataset))</title>
        <style>\(style)</style></head><body>
        <h1>DeblurKit comparison</h1>
        <p class="meta">\(escape(MarkdownReport.headline(result, markdown: false)))</p>

        """
        html += section("Summary", summaryTable(result) + "<p class=\"note\">Click a column header to sort. Times are wall-clock seconds of <code>restore</code> per item.</p>")
        let differences = againstBaseline ?? result.againstBaseline
        if !differences.isEmpty { html += section("Against the baseline", baselineTable(differences, baseline: result.settings.baseline)) }
        html += section("PSNR and SSIM by method", "<div class=\"charts\">"
                        + barChart(title: "mean PSNR (dB)", values: result.summaries.map { ($0.method, $0.psnr.mean) }, decimals: 2, fromZero: false)
                        + barChart(title: "mean SSIM", values: result.summaries.map { ($0.method, $0.ssim.mean) }, decimals: 4, fromZero: true)
                        + "</div>")
        let sources = result.bySource, supports = result.bySupport
        html += section("By kernel" + (supports.isEmpty ? "" : ", blur support") + (sources.isEmpty ? "" : ", source image") + " and noise level",
                        "<p class=\"note\">Mean PSNR (dB) / mean SSIM per group.</p>"
                        + groupBlock("kernel", result.byKernel, informative: result.kernelGroupsAreInformative,
                                     otherwise: ReportFormat.ownKernels(result.items.count), methods: result.methods)
                        + (supports.isEmpty ? ""
                           : groupBlock("blur support", supports, informative: result.supportGroupsAreInformative,
                                        otherwise: ReportFormat.ownSupports(supports.count), methods: result.methods))
                        + (sources.isEmpty ? ""
                           : groupBlock("source image", sources, informative: result.sourceGroupsAreInformative,
                                        otherwise: ReportFormat.ownSources(sources.count), methods: result.methods))
                        + groupBlock("noise σ", result.byNoise, informative: result.noiseGroupsAreInformative,
                                     otherwise: ReportFormat.ownNoiseLevels(result.items.count), methods: result.methods))
        if !result.traces.isEmpty {
            let byItem = Dictionary(grouping: result.traces, by: \.item)
            let items = result.traces.map(\.item).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            html += section("PSNR versus iteration", "<div class=\"charts\">"
                            + items.map { lineChart(item: $0, traces: byItem[$0]!, methods: result.methods) }.joined()
                            + "</div>")
        }
        if !result.previews.isEmpty {
            html += section("Side by side", previews(result, encodePNG: encodePNG))
        }
        html += section("Per item", itemTable(result, rows: itemRows))
        let failures = result.failures
        if !failures.isEmpty {
            let more = failures.count - ReportFormat.listedFailures
            html += section("Failures (\(failures.count))", "<ul>" + failures.prefix(ReportFormat.listedFailures).map {
                "<li><b>\(escape($0.item))</b>\($0.method.map { ", " + escape($0) } ?? ""): \(escape($0.reason))</li>"
            }.joined() + "</ul>" + (more > 0 ? "<p class=\"note\">\(escape(ReportFormat.moreFailures(more)))</p>" : ""))
        }
        if !result.tuning.isEmpty {
            html += section("Tuning", "<div class=\"scroll\"><table><thead><tr><th>method</th><th>parameter</th><th>chosen</th><th>candidates (mean validation PSNR)</th></tr></thead><tbody>"
                            + result.tuning.map { t in
                                "<tr><td>\(escape(t.method))</td><td>\(escape(t.parameter))</td><td><b>\(escape(t.chosen))</b></td><td>"
                                    + escape(t.candidates.map { "\($0.value): \(ReportFormat.decibels($0.meanPSNR))" }.joined(separator: ", "))
                                    + "</td></tr>"
                            }.joined() + "</tbody></table></div><p class=\"note\">Validation items (not scored above): \(escape(result.validationItems.joined(separator: ", ")))</p>")
        }
        // The settings alone: the whole JSON object would bootstrap the intervals again and
        // group every item by kernel and noise level, for nothing shown here.
        let settings = JSONWriter.write(JSONReport.settings(result.settings))
        html += section("Settings", "<pre>\(escape(settings))</pre><p class=\"note\">DeblurKit \(escape(result.settings.version))</p>")
        html += "<script>\(script)</script>\n</body></html>\n"
        return html
    }

    // MARK: - Parts

    static func section(_ title: String, _ body: String) -> String { "<section><h2>\(escape(title))</h2>\n\(body)\n</section>\n" }

    static func summaryTable(_ result: Comparison) -> String {
        let wins = Dictionary(result.wins.map { ($0.method, $0) }, uniquingKeysWith: { a, _ in a })
        var rows = ""
        for s in result.summaries {
            let w = wins[s.method]
            rows += "<tr><td>\(escape(s.method))</td>" + numberCell(s.psnr.mean, ReportFormat.decibels(s.psnr.mean))
                + numberCell(s.psnr.median, ReportFormat.decibels(s.psnr.median)) + numberCell(s.psnr.std, ReportFormat.decibels(s.psnr.std))
                + numberCell(s.ssim.mean, ReportFormat.ssim(s.ssim.mean)) + numberCell(s.ssim.median, ReportFormat.ssim(s.ssim.median))
                + numberCell(s.ssim.std, ReportFormat.ssim(s.ssim.std)) + numberCell(s.seconds.mean, ReportFormat.seconds(s.seconds.mean))
                + (w.map { numberCell(Double($0.psnrWins), "\($0.psnrWins) / \($0.psnrTies) / \($0.psnrLosses)") } ?? "<td data-v=\"-1\">baseline</td>")
                + numberCell(Double(s.failures), String(s.failures)) + "</tr>\n"
        }
        return "<div class=\"scroll\"><table class=\"sortable\"><thead><tr><th>method</th><th>PSNR mean</th><th>PSNR median</th><th>PSNR std</th>"
            + "<th>SSIM mean</th><th>SSIM median</th><th>SSIM std</th><th>s / item</th><th>wins / ties / losses vs \(escape(result.settings.baseline))</th><th>failed</th></tr></thead><tbody>\n"
            + rows + "</tbody></table></div>"
    }

    /// Each method's mean paired difference to the baseline with its interval, sortable by the mean.
    static func baselineTable(_ differences: [PairedDifference], baseline: String) -> String {
        var rows = ""
        for d in differences {
            rows += "<tr><td>\(escape(d.method))</td>"
            rows += numberCell(d.psnr.mean, ReportFormat.difference(d.psnr, decimals: 2))
            rows += numberCell(d.ssim.mean, ReportFormat.difference(d.ssim, decimals: 4))
            rows += numberCell(Double(d.count), String(d.count)) + "</tr>\n"
        }
        return "<div class=\"scroll\"><table class=\"sortable\"><thead><tr><th>method</th><th>ΔPSNR mean [95 % CI]</th><th>ΔSSIM mean [95 % CI]</th><th>items</th></tr></thead><tbody>\n"
            + rows + "</tbody></table></div><p class=\"note\">\(escape(ReportFormat.againstBaselineNote(baseline, markdown: false)))</p>"
    }

    /// `groupTable`, or the note `otherwise` when the groups would repeat the items one by one
    /// (MarkdownReport.groupSection's HTML twin).
    static func groupBlock(_ title: String, _ groups: [(group: String, summaries: [MethodSummary])], informative: Bool,
                           otherwise: String, methods: [String]) -> String {
        informative ? groupTable(title, groups, methods: methods) : "<p class=\"note\">\(escape(otherwise))</p>"
    }

    /// Mean PSNR / SSIM per group (rows) and method (columns), sortable.
    static func groupTable(_ title: String, _ groups: [(group: String, summaries: [MethodSummary])], methods: [String]) -> String {
        var html = "<div class=\"scroll\"><table class=\"sortable\"><thead><tr><th>\(escape(title))</th><th>items</th>"
        for m in methods { html += "<th>\(escape(m))</th>" }
        html += "</tr></thead><tbody>\n"
        for (group, summaries) in groups {
            html += "<tr><td>\(escape(group))</td>" + numberCell(Double(summaries.first?.count ?? 0) + Double(summaries.first?.failures ?? 0),
                                                                 String((summaries.first?.count ?? 0) + (summaries.first?.failures ?? 0)))
            // One cell per method, "PSNR / SSIM", sorted by PSNR: half the width of two columns.
            for s in summaries {
                html += numberCell(s.psnr.mean, ReportFormat.decibels(s.psnr.mean) + " / " + ReportFormat.ssim(s.ssim.mean))
            }
            html += "</tr>\n"
        }
        return html + "</tbody></table></div>"
    }

    static func itemTable(_ result: Comparison, rows limit: Int) -> String {
        let shown = result.items.prefix(max(0, limit))
        let note = shown.count == result.items.count ? ""
            : "<p class=\"note\">The first \(shown.count) of \(result.items.count) items; the CSV and JSON reports list every item.</p>"
        if shown.isEmpty && !note.isEmpty { return note }
        let sources = result.items.contains { $0.source != nil }
        var head = "<tr><th>item</th><th>kernel</th>" + (sources ? "<th>source</th>" : "") + "<th>noise σ</th>"
        for m in result.methods { head += "<th>\(escape(m)) PSNR</th><th>\(escape(m)) SSIM</th>" }
        var rows = ""
        for record in shown {
            rows += "<tr><td>\(escape(record.id))</td><td>\(escape(record.kernel ?? ""))</td>"
                + (sources ? "<td>\(escape(record.source ?? ""))</td>" : "")
                + numberCell(record.noiseSigma ?? -1, ReportFormat.sigma(record.noiseSigma))
            for r in record.results {
                if let s = r.scores {
                    rows += numberCell(s.psnr, ReportFormat.decibels(s.psnr)) + numberCell(s.ssim, ReportFormat.ssim(s.ssim))
                } else {
                    // Two cells, not a colspan: the sort script indexes cells by column.
                    rows += "<td class=\"failed\" data-v=\"-1e300\" title=\"\(escape(r.error ?? ""))\">failed</td><td class=\"failed\" data-v=\"-1e300\">—</td>"
                }
            }
            rows += "</tr>\n"
        }
        return note + "<div class=\"scroll\"><table class=\"sortable\"><thead>\(head)</tr></thead><tbody>\n\(rows)</tbody></table></div>"
    }

    static func numberCell(_ value: Double, _ text: String) -> String {
        let v = value.isNaN ? "-1e300" : (value.isInfinite ? (value > 0 ? "1e300" : "-1e300") : String(format: "%.10g", value))
        return "<td class=\"num\" data-v=\"\(v)\">\(escape(text))</td>"
    }

    static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

    /// Horizontal bars, one per method, value printed at the end of each bar. Each label sits
    /// whole above its bar: specs such as `saved:dir=runs/v3` or `cnn:model=…` differ at their
    /// ends, which a label cut to a fixed width beside the bar hid.
    static func barChart(title: String, values: [(String, Double)], decimals: Int, fromZero: Bool) -> String {
        let finite = values.map(\.1).filter(\.isFinite)
        let barSpace = 340.0, rowHeight = 38.0
        // About 7 px per character of the 12 px sans-serif labels.
        let longest = Double(values.map(\.0.count).max() ?? 0) * 7 + 10
        let width = max(barSpace + 70, longest)
        let height = 34 + rowHeight * Double(values.count) + 4
        // PSNR bars start a little below the worst mean (whole dB) so differences stay visible.
        let hi = finite.max() ?? 1
        let lo = fromZero ? 0 : (min(finite.min() ?? 0, hi) - 1 - (finite.count < 2 ? 1 : 0)).rounded(.down)
        // A +inf mean (PSNR of a restoration equal to its reference) takes the whole bar; the
        // finite bars then end short of it, or the best finite mean was drawn as long as it.
        let finiteSpace = values.contains { $0.1 == .infinity } ? barSpace * 0.8 : barSpace
        var svg = "<svg class=\"chart\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"\(escape(title))\">"
        svg += "<text x=\"0\" y=\"16\" class=\"title\">\(escape(title))\(fromZero ? "" : " — axis from \(String(format: "%g", lo))")</text>"
        for (i, (label, value)) in values.enumerated() {
            let y = 30 + rowHeight * Double(i)
            let fraction = max(0, min(1, (value - lo) / max(hi - lo, 1e-12)))
            let w = value.isFinite ? max(1, fraction * finiteSpace) : (value > 0 ? barSpace : 1)
            svg += "<text x=\"0\" y=\"\(y + 12)\" class=\"tick\">\(escape(label))</text>"
            svg += "<rect x=\"0\" y=\"\(y + 16)\" width=\"\(String(format: "%.1f", w))\" height=\"\(rowHeight - 22)\" fill=\"\(palette[i % palette.count])\"><title>\(escape(label))</title></rect>"
            let text = value.isFinite ? String(format: "%.\(decimals)f", value) : (value.isNaN ? "—" : "inf")
            svg += "<text x=\"\(String(format: "%.1f", w + 5))\" y=\"\(y + 28)\">\(text)</text>"
        }
        return svg + "</svg>"
    }

    /// PSNR after each iteration, one polyline per traced method of one item.
    static func lineChart(item: String, traces: [IterationTrace], methods: [String]) -> String {
        // The legend sits under the plot, one row per method, so it never hides a curve; its
        // labels are whole (specs differ at their ends), the picture as wide as the longest.
        let plotHeight = 240.0, legendRow = 16.0
        let width = 460.0, height = plotHeight + legendRow * Double(traces.count) + 6, left = 48.0, right = 12.0, top = 26.0
        let bottom = height - plotHeight + 34.0
        let points = traces.flatMap(\.points).filter { $0.psnr.isFinite }
        guard !points.isEmpty else { return "" }
        let maxIteration = Double(points.map(\.iteration).max()!)
        var lo = points.map(\.psnr).min()!, hi = points.map(\.psnr).max()!
        if hi - lo < 0.5 { lo -= 0.25; hi += 0.25 }
        func px(_ i: Int) -> Double { left + (Double(i) - 1) / max(1, maxIteration - 1) * (width - left - right) }
        func py(_ v: Double) -> Double { top + (hi - v) / (hi - lo) * (height - top - bottom) }
        let legends = traces.map { "\($0.method) (\($0.points.count) iterations)" }
        let pictureWidth = max(width, left + 14 + 7 * Double(legends.map(\.count).max() ?? 0))
        var svg = "<svg class=\"chart\" width=\"\(Int(pictureWidth))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"PSNR versus iteration, item \(escape(item))\">"
        svg += "<text x=\"0\" y=\"16\" class=\"title\">item \(escape(item)): PSNR (dB) vs iteration</text>"
        svg += "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width - right)\" y2=\"\(height - bottom)\" class=\"axis\"/>"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(height - bottom)\" class=\"axis\"/>"
        for k in 0...4 {
            let v = lo + (hi - lo) * Double(k) / 4
            svg += "<text x=\"\(left - 4)\" y=\"\(String(format: "%.1f", py(v) + 4))\" text-anchor=\"end\" class=\"tick\">\(String(format: "%.1f", v))</text>"
        }
        svg += "<text x=\"\(left)\" y=\"\(height - bottom + 16)\" class=\"tick\">1</text>"
        svg += "<text x=\"\(width - right)\" y=\"\(height - bottom + 16)\" text-anchor=\"end\" class=\"tick\">\(Int(maxIteration))</text>"
        svg += "<text x=\"\((left + width) / 2)\" y=\"\(height - bottom + 28)\" text-anchor=\"middle\" class=\"tick\">iteration</text>"
        for (n, trace) in traces.enumerated() {
            let color = palette[(methods.firstIndex(of: trace.method) ?? n) % palette.count]
            let path = trace.points.filter { $0.psnr.isFinite }
                .map { String(format: "%.1f,%.1f", px($0.iteration), py($0.psnr)) }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path)\"><title>\(escape(trace.method))</title></polyline>"
            let legendY = plotHeight + legendRow * Double(n)
            svg += "<rect x=\"\(left)\" y=\"\(legendY)\" width=\"10\" height=\"10\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(left + 14)\" y=\"\(legendY + 9)\" class=\"tick\">\(escape(legends[n]))</text>"
        }
        return svg + "</svg>"
    }

    static func previews(_ result: Comparison, encodePNG: ((Image) throws -> Data)?) -> String {
        guard let encodePNG else { return "<p class=\"note\">Crops omitted: no PNG encoder was given to the report.</p>" }
        let index = Dictionary(result.items.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var html = "<p class=\"note\">The same region of each image (after the border crop), shown at 2× with nearest-neighbour scaling; values clamped to [0, 1].</p>"
        for preview in result.previews {
            html += "<h3>item \(escape(preview.item)) — region at (\(preview.top), \(preview.left))</h3><div class=\"strip\">"
            for panel in preview.panels {
                var caption = escape(panel.label)
                if let scores = index[preview.item]?.results.first(where: { $0.method == panel.label })?.scores {
                    caption += "<br>\(ReportFormat.decibels(scores.psnr)) dB · \(ReportFormat.ssim(scores.ssim))"
                }
                guard let data = try? encodePNG(panel.image) else { continue }
                html += "<figure><img alt=\"\(escape(panel.label))\" width=\"\(2 * panel.image.width)\" height=\"\(2 * panel.image.height)\" "
                    + "src=\"data:image/png;base64,\(data.base64EncodedString())\"><figcaption>\(caption)</figcaption></figure>"
            }
            html += "</div>"
        }
        return html
    }


    /// Escapes text for HTML element content and attribute values.
    ///
    /// By Unicode scalar, as the browser reads it: a `"` followed by a combining mark is one
    /// Swift `Character` that is not `"`, so an item id `x"\u{301} onmouseover=…` ended the
    /// `title` attribute of its failed cell and added an attribute of its own.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    static let style = """
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px auto;max-width:1180px;padding:0 16px;color:#222}
    h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
    h3{font-size:14px;margin:14px 0 6px}.meta,.note{color:#666}.note{font-size:12px}
    table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin-bottom:10px}th,td{padding:4px 9px;border-bottom:1px solid #eee;text-align:left;white-space:nowrap}
    th{background:#f6f6f6;cursor:pointer;user-select:none;white-space:normal;vertical-align:bottom}th.asc:after{content:" ▲"}th.desc:after{content:" ▼"}
    td.num{text-align:right}td.failed{color:#b00;text-align:center}.scroll{overflow-x:auto}
    .charts{display:flex;flex-wrap:wrap;gap:24px}.chart text{font-size:12px;fill:#333}.chart .title{font-weight:600}
    .chart .tick{font-size:11px;fill:#555}.chart .axis{stroke:#999}
    .strip{display:flex;flex-wrap:wrap;gap:10px}figure{margin:0;text-align:center;font-size:12px}
    figure img{image-rendering:pixelated;border:1px solid #ccc;display:block}pre{background:#f6f6f6;padding:8px;overflow-x:auto}
    """

    /// Sorts a table by the clicked column: numbers by `data-v`, text otherwise.
    static let script = """
    document.querySelectorAll("table.sortable").forEach(function(t){
      t.querySelectorAll("th").forEach(function(th,col){
        th.addEventListener("click",function(){
          var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows),asc=!th.classList.contains("asc");
          t.querySelectorAll("th").forEach(function(h){h.classList.remove("asc","desc")});
          th.classList.add(asc?"asc":"desc");
          function key(r){var c=r.cells[col];if(!c)return "";var v=c.getAttribute("data-v");return v!==null?parseFloat(v):c.textContent}
          rows.sort(function(a,b){var x=key(a),y=key(b);var d=(typeof x==="number"&&typeof y==="number")?x-y:String(x).localeCompare(String(y));return asc?d:-d});
          rows.forEach(function(r){body.appendChild(r)});
        });
      });
    });
    """
}
