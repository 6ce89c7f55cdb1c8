import DeblurKit
import Foundation
import Testing
import _TestSupport

/// `deblur blur` then `deblur deconvolve` on a tiny image.
@Suite struct DeconvolveTests {
    /// Writes a 24×24 sharp PNG and a 5×5 Gaussian PSF, and blurs the image with the CLI.
    static func blurred(in dir: URL) throws {
        try ImageIO.write(randomImage(height: 24, width: 24, seed: 11), to: dir.file("sharp.png").path)
        try ImageIO.writePSF(try PSF.gaussian(sigma: 0.8, size: 5), to: dir.file("psf.tif").path)
        let result = try dir.deblur("blur", "sharp.png", "--psf", "psf.tif", "--noise-sigma", "0.01", "--seed", "1", "-o", "blurred.tif")
        #expect(result.status == 0, "\(result)")
    }

    @Test func blurKeepsTheSizeWithReflectAndShrinksByThePSFWithValid() throws {
        try withScratch { dir in
            try Self.blurred(in: dir)
            let same = try ImageIO.read(dir.file("blurred.tif").path)
            #expect(same.height == 24 && same.width == 24)
            let valid = try dir.deblur("blur", "sharp.png", "--psf", "psf.tif", "--boundary", "valid", "-o", "valid.tif")
            #expect(valid.status == 0, "\(valid)")
            let v = try ImageIO.read(dir.file("valid.tif").path)
            #expect(v.height == 20 && v.width == 20)
        }
    }

    /// The FFTW wisdom cache is replaced atomically: a rewrite that fails part-way (a file-size
    /// limit of 0 stands in for a full disk) keeps the wisdom gathered before.
    /// fftwf_export_wisdom_to_filename truncated the file first and left it empty.
    @Test(.enabled(if: CLI.fileSizeLimitsWork, "ThreadSanitizer's runtime dies under ulimit -f")) func aWisdomFileThatCannotBeRewrittenIsKept() throws {
        try withScratch { dir in
            try Self.blurred(in: dir)
            var environment = ProcessInfo.processInfo.environment
            environment["XDG_CACHE_HOME"] = dir.file("cache").path
            let arguments = ["deconvolve", "blurred.tif", "--psf", "psf.tif", "--method", "wiener", "--boundary", "reflect", "--quiet", "-o"]
            let first = try CLI.run(arguments + ["out.tif"], in: dir, environment: environment)
            try #require(first.status == 0, "\(first)")
            let wisdom = dir.file("cache/deblurkit/fftw-wisdom")
            let before = try Data(contentsOf: wisdom)
            try #require(!before.isEmpty)
            // No regular file may grow (SIGXFSZ ignored, so writes fail with EFBIG); the image
            // goes to /dev/null through a link, stdout and stderr too.
            try FileManager.default.createSymbolicLink(atPath: dir.file("null.png").path, withDestinationPath: "/dev/null")
            let limited = try CLI.run(["-c", "trap '' XFSZ; ulimit -f 0; exec \"$0\" \"$@\" >/dev/null 2>&1", try CLI.executable.get().path]
                                          + arguments + ["null.png"],
                                      in: dir, binary: URL(fileURLWithPath: "/bin/sh"), environment: environment)
            #expect(limited.status == 0, "\(limited)")
            #expect(try Data(contentsOf: wisdom) == before)
            #expect(dir.file("cache/deblurkit").listing() == ["fftw-wisdom"])
        }
    }

