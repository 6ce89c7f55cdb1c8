import Testing
import Foundation
import DeblurCore
@testable import Evaluation

@Suite struct HTMLReportTests {
    @Test func pageIsSelfContainedWithTablesChartsCurvesAndCrops() {
        let result = sampleResult()
        var encoded = 0
        let html = HTMLReport.render(result) { image in encoded += 1; return Data([0x89, 0x50, 0x4E, 0x47, UInt8(image.width)]) }
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("<link"))
        #expect(html.components(separatedBy: "<table class=\"sortable\">").count - 1 == 5)  // summary, against the baseline, kernel, noise, items
        #expect(html.contains("<td>motion-9</td>") && html.contains("<td>σ=0.02</td>"))
        #expect(html.contains("<script>") && html.contains("localeCompare"))
        // Two bar charts and one PSNR-vs-iteration chart (one traced item: preview 1, trace default 2 of which 1 iterative item succeeded twice).
        #expect(html.contains("aria-label=\"mean PSNR (dB)\"") && html.contains("aria-label=\"mean SSIM\""))
        #expect(html.contains("PSNR versus iteration, item 001") && html.contains("<polyline"))
        // sharp, blurred, the method: three crops of the first item.
        #expect(encoded == 3)
        #expect(html.components(separatedBy: "data:image/png;base64,").count - 1 == 3)
        #expect(html.contains(Data([0x89, 0x50, 0x4E, 0x47, 8]).base64EncodedString()))
        // Labels are escaped.
        #expect(html.contains("rl&lt;x&gt;:iterations=4") && !html.contains("rl<x>"))
    }

    @Test func cropsSectionExplainsAMissingEncoder() {
        #expect(HTMLReport.render(sampleResult()).contains("no PNG encoder"))
    }
}
