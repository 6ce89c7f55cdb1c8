import DeblurKit
import Foundation
import Testing

/// One tiny model trained once and shared by the train, refine and export-onnx tests.
enum TrainedModel {
    static let arguments = ["train", "--synthetic", "--steps", "1", "--width", "4", "--synthetic-images", "4",
                            "--image-size", "64", "--batch", "2", "-o", "m.model", "--quiet", "--threads", "1"]

    /// The training run and the folder holding m.model; removed at exit.
    static let run: Result<(URL, CLIResult), any Error> = Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("deblurTests-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        folder = dir
        atexit { if let folder = TrainedModel.folder { try? FileManager.default.removeItem(at: folder) } }
        return (dir, try dir.deblur(arguments))
    }

    nonisolated(unsafe) static var folder: URL?

    /// A copy of the trained model in `dir` as `name`.
    static func copy(to dir: URL, as name: String = "m.model") throws {
        let (folder, result) = try run.get()
        try #require(result.status == 0, "\(result)")
        try FileManager.default.copyItem(at: folder.file("m.model"), to: dir.file(name))
    }
}

@Suite struct TrainTests {
    @Test func oneStepSmokeRunWritesALoadableModel() throws {
        let (folder, result) = try TrainedModel.run.get()
        #expect(result.status == 0, "\(result)")
        let model = try ModelFile.read(folder.file("m.model").path).model
        #expect(model.network.architecture.width == 4)
        #expect(model.network.parameterCount > 0)
        // Every base parameter is recorded, defaults included.
        #expect(model.header.base.parameters == ClassicalMethods.defaults[model.header.base.name])
    }

    /// A bad value of a training-data or network flag: exit 1 naming it, no model written.
    @Test(arguments: [(["--grain", "0.7"], "0.7"), (["--psf-sizes", "13,16"], "13,16"), (["--inputs", "estimate,bogus"], "bogus"),
                      (["--task", "denoise", "--inputs", "estimate,blurred"], "estimate,blurred"), (["--noise-range", "0.2,0.1"], "0.2,0.1"), (["--noise-range=-0.1:0.2"], "-0.1:0.2"), (["--noise-range", "0.3:0.1"], "0.3:0.1"), (["--noise-range", "0.1:x"], "0.1:x"),
                      (["--noise-range", "inf"], "'inf'"), (["--noise-range", "0:inf"], "'0:inf'"), (["--noise-range", "0:nan"], "'0:nan'"), (["--inputs", "estimate,,noise"], "entry ''"),
                      (["--shading", "0.5"], "0.5"), (["--patterns", "1.2"], "1.2"), (["--lens-blur", "12"], "12"), (["--contrast", "1.5"], "1.5"), (["--init", "nothere.model"], "nothere.model"),
                      (["--radii", "5:2"], "radii"), (["--radii", "2:x"], "2:x"), (["--loss", "0.8*l1+"], "0.8*l1+"),
                      (["--weight-decay", "1e6"], "below 1 / lr = 1000"), (["--optimizer", "adamw", "--lr", "2e4"], "weight-decay '0.0001'")])
    func badSettingExitsOneNamingItWithoutModel(flag: [String], named: String) throws {
        try withScratch { dir in
            let result = try dir.deblur(["train", "--synthetic", "--steps", "1", "--width", "4"] + flag + ["-o", "x.model", "--quiet"])
            expectCleanFailure(result, naming: named, directory: dir, before: [])
        }
    }

    /// sgd, momentum, nesterov and adagrad have no weight decay: asking for one is a usage
    /// error (it was recorded in the header and not applied), as is a negative one.
    @Test(arguments: [(["--optimizer", "sgd", "--weight-decay", "0.01"], "--weight-decay"), (["--optimizer", "adagrad", "--weight-decay", "1e-4"], "adagrad"),
                      (["--weight-decay=-1"], "-1.0")])
    func weightDecayWithoutAnOptimizerThatAppliesItExitsOne(flag: [String], named: String) throws {
        try withScratch { dir in
            let result = try dir.deblur(["train", "--synthetic", "--steps", "1", "--width", "4"] + flag + ["-o", "x.model", "--quiet"])
            expectCleanFailure(result, naming: named, directory: dir, before: [], usageFollows: true)
        }
    }