    /// Without noise, blurring a constant image by a normalized PSF leaves it constant.
    @Test func blurOfAConstantImageIsThatConstant() throws {
        try withScratch { dir in
            try ImageIO.write(Image(height: 16, width: 16, value: 0.25), to: dir.file("flat.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1.0, size: 7), to: dir.file("psf.tif").path)
            let result = try dir.deblur("blur", "flat.tif", "--psf", "psf.tif", "-o", "out.tif")
            #expect(result.status == 0, "\(result)")
            let out = try ImageIO.read(dir.file("out.tif").path)
            #expect(out.pixels.allSatisfy { abs($0 - 0.25) < 1e-5 })
        }
    }

    /// A PNG output clamps the noisy blur to [0, 1] and says how many samples it clamped, as
    /// convert does: a black image with σ = 0.1 noise loses about half its samples to 0, which
    /// changes the noise a study then measures. --quantize clips as its documented model, and a
    /// TIFF keeps every sample: neither notes anything.
    @Test func blurIntoAPNGNotesTheClampedSamples() throws {
        try withScratch { dir in
            try ImageIO.write(Image(height: 16, width: 16, value: 0), to: dir.file("black.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1.0, size: 7), to: dir.file("psf.tif").path)
            let noise = ["--noise-sigma", "0.1", "--seed", "3"]
            let tiff = try dir.deblur(["blur", "black.tif", "--psf", "psf.tif", "-o", "b.tif"] + noise)
            #expect(tiff.status == 0 && !tiff.stderr.contains("clamped"), "\(tiff)")
            let below = try ImageIO.read(dir.file("b.tif").path).pixels.filter { $0 < 0 }.count
            #expect(below > 64 && below < 192)
            let png = try dir.deblur(["blur", "black.tif", "--psf", "psf.tif", "-o", "b.png"] + noise)
            #expect(png.status == 0)
            #expect(png.stderr.contains("note: \(below) of 256 samples outside [0, 1] were clamped"), "\(png)")
            let quantized = try dir.deblur(["blur", "black.tif", "--psf", "psf.tif", "-o", "q.png", "--quantize", "8"] + noise)
            #expect(quantized.status == 0 && !quantized.stderr.contains("clamped"), "\(quantized)")
        }
    }

    /// A restoration equal to its --reference (a constant under the identity PSF) printed
    /// `"psnr_db": inf` in the --json summary, which no JSON reader takes; it is null now, as in
    /// metrics --json, and the summary parses.
    @Test func anInfinitePSNRIsNullInTheJSONSummary() throws {
        try withScratch { dir in
            try ImageIO.write(Image(height: 16, width: 16, value: 0.5), to: dir.file("flat.tif").path)
            try ImageIO.write(Image(height: 1, width: 1, value: 1), to: dir.file("one.tif").path)
            let result = try dir.deblur("deconvolve", "flat.tif", "--psf", "one.tif", "--method", "rl", "--iterations", "2",
                                        "--reference", "flat.tif", "--json", "-o", "out.tif", "--quiet")
            #expect(result.status == 0, "\(result)")
            let object = try #require(try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result)")
            #expect(object["psnr_db"] is NSNull && object["ssim"] as? Double == 1, "\(object)")
        }
    }

    /// A NaN in a float TIFF used to come out as a PSF-sized patch of NaN, with exit status 0.
    @Test func blurRefusesNonFiniteSamplesNamingTheFile() throws {
        try withScratch { dir in
            var image = Image(height: 16, width: 16, value: 0.25)
            image[3, 4] = .nan
            image[9, 9] = -.infinity
            try ImageIO.write(image, to: dir.file("nan.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1.0, size: 7), to: dir.file("psf.tif").path)
            let before = dir.listing()
            let result = try dir.deblur("blur", "nan.tif", "--psf", "psf.tif", "-o", "out.tif")
            expectCleanFailure(result, naming: "nan.tif", directory: dir, before: before)
            #expect(result.stderr.contains("2 NaN or infinite samples"), "\(result)")
        }
    }

    @Test(arguments: [["--method", "wiener"], ["--method", "rl", "--iterations", "5"], ["--method", "wiener", "--iterations", "5"]])
    func deconvolveWritesAnImageOfTheInputSize(method: [String]) throws {
        try withScratch { dir in
            try Self.blurred(in: dir)
            let result = try dir.deblur(["deconvolve", "blurred.tif", "--psf", "psf.tif", "-o", "out.tif",
                                         "--fft-rigor", "estimate", "--quiet", "--json"] + method)
            #expect(result.status == 0, "\(result)")
            let out = try ImageIO.read(dir.file("out.tif").path)
            #expect(out.channels == 1 && out.height == 24 && out.width == 24)
            #expect(out.isFinite)
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(summary["output"] as? String == "out.tif")
        }
    }

    /// A quiet run without `--trace` restores without an observer (observing costs the masked
    /// Wiener an inverse FFT per CG step, and `--reference` was scored at every iteration): the
    /// image and the summary's scores equal a traced run's.
    @Test(arguments: [["--method", "wiener", "--iterations", "6"], ["--method", "tikhonov", "--boundary", "masked", "--iterations", "6"],
                      ["--method", "rl", "--iterations", "4"], ["--method", "rl-tv", "--iterations", "3"], ["--method", "hyper-laplacian"]])
    func anUntracedRunWritesWhatATracedRunWrites(method: [String]) throws {
        try withScratch { dir in
            try Self.blurred(in: dir)
            let common = ["deconvolve", "blurred.tif", "--psf", "psf.tif", "--reference", "sharp.png",
                          "--fft-rigor", "estimate", "--quiet", "--json"] + method
            let plain = try dir.deblur(common + ["-o", "plain.tif"])
            let traced = try dir.deblur(common + ["-o", "traced.tif", "--trace", "trace.csv"])
            #expect(plain.status == 0 && traced.status == 0, "\(plain) \(traced)")
            #expect(try Data(contentsOf: dir.file("plain.tif")) == Data(contentsOf: dir.file("traced.tif")))
            let scores = try [plain, traced].map { result in
                let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
                return [summary["psnr_db"] as? Double ?? .nan, summary["ssim"] as? Double ?? .nan]
            }
            #expect(scores[0] == scores[1] && scores[0].allSatisfy(\.isFinite), "\(scores)")
        }
    }

    /// `--trace` writes one row per iteration: RL's iterations, and the masked Wiener's CG
    /// steps (the one-shot reflect Wiener has none). With `--reference` the last row scores
    /// the image written, as `--json` does.
    @Test(arguments: [(["--method", "rl", "--iterations", "4"], 4), (["--method", "wiener", "--iterations", "5"], 5),
                      (["--method", "wiener", "--boundary", "reflect"], 0)])
    func traceHasOneRowPerIteration(method: [String], rows: Int) throws {
        try withScratch { dir in
            try Self.blurred(in: dir)
            let result = try dir.deblur(["deconvolve", "blurred.tif", "--psf", "psf.tif", "-o", "out.tif", "--trace", "trace.csv",
                                         "--reference", "sharp.png", "--fft-rigor", "estimate", "--quiet", "--json"] + method)
            #expect(result.status == 0, "\(result)")
            let lines = try String(contentsOf: dir.file("trace.csv"), encoding: .utf8).split(separator: "\n")
            #expect(lines.first == "channel,iteration,seconds,relative_change,psnr_db,ssim")
            #expect(lines.dropFirst().map { String($0.split(separator: ",")[1]) } == (0..<rows).map { "\($0 + 1)" })
            if rows > 0 {
                let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
                let last = try #require(Double(lines.last!.split(separator: ",")[4]))
                #expect(abs(last - (summary["psnr_db"] as? Double ?? .nan)) < 1e-3, "\(lines.last!) \(result.stdout)")
            }
        }
    }

    /// A TIFF's extra samples are dropped on reading, and tifffile writes a (4, y, x) stack, four
    /// z-slices, as one planar RGBA page: deconvolve restored three slices as RGB and lost the
    /// fourth without a word. It now says so, as it does for pages; a plain RGB TIFF gets no note.
    @Test func tiffExtraSamplesDroppedGetANote() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("DeblurIOTests/Fixtures")
        try withScratch { dir in
            try FileManager.default.copyItem(at: fixtures.appendingPathComponent("rgba8.tif"), to: dir.file("rgba.tif"))
            try ImageIO.write(try ImageIO.read(dir.file("rgba.tif").path), to: dir.file("rgb.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 0.5, size: 3), to: dir.file("psf.tif").path)
            let rgba = try dir.deblur("deconvolve", "rgba.tif", "--psf", "psf.tif", "--method", "wiener", "--boundary", "reflect",
                                      "-o", "out.tif", "--quiet", "--fft-rigor", "estimate")
            #expect(rgba.status == 0, "\(rgba)")
            #expect(rgba.stderr.contains("note: rgba.tif") && rgba.stderr.contains("dropped"), "\(rgba)")
            let rgb = try dir.deblur("deconvolve", "rgb.tif", "--psf", "psf.tif", "--method", "wiener", "--boundary", "reflect",
                                     "-o", "out2.tif", "--quiet", "--fft-rigor", "estimate")
            #expect(rgb.status == 0 && rgb.stderr.isEmpty, "\(rgb)")
        }
    }

    /// A float TIFF in photon counts restored into a PNG comes out white wherever a count is
    /// above 1 (the PNG holds [0, 1]): a note names the output and --data-range; a TIFF output,
    /// or the PNG with --data-range (the [0, 1] restoration), gets none.
    @Test func countsRestoredIntoAPNGGetANote() throws {
        try withScratch { dir in
            try ImageIO.write(Image(height: 24, width: 24) { _, y, x in Float(100 + 100 * x + 40 * y) }, to: dir.file("counts.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1), to: dir.file("psf.tif").path)
            let png = try dir.deblur("deconvolve", "counts.tif", "--psf", "psf.tif", "--method", "rl", "-o", "out.png", "--quiet", "--fft-rigor", "estimate")
            #expect(png.status == 0, "\(png)")
            #expect(png.stderr.contains("out.png") && png.stderr.contains("--data-range"), "\(png)")
            let tif = try dir.deblur("deconvolve", "counts.tif", "--psf", "psf.tif", "--method", "rl", "-o", "out.tif", "--quiet", "--fft-rigor", "estimate")
            #expect(tif.status == 0 && tif.stderr.isEmpty, "\(tif)")
            let ranged = try dir.deblur("deconvolve", "counts.tif", "--psf", "psf.tif", "--method", "rl", "--data-range", "4000", "-o", "r.png",
                                        "--quiet", "--fft-rigor", "estimate")
            #expect(ranged.status == 0 && ranged.stderr.isEmpty, "\(ranged)")
        }
    }

    /// `--json`'s `seconds` is the method's time, as the trace's are: the per-iteration PSNR and
    /// SSIM that `--trace --reference` computes are left out (50 RL iterations on 128² took 0.06 s,
    /// and the summary said 1.8 s in a debug build, nearly all of it scoring).
    @Test func jsonSecondsLeaveOutTheTraceScoring() throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 128, width: 128, seed: 6), to: dir.file("sharp.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1), to: dir.file("psf.tif").path)
            let result = try dir.deblur("deconvolve", "sharp.tif", "--psf", "psf.tif", "--method", "rl", "--iterations", "50",
                                        "--boundary", "circular", "--trace", "trace.csv", "--reference", "sharp.tif", "-o", "r.tif",
                                        "--fft-rigor", "estimate", "--quiet", "--json")
            #expect(result.status == 0, "\(result)")
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let seconds = try #require(summary["seconds"] as? Double)
            let lines = try String(contentsOf: dir.file("trace.csv"), encoding: .utf8).split(separator: "\n")
            let method = try #require(Double(lines.last!.split(separator: ",")[2]))
            // The trace's last row is the method's own time; the summary adds only what surrounds
            // the iterations (the OTF, the copies), never fifty SSIMs of 128².
            #expect(seconds < 2 * method + 0.25, "summary \(seconds) s, method \(method) s")
        }
    }

    /// Restoration should get closer to the sharp image than the blurred input is.
    @Test func rlWithReferenceImprovesPSNROverTheBlurredImage() throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 24, width: 24, seed: 5).clamped(), to: dir.file("sharp.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 0.8, size: 5), to: dir.file("psf.tif").path)
            #expect(try dir.deblur("blur", "sharp.tif", "--psf", "psf.tif", "--boundary", "circular", "-o", "b.tif").status == 0)
            let result = try dir.deblur("deconvolve", "b.tif", "--psf", "psf.tif", "--method", "rl", "--iterations", "20",
                                        "--boundary", "circular", "--reference", "sharp.tif", "-o", "r.tif", "--fft-rigor", "estimate", "--quiet", "--json")
            #expect(result.status == 0, "\(result)")
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let restored = try #require(summary["psnr_db"] as? Double)
            let blurredPSNR = try psnr(try ImageIO.read(dir.file("sharp.tif").path), try ImageIO.read(dir.file("b.tif").path))
            #expect(restored > blurredPSNR, "rl \(restored) dB vs blurred \(blurredPSNR) dB")
        }
    }

    /// After a valid blur the sharp image is larger by the PSF size − 1: `--center-reference`
    /// (the summary has 4 decimals)
    /// scores its centre, as `metrics --center-reference` does; without it the run is refused
    /// with that hint, before any output.
    @Test func centerReferenceScoresAValidBlurAsMetricsDoes() throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 28, width: 28, seed: 5).clamped(), to: dir.file("sharp.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 0.8, size: 5), to: dir.file("psf.tif").path)
            #expect(try dir.deblur("blur", "sharp.tif", "--psf", "psf.tif", "--boundary", "valid", "-o", "b.tif").status == 0)
            let common = ["deconvolve", "b.tif", "--psf", "psf.tif", "--method", "wiener", "--reference", "sharp.tif", "--quiet", "--json"]
            let before = dir.listing()
            let refused = try dir.deblur(common + ["-o", "r.tif"])
            expectCleanFailure(refused, naming: "--center-reference", directory: dir, before: before)
            let result = try dir.deblur(common + ["-o", "r.tif", "--center-reference"])
            #expect(result.status == 0, "\(result)")
            let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let metrics = try MetricsTests.json(try dir.deblur("metrics", "sharp.tif", "r.tif", "--center-reference", "--json"))
            #expect(abs(try #require(summary["psnr_db"] as? Double) - (try #require(metrics["psnr"] as? Double))) < 1e-4, "\(summary) \(metrics)")
        }
    }

    /// `--nsr -1` (a separate value) used to stop in ArgumentParser with "Missing value".
    @Test(arguments: [["--method", "wiener", "--nsr=-1"], ["--method", "wiener", "--nsr", "-1"],
                      ["--method", "tikhonov", "--lambda", "nan"]])
    func invalidRegularizationExitsOneNamingTheValueWithoutOutput(arguments: [String]) throws {
        try withScratch { dir in
            try Self.blurred(in: dir)
            let before = dir.listing()
            let result = try dir.deblur(["deconvolve", "blurred.tif", "--psf", "psf.tif", "-o", "out.tif", "--fft-rigor", "estimate", "--quiet"] + arguments)
            expectCleanFailure(result, naming: arguments.last == "nan" ? "nan" : "-1", directory: dir, before: before)
        }
    }

    /// The trace used to be written before the image: an output that could not be written
    /// failed after the whole restoration and left the trace behind.
    @Test func outputInAMissingFolderIsRefusedBeforeRestoringWithoutTrace() throws {
        try withScratch { dir in
            try Self.blurred(in: dir)
            let before = dir.listing()
            let result = try dir.deblur("deconvolve", "blurred.tif", "--psf", "psf.tif", "--method", "rl", "--trace", "trace.csv",
                                        "-o", "missing/out.tif", "--fft-rigor", "estimate", "--quiet")
            expectCleanFailure(result, naming: "missing", directory: dir, before: before, usageFollows: true)
            #expect(result.stderrLines.first?.contains("does not exist") == true, "\(result)")
        }
    }

    /// An image output the writer refuses (an unknown extension, a missing folder) was refused
    /// only once the work was done (deconvolve: the whole restoration; blur and metrics'
    /// --ssim-map, which did not check the folder either: 3 s and 14 s on 8192² images); now
    /// before any input is read: the input here is not an image, and the message is still about
    /// the output.
    @Test(arguments: [["deconvolve", "text.tif", "--psf", "psf.tif", "--method", "rl", "--fft-rigor", "estimate", "--quiet", "-o"],
                      ["blur", "text.tif", "--psf", "psf.tif", "-o"], ["metrics", "text.tif", "text.tif", "--ssim-map"],
                      ["refine", "text.tif", "--psf", "psf.tif", "--quiet", "-o"]])
    func anUnwritableImageOutputIsRefusedBeforeTheInputIsRead(command: [String]) throws {
        try withScratch { dir in
            try Self.blurred(in: dir)
            try Data("not an image".utf8).write(to: dir.file("text.tif"))
            let option = command.last == "-o" ? "--output" : command.last!
            for (output, message) in [("out.jpg", "Please give \(option) a .png, .tif or .tiff extension (got 'out.jpg')."),
                                      ("missing/out.tif", "\(option) missing/out.tif: the directory missing does not exist.")] {
                let before = dir.listing()
                let result = try dir.deblur(command + [output])
                expectCleanFailure(result, naming: output, directory: dir, before: before, usageFollows: true)
                #expect(result.stderrLines.first == "Error: " + message, "\(result)")
            }
        }
    }

    /// A name ending in '/' that is not there yet passed the checks and failed only when written,
    /// after the restoration ("cannot write new.tif/: Not a directory").
    @Test func anOutputEndingInASlashIsRefusedBeforeTheInputIsRead() throws {
        try withScratch { dir in
            try Self.blurred(in: dir)
            try Data("not an image".utf8).write(to: dir.file("text.tif"))
            let before = dir.listing()
            let result = try dir.deblur("deconvolve", "text.tif", "--psf", "psf.tif", "--method", "rl", "-o", "new.tif/",
                                        "--fft-rigor", "estimate", "--quiet")
            expectCleanFailure(result, naming: "new.tif/", directory: dir, before: before, usageFollows: true)
            #expect(result.stderrLines.first == "Error: --output new.tif/ ends in '/', as a directory's name does: give a file name.", "\(result)")
        }
    }

    /// --center-reference scores against --reference: alone it was silently ignored.
    @Test func centerReferenceWithoutAReferenceExitsOneWithoutOutput() throws {
        try withScratch { dir in
            try Self.blurred(in: dir)
            let before = dir.listing()
            let result = try dir.deblur("deconvolve", "blurred.tif", "--psf", "psf.tif", "--method", "rl", "--iterations", "2",
                                        "--center-reference", "-o", "out.tif", "--fft-rigor", "estimate", "--quiet")
            expectCleanFailure(result, naming: "--reference", directory: dir, before: before, usageFollows: true)
        }
    }

    /// --reference is scored into the trace and the JSON summary only: without either it was
    /// read, checked and dropped, exit 0.
    @Test func aReferenceWithoutTraceOrJSONExitsOneWithoutOutput() throws {
        try withScratch { dir in
            try Self.blurred(in: dir)
            let before = dir.listing()
            let result = try dir.deblur("deconvolve", "blurred.tif", "--psf", "psf.tif", "--method", "rl", "--iterations", "2",
                                        "--reference", "sharp.png", "-o", "out.tif", "--fft-rigor", "estimate", "--quiet")
            expectCleanFailure(result, naming: "Please leave out --reference without --trace or --json", directory: dir, before: before, usageFollows: true)
        }
    }

    @Test func zeroIterationsExitsOneWithoutOutput() throws {
        try withScratch { dir in
            try Self.blurred(in: dir)
            let before = dir.listing()
            let result = try dir.deblur("deconvolve", "blurred.tif", "--psf", "psf.tif", "--method", "rl", "--iterations", "0",
                                        "-o", "out.tif", "--fft-rigor", "estimate", "--quiet")
            expectCleanFailure(result, naming: "0", directory: dir, before: before, usageFollows: true)
            #expect(result.stderrLines.first?.contains("--iterations") == true, "\(result)")
        }
    }

    @Test(arguments: ["zeros", "negative", "even", "text"])
    func invalidPSFFileExitsOneNamingItWithoutOutput(kind: String) throws {
        try withScratch { dir in
            try Self.blurred(in: dir)
            let bad = dir.file("bad.tif")
            switch kind {
            case "zeros": try ImageIO.write(Image(height: 5, width: 5), to: bad.path, depth: .float32)
            case "negative": try ImageIO.write(Image(height: 3, width: 3) { _, y, x in y == 1 && x == 1 ? 2 : -0.125 }, to: bad.path, depth: .float32)
            case "even": try ImageIO.write(Image(height: 4, width: 4, value: 1.0 / 16), to: bad.path, depth: .float32)
            default: try Data("not a tiff".utf8).write(to: bad)
            }
            let before = dir.listing()
            let result = try dir.deblur("deconvolve", "blurred.tif", "--psf", "bad.tif", "--method", "wiener", "-o", "out.tif",
                                        "--fft-rigor", "estimate", "--quiet")
            expectCleanFailure(result, naming: "bad.tif", directory: dir, before: before)
        }
    }

    @Test(arguments: ["wiener", "rl"])
    func psfLargerThanTheImageExitsOneWithoutOutput(method: String) throws {
        try withScratch { dir in
            try Self.blurred(in: dir)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 5, size: 31), to: dir.file("big.tif").path)
            let before = dir.listing()
            let result = try dir.deblur("deconvolve", "blurred.tif", "--psf", "big.tif", "--method", method, "-o", "out.tif",
                                        "--fft-rigor", "estimate", "--quiet")
            expectCleanFailure(result, naming: "31", directory: dir, before: before)
        }
    }

    @Test func blurWithAMissingPSFExitsOneNamingIt() throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 8, width: 8, seed: 1), to: dir.file("sharp.png").path)
            let before = dir.listing()
            let result = try dir.deblur("blur", "sharp.png", "--psf", "nosuch.tif", "-o", "out.png")
            expectCleanFailure(result, naming: "nosuch.tif", directory: dir, before: before)
        }
    }

    /// A float TIFF in raw units far beyond [0, 1]: masked Wiener and Tikhonov restore 10¹⁹
    /// as they restore 1 (they wrote the image's mean everywhere, exit status 0), and samples
    /// that overflow the single-precision transforms (10³⁷) are refused, saying so.
    @Test(arguments: ["wiener", "tikhonov"])
    func hugeSamplesRestoreScaledOrAreRefusedSayingTheirSize(method: String) throws {
        try withScratch { dir in
            try Self.blurred(in: dir)
            let blurred = try ImageIO.read(dir.file("blurred.tif").path)
            try ImageIO.write(Image(height: 24, width: 24, pixels: blurred.pixels.map { $0 * 1e19 }), to: dir.file("huge.tif").path)
            try ImageIO.write(Image(height: 24, width: 24, pixels: blurred.pixels.map { $0 * 1e37 }), to: dir.file("overflow.tif").path)
            for (input, output) in [("blurred.tif", "a.tif"), ("huge.tif", "b.tif")] {
                let result = try dir.deblur("deconvolve", input, "--psf", "psf.tif", "--method", method, "--fft-rigor", "estimate", "--quiet", "-o", output)
                #expect(result.status == 0, "\(result)")
            }
            let unit = try ImageIO.read(dir.file("a.tif").path), scaled = try ImageIO.read(dir.file("b.tif").path)
            #expect(maxAbsDifference(scaled.pixels.map { $0 / 1e19 }, unit.pixels) < 1e-4, "\(method)")
            let before = dir.listing()
            let refused = try dir.deblur("deconvolve", "overflow.tif", "--psf", "psf.tif", "--method", method, "--fft-rigor", "estimate", "-o", "c.tif")
            expectCleanFailure(refused, naming: "overflow.tif", directory: dir, before: before)
            #expect(refused.stderr.contains("far outside the nominal [0, 1]: rescale it"), "\(refused)")
        }
    }
}

