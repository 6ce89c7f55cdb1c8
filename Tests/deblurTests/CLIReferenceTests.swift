import Foundation
import Testing

/// Docs/CLI.md holds every command's `--help` as the tool prints it. This test rebuilds that part
/// of the page from the built tool and fails when they differ, so a changed option cannot leave
/// the reference behind. `make cli-reference` runs it with `DEBLUR_WRITE_CLI_REFERENCE=1`, which
/// rewrites the page's generated part instead.
@Suite struct CLIReferenceTests {
    static let page = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Docs/CLI.md")
    static let marker = "<!-- Generated from the tool's --help below this line: make cli-reference -->"

    /// The subcommand names listed in a help text's SUBCOMMANDS section: the lines indented by
    /// exactly two spaces (descriptions wrap at a deeper indent), up to the section's blank line.
    static func subcommands(inHelp help: String) -> [String] {
        var names: [String] = [], inSection = false
        for line in help.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "SUBCOMMANDS:" { inSection = true; continue }
            guard inSection else { continue }
            if line.isEmpty { break }
            if line.hasPrefix("  "), !line.hasPrefix("   "), let name = line.split(separator: " ").first {
                names.append(String(name))
            }
        }
        return names
    }

    /// `deblur … --help` at the width a non-terminal gets: COLUMNS would change the wrapping.
    static func help(_ command: [String], in directory: URL) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = nil
        let result = try CLI.run(command + ["--help"], in: directory, environment: environment)
        guard result.status == 0, result.stderr.isEmpty else {
            throw CLIReferenceError(description: "deblur \(command.joined(separator: " ")) --help failed: \(result)")
        }
        return result.stdout
    }

    /// The generated part of the page: a contents list, then one section per command, the tool
    /// itself first and every subcommand found by walking the SUBCOMMANDS sections.
    static func generated(in directory: URL) throws -> String {
        var queue: [[String]] = [[]], sections: [(command: [String], help: String)] = []
        while !queue.isEmpty {
            let command = queue.removeFirst()
            let text = try help(command, in: directory)
            sections.append((command, text))
            queue.insert(contentsOf: subcommands(inHelp: text).map { command + [$0] }, at: 0)
        }
        func title(_ command: [String]) -> String { (["deblur"] + command).joined(separator: " ") }
        func anchor(_ command: [String]) -> String { (["deblur"] + command).joined(separator: "-") }
        var out = "\n"
        for section in sections {
            // The OVERVIEW paragraph, unwrapped.
            let paragraph = section.help.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.isEmpty }
            let overview = paragraph.joined(separator: " ").replacingOccurrences(of: "OVERVIEW: ", with: "")
            out += "- [`\(title(section.command))`](#\(anchor(section.command))): \(overview)\n"
        }
        for section in sections {
            out += "\n## `\(title(section.command))`\n\n```text\n\(section.help.hasSuffix("\n") ? section.help : section.help + "\n")```\n"
        }
        return out
    }

    @Test func pageMatchesTheToolsHelp() throws {
        let text = try String(contentsOf: Self.page, encoding: .utf8)
        guard let range = text.range(of: Self.marker + "\n") else {
            Issue.record("\(Self.page.path) lacks the line \(Self.marker)")
            return
        }
        let expected = try withScratch { try Self.generated(in: $0) }
        if ProcessInfo.processInfo.environment["DEBLUR_WRITE_CLI_REFERENCE"] != nil {
            let rewritten = String(text[..<range.upperBound]) + expected
            let temporary = Self.page.deletingLastPathComponent().appendingPathComponent(".CLI.md.tmp-\(getpid())")
            try Data(rewritten.utf8).write(to: temporary)
            guard rename(temporary.path, Self.page.path) == 0 else {
                throw CLIReferenceError(description: "cannot rename \(temporary.path) to \(Self.page.path): errno \(errno)")
            }
            return
        }
        let actual = String(text[range.upperBound...])
        if actual != expected {
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let line = (0..<min(a.count, e.count)).first { a[$0] != e[$0] } ?? min(a.count, e.count)
            let headerLines = text[..<range.upperBound].filter { $0 == "\n" }.count
            Issue.record("""
                Docs/CLI.md differs from the tool's --help at line \(headerLines + line + 1) \
                (page "\(line < a.count ? a[line] : "<end>")", tool "\(line < e.count ? e[line] : "<end>")"): \
                run `make cli-reference` and commit the page
                """)
        }
    }

    @Test func subcommandSectionsAreParsed() {
        let help = """
            OVERVIEW: x

            SUBCOMMANDS:
              motion                  Linear motion: MATLAB's fspecial('motion', length,
                                      angle).
              disk                    Defocus disk.

              See 'deblur help psf <subcommand>' for detailed help.
            """
        #expect(Self.subcommands(inHelp: help) == ["motion", "disk"])
        #expect(Self.subcommands(inHelp: "OVERVIEW: y\n\nOPTIONS:\n  --seed <seed>   Seed.\n").isEmpty)
    }
}

struct CLIReferenceError: Error, CustomStringConvertible {
    var description: String
}
