import DeblurKit
import Foundation
import Testing

/// Extreme values of numeric options (found by trying 0, -0, ±inf, NaN, denormals, 2^31, 2^63
/// on every option): each is refused in one line naming the option or value, leaving nothing
/// behind, or gives a finite, sensible result.
@Suite struct ValueEdgeCaseTests {
    /// `-inf` and `-nan` after an option reached ArgumentParser as an option name: "Missing
    /// value for '--length <length>'", not the check that names the value.
    @Test(arguments: [["psf", "motion", "--length", "-inf"], ["psf", "gaussian", "--sigma", "-INF"],
                      ["psf", "disk", "--radius", "-nan"], ["psf", "motion", "--length", "5", "--angle", "-Infinity"]])
    func negativeInfinityAndNaNReachTheCheckThatNamesThem(arguments: [String]) throws {
        try withScratch { dir in
            let result = try dir.deblur(arguments + ["-o", "k.tif"])
            expectCleanFailure(result, naming: "invalid", directory: dir, before: [])
            #expect(!result.stderr.contains("Missing value"), "\(result)")
            if arguments.last!.lowercased().contains("inf") {
                #expect(result.stderrLines.first?.contains("-inf") == true, "\(result)")
            }
        }
    }

    /// A radius below about 1e-154 squared to 0, and the kernel came out NaN ("it contains
    /// -nan"); any radius up to 0.5 is the 1×1 identity, as 0.3 always was.
    @Test func aVanishingDiskRadiusIsTheIdentity() throws {
        try withScratch { dir in
            for (name, radius) in [("a.tif", "1e-320"), ("b.tif", "1e-200"), ("c.tif", "0.3")] {
                let result = try dir.deblur("psf", "disk", "--radius", radius, "-o", name)
                #expect(result.status == 0, "\(radius): \(result)")
                let psf = try ImageIO.readPSF(dir.file(name).path)
                #expect(psf.height == 1 && psf.width == 1 && psf.image.pixels == [1], "\(radius)")
            }
        }
    }

    /// An exposure so short that its weights vanished in single precision failed with "it sums
    /// to 0" naming neither the option nor the value; synth left its directory behind.
    @Test func anExposureThatIntegratesNothingIsRefusedByName() throws {
        try withScratch { dir in
            let result = try dir.deblur("psf", "trajectory", "--exposure", "1e-320", "-o", "k.tif")
            expectCleanFailure(result, naming: "exposure 1e-320", directory: dir, before: [])
            let synth = try dir.deblur("synth", "--out", "d", "--count", "1", "--size", "16", "--trajectories", "7",
                                       "--exposure", "1e-320", "--quiet")
            expectCleanFailure(synth, naming: "exposure 1e-320", directory: dir, before: [])
            // The smallest exposure the check lets through still integrates a kernel.
            let short = try dir.deblur("psf", "trajectory", "--exposure", "1e-33", "-o", "k.tif")
            #expect(short.status == 0, "\(short)")
        }
    }

    /// A Gaussian lens blur or background defocus of a denormal σ divided 0 by 0: synth wrote
    /// black sharp images (and train stopped on NaN blurred ones). σ → 0 is no blur.
    @Test func aVanishingLensBlurLeavesTheImageUnblurred() throws {
        try withScratch { dir in
            for (folder, extra) in [("plain", [String]()), ("lens", ["--lens-blur", "1e-320"]), ("defocus", ["--defocus", "1e-320"])] {
                let result = try dir.deblur(["synth", "--out", folder, "--count", "1", "--size", "24", "--trajectories", "7",
                                             "--quiet", "--seed", "3"] + extra)
                #expect(result.status == 0, "\(extra): \(result)")
                let blurred = try ImageIO.read(dir.file(folder + "/blurred/000000.tif").path)
                #expect(blurred.isFinite, "\(extra)")
            }
            let plain = try ImageIO.read(dir.file("plain/sharp/000000.png").path)
            let lens = try ImageIO.read(dir.file("lens/sharp/000000.png").path)
            #expect(plain.pixels == lens.pixels)
            #expect(plain.statistics().max > 0.1)
        }
    }

