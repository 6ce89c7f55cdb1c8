import DeblurKit
import Foundation
import Testing

/// What a run leaves when its output is not an ordinary file, its stdout cannot be written,
/// or it is interrupted.
@Suite struct OutputSafetyTests {
    /// Outputs named by one character: Foundation's `deletingLastPathComponent` trapped on them
    /// (`compare --csv r` crashed with SIGILL before the run began).
    @Test func oneCharacterOutputNamesAreWritten() throws {
        try withScratch { dir in
            try CompareTests.dataset(in: dir)
            let result = try dir.deblur("compare", "ds", "--methods", "blurred", "--csv", "r", "--json", "-", "--quiet")
            #expect(result.status == 0, "\(result)")
            #expect(try String(contentsOf: dir.file("r"), encoding: .utf8).hasPrefix("item,kernel,noise_sigma,method,mse,psnr,ssim,seconds,error,source,blur_support\n"))
            #expect(result.stdout.contains("\"format\": \"deblurkit-comparison\"") || result.stdout.contains("\"format\":\"deblurkit-comparison\""), "\(result)")
        }
    }

    /// A report path that is a link to `/dev/stdout` (stdout a file here, so the link leads
    /// into /proc) is written through the link: renaming over it replaced the link with a
    /// regular file (and, as root, `--csv /dev/stdout` replaced the system's device link).
    @Test func aReportThroughALinkToStdoutReachesStdoutAndKeepsTheLink() throws {
        try withScratch { dir in
            try CompareTests.dataset(in: dir)
            try FileManager.default.createSymbolicLink(atPath: dir.file("out.csv").path, withDestinationPath: "/dev/stdout")
            let result = try dir.deblur("compare", "ds", "--methods", "blurred", "--csv", "out.csv", "--json", "report.json", "--quiet")
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("item,kernel,noise_sigma,method,mse,psnr,ssim,seconds,error,source,blur_support"), "\(result)")
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: dir.file("out.csv").path)) == "/dev/stdout")
        }
    }

    /// `--csv /dev/stdout` with stdout redirected to a file: the rows go there along with the
    /// table printed after them. realpath led /dev/stdout to the file itself, which was then
    /// replaced by a new file holding the CSV alone, and the table went to the old, unlinked one.
    @Test func aReportToStdoutRedirectedToAFileKeepsWhatElseIsPrinted() throws {
        try withScratch { dir in
            try CompareTests.dataset(in: dir)
            let file = dir.file("out.txt")
            _ = FileManager.default.createFile(atPath: file.path, contents: Data("earlier\n".utf8))
            guard let handle = FileHandle(forWritingAtPath: file.path) else { return }
            handle.seekToEndOfFile()
            let result = try CLI.run(["compare", "ds", "--methods", "blurred", "--csv", "/dev/stdout", "--quiet"], in: dir, standardOutput: handle)
            try handle.close()
            #expect(result.status == 0, "\(result)")
            let written = try String(contentsOf: file, encoding: .utf8)
            #expect(written.hasPrefix("earlier\nitem,kernel,noise_sigma,method,mse,psnr,ssim,seconds,error,source,blur_support\n"), "\(written)")
            #expect(written.contains("| method | PSNR mean"), "\(written)")
        }
    }

    /// Two reports to `/dev/stdout` with stdout redirected to a file: both reach it, as they do
    /// through a pipe; they were refused as one file given twice.
    @Test func twoReportsToStdoutRedirectedToAFileBothReachIt() throws {
        try withScratch { dir in
            try CompareTests.dataset(in: dir)
            _ = FileManager.default.createFile(atPath: dir.file("out.txt").path, contents: nil)
            guard let handle = FileHandle(forWritingAtPath: dir.file("out.txt").path) else { return }
            let result = try CLI.run(["compare", "ds", "--methods", "blurred", "--csv", "/dev/stdout", "--report", "/dev/stdout", "--quiet"],
                                     in: dir, standardOutput: handle)
            try handle.close()
            #expect(result.status == 0, "\(result)")
            let written = try String(contentsOf: dir.file("out.txt"), encoding: .utf8)
            #expect(written.contains("item,kernel,noise_sigma,method,mse,psnr,ssim,seconds,error,source,blur_support\n"), "\(written)")
            #expect(written.contains("# Comparison\n"), "\(written)")
        }
    }

    /// stdout closed (`>&-`) and an output through a link to /proc/self/fd/1: the interrupt
    /// pipe took descriptor 1, so the image went into it, its first byte was taken for a signal
    /// and the run ended with status 201 and no word (233 for a CSV report); with the pipe above
    /// 2 the link leads nowhere, which is refused, not renamed over (/dev/stdout is such a link).
    @Test(arguments: [("blur in.tif --psf psf.tif -o out.tif", "out.tif"), ("compare ds --methods blurred --csv out.tif --quiet", "--csv out.tif")])
    func anOutputToAClosedStdoutFailsNamingItAndKeepsTheLink(command: String, named: String) throws {
        try withScratch { dir in
            try CompareTests.dataset(in: dir)
            try ImageIO.write(Image(channels: 1, height: 16, width: 16, value: 0.5), to: dir.file("in.tif").path)
            try ImageIO.write(try PSF.disk(radius: 1).image, to: dir.file("psf.tif").path)
            try FileManager.default.createSymbolicLink(atPath: dir.file("out.tif").path, withDestinationPath: "/proc/self/fd/1")
            let result = try CLI.run(["-c", "exec \"$0\" \(command) >&-", try CLI.executable.get().path],
                                     in: dir, binary: URL(fileURLWithPath: "/bin/sh"))
            #expect(result.status == 1, "\(result)")
            #expect(result.stderrLines.first?.contains(named) == true, "\(result)")
            #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: dir.file("out.tif").path)) == "/proc/self/fd/1")
        }
    }

    /// stderr closed (`2>&-`) or full: a message that cannot be written is lost and the run
    /// ends with its own status (1 for the missing file, 0 for a conversion that notes its
    /// clamping); the failed write trapped, status 132 (SIGILL), before any cleanup.
    @Test(arguments: ["2>&-", "2>/dev/full"])
    func anUnwritableStderrLosesTheMessageNotTheExitStatus(redirection: String) throws {
        try withScratch { dir in
            try ImageIO.write(Image(height: 4, width: 4, value: 1.5), to: dir.file("bright.tif").path)
            let deblur = try CLI.executable.get().path
            let missing = try CLI.run(["-c", "exec \"$0\" info nosuch.tif \(redirection)", deblur], in: dir, binary: URL(fileURLWithPath: "/bin/sh"))
            #expect(missing.status == 1, "\(missing)")
            let converted = try CLI.run(["-c", "exec \"$0\" convert bright.tif out.png \(redirection)", deblur], in: dir, binary: URL(fileURLWithPath: "/bin/sh"))
            #expect(converted.status == 0 && converted.stdout.hasPrefix("wrote out.png"), "\(converted)")
            #expect(try ImageIO.read(dir.file("out.png").path).pixels == [Float](repeating: 1, count: 16))
        }
    }

    /// The example programs write to stderr as the tool does: Examples/Pipeline given a model
    /// file that does not exist exits 1 with stderr closed or full too, where
    /// `FileHandle.standardError.write` trapped (status 132). `swift build` and `swift test`
    /// build the examples beside `deblur`.
    @Test(arguments: ["", "2>&-", "2>/dev/full"])
    func theExamplesLoseAnUnwritableStderrMessageNotTheExitStatus(redirection: String) throws {
        try withScratch { dir in
            let pipeline = try CLI.executable.get().deletingLastPathComponent().appendingPathComponent("Pipeline")
            try #require(FileManager.default.isExecutableFile(atPath: pipeline.path), "no \(pipeline.path): build it with `swift build --product Pipeline`")
            let result = try CLI.run(["-c", "exec \"$0\" --model nosuch.model out \(redirection)", pipeline.path], in: dir, binary: URL(fileURLWithPath: "/bin/sh"))
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("error: invalid model file nosuch.model") == redirection.isEmpty, "\(result)")
        }
    }

    /// An output folder the examples cannot make (here under a file) is refused before the run,
    /// with the system's reason: CustomMethod ran every item, printed its table and then failed
    /// with Foundation's 'Error Domain=NSCocoaErrorDomain Code=512 "(null)" …'.
    @Test(arguments: ["CustomMethod", "Pipeline"])
    func theExamplesRefuseAnOutputFolderTheyCannotMakeBeforeTheRun(example: String) throws {
        try withScratch { dir in
            let program = try CLI.executable.get().deletingLastPathComponent().appendingPathComponent(example)
            try #require(FileManager.default.isExecutableFile(atPath: program.path), "no \(program.path): build it with `swift build --product \(example)`")
            try Data("x".utf8).write(to: dir.file("afile"))
            let result = try CLI.run(["afile/out"], in: dir, binary: program)
            #expect(result.status == 1, "\(result)")
            #expect(result.stderrLines == ["error: cannot write afile/out: a folder cannot be made there (afile is a file, not a directory)"], "\(result)")
            #expect(result.stdout.isEmpty, "\(result)")
        }
    }

    /// A report on a full device costs neither the reports after it nor the table: the first
    /// failed write ended the run, so `--json` (written after `--html`) and the table were lost
    /// with it, and a long run's results with them.
    @Test func aReportThatCannotBeWrittenLeavesTheOtherOutputs() throws {
        try withScratch { dir in
            try CompareTests.dataset(in: dir)
            let result = try dir.deblur("compare", "ds", "--methods", "blurred", "--csv", "r.csv", "--html", "/dev/full",
                                        "--json", "r.json", "--quiet")
            #expect(result.status == 1, "\(result)")
            #expect(result.stderrLines == ["Error: cannot write /dev/full: No space left on device"], "\(result)")
            #expect(result.stdout.contains("| blurred |"), "\(result)")
            let json = try String(contentsOf: dir.file("r.json"), encoding: .utf8)
            #expect(json.contains("deblurkit-comparison"))
            #expect(try String(contentsOf: dir.file("r.csv"), encoding: .utf8).hasPrefix("item,kernel,noise_sigma,method,"))
        }
    }

    /// A `--save-restored` image that cannot be written (files limited to 2 KiB, a 32×32 float
    /// TIFF is 4 KiB) is no failure of the method: its scores were recorded as failures and lost,
    /// and every later image was tried and failed with a line of its own. Now the scores are
    /// those of a run without saving, one line says the saving stopped, no partial image is
    /// left, and the exit status is 1.
    @Test(.enabled(if: CLI.fileSizeLimitsWork, "ThreadSanitizer's runtime dies under ulimit -f")) func aRestorationThatCannotBeSavedKeepsTheScores() throws {
        try withScratch { dir in
            try CompareTests.dataset(in: dir)
            let arguments = ["compare", "ds", "--methods", "blurred,wiener", "--csv", "-", "--quiet", "--threads", "1"]
            let plain = try dir.deblur(arguments)
            try #require(plain.status == 0, "\(plain)")
            // `ulimit -f` counts 512-byte blocks in dash; SIGXFSZ ignored, a write past the limit fails with EFBIG.
            let limited = try CLI.run(["-c", "trap '' XFSZ; ulimit -f 4; exec \"$0\" \"$@\"", try CLI.executable.get().path]
                                          + arguments + ["--save-restored", "restored"],
                                      in: dir, binary: URL(fileURLWithPath: "/bin/sh"))
            #expect(limited.status == 1, "\(limited)")
            #expect(limited.stderrLines == ["Error: cannot write restored/blurred/000000.tif: libtiff: TIFFAppendToStrip: "
                                            + "Write error at scanline 0 (File too large); no more restorations are saved in this "
                                            + "run (--save-restored), the scoring goes on"], "\(limited)")
            // Every cell but the time.
            func scores(_ csv: String) -> [[String]] {
                csv.split(separator: "\n").map { row in
                    var cells = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    cells.remove(at: 7)
                    return cells
                }
            }
            #expect(scores(limited.stdout).count == 7)
            #expect(scores(limited.stdout) == scores(plain.stdout), "\(limited)")
            #expect(dir.file("restored").listing() == ["blurred"])
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

    /// `--version` and every form of help on a full device fail as any other output does:
    /// ArgumentParser printed them and exited 0, the failed flush lost. On a file they are
    /// unchanged.
    @Test(arguments: [["--version"], ["--help"], ["info", "--help"], ["help", "info"]])
    func helpAndVersionThatCannotBeWrittenFailTheRun(arguments: [String]) throws {
        try withScratch { dir in
            guard let full = FileHandle(forWritingAtPath: "/dev/full") else { return }
            defer { try? full.close() }
            let failed = try CLI.run(arguments, in: dir, standardOutput: full)
            #expect(failed.status == 1, "\(failed)")
            #expect(failed.stderrLines == ["Error: cannot write the standard output: No space left on device"], "\(failed)")
            let written = try CLI.run(arguments, in: dir)
            #expect(written.status == 0 && written.stderr.isEmpty, "\(written)")
            let expected = arguments == ["--version"] ? DeblurKitVersion.string : "USAGE: deblur"
            #expect(written.stdout.contains(expected), "\(written)")
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

    /// The folder a bench killed by SIGKILL left in the temporary directory (up to 400 MB,
    /// never removed) is removed by the next `bench --cases tiff-io`; a running one's is kept.
    @Test func benchRemovesTheFoldersOfKilledBenches() throws {
        try withScratch { dir in
            let temporary = dir.file("tmp")
            // A process id that no longer exists, and one that does (this test's).
            let ended = Process()
            ended.executableURL = URL(fileURLWithPath: "/bin/true")
            try ended.run()
            ended.waitUntilExit()
            for pid in [ended.processIdentifier, getpid()] {
                let folder = temporary.file("deblur-bench-io-\(pid)")
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try Data(count: 1000).write(to: folder.file("bench.tif"))
            }
            var environment = ProcessInfo.processInfo.environment
            environment["TMPDIR"] = temporary.path + "/"
            let result = try CLI.run(["bench", "--cases", "tiff-io", "--sizes", "16", "--repeats", "1"], in: dir, environment: environment)
            #expect(result.status == 0, "\(result)")
            #expect(temporary.listing() == ["deblur-bench-io-\(getpid())", "deblur-bench-io-\(getpid())/bench.tif"])
        }
    }

    /// Two new outputs that are one file reached through a linked directory: the trace was
    /// written, then replaced by the image, as the paths were compared only as spelled.
    @Test func twoNewOutputsThroughALinkedDirectoryAreRefused() throws {
        try withScratch { dir in
            try ImageIO.write(Image(channels: 1, height: 16, width: 16, value: 0.5), to: dir.file("in.tif").path)
            try ImageIO.write(try PSF.disk(radius: 1).image, to: dir.file("psf.tif").path)
            try FileManager.default.createDirectory(at: dir.file("real"), withIntermediateDirectories: false)
            try FileManager.default.createSymbolicLink(atPath: dir.file("ld").path, withDestinationPath: "real")
            let listing = dir.listing()
            let result = try dir.deblur("deconvolve", "in.tif", "--psf", "psf.tif", "--method", "rl", "--iterations", "2",
                                        "-o", "ld/d.tif", "--trace", "real/d.tif")
            expectCleanFailure(result, naming: "--trace real/d.tif is also --output ld/d.tif", directory: dir, before: listing, usageFollows: true)
            #expect(!FileManager.default.fileExists(atPath: dir.file("real/d.tif").path))
        }
    }

    /// An output that is an input, or two outputs that are one file, are refused before the
    /// run and the input keeps its bytes: `--trace in.tif` replaced the input image by the CSV,
    /// `--trace d.tif -o d.tif` lost the trace, `--csv ds/items.jsonl` replaced the dataset's
    /// items list, `--log m.model` wrote log lines over the model, `--init m.model -o m.model`
    /// replaced the model being fine-tuned after its first epoch.
    @Test(arguments: [
        (["deconvolve", "in.tif", "--psf", "psf.tif", "--method", "rl", "--iterations", "2", "--trace", "in.tif", "-o", "d.tif"], "--trace in.tif is the input in.tif"),
        (["deconvolve", "in.tif", "--psf", "psf.tif", "--method", "rl", "--iterations", "2", "--trace", "d.tif", "-o", "./d.tif"], "--trace d.tif is also --output ./d.tif"),
        (["deconvolve", "in.tif", "--psf", "psf.tif", "--method", "rl", "--iterations", "2", "--trace", "psf.tif", "-o", "d.tif"], "--trace psf.tif is the input psf.tif"),
        (["compare", "ds", "--methods", "blurred", "--csv", "ds/items.jsonl", "--quiet"], "--csv ds/items.jsonl is the input ds/items.jsonl"),
        (["compare", "ds", "--methods", "blurred", "--csv", "r.txt", "--report", "r.txt", "--quiet"], "--csv r.txt is also --report r.txt"),
        (["train", "--synthetic", "--steps", "1", "-o", "m.model", "--log", "m.model", "--quiet"], "--log m.model is also --output m.model"),
        (["train", "--synthetic", "--steps", "1", "-o", "m.model", "--init", "m.model", "--quiet"], "--output m.model is the input m.model"),
    ])
    func anOutputThatIsAnInputOrAnotherOutputIsRefused(arguments: [String], message: String) throws {
        try withScratch { dir in
            try CompareTests.dataset(in: dir)
            try ImageIO.write(Image(channels: 1, height: 16, width: 16, value: 0.5), to: dir.file("in.tif").path)
            try ImageIO.write(try PSF.disk(radius: 1).image, to: dir.file("psf.tif").path)
            try Data("not a model".utf8).write(to: dir.file("m.model"))
            let before = try SynthTests.contents(dir)
            let listing = dir.listing()
            let result = try dir.deblur(arguments)
            expectCleanFailure(result, naming: message, directory: dir, before: listing, usageFollows: true)
            #expect(try SynthTests.contents(dir) == before)
        }
    }
}