extension DeconvolveTests {
    /// Automatic Wiener on samples near 1e19: the estimated levels leave single precision and the
    /// method refuses a regularization of 0, which alone sent the user after --nsr. The error now
    /// says how far the samples reach, and `--data-range` restores the image.
    @Test func anAutomaticWienerOnHugeSamplesSaysHowLargeTheyAre() throws {
        try withScratch { dir in
            try Self.blurred(in: dir)
            let blurred = try ImageIO.read(dir.file("blurred.tif").path)
            try ImageIO.write(Image(height: 24, width: 24, pixels: blurred.pixels.map { $0 * 1e19 }), to: dir.file("huge.tif").path)
            let common = ["--psf", "psf.tif", "--method", "wiener", "--nsr", "auto", "--fft-rigor", "estimate", "--quiet"]
            let before = dir.listing()
            let refused = try dir.deblur(["deconvolve", "huge.tif", "-o", "a.tif"] + common)
            expectCleanFailure(refused, naming: "huge.tif", directory: dir, before: before)
            #expect(refused.stderr.contains("its samples reach ") && refused.stderr.contains("e+1") && refused.stderr.contains("--data-range"), "\(refused)")
            let ranged = try dir.deblur(["deconvolve", "huge.tif", "--data-range", "1e19", "-o", "b.tif"] + common)
            #expect(ranged.status == 0, "\(ranged)")
        }
    }
}

