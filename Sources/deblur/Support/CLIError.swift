/// A user-facing failure of the command-line tool, printed as one line.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// One `KEY=VALUE` argument of a repeatable option (`--param`, `--base-param`), both sides non-empty.
func keyValue(_ text: String, option: String) throws -> (key: String, value: String) {
    let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
    guard parts.count == 2 else { throw CLIError("invalid --\(option) '\(text)': expected key=value") }
    return (parts[0], parts[1])
}