    /// A denoiser trains without blur or base, records its task, and `refine` runs it as
    /// plug-and-play: an image of the input size.
    @Test func denoiserTrainsAndRefinesThroughPlugAndPlay() throws {
        try withScratch { dir in
            let train = try dir.deblur(["train", "--synthetic", "--task", "denoise", "--steps", "1", "--width", "4", "--synthetic-images", "4",
                                        "--image-size", "32", "--batch", "2", "--patch", "32", "-o", "d.model", "--quiet", "--threads", "1"])
            #expect(train.status == 0, "\(train)")
            let model = try ModelFile.read(dir.file("d.model").path).model
            #expect(model.header.task == .denoise && model.header.base.name == "none")
            #expect(model.network.architecture.inputs == [.estimate, .noise])
            #expect(model.header.training["noise_max"] == .number(0.2))
            try ImageIO.write(Image(height: 32, width: 24) { _, y, x in Float((x + y) % 5) / 4 }, to: dir.file("b.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1, size: 5), to: dir.file("psf.tif").path)
            let refine = try dir.deblur("refine", "b.tif", "--psf", "psf.tif", "--model", "d.model", "-o", "out.tif", "--threads", "1", "--json")
            #expect(refine.status == 0, "\(refine)")
            #expect(refine.stdout.contains("cnn(pnp-hqs)"))
            let out = try ImageIO.read(dir.file("out.tif").path)
            #expect(out.height == 32 && out.width == 24 && out.isFinite)
            // Fine-tuned on its own plug-and-play inputs: recorded in the header.
            let unrolled = try dir.deblur(["train", "--synthetic", "--task", "denoise", "--steps", "1", "--width", "4", "--synthetic-images", "4",
                                           "--image-size", "32", "--batch", "2", "--patch", "32", "--init", "d.model", "--unrolled", "2",
                                           "--psf-sizes", "5", "-o", "u.model", "--quiet", "--threads", "1"])
            #expect(unrolled.status == 0, "\(unrolled)")
            let tuned = try ModelFile.read(dir.file("u.model").path).model
            #expect(tuned.header.training["unrolled_images"] == .number(2) && tuned.header.training["initialized_from"] == .string("d.model"))
            // Fine-tuned end to end through its splitting: scenes of the given noise range, recorded.
            let e2e = try dir.deblur(["train", "--synthetic", "--task", "denoise", "--steps", "1", "--width", "4", "--image-size", "24",
                                      "--batch", "2", "--init", "d.model", "--end-to-end", "--psf-sizes", "5", "--noise-range", "0.01,0.02",
                                      "-o", "e.model", "--quiet", "--threads", "1", "--json"])
            #expect(e2e.status == 0, "\(e2e)")
            let end = try ModelFile.read(dir.file("e.model").path).model
            #expect(end.header.training["end_to_end"] == .bool(true) && end.header.training["scene_noise_max"] == .number(0.02))
            #expect(end.header.metrics["psnr"]?.isFinite == true && end.header.metrics["base_psnr"]?.isFinite == true)
            // A fine-tune's log starts with the starting model's validation.
            let log = try String(contentsOfFile: dir.file("e.model.log.jsonl").path, encoding: .utf8).split(separator: "\n")
            #expect(log.count == 2 && log[0].contains("\"event\":\"initial\"") && log[1].contains("\"event\":\"epoch\""))
            #expect(e2e.stdout.contains("\"val_psnr\""))
        }
    }

    /// Options the run would not read were accepted and dropped, exit 0: a denoiser's base method
    /// (its header said "none"), the synthetic-data options beside --dataset, --psf-sizes for a
    /// denoiser whose images are not blurred, --synthetic-images and --patch for end-to-end
    /// training (fresh whole scenes every step), and --epochs beside --steps (which replaced it).
    /// Refused before anything is read or made, naming them.
    @Test(arguments: [
        (["--synthetic", "--task", "denoise", "--base", "hyper-laplacian", "--base-param", "lambda=100"], "Please leave out --base and --base-param with --task denoise"),
        (["--synthetic", "--task", "denoise", "--base-param", "nsr=0.1"], "Please leave out --base-param with --task denoise"),
        (["--dataset", "ds", "--texture", "0.2", "--noise-range", "0:0.1"], "Please leave out --noise-range and --texture with --dataset"),
        (["--dataset", "ds", "--synthetic-images", "8", "--psf-sizes", "7"], "Please leave out --synthetic-images and --psf-sizes with --dataset"),
        (["--synthetic", "--task", "denoise", "--psf-sizes", "7"], "Please leave out --psf-sizes with --task denoise"),
        (["--synthetic", "--task", "denoise", "--strands", "0.5"], "Please leave out --strands without --grain"),
        (["--dataset", "ds", "--grain", "0.2", "--strands", "0.5"], "Please leave out --grain and --strands with --dataset"),
        (["--synthetic", "--task", "denoise", "--init", "d.model", "--end-to-end", "--patch", "32"], "Please leave out --patch with --end-to-end"),
        (["--synthetic", "--task", "denoise", "--init", "d.model", "--end-to-end", "--synthetic-images", "8"], "Please leave out --synthetic-images with --end-to-end"),
        (["--synthetic", "--steps", "5", "--epochs", "2"], "Please give either --steps or --epochs, not both")])
    func optionsTheRunWouldNotReadAreRefused(flags: [String], message: String) throws {
        try withScratch { dir in
            let result = try dir.deblur(["train"] + flags + ["-o", "m.model", "--quiet"])
            expectCleanFailure(result, naming: message, directory: dir, before: [], usageFollows: true)
        }
    }

    /// `--end-to-end` trains through the splitting of a given denoiser: without `--init`, or
    /// with `--unrolled`, it is a usage error naming it.
    @Test func endToEndWithoutAnInitialDenoiserExitsOne() throws {
        try withScratch { dir in
            let result = try dir.deblur("train", "--synthetic", "--task", "denoise", "--end-to-end", "-o", "m.model")
            expectCleanFailure(result, naming: "--end-to-end", directory: dir, before: [], usageFollows: true)
            let refiner = try dir.deblur("train", "--synthetic", "--end-to-end", "--init", "x.model", "-o", "m.model")
            expectCleanFailure(refiner, naming: "--end-to-end", directory: dir, before: [], usageFollows: true)
        }
    }

    /// A learning rate that blows the weights up in one step gives a finite loss but NaN
    /// validation images: "diverged", exit 1, and no model, checkpoint or empty log left.
    /// An output that is a directory, or in none, is refused before any training.
    @Test func divergenceAndUnwritableOutputsExitOneLeavingNothing() throws {
        try withScratch { dir in
            let diverged = try dir.deblur("train", "--synthetic", "--width", "4", "--synthetic-images", "4", "--image-size", "32", "--patch", "16",
                                          "--batch", "2", "--steps", "1", "--lr", "1e30", "-o", "t.model", "--quiet", "--threads", "1")
            expectCleanFailure(diverged, naming: "diverged", directory: dir, before: [])
            try FileManager.default.createDirectory(at: dir.file("d.model"), withIntermediateDirectories: false)
            for output in ["d.model", "nodir/t.model"] {
                let result = try dir.deblur("train", "--synthetic", "--steps", "1", "-o", output)
                expectCleanFailure(result, naming: output, directory: dir, before: ["d.model"], usageFollows: true)
            }
        }
    }

    /// A job killed during its first epoch has no checkpoint: `--resume` says so, and how to
    /// start afresh, before synthesizing any data (it failed after, as an unreadable model file).
    @Test func resumeWithoutACheckpointExitsOneBeforeAnyWork() throws {
        try withScratch { dir in
            let result = try dir.deblur("train", "--synthetic", "--synthetic-images", "2", "--image-size", "32", "--steps", "1", "-o", "t.model", "--resume", "--quiet")
            expectCleanFailure(result, naming: "t.model.checkpoint", directory: dir, before: [], usageFollows: true)
            #expect(result.stderrLines.first?.contains("without --resume") == true, "\(result)")
        }
    }

    /// `--resume` refuses a checkpoint of another network, or a damaged one, naming it before
    /// the data is made: it used to read the checkpoint only after loading the dataset or
    /// synthesizing the images (minutes), so here the empty dataset was reported instead.
    @Test(arguments: [false, true])
    func resumeRefusesAnotherOrDamagedCheckpointBeforeTheData(truncated: Bool) throws {
        try withScratch { dir in
            try TrainedModel.copy(to: dir)
            try TrainedModel.copy(to: dir, as: "m.model.checkpoint")
            if truncated { try Data(try Data(contentsOf: dir.file("m.model.checkpoint")).prefix(200)).write(to: dir.file("m.model.checkpoint")) }
            try FileManager.default.createDirectory(at: dir.file("empty"), withIntermediateDirectories: true)
            let before = dir.listing()
            let result = try dir.deblur("train", "--dataset", "empty", "--width", truncated ? "4" : "6", "--steps", "2", "-o", "m.model", "--resume", "--quiet")
            expectCleanFailure(result, naming: "m.model.checkpoint", directory: dir, before: before)
        }
    }

    /// A run holds `m.model.lock` while it writes the model, its checkpoint and its log: two
    /// runs of one `-o` at once (a job array, `&` in a loop) left one run's model beside the
    /// other's checkpoint (a later `--resume` refused them) and both runs' epochs interleaved in
    /// the log. A second run, fresh or `--resume`, is now refused at once naming the lock and
    /// its holder, and the first run's files are untouched; a lock file a killed run left holds
    /// no lock and is taken over, and removed at the end.
    @Test func aSecondRunOfTheSameOutputIsRefusedWhileTheFirstHoldsItsLock() throws {
        try withScratch { dir in
            let first = try dir.deblur(TrainedModel.arguments)
            #expect(first.status == 0, "\(first)")
            #expect(!dir.file("m.model.lock").exists)
            let files = ["m.model", "m.model.checkpoint", "m.model.log.jsonl"]
            let written = try files.map { try Data(contentsOf: dir.file($0)) }

            // The first run, still going: this process holds its lock.
            let fd = open(dir.file("m.model.lock").path, O_RDWR | O_CREAT, 0o644)
            #expect(fd >= 0)
            #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
            _ = Array("process 4242 on node7\n".utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            let before = dir.listing()
            for extra in [[], ["--resume"], ["--seed", "3"]] {
                let second = try dir.deblur(TrainedModel.arguments + extra)
                expectCleanFailure(second, naming: "m.model is being written by another run (process 4242 on node7, holding m.model.lock)",
                                   directory: dir, before: before)
                #expect(try files.map { try Data(contentsOf: dir.file($0)) } == written, "\(extra)")
            }
            // Gone (a killed run): the file is left, unlocked, and the next run takes it.
            close(fd)
            var arguments = TrainedModel.arguments
            arguments[arguments.firstIndex(of: "--steps")! + 1] = "2"
            let resumed = try dir.deblur(arguments + ["--resume"])
            #expect(resumed.status == 0, "\(resumed)")
            #expect(!dir.file("m.model.lock").exists)
            #expect(try ModelFile.read(dir.file("m.model.checkpoint").path).model.header.training["step"] == .number(2))
        }
    }

    /// `--resume` with another learning rate goes on and says so, under `--quiet` too (which
    /// only hides the progress bar, as for every other note): the note was dropped with it.
    @Test func resumeUnderOtherSettingsSaysSoEvenQuiet() throws {
        try withScratch { dir in
            let first = try dir.deblur(TrainedModel.arguments)
            #expect(first.status == 0, "\(first)")
            var arguments = TrainedModel.arguments
            arguments[arguments.firstIndex(of: "--steps")! + 1] = "2"
            let resumed = try dir.deblur(arguments + ["--lr", "0.002", "--resume"])
            #expect(resumed.status == 0, "\(resumed)")
            #expect(resumed.stderrLines.count == 1, "\(resumed)")
            #expect(resumed.stderr == "note: resuming m.model.checkpoint with other settings than it was written with: learning_rate 0.001 there, 0.002 now\n", "\(resumed)")
        }
    }

    /// `--resume` after `-o` was deleted says so on stderr: from a checkpoint of the best epoch
    /// it writes `-o` again, the same bytes; from one whose best model went with `-o` (here a
    /// checkpoint that records 99 dB) it says that model is lost, logs no epoch as best, and
    /// `-o` holds the best model left. The next epoch used to be logged and kept as the best.
    @Test func resumeAfterTheModelWasDeletedSaysSoAndKeepsTheBestScore() throws {
        try withScratch { dir in
            let first = try dir.deblur(TrainedModel.arguments)
            #expect(first.status == 0, "\(first)")
            let written = try Data(contentsOf: dir.file("m.model"))
            try FileManager.default.removeItem(at: dir.file("m.model"))
            let restored = try dir.deblur(TrainedModel.arguments + ["--resume"])
            #expect(restored.status == 0, "\(restored)")
            #expect(restored.stderrLines.count == 1 && restored.stderr.hasPrefix("note: resuming: m.model is missing; rewrote it from m.model.checkpoint"),
                    "\(restored)")
            #expect(try Data(contentsOf: dir.file("m.model")) == written)

            // A checkpoint whose best (99 dB) is not its own model, then -o deleted.
            let checkpoint = dir.file("m.model.checkpoint").path
            let (model, extra) = try ModelFile.read(checkpoint)
            var better = model
            better.header.training["best_psnr"] = .number(99)
            try ModelFile.write(better, extra: extra.keys.sorted().map { ($0, extra[$0]!) }, to: checkpoint)
            try FileManager.default.removeItem(at: dir.file("m.model"))
            var arguments = TrainedModel.arguments
            arguments[arguments.firstIndex(of: "--steps")! + 1] = "2"
            let lost = try dir.deblur(arguments + ["--resume"])
            #expect(lost.status == 0, "\(lost)")
            #expect(lost.stderrLines.count == 1 && lost.stderr.hasPrefix("note: resuming: m.model is missing, not the run's best model (validation PSNR 99.00 dB")
                    && lost.stderr.contains("that model is lost"), "\(lost)")
            let log = try String(contentsOf: dir.file("m.model.log.jsonl"), encoding: .utf8).split(separator: "\n")
            #expect(log.count == 2 && log[1].contains("\"best\":false") && log[1].contains("\"step\":2"), "\(log)")
            let kept = try ModelFile.read(dir.file("m.model").path).model
            #expect(kept.header.metrics["psnr"].map { $0 < 99 } == true)
            #expect(try ModelFile.read(checkpoint).model.header.training["best_psnr"] == .number(99))
        }
    }

    /// A fresh run over an earlier run's files whose first checkpoint cannot be written (files
    /// limited to 60 KB: the model is 31 KB, the checkpoint 91 KB) leaves the earlier run's
    /// three files as they were: the new model replaced the old one before the checkpoint
    /// failed, and the log was replaced at the run's first line, which left the old checkpoint
    /// beside a model and a log of the failed run.
    @Test(.enabled(if: CLI.fileSizeLimitsWork, "ThreadSanitizer's runtime dies under ulimit -f")) func aFirstCheckpointThatCannotBeWrittenLeavesTheEarlierRunsFiles() throws {
        try withScratch { dir in
            let (folder, trained) = try TrainedModel.run.get()
            try #require(trained.status == 0, "\(trained)")
            let names = ["m.model", "m.model.checkpoint", "m.model.log.jsonl"]
            for name in names { try FileManager.default.copyItem(at: folder.file(name), to: dir.file(name)) }
            let before = try names.map { try Data(contentsOf: dir.file($0)) }
            // `ulimit -f` counts 512-byte blocks in dash; SIGXFSZ ignored, a write past the limit fails with EFBIG.
            let limited = try CLI.run(["-c", "trap '' XFSZ; ulimit -f 120; exec \"$0\" \"$@\"", try CLI.executable.get().path]
                                          + TrainedModel.arguments + ["--seed", "5"],
                                      in: dir, binary: URL(fileURLWithPath: "/bin/sh"))
            #expect(limited.status == 1, "\(limited)")
            #expect(limited.stderrLines == ["Error: cannot write m.model.checkpoint: File too large"], "\(limited)")
            #expect(try names.map { try Data(contentsOf: dir.file($0)) } == before)
            #expect(dir.listing() == names)
        }
    }

    /// A checkpoint beside a model of another run (a run stopped between writing its first
    /// checkpoint and its first model, on a full disk) is refused by `--resume`, naming both,
    /// before any data is made: the other run's model was taken as this run's best so far.
    @Test func resumeRefusesACheckpointOfAnotherRunThanTheModel() throws {
        try withScratch { dir in
            let (folder, trained) = try TrainedModel.run.get()
            try #require(trained.status == 0, "\(trained)")
            try FileManager.default.copyItem(at: folder.file("m.model"), to: dir.file("m.model"))
            let (checkpoint, extra) = try ModelFile.read(folder.file("m.model.checkpoint").path)
            let run = try #require(checkpoint.header.training["run"])
            #expect(try ModelFile.read(dir.file("m.model").path).model.header.training["run"] == run)
            var other = checkpoint
            other.header.training["run"] = .string("5eed")
            try ModelFile.write(other, extra: extra.keys.sorted().map { ($0, extra[$0]!) }, to: dir.file("m.model.checkpoint").path)
            let before = dir.listing()
            let result = try dir.deblur(TrainedModel.arguments + ["--resume"])
            expectCleanFailure(result, naming: "m.model.checkpoint", directory: dir, before: before)
            guard case .string(let id) = run else { Issue.record("run \(run) is not a string"); return }
            #expect(result.stderr == "Error: invalid model file m.model.checkpoint: it is not of the training run that wrote m.model beside it "
                    + "(run 5eed in the checkpoint, run \(id) in m.model), as a run stopped between writing the two leaves them: "
                    + "start afresh without --resume, or move m.model away to resume from the checkpoint alone\n", "\(result)")
        }
    }

