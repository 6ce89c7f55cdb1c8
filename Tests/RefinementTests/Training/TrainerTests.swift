import Testing
import Foundation
import DeblurCore
import DeblurIO
import _TestSupport
@testable import Refinement

/// Tiny in-memory data: the estimate is a 3×3 box blur of a random sharp image.
func boxData(count: Int, size: Int, seed: UInt64) -> [TrainingSample] {
    (0..<count).map { i in
        let sharp = randomImage(height: size, width: size, seed: seed + UInt64(i))
        let estimate = Image(height: size, width: size) { _, y, x in
            var s: Float = 0
            for dy in -1...1 { for dx in -1...1 { s += sharp[min(size - 1, max(0, y + dy)), min(size - 1, max(0, x + dx))] } }
            return s / 9
        }
        return TrainingSample(estimate: estimate, blurred: estimate, sharp: sharp, noiseSigma: 0.01)
    }
}

@Suite(.serialized) struct TrainerTests {
    static let architecture = RefinerArchitecture(width: 4, depth: 1, convolutionsPerLevel: 1, inputs: [.estimate, .blurred, .noise])
    static let data = TrainingData(training: boxData(count: 4, size: 24, seed: 90), validation: boxData(count: 2, size: 20, seed: 95),
                                   description: ["source": .string("test")])
    static func options(steps: Int) -> TrainingOptions {
        var o = TrainingOptions()
        o.steps = steps; o.stepsPerEpoch = 2; o.batch = 2; o.patch = 16; o.learningRate = 1e-3; o.schedule = .constant; o.seed = 7
        return o
    }

