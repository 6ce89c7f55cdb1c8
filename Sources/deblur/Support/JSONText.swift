import DeblurKit

/// `s` as a JSON string literal, for the one-line `--json` summaries: a path may hold `"` or `\`.
func jsonQuoted(_ s: String) -> String { JSONWriter.write(s, indent: nil) }