    /// `--unrolled` restores with the model being fine-tuned: without `--init` (or for a
    /// refiner) it is a usage error, before any data is made.
    @Test func unrolledWithoutAnInitialDenoiserExitsOne() throws {
        try withScratch { dir in
            let result = try dir.deblur("train", "--synthetic", "--task", "denoise", "--unrolled", "4", "-o", "m.model")
            expectCleanFailure(result, naming: "--unrolled", directory: dir, before: [], usageFollows: true)
        }
    }

    /// `--init` fine-tunes a model of the same network and task and records it; another
    /// network is refused naming the file, before any data is synthesized.
    @Test func initFineTunesTheSameNetworkAndRefusesAnother() throws {
        try withScratch { dir in
            try TrainedModel.copy(to: dir, as: "start.model")
            let tuned = try dir.deblur(TrainedModel.arguments.map { $0 == "m.model" ? "tuned.model" : $0 } + ["--init", "start.model", "--shading", "0.2", "--noise-range", "0.01:0.04"])
            #expect(tuned.status == 0, "\(tuned)")
            let model = try ModelFile.read(dir.file("tuned.model").path).model
            #expect(model.header.training["initialized_from"] == .string("start.model"))
            #expect(model.header.training["shading_max"] == .number(0.2))
            #expect(model.header.training["noise_min"] == .number(0.01) && model.header.training["noise_max"] == .number(0.04))
            let wider = try dir.deblur(["train", "--synthetic", "--steps", "1", "--width", "6", "--init", "start.model", "-o", "w.model", "--quiet"])
            expectCleanFailure(wider, naming: "start.model", directory: dir, before: ["start.model", "tuned.model", "tuned.model.checkpoint", "tuned.model.log.jsonl"])
        }
    }