    /// 0 or fewer steps (or epochs) returned the random initialization as the trained model
    /// without a word; epochs × steps per epoch past Int.max trapped.
    @Test func noStepsOrAnOverflowingStepCountIsRefused() throws {
        func make(_ change: (inout TrainingOptions) -> Void) throws -> Trainer {
            var options = Self.options(steps: 1)
            change(&options)
            return try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: options, output: nil, logPath: nil)
        }
        #expect(throws: RefinementError.invalidSetting(name: "steps", value: "0", expected: "an integer ≥ 1")) { try make { $0.steps = 0 } }
        #expect(throws: RefinementError.invalidSetting(name: "steps", value: "-5", expected: "an integer ≥ 1")) { try make { $0.steps = -5 } }
        #expect(throws: RefinementError.invalidSetting(name: "epochs", value: "0", expected: "an integer ≥ 1")) {
            try make { $0.steps = nil; $0.epochs = 0 }
        }
        #expect(throws: RefinementError.invalidSetting(name: "epochs", value: "\(Int.max)", expected: "fewer: \(Int.max) × 2 steps per epoch overflows the step count")) {
            try make { $0.steps = nil; $0.epochs = Int.max }
        }
        #expect(try make { $0.steps = nil; $0.epochs = 1 }.totalSteps == 2)
    }

    @Test func sameSeedGivesIdenticalWeights() throws {
        let a = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 3), output: nil, logPath: nil)
        let b = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 3), output: nil, logPath: nil)
        try a.run(); try b.run()
        #expect(a.network.parameters == b.network.parameters)
        #expect(a.network.parameters != UNet(architecture: Self.architecture, seed: 7).parameters)
    }

    /// The header records the weight decay applied, not the one asked for: it recorded 0 for
    /// AdamW's default 10⁻⁴, and 0.01 for SGD, which applies none.
    @Test(arguments: [(OptimizerKind.adamw, Float(0), Float(1e-4)), (.adamw, 0.01, 0.01), (.adam, 0.01, 0.01), (.sgd, 0.01, 0), (.adagrad, 0.01, 0)])
    func headerRecordsTheWeightDecayApplied(optimizer: OptimizerKind, requested: Float, applied: Float) throws {
        var options = Self.options(steps: 1)
        options.optimizer = optimizer; options.weightDecay = requested
        let trainer = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: options, output: nil, logPath: nil)
        let model = try trainer.run()
        #expect(model.header.training["weight_decay"] == .number(Double(applied)))
        #expect((trainer.optimizer as? Adam)?.weightDecay ?? 0 == applied)
    }

    /// The header records the steps per epoch, given or derived from the data (4 images of
    /// 24² over batches of 2 patches of 16²: 4): the best model is kept at an epoch's end, so
    /// a model kept before the last step (step 320 of 400 with 40 per epoch) was reproduced
    /// from its header as another (step 324 with the data's 81).
    @Test(arguments: [(Int?.some(2), 2), (nil, 4)])
    func headerRecordsTheStepsPerEpoch(given: Int?, recorded: Int) throws {
        var options = Self.options(steps: 4)
        options.stepsPerEpoch = given
        let model = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: options, output: nil, logPath: nil).run()
        #expect(model.header.training["steps_per_epoch"] == .number(Double(recorded)))
    }

    @Test func resumedRunEqualsUninterruptedRunAndWritesLogCheckpointAndBestModel() throws {
        let whole = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 4), output: nil, logPath: nil)
        try whole.run()
        let output = temporaryPath("resume.model"), log = temporaryPath("resume.log.jsonl")
        defer { removeTemporary(output); removeTemporary(log) }
        let first = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 2), output: output, logPath: log)
        try first.run()
        let second = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 4), output: output, logPath: log)
        try second.resume()
        #expect(second.step == 2)
        try second.run()
        #expect(second.network.parameters == whole.network.parameters)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.contains("\"val_psnr\"") && $0.contains("\"base_psnr\"") })
        let best = try ModelFile.read(output).model
        #expect(best.header.metrics["psnr"] != nil)
        #expect(best.header.training["optimizer"] == .string("adam"))
    }

    /// Resuming under other settings is allowed (the shipped recipe's warm restart changes
    /// the images' contrast) but each change is listed, where it used to go unsaid; a longer
    /// run lists nothing, and another base method is refused.
    @Test func resumeWithOtherSettingsListsThemAndAnotherBaseIsRefused() throws {
        let output = temporaryPath("other.model")
        defer { removeTemporary(output); removeTemporary(output + ".checkpoint") }
        try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 2), output: output, logPath: nil).run()
        let otherBase = try Trainer(architecture: Self.architecture, base: BaseMethod(name: "tikhonov"), data: Self.data,
                                    options: Self.options(steps: 4), output: output, logPath: nil)
        #expect {
            try otherBase.resume()
        } throws: { error in
            guard case let RefinementError.invalidModelFile(path, reason) = error else { return false }
            return path == output + ".checkpoint" && reason.contains("tikhonov")
        }
        #expect(otherBase.step == 0)
        var other = Self.options(steps: 4)
        other.seed = 8; other.learningRate = 0.5; other.optimizer = .sgd
        let changed = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: other, output: output, logPath: nil)
        let listed = try changed.resume()
        #expect(changed.step == 2)
        #expect(listed.contains("seed 7 there, 8 now") && listed.contains("optimizer \"adam\" there, \"sgd\" now"), "\(listed)")
        #expect(listed.contains("learning_rate 0.001 there, 0.5 now") && !listed.contains { $0.hasPrefix("total_steps") }, "\(listed)")
        #expect(listed.count == 3, "\(listed)")
        // Validating more or less often changes no weight: not listed either.
        var longerOptions = Self.options(steps: 6)
        longerOptions.stepsPerEpoch = 3
        let longer = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: longerOptions, output: output, logPath: nil)
        #expect(try longer.resume() == [])
        #expect(longer.step == 2)
    }

    /// Model and checkpoint record the run that wrote them; a resume keeps the checkpoint's run,
    /// and refuses, naming both files, a checkpoint beside a model of another run (a fresh run
    /// over this one's files that stopped after its first checkpoint), whose model it took as
    /// its own best so far. A fresh run with other settings (here the seed) is another run; with
    /// the same settings, the same run, to the byte.
    @Test func aResumeKeepsItsRunAndRefusesACheckpointBesideAnotherRunsModel() throws {
        let output = temporaryPath("run.model"), other = temporaryPath("other-run.model")
        defer { for path in [output, other] { removeTemporary(path); removeTemporary(path + ".checkpoint") } }
        let first = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 2), output: output, logPath: nil)
        try first.run()
        let run = try #require(first.runID)
        let firstModel = try Data(contentsOf: URL(fileURLWithPath: output))
        #expect(try ModelFile.read(output).model.header.training["run"] == .string(run))
        #expect(try ModelFile.read(output + ".checkpoint").model.header.training["run"] == .string(run))
        let resumed = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 4), output: output, logPath: nil)
        #expect(try resumed.resume() == [])
        try resumed.run()
        #expect(try resumed.runID == run && ModelFile.read(output).model.header.training["run"] == .string(run))

        let again = temporaryPath("again.model")
        defer { removeTemporary(again); removeTemporary(again + ".checkpoint") }
        let same = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 2), output: again, logPath: nil)
        try same.run()
        #expect(same.runID == run)
        #expect(try Data(contentsOf: URL(fileURLWithPath: again)) == firstModel)
        var reseeded = Self.options(steps: 2)
        reseeded.seed += 1
        let fresh = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: reseeded, output: other, logPath: nil)
        try fresh.run()
        #expect(fresh.runID != nil && fresh.runID != run && fresh.runID?.count == 16)
        try FileManager.default.removeItem(atPath: output + ".checkpoint")
        try FileManager.default.copyItem(atPath: other + ".checkpoint", toPath: output + ".checkpoint")
        let mixed = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 4), output: output, logPath: nil)
        #expect {
            try mixed.resume()
        } throws: { error in
            guard case let RefinementError.invalidModelFile(path, reason) = error else { return false }
            return path == output + ".checkpoint" && reason.contains("run \(fresh.runID!) in the checkpoint, run \(run) in \(output)")
        }
        #expect(mixed.step == 0)
    }

    /// Synthetic data's header leaves its generator settings out at their defaults, so the
    /// recipe's warm restart (`--contrast 0.05` after a run without it) was listed as
    /// `contrast_min none there, 0.05 now`; a key on one side only is now its default.
    @Test func resumeListsAnOmittedSyntheticSettingAsItsDefault() throws {
        func data(_ configure: (inout SyntheticDataSettings) -> Void) -> TrainingData {
            var settings = SyntheticDataSettings()
            configure(&settings)
            return TrainingData(training: Self.data.training, validation: Self.data.validation,
                                description: settings.description(generator: "test"))
        }
        let output = temporaryPath("contrast.model")
        defer { removeTemporary(output); removeTemporary(output + ".checkpoint") }
        try Trainer(architecture: Self.architecture, base: BaseMethod(), data: data { _ in }, options: Self.options(steps: 2),
                    output: output, logPath: nil).run()
        let restart = try Trainer(architecture: Self.architecture, base: BaseMethod(),
                                  data: data { $0.contrastMin = 0.05; $0.textureMax = 0.2 }, options: Self.options(steps: 4),
                                  output: output, logPath: nil)
        #expect(try restart.resume() == ["contrast_min 1 there, 0.05 now", "texture_max 0 there, 0.2 now"])
        try restart.run()
        let back = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: data { _ in }, options: Self.options(steps: 6),
                               output: output, logPath: nil)
        #expect(try back.resume() == ["contrast_min 0.05 there, 1 now", "texture_max 0.2 there, 0 now"])
    }

    /// A run resumed under another thread count sums its gradients in another order from then
    /// on: its weights are those of neither count, yet the note listed nothing and the header
    /// recorded only the last count, which reproduced another model. Now the change is listed
    /// and each stretch recorded; resuming again with the same count lists nothing.
    @Test func resumeUnderAnotherThreadCountListsAndRecordsIt() throws {
        let output = temporaryPath("threads.model")
        defer { removeTemporary(output); removeTemporary(output + ".checkpoint") }
        _ = try BLAS.withThreads(1) {
            try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 2), output: output, logPath: nil).run()
        }
        let model = try BLAS.withThreads(2) { () throws -> RefinerModel in
            let resumed = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 4), output: output, logPath: nil)
            let listed = try resumed.resume()
            #expect(listed.count == 1 && listed[0].hasPrefix("blas_threads 1 there, 2 now (from step 2 on"), "\(listed)")
            return try resumed.run()
        }
        let history = JSONValue.array([.array([.number(0), .number(1)]), .array([.number(2), .number(2)])])
        #expect(model.header.training["blas_threads_history"] == history)
        #expect(try ModelFile.read(output + ".checkpoint").model.header.training["blas_threads_history"] == history)
        try BLAS.withThreads(2) {
            let again = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 6), output: output, logPath: nil)
            #expect(try again.resume() == [])
            #expect(try again.run().header.training["blas_threads_history"] == history)
        }
    }

    /// A checkpoint written before 2026-11-27 with a one-shot Wiener base recorded its default
    /// CG steps (`iterations=30` beside `boundary=reflect`), which `train` no longer records:
    /// resuming it was refused as another base method, the run's steps lost.
    @Test func aCheckpointWhoseBaseRecordedUnusedIterationsResumes() throws {
        let output = temporaryPath("old-base.model")
        defer { removeTemporary(output); removeTemporary(output + ".checkpoint") }
        let old = BaseMethod(name: "wiener", parameters: ["nsr": "0.01", "boundary": "reflect", "iterations": "30"])
        try Trainer(architecture: Self.architecture, base: old, data: Self.data, options: Self.options(steps: 2), output: output, logPath: nil).run()
        let now = BaseMethod(name: "wiener", parameters: ["nsr": "0.01", "boundary": "reflect"])
        let resumed = try Trainer(architecture: Self.architecture, base: now, data: Self.data, options: Self.options(steps: 4), output: output, logPath: nil)
        #expect(try resumed.resume() == [])
        #expect(resumed.step == 2)
    }

    /// The header's counts are Doubles: an edited checkpoint's step of 1e300 or -5 trapped
    /// (signal 4) converting to Int; they are now the file's error.
    @Test(arguments: [("step", 1e300, "training step is 1e+300"), ("step", -5, "training step is -5.0"), ("step", 2.5, "training step is 2.5"),
                      ("blas_threads", 1e300, "training blas_threads is 1e+300"), ("blas_threads", 0, "training blas_threads is 0.0, expected a whole number ≥ 1")])
    func aCheckpointWithAnImpossibleCountIsRefused(key: String, value: Double, words: String) throws {
        try expectResumeRefused(words: words) { model, _ in model.header.training[key] = .number(value) }
    }

    /// A damaged optimizer state (a NaN moment, a negative second moment, whose square root is
    /// NaN) made the first resumed step NaN, reported as "training diverged … lower --lr".
    @Test(arguments: [("optimizer.0", Float.nan, "optimizer.0 holds NaN"), ("optimizer.1", -1, "optimizer.1 holds negative, NaN"),
                      ("optimizer.1", .infinity, "optimizer.1 holds negative, NaN")])
    func aCheckpointWithADamagedOptimizerStateIsRefused(name: String, value: Float, words: String) throws {
        try expectResumeRefused(words: words) { _, extra in extra[name]![3] = value }
    }

    /// Trains two steps, edits the checkpoint with `edit`, and expects `resume()` to refuse it
    /// as the checkpoint file's error, in words containing `words`.
    func expectResumeRefused(words: String, sourceLocation: SourceLocation = #_sourceLocation,
                             edit: (inout RefinerModel, inout [String: [Float]]) -> Void) throws {
        let output = temporaryPath("edited.model")
        defer { removeTemporary(output) }
        try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 2), output: output, logPath: nil).run()
        var (model, extra) = try ModelFile.read(output + ".checkpoint")
        edit(&model, &extra)
        try ModelFile.write(model, extra: extra.keys.sorted().map { ($0, extra[$0]!) }, to: output + ".checkpoint")
        let resumed = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 4), output: output, logPath: nil)
        do {
            try resumed.resume()
            Issue.record("resumed from an edited checkpoint (expected: \(words))", sourceLocation: sourceLocation)
        } catch let RefinementError.invalidModelFile(path, reason) {
            #expect(path == output + ".checkpoint", sourceLocation: sourceLocation)
            #expect(reason.contains(words), "\(reason)", sourceLocation: sourceLocation)
        }
    }

    @Test func logIsCreatedAtItsFirstLineSoAStoppedRunLeavesNone() throws {
        let path = temporaryPath("stopped.log.jsonl")
        defer { removeTemporary(path) }
        // A run killed before its first epoch has made its log but written nothing.
        var log: TrainingLog? = try TrainingLog(path: path, append: false)
        #expect(!FileManager.default.fileExists(atPath: path))
        try log?.write(["step": .number(2)])
        try log?.write(["step": .number(4)])
        log = nil
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"step\":2}\n{\"step\":4}\n")
        // A fresh run replaces the old log at its first line, a resumed one appends.
        let fresh = try TrainingLog(path: path, append: false)
        #expect(try String(contentsOfFile: path, encoding: .utf8).count == 22)
        try fresh.write(["step": .number(1)])
        try TrainingLog(path: path, append: true).write(["step": .number(3)])
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"step\":1}\n{\"step\":3}\n")
    }

    /// A run killed between logging an epoch and writing its checkpoint resumes from the
    /// checkpoint before it: that epoch's line, logged again, would have stood twice.
    @Test func aResumedLogDropsTheLinesAfterItsCheckpoint() throws {
        let path = temporaryPath("resumed.log.jsonl")
        defer { removeTemporary(path) }
        try Data("{\"event\":\"epoch\",\"step\":2}\n{\"event\":\"epoch\",\"step\":4}\n{\"event\":\"epoch\",\"step\":6}\n".utf8)
            .write(to: URL(fileURLWithPath: path))
        let log = try TrainingLog(path: path, append: true, resumingAt: 4)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"event\":\"epoch\",\"step\":2}\n{\"event\":\"epoch\",\"step\":4}\n")
        try log.write(["event": .string("epoch"), "step": .number(6)])
        #expect(try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\"step\":6").count == 2)
    }

    /// A fresh run stopped after its first checkpoint and before its first model is written
    /// (here the model cannot be: a folder stands at its path; Ctrl-C or a time limit there
    /// alike) resumes into the log of an uninterrupted run. The first epoch's line waited for
    /// the model, so the resumed log lacked it, or kept an earlier run's first line in its place.
    @Test func aRunStoppedAfterItsFirstCheckpointResumesIntoTheUninterruptedLog() throws {
        let whole = temporaryPath("whole.model")
        defer { removeTemporary(whole) }
        try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 4),
                    output: whole, logPath: whole + ".log.jsonl").run()
        let output = temporaryPath("stopped.model"), log = output + ".log.jsonl"
        defer { removeTemporary(output) }
        // An earlier run's log, which this run replaces.
        try Data("{\"event\":\"epoch\",\"step\":2,\"val_psnr\":1}\n".utf8).write(to: URL(fileURLWithPath: log))
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: false)
        let stopped = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 4),
                                  output: output, logPath: log)
        #expect(throws: CoreError.self) { try stopped.run() }
        #expect(FileManager.default.fileExists(atPath: output + ".checkpoint"))
        try FileManager.default.removeItem(atPath: output)
        let resumed = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 4),
                                  output: output, logPath: log)
        try resumed.resume()
        try resumed.run()
        let expected = try String(contentsOfFile: whole + ".log.jsonl", encoding: .utf8)
        #expect(expected.split(separator: "\n").count == 2)
        #expect(try String(contentsOfFile: log, encoding: .utf8) == expected)
    }

    // Appending (a resumed run) never creates or replaces the device, whatever the code does.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/dev/full")))
    func logOnAFullDiskThrowsNamingItInsteadOfTrapping() throws {
        let log = try TrainingLog(path: "/dev/full", append: true)
        #expect(throws: CoreError.writeFailed(path: "/dev/full", reason: String(cString: strerror(ENOSPC)))) {
            try log.write(["step": .number(1)])
        }
    }

    /// A fine-tune that only makes its starting model worse keeps the starting model: the
    /// first epoch used to count as the best whatever it scored, so a run from a model at
    /// 31.0 dB that fell to its base's 26.6 dB wrote the 26.6 dB model. Here the starting
    /// (untrained, identity) network is nearly exact on validation images whose estimate is
    /// almost sharp, and training on blurred estimates moves it away.
    @Test func aFineTuneThatOnlyWorsensKeepsTheStartingModel() throws {
        let nearlySharp = boxData(count: 2, size: 20, seed: 95).map { s in
            TrainingSample(estimate: Image(height: 20, width: 20) { _, y, x in s.sharp[y, x] + 0.001 }, blurred: s.sharp, sharp: s.sharp, noiseSigma: 0.01)
        }
        let data = TrainingData(training: Self.data.training, validation: nearlySharp, description: ["source": .string("test")])
        let start = RefinerModel(header: ModelHeader(architecture: Self.architecture, base: BaseMethod()), network: UNet(architecture: Self.architecture, seed: 3))
        let output = temporaryPath("worse.model")
        defer { removeTemporary(output); removeTemporary(output + ".checkpoint") }
        var options = Self.options(steps: 4)
        options.learningRate = 1e-2
        let tuned = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: data, options: options, output: output, logPath: nil)
        try tuned.initialize(from: start, path: "start.model")
        let initial = try #require(tuned.validate())
        var epochs: [Double] = []
        let kept = try tuned.run { event in if case let .validation(epoch, _, m, _) = event, epoch > 0 { epochs.append(m.psnr) } }
        #expect(epochs.count == 2 && epochs.allSatisfy { $0 < initial.psnr - 1 }, "\(epochs) against \(initial.psnr)")
        #expect(kept.network.parameters == start.network.parameters)
        #expect(kept.header.metrics["psnr"] == initial.psnr && kept.header.training["steps"] == .number(0))
        #expect(try ModelFile.read(output).model.network.parameters == start.network.parameters)
    }

    /// A resume after `-o` was deleted counted its next epoch as the best whatever it scored:
    /// here a fine-tune whose starting model (the best, 20 dB above its epochs) went with `-o`
    /// logged epoch 2 as best and kept it. Now the checkpoint's `best_psnr` is the one to beat:
    /// the log is byte for byte the uninterrupted run's (no epoch best), `-o` holds the best
    /// model left (epoch 1's, from the checkpoint, until a better epoch), and the trainer says
    /// the best model is lost.
    @Test func aResumeAfterTheBestModelWasDeletedStillBeatsItsScore() throws {
        let nearlySharp = boxData(count: 2, size: 20, seed: 95).map { s in
            TrainingSample(estimate: Image(height: 20, width: 20) { _, y, x in s.sharp[y, x] + 0.001 }, blurred: s.sharp, sharp: s.sharp, noiseSigma: 0.01)
        }
        let data = TrainingData(training: Self.data.training, validation: nearlySharp, description: ["source": .string("test")])
        let start = RefinerModel(header: ModelHeader(architecture: Self.architecture, base: BaseMethod()), network: UNet(architecture: Self.architecture, seed: 3))
        let output = temporaryPath("lost.model"), whole = temporaryPath("lost-whole.model")
        defer { for path in [output, whole] { removeTemporary(path); removeTemporary(path + ".checkpoint"); removeTemporary(path + ".log") } }
        func trainer(steps: Int, to path: String) throws -> Trainer {
            var options = Self.options(steps: steps)
            options.learningRate = 1e-2
            return try Trainer(architecture: Self.architecture, base: BaseMethod(), data: data, options: options, output: path, logPath: path + ".log")
        }
        var wholeFlags: [Bool] = [], epochs: [Double] = []
        let uninterrupted = try trainer(steps: 6, to: whole)
        try uninterrupted.initialize(from: start, path: "start.model")
        try uninterrupted.run { event in if case let .validation(epoch, _, m, best) = event, epoch > 0 { wholeFlags.append(best); epochs.append(m.psnr) } }
        let initial = try #require(uninterrupted.best?.psnr)
        try #require(wholeFlags == [false, false, false] && epochs.allSatisfy { $0 < initial - 1 }, "\(epochs) against \(initial)")

        let first = try trainer(steps: 2, to: output)
        try first.initialize(from: start, path: "start.model")
        try first.run()
        try FileManager.default.removeItem(atPath: output)
        let resumed = try trainer(steps: 6, to: output)
        try resumed.resume()
        #expect(resumed.resumedOutput == .lost(problem: "is missing", bestPSNR: initial, keptStep: 2, keptPSNR: epochs[0]))
        // -o is there again at once: the checkpoint's model, the best one left.
        #expect(try ModelFile.read(output).model.header.metrics["psnr"] == epochs[0])
        var flags: [Bool] = []
        let kept = try resumed.run { event in if case let .validation(_, _, _, best) = event { flags.append(best) } }
        #expect(flags == [false, false])
        #expect(try String(contentsOfFile: output + ".log", encoding: .utf8) == String(contentsOfFile: whole + ".log", encoding: .utf8))
        let best = try #require(epochs.max())
        #expect(kept.header.metrics["psnr"] == best && resumed.best?.psnr == initial)
        let file = try ModelFile.read(output).model
        #expect(file.header.metrics["psnr"] == best && file.network.parameters == kept.network.parameters)
        // The checkpoint still records the lost model's score, for a later resume.
        #expect(try ModelFile.read(output + ".checkpoint").model.header.training["best_psnr"] == .number(initial))
    }

    /// When the checkpoint's own weights are the best (its epoch was), a resume after `-o` was
    /// deleted writes `-o` again from them, byte for byte the file the run had written.
    @Test func aResumeAfterTheBestModelWasDeletedRewritesItFromABestCheckpoint() throws {
        let output = temporaryPath("restored.model")
        defer { removeTemporary(output); removeTemporary(output + ".checkpoint") }
        var flags: [Bool] = []
        try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 4), output: output, logPath: nil)
            .run { event in if case let .validation(_, _, _, best) = event { flags.append(best) } }
        try #require(flags == [true, true], "the last epoch should be the best here")
        let written = try Data(contentsOf: URL(fileURLWithPath: output))
        try FileManager.default.removeItem(atPath: output)
        let resumed = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 4), output: output, logPath: nil)
        try resumed.resume()
        let psnr = try #require(ModelFile.decode(written).model.header.metrics["psnr"])
        #expect(resumed.resumedOutput == .restored(problem: "is missing", step: 4, psnr: psnr))
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == written)
    }

    /// The step count a resume reports for the model it rewrites comes from the header as a
    /// Double: an edited checkpoint's 1e300 trapped converting it; it is reported unknown (-1).
    @Test func aResumeRewritingFromACheckpointWithAnImpossibleStepCountDoesNotTrap() throws {
        let output = temporaryPath("edited-steps.model")
        defer { removeTemporary(output); removeTemporary(output + ".checkpoint") }
        try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 4), output: output, logPath: nil).run()
        let psnr = try #require(ModelFile.read(output).model.header.metrics["psnr"])
        try FileManager.default.removeItem(atPath: output)
        var (model, extra) = try ModelFile.read(output + ".checkpoint")
        try #require(model.header.metrics["psnr"] == psnr, "the last epoch should be the best here")
        model.header.training["steps"] = .number(1e300)
        try ModelFile.write(model, extra: extra.keys.sorted().map { ($0, extra[$0]!) }, to: output + ".checkpoint")
        let resumed = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 4), output: output, logPath: nil)
        try resumed.resume()
        #expect(resumed.resumedOutput == .restored(problem: "is missing", step: -1, psnr: psnr))
        #expect(Trainer.wholeNumber(4) == 4 && Trainer.wholeNumber(0x1p53) == 1 << 53)
        #expect(Trainer.wholeNumber(1e300) == nil && Trainer.wholeNumber(2.5) == nil && Trainer.wholeNumber(-1) == nil && Trainer.wholeNumber(0, least: 1) == nil)
    }

    @Test func fineTuningStartsFromTheGivenWeightsAndRecordsThem() throws {
        let pretrained = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 3), output: nil, logPath: nil)
        let model = try pretrained.run()
        var options = Self.options(steps: 2)
        options.seed = 8
        let tuned = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: options, output: nil, logPath: nil)
        try tuned.initialize(from: model, path: "pretrained.model")
        // Before any step the network is the given one, whatever this run's seed.
        #expect(tuned.network.parameters == model.network.parameters)
        #expect(tuned.validate()?.psnr == pretrained.validate()?.psnr)
        var initial: ValidationMetrics?, firstStep: Int?
        let result = try tuned.run { event in
            switch event {
            case let .validation(epoch, step, metrics, _) where epoch == 0 && step == 0 && firstStep == nil: initial = metrics
            case let .step(step, _, _, _) where firstStep == nil: firstStep = step
            default: break
            }
        }
        // A fine-tune is scored once before its first step: the starting model's validation.
        #expect(initial?.psnr == pretrained.validate()?.psnr && initial != nil)
        #expect(result.network.parameters != model.network.parameters)
        #expect(result.header.training["initialized_from"] == .string("pretrained.model"))
        #expect(throws: RefinementError.self) { try tuned.initialize(from: model, path: "late.model") }

        let fresh = try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: options, output: nil, logPath: nil)
        var wider = Self.architecture
        wider.width = 6
        let other = RefinerModel(header: ModelHeader(architecture: wider, base: BaseMethod()), network: UNet(architecture: wider, seed: 1))
        #expect(throws: RefinementError.self) { try fresh.initialize(from: other, path: "wider.model") }
        let denoiser = RefinerModel(header: ModelHeader(architecture: Self.architecture, base: BaseMethod(name: "none"), task: .denoise),
                                    network: model.network)
        #expect(throws: RefinementError.self) { try fresh.initialize(from: denoiser, path: "denoiser.model") }
        #expect(fresh.initializedFrom == nil)
        #expect(fresh.model(metrics: nil).header.training["initialized_from"] == nil)
    }

    /// A denoiser with a blurred-image plane was trained to the end and only then refused by
    /// `PlugAndPlayRestorer`; `deblur train` checked it, code calling `Trainer` did not.
    @Test func aDenoiserWithABlurredInputIsRefusedBeforeTraining() throws {
        let denoising = TrainingData(training: boxData(count: 4, size: 24, seed: 90), validation: [], description: [:],
                                     task: .denoise, addedNoise: 0.01...0.05)
        #expect(throws: RefinementError.invalidSetting(name: "denoiser inputs", value: "estimate,blurred,noise",
                                                       expected: "estimate,noise or estimate (a denoiser sees no blurred image)")) {
            try Trainer(architecture: Self.architecture, base: BaseMethod(name: "none"), data: denoising, options: Self.options(steps: 1),
                        output: nil, logPath: nil)
        }
        var planes = Self.architecture
        planes.inputs = [.estimate, .noise]
        let model = try Trainer(architecture: planes, base: BaseMethod(name: "none"), data: denoising, options: Self.options(steps: 1),
                                output: nil, logPath: nil).run()
        #expect(model.header.resolvedTask == .denoise && model.header.architecture.inputs == [.estimate, .noise])
        #expect(try PlugAndPlayRestorer(model: model).iterations == 8)
        // A refiner may see the blurred image: the same architecture trains on refiner data.
        #expect(try Trainer(architecture: Self.architecture, base: BaseMethod(), data: Self.data, options: Self.options(steps: 1),
                            output: nil, logPath: nil).totalSteps == 1)
    }

    @Test func patchSamplerAppliesOneTransformToInputsAndTarget() throws {
        let sample = Self.data.training[0]
        let sampler = try PatchSampler(samples: [TrainingSample(estimate: sample.sharp, blurred: sample.sharp, sharp: sample.sharp, noiseSigma: 0.02)],
                                       inputs: [.estimate, .blurred, .noise], patch: 8, batch: 5, seed: 3)
        var input = Tensor(batch: 0, channels: 0, height: 0, width: 0), target = input
        sampler.fill(step: 0, input: &input, target: &target)
        for n in 0..<5 {
            for i in 0..<64 {
                #expect(input.data[(n * 3) * 64 + i] == target.data[n * 64 + i])
                #expect(input.data[(n * 3 + 2) * 64 + i] == 0.02)
            }
        }
    }

    @Test func dihedralTransformsAreTheEightSymmetries() {
        let n = 3
        var seen = Set<[Int]>()
        for code in 0..<8 {
            let t = DihedralTransform(code)
            let map = (0..<(n * n)).map { k -> Int in let (y, x) = t.source(k / n, k % n, size: n); return y * n + x }
            #expect(Set(map).count == n * n)
            seen.insert(map)
        }
        #expect(seen.count == 8)
    }
}