    /// `--data-range 1e308` divided every sample to 0 and wrote a NaN image under exit status 0;
    /// 1e-320 made every sample infinite and was blamed on the file.
    @Test(arguments: [["deconvolve", "--method", "wiener"], ["refine"]])
    func aDataRangeOutsideSinglePrecisionIsRefused(command: [String]) throws {
        try withScratch { dir in
            let psf = try PSF.gaussian(sigma: 1)
            try ImageIO.writePSF(psf, to: dir.file("psf.tif").path)
            var image = Image(height: 24, width: 24)
            for y in 0..<24 { for x in 0..<24 { image[0, y, x] = Float((x * 7 + y * 3) % 11) * 20 } }
            try ImageIO.write(image, to: dir.file("in.tif").path)
            let before = dir.listing()
            for range in ["1e308", "1e-320", "1e31"] {
                let result = try dir.deblur([command[0], "in.tif", "--psf", "psf.tif"] + command.dropFirst()
                                            + ["--data-range", range, "-o", "out.tif", "--quiet"])
                expectCleanFailure(result, naming: "--data-range", directory: dir, before: before, usageFollows: true)
            }
            let fine = try dir.deblur([command[0], "in.tif", "--psf", "psf.tif"] + command.dropFirst()
                                      + ["--data-range", "255", "-o", "out.tif", "--quiet"])
            #expect(fine.status == 0, "\(fine)")
        }
    }

    /// A plug-and-play lambda or sigma_start far from 1 overflowed the data step's weight, and
    /// the error blamed the image's noise level alone.
    @Test(arguments: ["lambda=1e308", "sigma_start=1e-320"])
    func pnpNamesTheSettingThatOverflowsItsDataWeight(parameter: String) throws {
        try withScratch { dir in
            var image = Image(height: 24, width: 24)
            for y in 0..<24 { for x in 0..<24 { image[0, y, x] = Float((x * 7 + y * 3) % 11) / 11 } }
            try ImageIO.write(image, to: dir.file("in.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1), to: dir.file("psf.tif").path)
            let before = dir.listing()
            let result = try dir.deblur("refine", "in.tif", "--psf", "psf.tif", "--param", parameter, "-o", "o.tif", "--quiet")
            expectCleanFailure(result, naming: String(parameter.prefix(while: { $0 != "=" })), directory: dir, before: before)
            #expect(result.stderrLines.first?.contains("lambda") == true && result.stderrLines.first?.contains("sigma_start") == true, "\(result)")
        }
    }

    /// R = 1e308 made SSIM's C1 infinite: every image scored PSNR +∞ and SSIM NaN, exit 0.
    @Test func aMetricDataRangeOutsideItsBoundsIsRefused() throws {
        try withScratch { dir in
            var a = Image(height: 16, width: 16), b = Image(height: 16, width: 16)
            for i in 0..<256 { a.pixels[i] = Float(i % 7) / 7; b.pixels[i] = Float(i % 5) / 5 }
            try ImageIO.write(a, to: dir.file("a.tif").path)
            try ImageIO.write(b, to: dir.file("b.tif").path)
            let before = dir.listing()
            for range in ["1e308", "1e-320"] {
                let result = try dir.deblur("metrics", "a.tif", "b.tif", "--data-range", range, "--ssim-map", "m.tif")
                expectCleanFailure(result, naming: "--data-range", directory: dir, before: before, usageFollows: true)
            }
            #expect(throws: EvaluationError.self) { _ = try psnr(a, b, dataRange: 1e308) }
            // A subnormal, written so that the compiler does not warn of its lost precision.
            let subnormal = Double.leastNonzeroMagnitude * 2024
            #expect(throws: EvaluationError.self) { _ = try ssim(a, b, dataRange: subnormal) }
            // The ends of the bounds still score finite numbers.
            #expect(try psnr(a, b, dataRange: 1e30).isFinite)
            #expect(try ssim(a, b, dataRange: 1e30).isFinite)
            #expect(try ssim(a, b, dataRange: 1e-30).isFinite)
        }
    }

    /// The four messages about a data range's bounds say them from `dataRangeLimits`, in the
    /// words they always had (they were literals beside the check, free to drift from it).
    @Test func theDataRangeBoundsAreNamedFromTheLimitsChecked() throws {
        #expect(dataRangeLimitsText == "1e-30 to 1e30")
        let a = Image(height: 16, width: 16)
        #expect(throws: EvaluationError.invalidValue(name: "data range", value: "1e+308", expected: "a number from 1e-30 to 1e30")) {
            _ = try psnr(a, a, dataRange: 1e308)
        }
        #expect(throws: EvaluationError.invalidValue(name: "saved parameter range", value: "0",
                                                     expected: "the value of white of float restorations, a number from 1e-30 to 1e30")) {
            _ = try SavedRestorations.make(parameters: ["dir": "restored", "range": "0"])
        }
        try withScratch { dir in
            try ImageIO.write(a, to: dir.file("a.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1), to: dir.file("psf.tif").path)
            let metrics = try dir.deblur("metrics", "a.tif", "a.tif", "--data-range", "1e308")
            #expect(metrics.stderrLines.first == "Error: Please give a --data-range from 1e-30 to 1e30 (got 1e+308).", "\(metrics)")
            let restore = try dir.deblur("deconvolve", "a.tif", "--psf", "psf.tif", "--method", "wiener", "--data-range", "1e31", "-o", "o.tif")
            #expect(restore.stderrLines.first
                    == "Error: Please give a --data-range from 1e-30 to 1e30 (the value of white in the image's units; got 1e+31).", "\(restore)")
        }
    }