/// Images in other units than [0, 1] (a float TIFF of 0–255): `--data-range` restores them on
/// the scale the methods are set for, and without it the scale-dependent ones say so.
@Suite struct DataRangeTests {
    /// The blurred image of `DeconvolveTests.blurred` times 255, as `b255.tif`.
    static func inEightBitUnits(in dir: URL) throws {
        try DeconvolveTests.blurred(in: dir)
        let blurred = try ImageIO.read(dir.file("blurred.tif").path)
        try ImageIO.write(Image(height: 24, width: 24, pixels: blurred.pixels.map { $0 * 255 }), to: dir.file("b255.tif").path)
    }

    /// The hyper-Laplacian's λ follows the estimated σ of a [0, 1] image, and the CNN was
    /// trained on [0, 1]: on the same image in 0–255 units they restored something else (the
    /// hyper-Laplacian 19 dB from the [0, 1] result on a dead-leaves item), with no word. Now a
    /// note says so, and with `--data-range 255` the result is the [0, 1] one times 255.
    @Test(arguments: [(["deconvolve", "--method", "hyper-laplacian", "--fft-rigor", "estimate"], "hyper-laplacian's settings are for [0, 1]"),
                      (["refine", "--param", "iterations=2", "--param", "collaborative=0"], "the CNN's settings are for [0, 1]")])
    func aScaleDependentMethodNotesTheScaleAndDataRangeRestoresOnIt(command: [String], note: String) throws {
        try withScratch { dir in
            try Self.inEightBitUnits(in: dir)
            func run(_ input: String, _ extra: [String], _ output: String) throws -> CLIResult {
                try dir.deblur([command[0], input, "--psf", "psf.tif", "--quiet", "-o", output] + extra + command.dropFirst())
            }
            let unit = try run("blurred.tif", [], "unit.tif")
            #expect(unit.status == 0 && unit.stderr.isEmpty, "\(unit)")
            let ranged = try run("b255.tif", ["--data-range", "255"], "ranged.tif")
            #expect(ranged.status == 0 && ranged.stderr.isEmpty, "\(ranged)")
            let raw = try run("b255.tif", [], "raw.tif")
            #expect(raw.status == 0, "\(raw)")
            #expect(raw.stderrLines.count == 1 && raw.stderr.contains("note: b255.tif's samples reach 2") && raw.stderr.contains(note)
                    && raw.stderr.contains("--data-range W"), "\(raw)")
            let a = try ImageIO.read(dir.file("unit.tif").path), b = try ImageIO.read(dir.file("ranged.tif").path),
                c = try ImageIO.read(dir.file("raw.tif").path)
            #expect(maxAbsDifference(b.pixels.map { $0 / 255 }, a.pixels) < 1e-3, "\(command)")
            #expect(maxAbsDifference(c.pixels.map { $0 / 255 }, a.pixels) > 1e-3, "\(command): the raw run should differ, or the note is wrong")
        }
    }

    /// Raw units restored into a PNG without --data-range come out clipped to [0, 1]. `deconvolve`
    /// with a scale-free method said so, but `refine` (and the hyper-Laplacian) gave only the
    /// scale note and wrote a PNG white wherever a sample passed 1 without a word: now each
    /// adds the same clipping line after its scale note.
    @Test(arguments: [["refine", "--param", "iterations=2", "--param", "collaborative=0", "--threads", "1"],
                      ["deconvolve", "--method", "hyper-laplacian", "--fft-rigor", "estimate"]])
    func aScaleDependentMethodIntoAPNGAlsoNotesTheClipping(command: [String]) throws {
        try withScratch { dir in
            try Self.inEightBitUnits(in: dir)
            let rl = try dir.deblur("deconvolve", "b255.tif", "--psf", "psf.tif", "--method", "rl", "--fft-rigor", "estimate", "--quiet", "-o", "raw.png")
            #expect(rl.status == 0 && rl.stderrLines.count == 1 && rl.stderr.contains("raw.png holds [0, 1], clipped"), "\(rl)")
            let result = try dir.deblur([command[0], "b255.tif", "--psf", "psf.tif", "--quiet", "-o", "raw.png"] + command.dropFirst())
            #expect(result.status == 0 && result.stderrLines.count == 2, "\(result)")
            #expect(result.stderrLines.first?.contains("settings are for [0, 1]") == true, "\(result)")
            #expect(result.stderrLines.last == rl.stderrLines.first, "\(result)")
            let written = try ImageIO.read(dir.file("raw.png").path)
            #expect(written.statistics().max == 1, "the PNG should be clipped white, or the note is wrong")
        }
    }

    /// Wiener and Tikhonov (linear, their weight a ratio) and RL (multiplicative) restore any
    /// units alike: no note, and `--data-range` changes nothing but rounding.
    @Test(arguments: ["wiener", "tikhonov", "rl"])
    func aScaleFreeMethodGivesNoNote(method: String) throws {
        try withScratch { dir in
            try Self.inEightBitUnits(in: dir)
            let common = ["--psf", "psf.tif", "--method", method, "--fft-rigor", "estimate", "--quiet"]
            let raw = try dir.deblur(["deconvolve", "b255.tif", "-o", "raw.tif"] + common)
            #expect(raw.status == 0 && raw.stderr.isEmpty, "\(raw)")
            let ranged = try dir.deblur(["deconvolve", "b255.tif", "--data-range", "255", "-o", "ranged.tif"] + common)
            #expect(ranged.status == 0, "\(ranged)")
            let a = try ImageIO.read(dir.file("raw.tif").path), b = try ImageIO.read(dir.file("ranged.tif").path)
            #expect(maxAbsDifference(a.pixels.map { $0 / 255 }, b.pixels.map { $0 / 255 }) < 1e-3, "\(method)")
        }
    }

    /// A PNG is on the [0, 1] scale whatever `--data-range` says of the input: an 8-bit sharp
    /// reference was divided by 255 too (PSNR 72 dB for a 26 dB restoration), and a PNG output
    /// got the result times 255, clamped to white. Now the scores and the PNG are the [0, 1] run's.
    @Test func aDataRangeRunScoresAPNGReferenceAsReadAndWritesAPNGOnItsScale() throws {
        try withScratch { dir in
            try Self.inEightBitUnits(in: dir)
            let common = ["--psf", "psf.tif", "--method", "hyper-laplacian", "--fft-rigor", "estimate", "--quiet", "--json", "--reference", "sharp.png"]
            let unit = try dir.deblur(["deconvolve", "blurred.tif", "-o", "unit.png"] + common)
            let ranged = try dir.deblur(["deconvolve", "b255.tif", "--data-range", "255", "-o", "ranged.png"] + common)
            #expect(unit.status == 0 && ranged.status == 0, "\(unit)\n\(ranged)")
            func score(_ result: CLIResult) throws -> Double {
                let json = try #require(JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
                return try #require(json["psnr_db"] as? Double)
            }
            let a = try score(unit), b = try score(ranged)
            #expect(a > 5 && a < 40 && abs(a - b) < 0.05, "\(a) against \(b)")
            let png = try ImageIO.read(dir.file("ranged.png").path), reference = try ImageIO.read(dir.file("unit.png").path)
            #expect(maxAbsDifference(png.pixels, reference.pixels) <= 1.5 / 255, "\(png.statistics())")
        }
    }

    /// An integer input is on the [0, 1] scale already: `--data-range` would divide it again
    /// (an 8-bit PNG with `--data-range 255` was restored as a near-black image and scored
    /// against a reference divided alike), so it is refused naming the file.
    @Test(arguments: [["deconvolve", "b8.png", "--psf", "psf.tif", "--method", "rl"], ["refine", "b8.png", "--psf", "psf.tif"]])
    func anIntegerImageWithADataRangeIsRefusedNamingIt(command: [String]) throws {
        try withScratch { dir in
            try Self.inEightBitUnits(in: dir)
            let converted = try dir.deblur("convert", "blurred.tif", "b8.png", "--bit-depth", "8")
            #expect(converted.status == 0, "\(converted)")
            let before = dir.listing()
            let result = try dir.deblur(command + ["--data-range", "255", "-o", "out.tif", "--quiet"])
            expectCleanFailure(result, naming: "--data-range 255: b8.png holds 8-bit integer samples", directory: dir, before: before)
        }
    }

    @Test(arguments: [["deconvolve", "b255.tif", "--psf", "psf.tif", "--method", "rl"], ["refine", "b255.tif", "--psf", "psf.tif"]])
    func aDataRangeThatIsNotPositiveIsRefusedNamingIt(command: [String]) throws {
        try withScratch { dir in
            try Self.inEightBitUnits(in: dir)
            for value in ["0", "-255", "nan", "inf"] {
                let before = dir.listing()
                let result = try dir.deblur(command + ["--data-range", value, "-o", "out.tif"])
                expectCleanFailure(result, naming: "--data-range", directory: dir, before: before, usageFollows: true)
            }
        }
    }

    /// Plug-and-play on a float TIFF of samples near 10³⁰ (raw units, no --data-range): the noise
    /// level estimated from it made the data step's weight overflow to ∞ and the solver's
    /// precondition crashed refine (signal 4). Now it exits 1 naming the file and --data-range.
    @Test func refineOfSamplesNearTenToTheThirtyExitsOneInsteadOfCrashing() throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 24, width: 24, seed: 3).scaled(by: 1e30), to: dir.file("huge.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 0.8, size: 5), to: dir.file("psf.tif").path)
            let before = dir.listing()
            let result = try dir.deblur("refine", "huge.tif", "--psf", "psf.tif", "--param", "iterations=2", "--param", "collaborative=0",
                                        "--threads", "1", "--quiet", "-o", "out.tif")
            #expect(result.status == 1, "\(result)")
            // The scale note, then the error.
            #expect(result.stderrLines.count == 2 && result.stderrLines[0].hasPrefix("note: huge.tif's samples reach"), "\(result)")
            #expect(result.stderrLines.last!.hasPrefix("Error: huge.tif: its noise level") && result.stderr.contains("--data-range W"), "\(result)")
            #expect(dir.listing() == before)
        }
    }
}

