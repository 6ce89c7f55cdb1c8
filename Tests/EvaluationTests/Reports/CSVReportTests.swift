import Testing
import DeblurCore
@testable import Evaluation

@Suite struct CSVReportTests {
    /// Splits one RFC 4180 line (no embedded newlines in these fixtures).
    func fields(_ line: Substring) -> [String] {
        var out = [String](), current = "", quoted = false
        var chars = Array(line)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" { if chars.first == "\"" { current.append("\""); chars.removeFirst() } else { quoted = false } }
                else { current.append(c) }
            } else if c == "\"" { quoted = true }
            else if c == "," { out.append(current); current = "" }
            else { current.append(c) }
        }
        out.append(current)
        return out
    }

    @Test func oneRowPerItemAndMethodWithValuesThatRoundTrip() {
        let result = sampleResult()
        let lines = CSVReport.render(result).split(separator: "\n")
        #expect(lines.count == 1 + 3 * 2)
        #expect(String(lines[0]) == CSVReport.header)
        let row = fields(lines[2])  // item 001, second method
        #expect(row.count == 11 && row[9].isEmpty && row[10] == "1")
        #expect(row[0] == "001" && row[1] == "motion-9" && row[2] == "0.01" && row[3] == "rl<x>:iterations=4")
        let scores = result.items[0].results[1].scores!
        #expect(Double(row[4]) == scores.mse && Double(row[5]) == scores.psnr && Double(row[6]) == scores.ssim)
        #expect(row[8].isEmpty)
    }

    /// A `\r\n` in a name, or a `,` or `"` followed by a combining mark, is one Swift Character
    /// equal to none of `, " \r \n`: such fields went out unquoted and split their rows.
    @Test func fieldsWithLineBreaksOrMarkedSeparatorsAreQuoted() {
        #expect(CSVReport.field("a\r\nb") == "\"a\r\nb\"")
        #expect(CSVReport.field("c,\u{301}d") == "\"c,\u{301}d\"")
        #expect(CSVReport.field("e\"\u{301}") == "\"e\"\"\u{301}\"")
        #expect(CSVReport.field("plain é 核 |<&") == "plain é 核 |<&")
        let result = ComparisonRunner().run(items: [offsetItem("c,\u{301}d", kernel: "k\r\nl", noise: 0.01, seed: 1)],
                                            methods: [ComparisonMethod(Passthrough())])
        let rows = CSVReport.render(result).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(rows.count == 3 && rows[2].isEmpty)
        #expect(rows[1].hasPrefix("\"c,\u{301}d\",\"k\r\nl\",0.01,blurred,"))
    }

    /// %g kept 6 digits of σ (0.1 + 0.2 read 0.3); every number now reads back bit for bit,
    /// written as Swift's shortest round-trip text, as the JSON report writes it.
    @Test func everyNumberIsTheShortestTextThatReadsBackExactly() {
        let sigma = 0.1 + 0.2, slow = 1.0 / 3.0
        var result = ComparisonRunner().run(items: [offsetItem("001", kernel: "k", noise: sigma, seed: 1)], methods: [ComparisonMethod(Passthrough())])
        result.items[0].results[0].seconds = slow
        let row = fields(CSVReport.render(result).split(separator: "\n")[1])
        #expect(row[2] == "0.30000000000000004" && Double(row[2]) == sigma)
        #expect(row[7] == "0.3333333333333333" && Double(row[7]) == slow)
        let scores = result.items[0].results[0].scores!
        let written = [scores.mse, scores.psnr, scores.ssim].map(\.description)
        #expect(Array(row[4...6]) == written)
        #expect(row[4...6].map { Double($0) } == [scores.mse, scores.psnr, scores.ssim])
    }

    @Test func failureReasonsAreQuoted() {
        let lines = CSVReport.render(sampleResult()).split(separator: "\n")
        let row = fields(lines[5])
        #expect(row.count == 11 && row[10].isEmpty)  // never loaded: no support
        #expect(row[0] == "003" && row[4].isEmpty && row[8] == "cannot open \"003.tif\", a,b")
    }
}