    /// With a same-size boundary a PSF larger than the item made a dataset whose every item
    /// every method refuses.
    @Test func synthRefusesAPSFLargerThanItsItemsUnderASameSizeBoundary() throws {
        try withScratch { dir in
            let result = try dir.deblur("synth", "--out", "d", "--count", "1", "--size", "32", "--trajectories", "33",
                                        "--boundary", "circular", "--quiet")
            expectCleanFailure(result, naming: "33×33", directory: dir, before: [])
            #expect(result.stderrLines.first?.contains("32×32") == true, "\(result)")
            // valid blurs a grown crop: the same kernel is fine there.
            let valid = try dir.deblur("synth", "--out", "v", "--count", "1", "--size", "32", "--trajectories", "33", "--quiet")
            #expect(valid.status == 0, "\(valid)")
        }
    }

    /// `demo --out ''` standardized to the root folder and wrote its dataset and reports there;
    /// values synth refuses left the demo's folder (and its kernels) behind; `--noise-sigma -0`
    /// reached synth as "-0.0", an option name ("Missing value").
    @Test func demoRefusesAnEmptyFolderAndSynthsBoundsBeforeWritingAnything() throws {
        try withScratch { dir in
            for arguments in [["--out", ""], ["--out", "dm", "--items", "2147483648"], ["--out", "dm", "--noise-sigma", "11"]] {
                let result = try dir.deblur(["demo", "--size", "64", "--items", "1", "--quiet"] + arguments)
                expectCleanFailure(result, naming: arguments.count == 2 ? "--out" : arguments[2], directory: dir, before: [], usageFollows: true)
            }
        }
    }

    @Test func psfBankRefusesAnEmptyFolder() throws {
        try withScratch { dir in
            let result = try dir.deblur("psf", "bank", "--out", "")
            expectCleanFailure(result, naming: "--out", directory: dir, before: [], usageFollows: true)
        }
    }