@Suite struct BlurTests {
    /// A float TIFF in photon counts blurred with `--noise-sigma`, `--poisson` or `--quantize`,
    /// or written to a PNG: those are on the [0, 1] scale (σ = 0.01 is no noise at all on counts,
    /// `--quantize 16` clipped two thirds of a star field to white), so blur says so on stderr,
    /// naming the file; a plain float blur of the same image, or any of them on [0, 1] data, says nothing.
    @Test func countsWithUnitScaleNoiseOrIntegerOutputGetANote() throws {
        try withScratch { dir in
            try ImageIO.write(Image(height: 24, width: 24) { _, y, x in Float(100 * x + 40 * y) }, to: dir.file("counts.tif").path)
            try ImageIO.write(Image(height: 24, width: 24) { _, y, x in Float(x + y) / 48 }, to: dir.file("unit.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1), to: dir.file("psf.tif").path)
            for extra in [["--noise-sigma", "0.01", "-o", "n.tif"], ["--poisson", "100", "-o", "p.tif"],
                          ["--quantize", "16", "-o", "q.png"], ["-o", "o.png"]] {
                let result = try dir.deblur(["blur", "counts.tif", "--psf", "psf.tif"] + extra)
                #expect(result.status == 0, "\(result)")
                #expect(result.stderr.contains("note: counts.tif") && result.stderr.contains("[0, 1]"), "\(extra): \(result)")
            }
            let plain = try dir.deblur("blur", "counts.tif", "--psf", "psf.tif", "-o", "plain.tif")
            #expect(plain.status == 0 && plain.stderr.isEmpty, "\(plain)")
            let unit = try dir.deblur("blur", "unit.tif", "--psf", "psf.tif", "--noise-sigma", "0.01", "--quantize", "16", "-o", "u.png")
            #expect(unit.status == 0 && unit.stderr.isEmpty, "\(unit)")
        }
    }

    /// Without random noise nothing is drawn: --seed was dropped, exit 0, and two "seeds" gave
    /// the same file. Refused; with --noise-sigma or --poisson it picks the noise.
    @Test func aSeedWithoutRandomNoiseExitsOneWithoutOutput() throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 8, width: 8, seed: 1), to: dir.file("sharp.png").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 0.8, size: 3), to: dir.file("psf.tif").path)
            let before = dir.listing()
            for extra in [["--seed", "3"], ["--seed", "3", "--quantize", "8", "--noise-sigma", "0"]] {
                let result = try dir.deblur(["blur", "sharp.png", "--psf", "psf.tif", "-o", "out.tif"] + extra)
                expectCleanFailure(result, naming: "Please leave out --seed without random noise", directory: dir, before: before, usageFollows: true)
            }
            for (name, seed) in [("a.tif", "3"), ("b.tif", "4")] {
                let result = try dir.deblur("blur", "sharp.png", "--psf", "psf.tif", "--poisson", "100", "--seed", seed, "-o", name)
                #expect(result.status == 0, "\(result)")
            }
            #expect(try Data(contentsOf: dir.file("a.tif")) != Data(contentsOf: dir.file("b.tif")))
        }
    }

    @Test func unsupportedOutputExtensionExitsOneNamingItWithoutOutput() throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 8, width: 8, seed: 1), to: dir.file("sharp.png").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 0.8, size: 3), to: dir.file("psf.tif").path)
            let before = dir.listing()
            let result = try dir.deblur("blur", "sharp.png", "--psf", "psf.tif", "-o", "out.jpg")
            expectCleanFailure(result, naming: "out.jpg", directory: dir, before: before, usageFollows: true)
        }
    }

    @Test(arguments: [("--quantize", "7"), ("--poisson", "0")])
    func invalidNoiseSettingExitsOneNamingTheValueWithoutOutput(option: String, value: String) throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 8, width: 8, seed: 1), to: dir.file("sharp.png").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 0.8, size: 3), to: dir.file("psf.tif").path)
            let before = dir.listing()
            let result = try dir.deblur("blur", "sharp.png", "--psf", "psf.tif", "\(option)=\(value)", "-o", "out.png")
            expectCleanFailure(result, naming: value, directory: dir, before: before)
        }
    }

    @Test func negativeNoiseSigmaExitsOneWithoutOutput() throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 8, width: 8, seed: 1), to: dir.file("sharp.png").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 0.8, size: 3), to: dir.file("psf.tif").path)
            let before = dir.listing()
            let result = try dir.deblur("blur", "sharp.png", "--psf", "psf.tif", "--noise-sigma=-0.5", "-o", "out.png")
            expectCleanFailure(result, naming: "-0.5", directory: dir, before: before)
        }
    }
}