    @Test func denoiserWithADatasetExitsOne() throws {
        try withScratch { dir in
            let result = try dir.deblur("train", "--task", "denoise", "--dataset", "ds", "-o", "m.model")
            expectCleanFailure(result, naming: "--synthetic", directory: dir, before: [], usageFollows: true)
        }
    }

    @Test func bothSyntheticAndDatasetExitsOne() throws {
        try withScratch { dir in
            let result = try dir.deblur("train", "--synthetic", "--dataset", "ds", "-o", "m.model")
            expectCleanFailure(result, naming: "--synthetic", directory: dir, before: [], usageFollows: true)
        }
    }

    /// A training item smaller than the patch was refused as "a training image is 32×32",
    /// naming neither the dataset nor the item, once the base method had run on every item.
    @Test func aDatasetItemSmallerThanThePatchIsNamed() throws {
        try withScratch { dir in
            try CompareTests.dataset(in: dir)
            let before = dir.listing()
            let result = try dir.deblur("train", "--dataset", "ds", "--steps", "1", "--width", "4", "--patch", "64", "--batch", "1", "-o", "m.model", "--quiet")
            expectCleanFailure(result, naming: "ds item 000000", directory: dir, before: before)
            #expect(result.stderr.contains("is 32×32, smaller than the 64×64 training patch"), "\(result)")
            // The validation item (the last of three) is scored whole, so 32² items train with --patch 32.
            let fits = try dir.deblur("train", "--dataset", "ds", "--steps", "1", "--width", "4", "--patch", "32", "--batch", "1", "-o", "m.model", "--quiet")
            #expect(fits.status == 0, "\(fits)")
        }
    }