    /// `--base-param nsr=0.1 --base-param nsr=0.2` trained on 0.2 and said nothing; `refine
    /// --param` refuses a repeated key.
    @Test func trainRefusesABaseParameterGivenTwice() throws {
        try withScratch { dir in
            let result = try dir.deblur("train", "--synthetic", "--steps", "1", "--width", "4", "--synthetic-images", "1",
                                        "--image-size", "32", "--patch", "32", "--batch", "1", "--psf-sizes", "7", "--quiet",
                                        "--base-param", "nsr=0.1", "--base-param", "nsr=0.2", "-o", "m.model")
            expectCleanFailure(result, naming: "nsr=0.2", directory: dir, before: [])
        }
    }

    /// A loss weight of 1e-320 is 0 in the single-precision gradients (nothing was trained, exit
    /// 0); one of 1e308 overflowed and was blamed on the learning rate.
    @Test(arguments: ["1e-320*l1", "1e308*l1+1*mse", "0.5*l1+1e7*ssim"])
    func trainRefusesLossWeightsSinglePrecisionCannotCarry(loss: String) throws {
        try withScratch { dir in
            let result = try dir.deblur("train", "--synthetic", "--steps", "1", "--width", "4", "--synthetic-images", "1",
                                        "--image-size", "32", "--patch", "32", "--batch", "1", "--psf-sizes", "7", "--quiet",
                                        "--loss", loss, "-o", "m.model")
            expectCleanFailure(result, naming: loss, directory: dir, before: [])
        }
    }

    /// These aborted in an allocation of 26 TB, 240 GB and 100 GB (signal 6), or trapped on the
    /// step count's overflow (signal 4), instead of a refusal naming the option.
    @Test(arguments: [["--batch", "2147483648"], ["--synthetic-images", "2147483648"], ["--image-size", "2147483648"],
                      ["--image-size", "16385"], ["--steps-per-epoch", "4", "--epochs", "9223372036854775807"]])
    func trainRefusesSettingsThatCannotFit(arguments: [String]) throws {
        try withScratch { dir in
            var base = ["train", "--synthetic", "--width", "4", "--synthetic-images", "1", "--image-size", "32", "--patch", "32",
                        "--batch", "1", "--psf-sizes", "7", "--quiet", "-o", "m.model"]
            if !arguments.contains("--epochs") { base += ["--steps", "1"] }
            for option in arguments where option.hasPrefix("--") {
                if let i = base.firstIndex(of: option) { base.removeSubrange(i...(i + 1)) }
            }
            let result = try dir.deblur(base + arguments)
            expectCleanFailure(result, naming: arguments[arguments.count - 2], directory: dir, before: [], usageFollows: true)
        }
    }

    /// A denoiser's training sample holds one plane, not a refiner's three: the memory check
    /// counted three and refused denoiser runs that fit (9000 images of 512² need 9.4 GB; "at
    /// least 28.4 GB, more than this machine's 25.3 GB"). The count here needs more than this
    /// machine's memory for a refiner and about a third of it for a denoiser, which passes the
    /// check and stops at the next one (a missing -o folder) before any data is made.
    @Test func trainCountsADenoisersSamplesAsOnePlane() throws {
        try withScratch { dir in
            let side = 1024, memory = Double(ProcessInfo.processInfo.physicalMemory)
            let images = String(Int(memory / Double(side * side * 12)) + 1)
            let base = ["train", "--synthetic", "--synthetic-images", images, "--image-size", String(side), "--steps", "1", "--quiet",
                        "-o", "missing/m.model"]
            let refiner = try dir.deblur(base)
            expectCleanFailure(refiner, naming: "--synthetic-images", directory: dir, before: [], usageFollows: true)
            let denoiser = try dir.deblur(base + ["--task", "denoise"])
            expectCleanFailure(denoiser, naming: "missing", directory: dir, before: [], usageFollows: true)
            #expect(!denoiser.stderr.contains("--synthetic-images"), "\(denoiser)")
        }
    }