/// The sample depth of a restoration written by `deconvolve` and `refine`.
@Suite struct OutputDepthTests {
    static let common = ["--psf", "psf.tif", "--method", "rl", "--iterations", "5", "--fft-rigor", "estimate", "--quiet"]

    /// A 16-bit PNG restored into a PNG came out 8-bit, 8 bits of a microscopy image lost without
    /// a word. The PNG now keeps the input's depth: 16-bit, the float TIFF output clamped to [0, 1]
    /// and rounded to 1/65535; `--bit-depth 8` writes 8 bits, `--bit-depth 16` a 16-bit TIFF.
    @Test(arguments: [1, 3])
    func aSixteenBitInputIsRestoredIntoASixteenBitPNG(channels: Int) throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(channels: channels, height: 24, width: 24, seed: 5), to: dir.file("in.png").path, depth: .uint16)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 0.8, size: 5), to: dir.file("psf.tif").path)
            for (output, extra) in [("r.tif", []), ("r.png", []), ("r8.png", ["--bit-depth", "8"]), ("r16.tif", ["--bit-depth", "16"])] {
                let result = try dir.deblur(["deconvolve", "in.png", "-o", output] + Self.common + extra)
                #expect(result.status == 0 && result.stderr.isEmpty, "\(output): \(result)")
            }
            let (float, floatInfo) = try ImageIO.readWithInfo(dir.file("r.tif").path)
            #expect(floatInfo.isFloat && floatInfo.bitsPerSample == 32)
            let clamped = float.pixels.map { min(max($0, 0), 1) }
            for (output, bits) in [("r.png", 16), ("r16.tif", 16), ("r8.png", 8)] {
                let (image, info) = try ImageIO.readWithInfo(dir.file(output).path)
                #expect(!info.isFloat && info.bitsPerSample == bits && image.channels == channels, "\(output): \(info)")
                let step = Float(1 << bits - 1)
                #expect(maxAbsDifference(image.pixels, clamped) <= 0.5 / step + 1e-7, "\(output)")
            }
        }
    }

    /// A float input (here in 0–255 units, with `--data-range`) gives a 16-bit PNG on the [0, 1]
    /// scale, as does `--bit-depth 16` into a TIFF: an integer file holds [0, 1] whatever the
    /// units; the float TIFF holds the restoration in the input's units.
    @Test func aFloatInputWithADataRangeIsRestoredIntoSixteenBitsOnTheUnitScale() throws {
        try withScratch { dir in
            try DataRangeTests.inEightBitUnits(in: dir)
            for (output, extra) in [("r.tif", []), ("r.png", []), ("r16.tif", ["--bit-depth", "16"])] {
                let result = try dir.deblur(["deconvolve", "b255.tif", "--data-range", "255", "-o", output] + Self.common + extra)
                #expect(result.status == 0 && result.stderr.isEmpty, "\(output): \(result)")
            }
            let unit = try ImageIO.read(dir.file("r.tif").path).pixels.map { min(max($0 / 255, 0), 1) }
            #expect(unit.contains { $0 > 0.2 })
            for output in ["r.png", "r16.tif"] {
                let (image, info) = try ImageIO.readWithInfo(dir.file(output).path)
                #expect(!info.isFloat && info.bitsPerSample == 16, "\(output): \(info)")
                #expect(maxAbsDifference(image.pixels, unit) <= 0.5 / 65535 + 1e-6, "\(output)")
            }
        }
    }

    /// The CNN's PNG keeps the 16-bit input's depth too.
    @Test func refineWritesASixteenBitPNGForASixteenBitInput() throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 24, width: 24, seed: 5), to: dir.file("in.png").path, depth: .uint16)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 0.8, size: 5), to: dir.file("psf.tif").path)
            let result = try dir.deblur("refine", "in.png", "--psf", "psf.tif", "--param", "iterations=2", "--param", "collaborative=0",
                                        "--threads", "1", "--quiet", "-o", "r.png")
            #expect(result.status == 0, "\(result)")
            let info = try ImageIO.info(dir.file("r.png").path)
            #expect(!info.isFloat && info.bitsPerSample == 16, "\(info)")
        }
    }

    /// PNG has no float samples: `--bit-depth 32` with a PNG output is refused before anything runs.
    @Test(arguments: [["deconvolve", "in.png", "--psf", "psf.tif", "--method", "rl"], ["refine", "in.png", "--psf", "psf.tif"]])
    func thirtyTwoBitsIntoAPNGExitsOneNamingTheValue(command: [String]) throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 24, width: 24, seed: 5), to: dir.file("in.png").path, depth: .uint16)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 0.8, size: 5), to: dir.file("psf.tif").path)
            let before = dir.listing()
            let result = try dir.deblur(command + ["--bit-depth", "32", "-o", "out.png"])
            expectCleanFailure(result, naming: "--bit-depth 8 or 16 for PNG output (got 32)", directory: dir, before: before, usageFollows: true)
        }
    }
}
