import Testing
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
        #expect(row.count == 9)
        #expect(row[0] == "001" && row[1] == "motion-9" && row[2] == "0.01" && row[3] == "rl<x>:iterations=4")
        let scores = result.items[0].results[1].scores!
        #expect(Double(row[4]) == scores.mse && Double(row[5]) == scores.psnr && Double(row[6]) == scores.ssim)
        #expect(row[8].isEmpty)
    }

    @Test func failureReasonsAreQuoted() {
        let lines = CSVReport.render(sampleResult()).split(separator: "\n")
        let row = fields(lines[5])
        #expect(row.count == 9)
        #expect(row[0] == "003" && row[4].isEmpty && row[8] == "cannot open \"003.tif\", a,b")
    }
}
