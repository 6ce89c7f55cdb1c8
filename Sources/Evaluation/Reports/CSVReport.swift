/// The comparison as CSV: one row per item × method, every number at full precision (the
/// shortest text that reads back to the same Double, as in the JSON report), RFC 4180 quoting.
///
/// Columns: `item,kernel,noise_sigma,method,mse,psnr,ssim,seconds,error,source,blur_support`. A
/// failed cell has empty scores and the reason in `error`; a perfect restoration has `psnr` =
/// `inf`; `source` (the photograph an item was cut from) is empty when unknown, as is
/// `blur_support` (`PSF.support`, px) for an item that could not be loaded. Columns added after
/// the first release's come last, so that scripts reading columns by position still work.
public enum CSVReport {
    public static let header = "item,kernel,noise_sigma,method,mse,psnr,ssim,seconds,error,source,blur_support"

    public static func render(_ result: Comparison) -> String {
        var lines = [header]
        for record in result.items {
            for r in record.results {
                lines.append([record.id, record.kernel ?? "", ReportFormat.exact(record.noiseSigma), r.method,
                              ReportFormat.exact(r.scores?.mse), ReportFormat.exact(r.scores?.psnr),
                              ReportFormat.exact(r.scores?.ssim), ReportFormat.exact(r.seconds), r.error ?? "", record.source ?? "",
                              record.blurSupport.map(String.init) ?? ""]
                    .map(field).joined(separator: ","))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Quotes a field when it holds a comma, quote or line break (quotes doubled).
    ///
    /// By Unicode scalar, as a CSV reader sees the bytes: a `\r\n` in a name, or a `,` or `"`
    /// followed by a combining mark, is one Swift `Character` equal to none of them, so such a
    /// field went out unquoted and split its row.
    static func field(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        var out = "\""
        for scalar in text.unicodeScalars {
            if scalar == "\"" { out += "\"" }
            out.unicodeScalars.append(scalar)
        }
        return out + "\""
    }
}