    /// 2^63 iterations overflowed the progress count of a color image and trapped; 2^31 ran
    /// for days. The CNN's steps were bounded (1…100) already.
    @Test func deconvolveAndCompareRefuseIterationsBeyondTheBound() throws {
        try withScratch { dir in
            var image = Image(channels: 3, height: 16, width: 16)
            for i in 0..<image.pixels.count { image.pixels[i] = Float(i % 13) / 13 }
            try ImageIO.write(image, to: dir.file("in.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1), to: dir.file("psf.tif").path)
            let before = dir.listing()
            for count in ["9223372036854775807", "100001"] {
                let result = try dir.deblur("deconvolve", "in.tif", "--psf", "psf.tif", "--method", "rl", "--iterations", count, "-o", "o.tif")
                expectCleanFailure(result, naming: count, directory: dir, before: before, usageFollows: true)
            }
            #expect(throws: DeconvolutionError.self) { _ = try ClassicalMethods.make(spec: "rl-tv:iterations=2147483648") }
            #expect(throws: DeconvolutionError.self) { _ = try ClassicalMethods.make(spec: "hyper-laplacian:inner-iterations=2147483648") }
            #expect(throws: DeconvolutionError.self) { _ = try ClassicalMethods.make(spec: "wiener:iterations=100001") }
            _ = try ClassicalMethods.make(spec: "rl:iterations=100000")
        }
    }

    /// A parameter that underflows single precision became 0: `--nsr 1e-320` failed as "invalid
    /// regularization 0", naming neither the option nor its value; `rl:damping=1e-40` ran as 0.
    @Test func methodParametersThatUnderflowSinglePrecisionAreRefusedByName() throws {
        for spec in ["wiener:nsr=1e-320", "rl:damping=1e-40", "tikhonov:lambda=-1e-39"] {
            #expect(throws: DeconvolutionError.self, "\(spec)") { _ = try ClassicalMethods.make(spec: spec) }
            do { _ = try ClassicalMethods.make(spec: spec) } catch {
                #expect("\(error)".contains(String(spec.split(separator: "=").last!)), "\(error)")
            }
        }
        _ = try ClassicalMethods.make(spec: "rl:damping=0")
        _ = try ClassicalMethods.make(spec: "wiener:nsr=2e-38")
        try withScratch { dir in
            var image = Image(height: 16, width: 16)
            for i in 0..<256 { image.pixels[i] = Float(i % 9) / 9 }
            try ImageIO.write(image, to: dir.file("in.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1), to: dir.file("psf.tif").path)
            let before = dir.listing()
            let result = try dir.deblur("deconvolve", "in.tif", "--psf", "psf.tif", "--method", "wiener", "--nsr", "1e-320", "-o", "o.tif")
            expectCleanFailure(result, naming: "nsr 1e-320", directory: dir, before: before)
        }
    }

    /// A side of 46341 and more crashed FFTW's allocation (a force-unwrapped nil, signal 4);
    /// an empty list ran nothing and exited 0.
    @Test(arguments: [["--sizes", "46341"], ["--sizes", "2147483648"], ["--sizes", ""], ["--sizes", "32,,64"],
                      ["--cases", ""], ["--cases", ","], ["--cases", "fft-sizes,,fft-sizes"], ["--cases", "fft-sizes,"]])
    func benchRefusesSizesNoImageHasAndEmptyLists(arguments: [String]) throws {
        try withScratch { dir in
            var base = ["bench", "--cases", "fft-sizes", "--sizes", "32", "--repeats", "1"]
            if let i = base.firstIndex(of: arguments[0]) { base.removeSubrange(i...(i + 1)) }
            let result = try dir.deblur(base + arguments)
            expectCleanFailure(result, naming: arguments[0], directory: dir, before: [])
            #expect(result.stdout.isEmpty)
        }
    }

    /// `bench --list` prints the case names and measures nothing: the options of a measurement
    /// beside it were dropped, exit 0 (--json too: the list is plain text). Refused.
    @Test(arguments: [(["--cases", "rl"], "--cases"), (["--sizes", "64", "--repeats", "1"], "--sizes and --repeats"), (["--json"], "--json")])
    func benchListRefusesTheOptionsOfAMeasurement(arguments: [String], named: String) throws {
        try withScratch { dir in
            let result = try dir.deblur(["bench", "--list"] + arguments)
            expectCleanFailure(result, naming: "Please leave out \(named) with --list", directory: dir, before: [], usageFollows: true)
            #expect(result.stdout.isEmpty)
        }
    }

    /// sgemm and train measure one fixed problem: --sizes with them named was dropped, exit 0.
    @Test(arguments: [["--cases", "sgemm"], ["--cases", "psnr,train"]])
    func benchRefusesSizesForACaseOfOneFixedProblem(cases: [String]) throws {
        try withScratch { dir in
            let result = try dir.deblur(["bench"] + cases + ["--sizes", "64", "--repeats", "1"])
            expectCleanFailure(result, naming: "--sizes does not apply to bench case \(cases[1].split(separator: ",").last!)", directory: dir, before: [])
            #expect(result.stdout.isEmpty)
        }
    }

    /// Below a case's PSF, window or block, bench printed nothing (fft-floor, rl, wiener at
    /// --sizes 8) or an infinite rate (collaborative-wiener at 2) under exit status 0; --repeats
    /// had no upper bound (2^31 ran for months).
    @Test(arguments: [(["--cases", "fft-floor", "--sizes", "14"], "'fft-floor'"), (["--cases", "rl,psnr", "--sizes", "64,8"], "'rl'"),
                      (["--cases", "collaborative-wiener", "--sizes", "2"], "'collaborative-wiener'"),
                      (["--cases", "ssim", "--sizes", "10"], "'ssim'"), (["--cases", "pnp", "--sizes", "30"], "'pnp'"),
                      (["--cases", "psnr", "--sizes", "8", "--repeats", "1001"], "--repeats")])
    func benchRefusesSizesBelowACasesSmallestAndEndlessRepeats(arguments: [String], culprit: String) throws {
        try withScratch { dir in
            let result = try dir.deblur(["bench"] + arguments + (arguments.contains("--repeats") ? [] : ["--repeats", "1"]))
            expectCleanFailure(result, naming: culprit, directory: dir, before: [], usageFollows: culprit == "--repeats")
            #expect(result.stdout.isEmpty)
        }
        // The smallest sizes measure: one fft-floor line (the 15-pixel PSF; the 31 does not fit).
        try withScratch { dir in
            let result = try dir.deblur("bench", "--cases", "fft-floor", "--sizes", "15", "--repeats", "1")
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.split(separator: "\n").count == 1 && result.stdout.contains("size=15  psf=15"), "\(result)")
        }
    }

    /// An empty output name passed the up-front checks and failed only when written, after the
    /// work: train -o '' trained, then left '.checkpoint' in the working directory; --log ''
    /// left the model and its checkpoint; compare --report '' ran every item first.
    @Test(arguments: [["train", "--synthetic", "--steps", "1", "--width", "8", "--synthetic-images", "2", "--image-size", "32",
                       "--patch", "16", "--batch", "1", "--quiet", "-o", ""],
                      ["train", "--synthetic", "--steps", "1", "--width", "8", "--synthetic-images", "2", "--image-size", "32",
                       "--patch", "16", "--batch", "1", "--quiet", "-o", "m.model", "--log", ""],
                      ["deconvolve", "in.tif", "--psf", "psf.tif", "--method", "rl", "-o", "out.tif", "--trace", ""],
                      ["compare", "ds", "--methods", "blurred", "--quiet", "--report", ""],
                      ["compare", "ds", "--methods", "blurred", "--quiet", "--save-restored", ""]])
    func anEmptyOutputNameIsRefusedBeforeTheWork(arguments: [String]) throws {
        try withScratch { dir in
            try ImageIO.write(Image(height: 24, width: 24, value: 0.5), to: dir.file("in.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1), to: dir.file("psf.tif").path)
            try CompareTests.dataset(in: dir)
            let before = dir.listing()
            let result = try dir.deblur(arguments)
            let option = arguments[arguments.count - 2]
            expectCleanFailure(result, naming: "\(option == "-o" ? "--output" : option) is an empty name", directory: dir,
                               before: before, usageFollows: true)
        }
    }
}
