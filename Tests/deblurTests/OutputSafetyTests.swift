import DeblurKit
import Foundation
import Testing

/// What a run leaves when its output is not an ordinary file.
@Suite struct OutputSafetyTests {
    /// A report path that is a link to `/dev/stdout` (stdout a file here, so the link leads
    /// into /proc) is written through the link: renaming over it replaced the link with a
    /// regular file (and, as root, `--csv /dev/stdout` replaced the system's device link).
    @Test func aReportThroughALinkToStdoutReachesStdoutAndKeepsTheLink() throws {
        try withScratch { dir in
            try CompareTests.dataset(in: dir)
            try FileManager.default.createSymbolicLink(atPath: dir.file("out.csv").path, withDestinationPath: "/dev/stdout")
            let result = try dir.deblur("compare", "ds", "--methods", "blurred", "--csv", "out.csv", "--json", "report.json", "--quiet")
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("item,kernel,noise_sigma,method,mse,psnr,ssim,seconds,error"), "\(result)")
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: dir.file("out.csv").path)) == "/dev/stdout")
        }
    }
}
