import DeblurKit
import Foundation
import Testing

/// What a run leaves when its output is not an ordinary file, its stdout cannot be written,
/// or it is interrupted.
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

    /// stdout on a full device: exit status 1 and the reason, not status 0 with the output cut.
    @Test func aStdoutThatCannotBeWrittenFailsTheRun() throws {
        try withScratch { dir in
            try CompareTests.dataset(in: dir)
            guard let full = FileHandle(forWritingAtPath: "/dev/full") else { return }
            defer { try? full.close() }
            let result = try CLI.run(["compare", "ds", "--methods", "blurred", "--json", "-", "--quiet"], in: dir, standardOutput: full)
            #expect(result.status == 1, "\(result)")
            #expect(result.stderrLines == ["Error: cannot write the standard output: a write failed, the output is incomplete"], "\(result)")
        }
    }

    /// `kill` (SIGTERM; Ctrl-C's SIGINT alike) during `bench --cases tiff-io`: the process ends
    /// by the signal, as before, and its folder of large test files in the temporary directory
    /// is removed (it was left behind). SIGINT is not sent: a test runner started in the
    /// background of a script passes it on ignored.
    @Test func anInterruptedBenchRemovesItsTemporaryFiles() throws {
        try withScratch { dir in
            let temporary = dir.file("tmp")
            try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
            let process = Process()
            process.executableURL = try CLI.executable.get()
            process.arguments = ["bench", "--cases", "tiff-io", "--sizes", "512", "--repeats", "1000"]
            process.currentDirectoryURL = dir
            var environment = ProcessInfo.processInfo.environment
            environment["TMPDIR"] = temporary.path + "/"
            process.environment = environment
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let folder = temporary.file("deblur-bench-io-\(process.processIdentifier)")
            let deadline = Date().addingTimeInterval(60)
            while !folder.exists, process.isRunning, Date() < deadline { usleep(10_000) }
            #expect(folder.exists, "the bench never made its folder")
            process.terminate()
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal)
            #expect(process.terminationStatus == SIGTERM)
            #expect(temporary.listing() == [])
        }
    }
}