    /// A dataset whose items cannot all be held in memory (three Float32 planes each) is refused
    /// before the base method runs, naming the dataset and the need: such a run restored items
    /// until memory ran out and was killed. The items here share one 2048² image, as many as
    /// make the need exceed this machine's memory by one item; one item fewer passes the check.
    @Test func aDatasetTooLargeForMemoryIsRefusedBeforeTheBaseRuns() throws {
        try withScratch { dir in
            try CompareTests.dataset(in: dir)
            let side = 2048
            try ImageIO.write(Image(height: side, width: side), to: dir.file("ds/big.png").path)
            let line = try String(contentsOf: dir.file("ds/items.jsonl"), encoding: .utf8).split(separator: "\n")[0]
            // Only the first item is read by the check; the others name a missing file, so the
            // run that passes it fails fast on every item.
            func items(_ count: Int) throws {
                let lines = (0..<count).map {
                    line.replacing(#/"id":"\d+"/#, with: "\"id\":\"\(String(format: "%06d", $0))\"")
                        .replacing(#/"blurred":"[^"]*"/#, with: "\"blurred\":\"\($0 == 0 ? "big.png" : "missing.png")\"")
                }
                try (lines.joined(separator: "\n") + "\n").write(to: dir.file("ds/items.jsonl"), atomically: true, encoding: .utf8)
            }
            let fitting = Int(Double(ProcessInfo.processInfo.physicalMemory) / Double(side * side * 12))
            try items(fitting + 1)
            let before = dir.listing()
            let arguments = ["train", "--dataset", "ds", "--steps", "1", "--width", "4", "--patch", "16", "--batch", "1", "-o", "m.model", "--quiet"]
            let result = try dir.deblur(arguments)
            expectCleanFailure(result, naming: "dataset ds is too large to train on here: its \(fitting + 1) items (2048×2048, as its first)",
                               directory: dir, before: before)
            // One fewer passes the check, and the loop then reports the first item: its sharp image
            // is 32², its blurred one 2048².
            try items(fitting)
            let fits = try dir.deblur(arguments)
            #expect(fits.status == 1 && !fits.stderr.contains("too large") && fits.stderr.contains("differ"), "\(fits)")
        }
    }

    /// `--dataset ds -o ds/sharp/000000.png` wrote the model over that sharp image (its
    /// checkpoint and log beside it), exit 0, and the next run failed on the damaged dataset.
    @Test(arguments: [["-o", "ds/sharp/000000.png"], ["-o", "m.model", "--log", "ds/items.jsonl"], ["-o", "ds/blurred/000001.tif"]])
    func anOutputOverADatasetFileIsRefusedAndTheDatasetKept(output: [String]) throws {
        try withScratch { dir in
            try CompareTests.dataset(in: dir)
            let before = dir.listing()
            let bytes = try Data(contentsOf: dir.file(output.last!))
            let result = try dir.deblur(["train", "--dataset", "ds", "--steps", "1", "--width", "4", "--patch", "16", "--batch", "1", "--quiet"] + output)
            expectCleanFailure(result, naming: "is the input \(output.last!)", directory: dir, before: before, usageFollows: true)
            #expect(try Data(contentsOf: dir.file(output.last!)) == bytes)
        }
    }
}

@Suite struct RefineTests {
    @Test func truncatedModelExitsOneNamingItWithoutOutput() throws {
        try withScratch { dir in
            try TrainedModel.copy(to: dir, as: "full.model")
            let bytes = try Data(contentsOf: dir.file("full.model"))
            try bytes.prefix(bytes.count / 2).write(to: dir.file("cut.model"))
            try FileManager.default.removeItem(at: dir.file("full.model"))
            try ImageIO.write(Image(height: 32, width: 32, value: 0.5), to: dir.file("b.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1, size: 5), to: dir.file("psf.tif").path)
            let before = dir.listing()
            let result = try dir.deblur("refine", "b.tif", "--psf", "psf.tif", "--model", "cut.model", "-o", "out.tif")
            expectCleanFailure(result, naming: "cut.model", directory: dir, before: before)
        }
    }

    /// A refiner trained without the noise plane reads no noise level: --noise-sigma was
    /// dropped, exit 0, the output the same with any value. Refused, naming it; the same model
    /// without it refines.
    @Test func noiseSigmaForARefinerWithoutANoiseInputExitsOne() throws {
        try withScratch { dir in
            let train = try dir.deblur("train", "--synthetic", "--steps", "1", "--width", "4", "--synthetic-images", "2", "--image-size", "32",
                                       "--patch", "32", "--batch", "1", "--psf-sizes", "7", "--inputs", "estimate,blurred",
                                       "-o", "nb.model", "--quiet", "--threads", "1")
            try #require(train.status == 0, "\(train)")
            try ImageIO.write(Image(height: 32, width: 32) { _, y, x in Float((x + y) % 5) / 4 }, to: dir.file("b.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1, size: 5), to: dir.file("psf.tif").path)
            let before = dir.listing()
            let refused = try dir.deblur("refine", "b.tif", "--psf", "psf.tif", "--model", "nb.model", "--noise-sigma", "0.01", "-o", "out.tif", "--quiet")
            expectCleanFailure(refused, naming: "noise_sigma '0.01'", directory: dir, before: before)
            #expect(refused.stderr.contains("without a noise input"), "\(refused)")
            let plain = try dir.deblur("refine", "b.tif", "--psf", "psf.tif", "--model", "nb.model", "-o", "out.tif", "--quiet", "--threads", "1")
            #expect(plain.status == 0, "\(plain)")
        }
    }

    @Test func unsupportedOutputExtensionExitsOneNamingIt() throws {
        try withScratch { dir in
            try TrainedModel.copy(to: dir)
            try ImageIO.write(Image(height: 32, width: 32, value: 0.5), to: dir.file("b.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1, size: 5), to: dir.file("psf.tif").path)
            let before = dir.listing()
            let result = try dir.deblur("refine", "b.tif", "--psf", "psf.tif", "--model", "m.model", "-o", "out.bmp")
            expectCleanFailure(result, naming: "out.bmp", directory: dir, before: before, usageFollows: true)
        }
    }

    @Test func trainedModelRefinesToAnImageOfTheInputSize() throws {
        try withScratch { dir in
            try TrainedModel.copy(to: dir)
            try ImageIO.write(Image(height: 32, width: 24) { _, y, x in Float((x + y) % 5) / 4 }, to: dir.file("b.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1, size: 5), to: dir.file("psf.tif").path)
            let result = try dir.deblur("refine", "b.tif", "--psf", "psf.tif", "--model", "m.model", "-o", "out.tif", "--threads", "1")
            #expect(result.status == 0, "\(result)")
            let out = try ImageIO.read(dir.file("out.tif").path)
            #expect(out.height == 32 && out.width == 24 && out.isFinite)
        }
    }

    /// `--param` reaches the restorer as compare's `cnn:KEY=VALUE` does: the file equals the
    /// library's restoration with the same parameters, bit for bit, and differs from the defaults'.
    /// In color, which the command restores channel by channel under its progress bar.
    @Test func paramsReachThePlugAndPlayRestorer() throws {
        try withScratch { dir in
            var rng = SeededRandom(seed: 3)
            let sharp = DeadLeaves(channels: 3).generate(height: 24, width: 24, seed: 5)
            let psf = try PSF.gaussian(sigma: 1.2, size: 7)
            let blurred = try addNoise(try blur(sharp, psf: psf, boundary: .valid), NoiseModel(gaussianSigma: 0.02), rng: &rng)
            try ImageIO.write(blurred, to: dir.file("b.tif").path)
            try ImageIO.writePSF(psf, to: dir.file("psf.tif").path)
            let common = ["refine", "b.tif", "--psf", "psf.tif", "--noise-sigma", "0.02", "--threads", "1"]
            let result = try dir.deblur(common + ["-o", "p.tif", "--param", "iterations=2", "--param", "collaborative=0", "--param", "lambda=0.4"])
            #expect(result.status == 0, "\(result)")
            let expected = try RefinerMethod.make(parameters: ["iterations": "2", "collaborative": "0", "lambda": "0.4", "noise_sigma": "0.02"])
                .restore(blurred, psf: psf)
            let written = try ImageIO.read(dir.file("p.tif").path)
            #expect(written.channels == 3 && written.pixels == expected.pixels)
            let defaults = try dir.deblur(common + ["-o", "d.tif", "--param", "iterations=2", "--param", "collaborative=0"])
            #expect(defaults.status == 0, "\(defaults)")
            #expect(try ImageIO.read(dir.file("d.tif").path).pixels != written.pixels)
        }
    }

    /// An image the restorer refuses (a NaN sample) is named in the error, as deconvolve names it.
    @Test func anImageWithNaNExitsOneNamingTheFile() throws {
        try withScratch { dir in
            var image = Image(height: 24, width: 24, value: 0.5)
            image[3, 3] = .nan
            try ImageIO.write(image, to: dir.file("nan.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1, size: 5), to: dir.file("psf.tif").path)
            let before = dir.listing()
            expectCleanFailure(try dir.deblur("refine", "nan.tif", "--psf", "psf.tif", "-o", "out.tif", "--quiet"), naming: "nan.tif", directory: dir, before: before)
        }
    }

    /// A malformed, unknown, repeated or flag-owned `--param`: exit 1 naming it, nothing written.
    @Test(arguments: [(["lambda"], "lambda"), (["lamda=0.3"], "lamda"), (["lambda=0.3", "lambda=0.4"], "lambda=0.4"),
                      (["tile=64"], "--tile"), (["noise-sigma=0.1"], "--noise-sigma"), (["sigma_start=0.1", "sigma-start=0.2"], "sigma-start=0.2"), (["lambda=-1"], "-1")])
    func badParamExitsOneNamingIt(params: [String], named: String) throws {
        try withScratch { dir in
            try ImageIO.write(Image(height: 24, width: 24, value: 0.5), to: dir.file("b.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1, size: 5), to: dir.file("psf.tif").path)
            let before = dir.listing()
            let result = try dir.deblur(["refine", "b.tif", "--psf", "psf.tif", "-o", "out.tif"] + params.flatMap { ["--param", $0] })
            expectCleanFailure(result, naming: named, directory: dir, before: before)
        }
    }
}

@Suite struct ExportONNXTests {
    /// --sample-size and --seed shape the sample inputs that only --samples writes: without it
    /// they were dropped, exit 0. Refused before the model is read.
    @Test(arguments: [(["--sample-size", "8"], "--sample-size"), (["--seed", "1", "--sample-size", "8"], "--sample-size and --seed")])
    func sampleOptionsWithoutSamplesExitOne(extra: [String], named: String) throws {
        try withScratch { dir in
            let result = try dir.deblur(["export-onnx", "m.model", "-o", "m.onnx"] + extra)
            expectCleanFailure(result, naming: "Please leave out \(named) without --samples", directory: dir, before: [], usageFollows: true)
        }
    }

    /// ModelProto starts with field 1 (ir_version, varint: tag 0x08) then field 2
    /// (producer_name, length-delimited: tag 0x12) "DeblurKit".
    @Test func exportWritesAnONNXModelProto() throws {
        try withScratch { dir in
            try TrainedModel.copy(to: dir)
            let result = try dir.deblur("export-onnx", "m.model", "-o", "m.onnx")
            #expect(result.status == 0, "\(result)")
            let bytes = [UInt8](try Data(contentsOf: dir.file("m.onnx")))
            try #require(bytes.count > 100)
            #expect(bytes[0] == 0x08)
            #expect(bytes[1] >= 3 && bytes[1] < 0x80, "ir_version \(bytes[1])")
            #expect(bytes[2] == 0x12 && bytes[3] == 9)
            #expect(String(decoding: bytes[4..<13], as: UTF8.self) == "DeblurKit")
        }
    }

    @Test func outputInAMissingFolderExitsOneNamingIt() throws {
        try withScratch { dir in
            try TrainedModel.copy(to: dir)
            let result = try dir.deblur("export-onnx", "m.model", "-o", "nofolder/m.onnx")
            expectCleanFailure(result, naming: "nofolder/m.onnx", directory: dir, before: ["m.model"])
        }
    }

    /// The samples are written before the graph; when the graph then cannot be written (here
    /// into a missing folder), they were left behind: a folder of four TIFFs from a failed run.
    @Test func anUnwritableGraphLeavesNoSamples() throws {
        try withScratch { dir in
            try TrainedModel.copy(to: dir)
            let result = try dir.deblur("export-onnx", "m.model", "-o", "nofolder/m.onnx", "--samples", "samples")
            expectCleanFailure(result, naming: "nofolder/m.onnx", directory: dir, before: ["m.model"])
        }
    }

    /// A graph that cannot be written (a full device) over a folder of an earlier export's
    /// samples leaves those as they were: the new samples replaced them, then were removed,
    /// and the folder was left empty.
    @Test func anUnwritableGraphKeepsTheEarlierSamples() throws {
        try withScratch { dir in
            try TrainedModel.copy(to: dir)
            let first = try dir.deblur("export-onnx", "m.model", "-o", "m.onnx", "--samples", "samples", "--sample-size", "8")
            try #require(first.status == 0, "\(first)")
            let names = dir.file("samples").listing()
            let before = try names.map { try Data(contentsOf: dir.file("samples/\($0)")) }
            let result = try dir.deblur("export-onnx", "m.model", "-o", "/dev/full", "--samples", "samples", "--sample-size", "8", "--seed", "1")
            #expect(result.status == 1, "\(result)")
            #expect(result.stderrLines == ["Error: cannot write /dev/full: No space left on device"], "\(result)")
            #expect(dir.file("samples").listing() == names)
            #expect(try names.map { try Data(contentsOf: dir.file("samples/\($0)")) } == before)
        }
    }

    @Test func missingModelExitsOneWithoutOutput() throws {
        try withScratch { dir in
            let result = try dir.deblur("export-onnx", "none.model", "-o", "m.onnx")
            expectCleanFailure(result, naming: "none.model", directory: dir, before: [])
        }
    }
}
