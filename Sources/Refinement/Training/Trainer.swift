import DeblurCore
import DeblurIO
import Deconvolution
import Foundation

/// Settings of one training run (`deblur train` flags).
public struct TrainingOptions: Sendable, Codable, Equatable {
    /// Optimizer steps in total; nil uses `epochs · stepsPerEpoch`.
    public var steps: Int?
    public var epochs: Int = 10
    /// Steps between validations and checkpoints; nil: about one pass over the training pixels.
    public var stepsPerEpoch: Int?
    public var batch: Int = 16
    public var patch: Int = 64
    public var optimizer: OptimizerKind = .adam
    public var learningRate: Float = 1e-3
    public var weightDecay: Float = 0
    public var schedule: LearningRateSchedule.Kind = .cosine
    public var warmup: Int = 0
    /// `--loss` specification (WeightedLoss syntax, default `l1`).
    public var loss: String = "l1"
    public var seed: UInt64 = 0
    public init() {}
}

/// What the trainer reports: one line of the JSON-lines log per event.
public enum TrainingEvent: Sendable {
    case step(step: Int, total: Int, loss: Double, learningRate: Float)
    case validation(epoch: Int, step: Int, metrics: ValidationMetrics, best: Bool)
}

/// Validation scores of a network on held-out images (whole images, tiled inference).
public struct ValidationMetrics: Sendable, Codable, Equatable {
    public var loss: Double
    /// Mean PSNR (dB, data range 1) and SSIM (Wang et al. 2004, as SSIMLoss) of the refined images.
    public var psnr: Double
    public var ssim: Double
    /// The base method's mean PSNR and SSIM on the same images.
    public var basePSNR: Double
    public var baseSSIM: Double
}

/// What `Trainer.resume()` did when the model file (`output`) did not hold the best model on
/// validation that the checkpoint records (`best_psnr`): deleted, unreadable, or another model.
public enum ResumedOutput: Sendable, Equatable {
    /// The checkpoint's own weights scored that best (its step was the best epoch): `output`
    /// was written again from them, the file it held. `problem` says what was wrong with it
    /// ("is missing"); `step` and `psnr` are the model's.
    case restored(problem: String, step: Int, psnr: Double)
    /// The best model (`bestPSNR`) is lost: `output` now holds the best model left, the one there
    /// or the checkpoint's (`keptStep`, `keptPSNR`), replaced by any better epoch; an epoch is
    /// logged as the best only above `bestPSNR`, as in the run that was not interrupted.
    case lost(problem: String, bestPSNR: Double, keptStep: Int, keptPSNR: Double)
}

/// Trains a refiner: batches from a `PatchSampler`, the chosen loss and optimizer, validation
/// every epoch, an atomic checkpoint every epoch (weights, optimizer state, step), the best
/// model on validation PSNR kept at `output`, and a JSON-lines log.
///
/// Deterministic: the same data, options and OpenBLAS thread count give the same weights;
/// a run resumed from a checkpoint continues exactly as an uninterrupted one.
public final class Trainer {
    public let options: TrainingOptions
    public let data: TrainingData
    public let base: BaseMethod
    public private(set) var network: UNet
    var optimizer: any Optimizer
    let loss: any Loss
    public private(set) var step = 0
    /// The best validation scores so far (after a resume that lost the best model, its PSNR
    /// alone, the rest NaN).
    public private(set) var best: ValidationMetrics?
    /// The model at `output`: the best on validation, or after a resume that found the best lost
    /// (`resumedOutput`), the best left.
    var bestModel: RefinerModel?
    /// Set by `resume()` when `output` did not hold the best model the checkpoint records.
    public private(set) var resumedOutput: ResumedOutput?
    /// The model file whose weights this run started from (`initialize(from:path:)`), if any.
    public private(set) var initializedFrom: String?
    /// `(first step, thread count)` of each stretch of the run trained under one `--threads`,
    /// when a resume changed it: the weights then equal no single count's, and the header says so.
    var threadStretches: [(step: Int, threads: Int)] = []
    /// Set by `trainEndToEnd`: the denoiser learns through the whole plug-and-play splitting
    /// on blurred scenes instead of from noisy patches.
    public private(set) var endToEnd: EndToEndTraining?

    /// Where the best model, the checkpoint (`output + ".checkpoint"`) and the log go; nil: keep in memory.
    public let output: String?
    public let logPath: String?
    /// This run's identity, recorded as `run` in the header of every model and checkpoint it
    /// writes: a fresh run derives it from its settings at its first save (a hash of the header's
    /// settings, seed and architecture included; nil until then), a resume takes the
    /// checkpoint's (nil for a checkpoint written before runs recorded one). A resume refuses a
    /// checkpoint beside a model of another run, which a failed or stopped run can leave at the
    /// same `output`. Not drawn at random: the same settings must still give the same bytes, and
    /// two runs with the same settings and seed are the same run.
    public private(set) var runID: String?
    private var derivesRunID = true

    /// A run that trains a fresh network of `architecture` (seeded by `options.seed`) on `data`.
    /// - Parameters:
    ///   - architecture: the network; a denoiser's (`data.task == .denoise`) inputs are
    ///     `[.estimate, .noise]` or `[.estimate]`, as `PlugAndPlayRestorer` requires.
    ///   - base: the classical method `data` was made with, recorded in the model's header
    ///     (`BaseMethod(name: "none")` for a denoiser, which runs none, as `deblur train` writes it).
    ///   - output: where the best model goes (the checkpoint beside it); nil keeps it in memory.
    ///   - logPath: the JSON-lines log; nil writes none.
    /// - Throws: `RefinementError.invalidSetting` for an invalid architecture, a denoiser that
    ///   would see a blurred image, a batch < 1, a patch size that is not a positive multiple of
    ///   `2^depth`, a learning rate ≤ 0, fewer than 1 step or epoch (or more than the step count
    ///   holds), or a loss that does not parse. (`run` throws when the log cannot be written.)
    public init(architecture: RefinerArchitecture, base: BaseMethod, data: TrainingData, options: TrainingOptions,
                output: String?, logPath: String?) throws {
        if let problem = architecture.problem { throw RefinementError.invalidSetting(name: "architecture", value: "\(architecture)", expected: problem) }
        // Checked here rather than when the model is first used: `PlugAndPlayRestorer` refuses
        // such a model, so the whole run would be lost.
        if data.task == .denoise && architecture.inputs.contains(.blurred) {
            throw RefinementError.invalidSetting(name: "denoiser inputs", value: architecture.inputs.map(\.rawValue).joined(separator: ","),
                                                 expected: "estimate,noise or estimate (a denoiser sees no blurred image)")
        }
        guard options.batch >= 1, options.patch >= architecture.sizeMultiple, options.patch % architecture.sizeMultiple == 0 else {
            throw RefinementError.invalidSetting(name: "patch", value: "\(options.patch)", expected: "a positive multiple of \(architecture.sizeMultiple) (2^depth)")
        }
        guard options.learningRate > 0, options.learningRate.isFinite else {
            throw RefinementError.invalidSetting(name: "lr", value: "\(options.learningRate)", expected: "a positive number")
        }
        // 0 or fewer steps returned the random initialization as the trained model, without a
        // word; epochs × steps per epoch past Int.max trapped (the checks `deblur train` makes).
        if let steps = options.steps, steps < 1 {
            throw RefinementError.invalidSetting(name: "steps", value: "\(steps)", expected: "an integer ≥ 1")
        }
        if options.steps == nil {
            guard options.epochs >= 1 else { throw RefinementError.invalidSetting(name: "epochs", value: "\(options.epochs)", expected: "an integer ≥ 1") }
            let perEpoch = options.stepsPerEpoch.map { max(1, $0) } ?? 1000
            guard !options.epochs.multipliedReportingOverflow(by: perEpoch).overflow else {
                throw RefinementError.invalidSetting(name: "epochs", value: "\(options.epochs)",
                                                     expected: "fewer: \(options.epochs) × \(perEpoch) steps per epoch overflows the step count")
            }
        }
        // Each step takes lr × decay of every weight away (no schedule rate exceeds lr): from 1
        // on the weights are pushed through zero, from 2 they grow without bound, and the run
        // stopped a step later as "diverged … lower --lr", blaming the rate alone.
        let decay = options.optimizer.effectiveWeightDecay(options.weightDecay)
        guard decay >= 0, Double(decay) * Double(options.learningRate) < 1 else {
            throw RefinementError.invalidSetting(name: "weight-decay", value: "\(decay)",
                                                 expected: "a number ≥ 0 below 1 / lr = \(String(format: "%g", 1 / Double(options.learningRate))) (lr × weight decay is the share of each weight a step removes)")
        }
        self.options = options; self.data = data; self.base = base; self.output = output; self.logPath = logPath
        network = UNet(architecture: architecture, seed: options.seed)
        optimizer = options.optimizer.make(parameterCount: network.parameterCount, learningRate: options.learningRate, weightDecay: options.weightDecay)
        loss = try WeightedLoss(parsing: options.loss)
    }

    /// Steps per epoch: the given value or about one pass over the training pixels.
    public var stepsPerEpoch: Int {
        if let s = options.stepsPerEpoch { return max(1, s) }
        // A step restores `batch` whole scenes, some hundred times a patch step's work.
        if endToEnd != nil { return 50 }
        let pixels = data.training.reduce(0) { $0 + $1.sharp.planeSize }
        return max(1, min(1000, pixels / (options.batch * options.patch * options.patch)))
    }

    public var totalSteps: Int { options.steps ?? options.epochs * stepsPerEpoch }

    var checkpointPath: String? { output.map { $0 + ".checkpoint" } }

    /// Starts from a trained model's weights instead of a random initialization (fine-tuning:
    /// new data or a longer schedule); the optimizer state starts afresh.
    /// - Throws: `RefinementError.invalidModelFile` naming `path` when the model's architecture
    ///   or task differs from this run's.
    public func initialize(from model: RefinerModel, path: String) throws {
        guard step == 0 else {
            throw RefinementError.invalidSetting(name: "initial model", value: path, expected: "given before training starts")
        }
        try Self.checkInitial(model, path: path, architecture: network.architecture, task: data.task)
        network = model.network
        initializedFrom = path
    }

    /// Throws `RefinementError.invalidModelFile` naming `path` unless `model` can start a run
    /// training `architecture` for `task`; callers check before synthesizing data.
    public static func checkInitial(_ model: RefinerModel, path: String, architecture: RefinerArchitecture, task: RefinerTask) throws {
        try checkArchitecture(model, path: path, architecture: architecture)
        guard model.header.resolvedTask == task else {
            throw RefinementError.invalidModelFile(path: path, reason: "a \(model.header.resolvedTask.rawValue) model, but this run trains --task \(task.rawValue)")
        }
    }

    /// Throws `RefinementError.invalidModelFile` naming `path` unless `model`'s network is `architecture`.
    static func checkArchitecture(_ model: RefinerModel, path: String, architecture: RefinerArchitecture) throws {
        guard model.network.architecture == architecture else {
            throw RefinementError.invalidModelFile(path: path, reason: "its network (\(model.network.architecture)) differs from the requested one (\(architecture))")
        }
    }

    /// Trains a denoiser through the plug-and-play splitting of `training` (fine-tuning: give
    /// `initialize(from:path:)` first). Each step restores `batch` fresh scenes and follows the
    /// loss of the outputs back through every step; validation scores the splitting's output.
    /// - Throws: `RefinementError.invalidSetting` for a refiner, or after training has started.
    public func trainEndToEnd(_ training: EndToEndTraining) throws {
        guard data.task == .denoise else {
            throw RefinementError.invalidSetting(name: "end-to-end training task", value: data.task.rawValue, expected: "denoise")
        }
        guard step == 0 else {
            throw RefinementError.invalidSetting(name: "end-to-end training", value: "at step \(step)", expected: "set before training starts")
        }
        guard training.splitting.finalEnsemble == 1 else {
            throw RefinementError.invalidSetting(name: "final ensemble", value: "\(training.splitting.finalEnsemble)", expected: "1 when training end to end")
        }
        // `splitting` is a var: checked again here, not only when `training` was made.
        guard training.splitting.collaborativeSteps == 0 else {
            throw RefinementError.invalidSetting(name: "collaborative steps", value: "\(training.splitting.collaborativeSteps)", expected: "0 when training end to end")
        }
        endToEnd = training
    }

    /// Restores weights, optimizer state, step and best score from the checkpoint; when `output`
    /// does not hold the best model the checkpoint records, writes the best model there is to it
    /// and says what happened in `resumedOutput`.
    ///
    /// The run may go on under other settings on purpose (a warm restart: a longer schedule,
    /// other training images, as the shipped model's recipe does), so those are allowed but
    /// returned, one "key VALUE there, VALUE now" per setting the checkpoint was written
    /// with otherwise, for the caller to show; the length, the steps per epoch and the
    /// dataset's spelling are not listed. Another thread count is listed too, and recorded in
    /// the header as `blas_threads_history` (`[first step, threads]` per stretch). Another
    /// task or base method would make it another kind of model.
    /// - Returns: the settings that differ from the checkpoint's, sorted by key.
    /// - Throws: `RefinementError.invalidModelFile` if it is missing or bad, was written
    ///   for another task or base method, or is of another run than the model at `output`.
    @discardableResult
    public func resume() throws -> [String] {
        guard let path = checkpointPath else { return [] }
        let (model, extra) = try ModelFile.read(path)
        try Self.checkArchitecture(model, path: path, architecture: network.architecture)
        guard case .number(let recordedStep)? = model.header.training["step"] else {
            throw RefinementError.invalidModelFile(path: path, reason: "no training step in the header: not a checkpoint")
        }
        func count(_ value: Double, _ name: String, least: Double = 0) throws -> Int {
            guard let whole = Self.wholeNumber(value, least: least) else {
                throw RefinementError.invalidModelFile(path: path, reason: "training \(name) is \(value), expected a whole number ≥ \(Int(least))")
            }
            return whole
        }
        let recorded = try count(recordedStep, "step")
        if let output { try Self.checkSameRun(checkpoint: model, path: path, output: output) }
        let now = self.model(metrics: nil).header
        func text<T: Encodable>(_ value: T?) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return value.flatMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) } ?? "none"
        }
        // A checkpoint written before 2026-11-27 recorded wiener's and tikhonov's default CG
        // steps beside a one-shot boundary, which this run's base no longer carries: the same base.
        let recordedBase = BaseMethod(name: model.header.base.name,
                              parameters: ClassicalMethods.withoutUnusedKeys(model.header.base.name, parameters: model.header.base.parameters))
        if model.header.resolvedTask != now.resolvedTask || recordedBase != now.base {
            throw RefinementError.invalidModelFile(path: path, reason: "it was written for task \(model.header.resolvedTask) on base \(text(model.header.base)), this run is task \(now.resolvedTask) on base \(text(now.base)): start afresh without --resume")
        }
        let free: Set<String> = ["run", "step", "steps", "total_steps", "steps_per_epoch", "best_psnr", "blas_threads", "blas_threads_history", "dataset"]
        var then = model.header.training.filter { !free.contains($0.key) }, ours = now.training.filter { !free.contains($0.key) }
        // Synthetic data's header leaves its generator settings out at their defaults: between two
        // such runs a key on one side only had its default on the other (the recipe's warm restart
        // printed `contrast_min none there, 0.05 now` for contrast 1).
        if then["source"] == .string("synthetic") && ours["source"] == .string("synthetic") {
            then.merge(SyntheticDataSettings.omittedDefaults) { recorded, _ in recorded }
            ours.merge(SyntheticDataSettings.omittedDefaults) { recorded, _ in recorded }
        }
        // Float settings are stored widened to Double: 0.001 would read 0.0010000000474974513.
        func setting(_ value: JSONValue?) -> String {
            if case .number(let d)? = value {
                if d == d.rounded(), abs(d) < 0x1p53 { return "\(Int64(d))" }
                if Double(Float(d)) == d { return "\(Float(d))" }
            }
            return text(value)
        }
        var differences = Set(then.keys).union(ours.keys).sorted().compactMap { key -> String? in
            then[key] == ours[key] ? nil : "\(key) \(setting(then[key])) there, \(setting(ours[key])) now"
        }
        // Another thread count sums the gradients in another order: the run goes on, but its
        // weights are then those of no uninterrupted run, and the header's one count would not
        // reproduce them. Listed, and each stretch recorded.
        var stretches: [(step: Int, threads: Int)] = []
        if case .array(let recorded)? = model.header.training["blas_threads_history"] {
            for entry in recorded {
                if case .array(let pair) = entry, pair.count == 2, case .number(let from) = pair[0], case .number(let threads) = pair[1] {
                    stretches.append((try count(from, "blas_threads_history step"), try count(threads, "blas_threads_history threads", least: 1)))
                }
            }
        } else if case .number(let threads)? = model.header.training["blas_threads"] {
            stretches = [(0, try count(threads, "blas_threads", least: 1))]
        }
        let threadsNow = endToEnd?.threads ?? BLAS.threads
        if let last = stretches.last, last.threads != threadsNow, recorded < totalSteps {
            differences.append("blas_threads \(last.threads) there, \(threadsNow) now (from step \(recorded) on: the weights will be those of neither count)")
            differences.sort()
            stretches.append((recorded, threadsNow))
        }
        let count = optimizer.state.count
        var state: [[Float]] = []
        for i in 0..<count {
            guard let v = extra["optimizer.\(i)"], v.count == network.parameterCount else {
                throw RefinementError.invalidModelFile(path: path, reason: "optimizer state optimizer.\(i) missing or of the wrong size for \(options.optimizer.rawValue)")
            }
            // A damaged state made the first step's update NaN, reported as "training diverged
            // … lower --lr" instead of naming the file.
            let squared = options.optimizer.squaredStateIndices.contains(i)
            guard v.allSatisfy({ $0.isFinite && (!squared || $0 >= 0) }) else {
                throw RefinementError.invalidModelFile(path: path, reason: "optimizer state optimizer.\(i) holds \(squared ? "negative, " : "")NaN or infinite values: start afresh without --resume")
            }
            state.append(v)
        }
        network = model.network
        optimizer.state = state
        derivesRunID = false
        if case .string(let id)? = model.header.training["run"] { runID = id } else { runID = nil }
        threadStretches = stretches.count > 1 ? stretches : []
        step = recorded
        optimizer.step = step
        if case .number(let p)? = model.header.training["best_psnr"], let output {
            try resumeBest(psnr: p, checkpoint: model, output: output)
        }
        return differences
    }

    /// Throws `RefinementError.invalidModelFile` naming the checkpoint at `path` and `output`
    /// when `output` holds a readable model of another run than `checkpoint` (their `run`s
    /// differ; neither recording one, as files written before 2026-11-27, passes). A fresh run
    /// over an earlier one's files that stopped between its first checkpoint and its first
    /// model (a full disk) leaves its checkpoint beside the earlier run's model: resumed, that
    /// model would have been taken as this run's best. A missing or unreadable `output` is
    /// `resume()`'s to handle.
    public static func checkSameRun(checkpoint: RefinerModel, path: String, output: String) throws {
        guard FileManager.default.fileExists(atPath: output), let there = try? ModelFile.read(output).model else { return }
        let ours = checkpoint.header.training["run"], theirs = there.header.training["run"]
        guard ours != theirs else { return }
        func name(_ run: JSONValue?) -> String {
            if case .string(let id)? = run { return "run \(id)" }
            return "no run recorded"
        }
        throw RefinementError.invalidModelFile(path: path, reason: "it is not of the training run that wrote \(output) beside it "
            + "(\(name(ours)) in the checkpoint, \(name(theirs)) in \(output)), as a run stopped between writing the two leaves them: "
            + "start afresh without --resume, or move \(output) away to resume from the checkpoint alone")
    }

    /// `value` as an Int when it is a whole number from `least` to 2⁵³. Counts come from a
    /// model file's header as Doubles; an edited or foreign file may hold 1e300 or -5 there,
    /// which trapped when converted to Int.
    static func wholeNumber(_ value: Double, least: Double = 0) -> Int? {
        guard value >= least, value <= 0x1p53, value == value.rounded() else { return nil }
        return Int(value)
    }

    /// Takes up the best model so far, which `output` holds and whose validation PSNR `psnr`
    /// the checkpoint records, as the one later epochs have to beat. When `output` no longer
    /// holds it (deleted, unreadable, or another model), the checkpoint's own weights are that
    /// model if they scored `psnr`, and are written back; otherwise it is lost, and `output`
    /// gets the best model left, the one there or the checkpoint's. Either way `resumedOutput`
    /// says so, and an epoch counts as the best (logged, and always written) only above `psnr`.
    private func resumeBest(psnr: Double, checkpoint: RefinerModel, output: String) throws {
        func metrics(_ m: RefinerModel) -> ValidationMetrics {
            let v = m.header.metrics
            return ValidationMetrics(loss: v["loss"] ?? .nan, psnr: v["psnr"] ?? .nan, ssim: v["ssim"] ?? .nan,
                                     basePSNR: v["base_psnr"] ?? .nan, baseSSIM: v["base_ssim"] ?? .nan)
        }
        func steps(_ m: RefinerModel) -> Int {
            if case .number(let n)? = m.header.training["steps"], let whole = Self.wholeNumber(n) { return whole }
            return -1
        }
        var found: RefinerModel?
        let problem: String
        if !FileManager.default.fileExists(atPath: output) {
            problem = "is missing"
        } else {
            do {
                let there = try ModelFile.read(output).model
                // A model file without a PSNR (none this trainer writes) is taken at its word, as before.
                let score = there.header.metrics["psnr"] ?? psnr
                if there.network.architecture != network.architecture {
                    problem = "holds another network"
                } else if score >= psnr {
                    bestModel = there; best = metrics(there)
                    return
                } else {
                    found = there
                    problem = String(format: "holds a model of %.4f dB", score)
                }
            } catch {
                problem = "cannot be read (\(error))"
            }
        }
        // The checkpoint's weights as the model file of its step: the header written to `output`
        // then had the same fields but the two a checkpoint adds.
        var own = checkpoint
        own.header.training["step"] = nil
        own.header.training["best_psnr"] = nil
        let ownPSNR = own.header.metrics["psnr"] ?? -.infinity
        if ownPSNR >= psnr {
            bestModel = own; best = metrics(own)
            resumedOutput = .restored(problem: problem, step: steps(own), psnr: ownPSNR)
        } else {
            let foundPSNR = found?.header.metrics["psnr"] ?? -.infinity
            let kept = foundPSNR > ownPSNR ? found! : own
            bestModel = kept
            // Only the score is known of the lost model.
            best = ValidationMetrics(loss: .nan, psnr: psnr, ssim: .nan, basePSNR: .nan, baseSSIM: .nan)
            resumedOutput = .lost(problem: problem, bestPSNR: psnr, keptStep: steps(kept), keptPSNR: kept.header.metrics["psnr"] ?? .nan)
        }
        // Written now, so that -o exists from here on, as after any epoch.
        try ModelFile.write(bestModel!, to: output)
    }

    /// Runs to `totalSteps`, validating and checkpointing every `stepsPerEpoch` steps.
    /// Returns the best model on validation (the last one when there is no validation data).
    @discardableResult
    public func run(report: (TrainingEvent) -> Void = { _ in }) throws -> RefinerModel {
        let a = network.architecture
        let sampler = endToEnd != nil ? nil : try PatchSampler(samples: data.training, inputs: a.inputs, patch: options.patch, batch: options.batch,
                                                               seed: options.seed, addedNoise: data.addedNoise)
        let endToEndStep = try endToEnd.map { try EndToEndStep($0, batch: options.batch, network: network) }
        let schedule = LearningRateSchedule(kind: options.schedule, base: options.learningRate, warmup: options.warmup, total: totalSteps)
        let workspace = UNetWorkspace()
        var input = Tensor(batch: 0, channels: 0, height: 0, width: 0), target = input, gradient = input
        var gradients = [Float](repeating: 0, count: network.parameterCount)
        let log = try logPath.map { try TrainingLog(path: $0, append: step > 0, resumingAt: step) }
        // A fresh run's lines wait for its first checkpoint: written at once, they replaced an
        // earlier run's log that a failed first save (a full disk) left beside that run's model
        // and checkpoint. They go to the log once the checkpoint's temporary file is complete and
        // before it takes its name (see below). From then on each epoch's line comes before its
        // files, so a run stopped between them leaves a line after its checkpoint, which a resume drops.
        var waitingLines: [[String: JSONValue]]? = step == 0 && output != nil ? [] : nil
        func logLine(_ line: [String: JSONValue]) throws {
            if waitingLines != nil { waitingLines!.append(line) } else { try log?.write(line) }
        }
        var lossSum = 0.0, lossCount = 0
        // A fine-tune's starting point, scored on the same validation data: the number every
        // later epoch has to beat.
        if step == 0, initializedFrom != nil, let metrics = validate() {
            try logLine(["event": .string("initial"), "epoch": .number(0), "step": .number(0), "val_loss": .number(metrics.loss),
                            "val_psnr": .number(metrics.psnr), "val_ssim": .number(metrics.ssim),
                            "base_psnr": .number(metrics.basePSNR), "base_ssim": .number(metrics.baseSSIM)])
            report(.validation(epoch: 0, step: 0, metrics: metrics, best: false))
            // The starting model is the one to beat: a fine-tune whose every epoch scores lower
            // (too high a rate, data that mislead it) keeps it, rather than its best worse epoch.
            // It is written at the first epoch's end, as any run's first model: a fine-tune
            // stopped before then leaves no -o behind.
            best = metrics; bestModel = model(metrics: metrics)
        }
        // A resumed run's best model is already in -o (read back by resume()).
        var outputWritten = step > 0 && bestModel != nil
        while step < totalSteps {
            let value: Double
            gradients.withUnsafeMutableBufferPointer { g in g.update(repeating: 0) }
            if let endToEndStep {
                value = try endToEndStep.run(step: step, network: network, loss: loss, gradients: &gradients)
            } else {
                sampler!.fill(step: step, input: &input, target: &target)
                let prediction = network.forward(input, workspace: workspace)
                value = loss.evaluate(prediction: prediction, target: target, gradient: &gradient)
                if value.isFinite { network.backward(gradient, workspace: workspace, gradients: &gradients) }
            }
            guard value.isFinite else {
                throw RefinementError.invalidData("training diverged at step \(step + 1) (loss \(value)): lower --lr")
            }
            optimizer.learningRate = schedule.rate(at: step)
            optimizer.update(&network, along: gradients)
            step += 1
            lossSum += value; lossCount += 1
            report(.step(step: step, total: totalSteps, loss: value, learningRate: optimizer.learningRate))
            if step % stepsPerEpoch == 0 || step == totalSteps {
                let epoch = (step + stepsPerEpoch - 1) / stepsPerEpoch
                let metrics = validate()
                // A finite loss can still leave infinite weights (one huge step): the validation
                // images then come out NaN or infinite, and no model of this run is worth keeping.
                if let m = metrics, !(m.psnr.isFinite && m.loss.isFinite) {
                    throw RefinementError.invalidData("training diverged by step \(step) (validation PSNR \(m.psnr), loss \(m.loss)): lower --lr")
                }
                let improved = metrics.map { m in best.map { m.psnr > $0.psnr } ?? true } ?? true
                // After a resume that lost the best model, `output` holds the best one left, which
                // a better epoch replaces even below the lost one's score (not logged as best).
                let kept = improved || resumedOutput.map { _ in
                    metrics.map { m in m.psnr > (bestModel?.header.metrics["psnr"] ?? -.infinity) } ?? false
                } ?? false
                if improved { best = metrics }
                if kept { bestModel = model(metrics: metrics) }
                try logLine(["event": .string("epoch"), "epoch": .number(Double(epoch)), "step": .number(Double(step)),
                                "train_loss": .number(lossSum / Double(max(1, lossCount))), "lr": .number(Double(optimizer.learningRate)),
                                "val_loss": num(metrics?.loss), "val_psnr": num(metrics?.psnr), "val_ssim": num(metrics?.ssim),
                                "base_psnr": num(metrics?.basePSNR), "base_ssim": num(metrics?.baseSSIM), "best": .bool(improved)])
                lossSum = 0; lossCount = 0
                if let metrics { report(.validation(epoch: epoch, step: step, metrics: metrics, best: improved)) }
                // The checkpoint first: one that cannot be written (a full disk) leaves the model
                // beside it and the checkpoint it pairs with, and a model that cannot be written
                // after it leaves a checkpoint a resume rewrites the model from when its epoch was the
                // best (of another run, a resume refuses it: `checkSameRun`).
                if let checkpointPath {
                    var checkpoint = model(metrics: metrics)
                    checkpoint.header.training["step"] = .number(Double(step))
                    if let best { checkpoint.header.training["best_psnr"] = .number(best.psnr) }
                    let bytes = try ModelFile.encode(checkpoint, extra: optimizer.state.enumerated().map { ("optimizer.\($0.offset)", $0.element) })
                    try writeAtomically(to: checkpointPath) { temporary in
                        try writeFile(bytes, to: temporary, reportedAs: checkpointPath)
                        // A fresh run's first lines, between its complete checkpoint and the rename:
                        // written after the checkpoint and model, a run stopped in between (Ctrl-C,
                        // a time limit) left no line of its first epoch, which its resume never
                        // wrote, or kept the earlier run's first line, which the resume appended
                        // to. The earlier run's checkpoint goes first, so that it is never left
                        // beside this run's log: a stop in between leaves no checkpoint, and the
                        // run is started afresh.
                        guard let lines = waitingLines else { return }
                        waitingLines = nil
                        let old = writeDestination(of: checkpointPath)
                        if !old.inPlace, unlink(old.path) != 0, errno != ENOENT {
                            throw CoreError.writeFailed(path: checkpointPath, reason: String(cString: strerror(errno)))
                        }
                        for line in lines { try log?.write(line) }
                    }
                }
                if let output, kept || !outputWritten, let bestModel {
                    try ModelFile.write(bestModel, to: output)
                    outputWritten = true
                }
            }
        }
        return bestModel ?? model(metrics: nil)
    }

    /// Scores the current network on the validation images, or nil when there are none.
    public func validate() -> ValidationMetrics? {
        if let endToEnd { return validate(endToEnd) }
        let workspace = UNetWorkspace()
        return score(data.validation.count) { i in
            let s = data.validation[i]
            let planes = RefinerInputs.planes(network.architecture.inputs, estimate: s.estimate, blurred: s.blurred, noiseSigma: s.noiseSigma)
            return (Tensor(TiledInference().run(network, planes: planes, workspace: workspace)), Tensor(s.sharp), Tensor(s.estimate))
        }
    }

    /// The splitting's output with the current network on the validation scenes against the
    /// sharp windows; the base is the blurred observation.
    func validate(_ training: EndToEndTraining) -> ValidationMetrics? {
        var splitting = training.splitting
        splitting.model.network = network
        return score(training.validation.count) { i in
            let scene = training.validation[i]
            // Validation scenes are valid data of the splitting: they restore.
            guard let restored = try? splitting.restore(scene.blurred, psf: scene.psf, observer: nil) else { return nil }
            return (Tensor(restored), Tensor(scene.sharp), Tensor(scene.blurred))
        }
    }

    /// Mean loss, PSNR and SSIM of `count` validation results and of their bases (SSIM only on
    /// images at least one window wide); nil when there are none or one fails.
    private func score(_ count: Int, _ result: (Int) -> (output: Tensor, sharp: Tensor, base: Tensor)?) -> ValidationMetrics? {
        guard count > 0 else { return nil }
        let ssim = SSIMLoss()
        var total = ValidationMetrics(loss: 0, psnr: 0, ssim: 0, basePSNR: 0, baseSSIM: 0)
        for i in 0..<count {
            guard let (output, sharp, base) = result(i) else { return nil }
            total.loss += loss.value(prediction: output, target: sharp)
            total.psnr += psnr(output, sharp)
            total.basePSNR += psnr(base, sharp)
            if sharp.height >= ssim.window && sharp.width >= ssim.window {
                total.ssim += 1 - ssim.value(prediction: output, target: sharp)
                total.baseSSIM += 1 - ssim.value(prediction: base, target: sharp)
            }
        }
        let n = Double(count)
        return ValidationMetrics(loss: total.loss / n, psnr: total.psnr / n, ssim: total.ssim / n, basePSNR: total.basePSNR / n, baseSSIM: total.baseSSIM / n)
    }

    /// 16 hexadecimal digits of FNV-1a over the settings without what changes during the run
    /// (the step reached, the thread counts), in sorted-key JSON.
    static func runIdentity(settings: [String: JSONValue], architecture: RefinerArchitecture) -> String {
        let fixed = settings.filter { !["steps", "blas_threads", "blas_threads_history", "run"].contains($0.key) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var bytes = (try? encoder.encode(fixed)).map { [UInt8]($0) } ?? []
        bytes += (try? encoder.encode(architecture)).map { [UInt8]($0) } ?? []
        return String(format: "%016llx", ModelFile.fnv1a(bytes[...]))
    }

    /// The current weights with a header describing this run.
    func model(metrics: ValidationMetrics?) -> RefinerModel {
        var training = endToEnd?.description ?? data.description
        training["seed"] = .integer(options.seed)  // a Double would round seeds above 2⁵³
        training["steps"] = .number(Double(step))
        training["total_steps"] = .number(Double(totalSteps))
        // Which steps are scored decides which weights are kept as the best model: without it a
        // model kept before the last step cannot be reproduced from its header.
        training["steps_per_epoch"] = .number(Double(stepsPerEpoch))
        training["batch"] = .number(Double(options.batch))
        training["patch"] = .number(Double(options.patch))
        training["optimizer"] = .string(options.optimizer.rawValue)
        training["learning_rate"] = .number(Double(options.learningRate))
        // The decay applied, not the flag: adamw's default, and none for optimizers without one.
        training["weight_decay"] = .number(Double(options.optimizer.effectiveWeightDecay(options.weightDecay)))
        training["schedule"] = .string(options.schedule.rawValue)
        training["warmup"] = .number(Double(options.warmup))
        training["loss"] = .string(loss.name)
        training["blas_threads"] = .number(Double(endToEnd?.threads ?? BLAS.threads))
        if !threadStretches.isEmpty {
            training["blas_threads_history"] = .array(threadStretches.map { .array([.number(Double($0.step)), .number(Double($0.threads))]) })
        }
        if let initializedFrom { training["initialized_from"] = .string(initializedFrom) }
        if derivesRunID && runID == nil { runID = Self.runIdentity(settings: training, architecture: network.architecture) }
        if let runID { training["run"] = .string(runID) }
        if let noise = data.addedNoise {
            training["added_noise"] = .array([.number(noise.lowerBound), .number(noise.upperBound)])
        }
        var values: [String: Double] = [:]
        if let m = metrics {
            values = ["loss": m.loss, "psnr": m.psnr, "ssim": m.ssim, "base_psnr": m.basePSNR, "base_ssim": m.baseSSIM]
        }
        return RefinerModel(header: ModelHeader(architecture: network.architecture, base: base, task: data.task == .refine ? nil : data.task,
                                                training: training, metrics: values), network: network)
    }
}

private func num(_ v: Double?) -> JSONValue { v.map { .number($0) } ?? .null }

/// PSNR in dB with data range 1: `10 log₁₀(1 / MSE)` (scikit-image `peak_signal_noise_ratio(data_range=1)`).
func psnr(_ a: Tensor, _ b: Tensor) -> Double {
    let mse = MSELoss().value(prediction: a, target: b)
    // NaN stays NaN (a diverged network), not the +∞ of a perfect match.
    guard !mse.isNaN else { return .nan }
    return mse > 0 ? 10 * log10(1 / mse) : .infinity
}

/// The JSON-lines training log: one object per line, each written through at once.
///
/// The file is created (or, for a fresh run, truncated) at the first line, so a run stopped
/// before its first epoch — an error, Ctrl-C, a killed job — leaves no empty log and keeps
/// the previous run's. Whether the path can be written is checked when the log is made,
/// before any training.
final class TrainingLog {
    let path: String
    /// Continue an existing log (a resumed run) instead of replacing it.
    private var append: Bool
    private let existed: Bool

    /// `resumingAt`: the checkpoint's step, when a resumed run appends. Lines of later steps
    /// (a run killed after logging an epoch but before writing its checkpoint) are dropped
    /// from a regular file, so the resumed run does not log that epoch twice.
    init(path: String, append: Bool, resumingAt step: Int? = nil) throws {
        self.path = path
        self.append = append
        existed = FileManager.default.fileExists(atPath: path)
        let parent = parentPath(of: path)
        let writable = existed ? access(path, W_OK) == 0 : access(parent.isEmpty ? "." : parent, W_OK) == 0
        guard writable else {
            throw RefinementError.invalidSetting(name: "log", value: path, expected: "a writable file path (\(String(cString: strerror(errno))))")
        }
        var status = stat()
        if append, let step, stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG,
           let data = FileManager.default.contents(atPath: path) {
            let lines = data.split(separator: 0x0A, omittingEmptySubsequences: true)
            let kept = lines.filter { line in
                guard case .object(let entry)? = try? JSONDecoder().decode(JSONValue.self, from: Data(line)),
                      case .number(let logged)? = entry["step"] else { return true }
                return logged <= Double(step)
            }
            if kept.count < lines.count {
                try writeAtomically(Data(kept.map { Data($0) + Data([0x0A]) }.joined()), to: path)
            }
        }
    }

    /// - Throws: `CoreError.writeFailed` naming the log (a full disk, say).
    func write(_ object: [String: JSONValue]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // JSON has no NaN or ∞: such a value is logged as null rather than failing the run.
        var data = try encoder.encode(JSONValue.object(object.mapValues { value in
            if case .number(let x) = value, !x.isFinite { return .null }
            return value
        }))
        data.append(0x0A)
        if append {
            try appendToFile(data, at: path)
        } else {
            // In place, not by rename: the log may be a stream (--log /dev/stdout).
            do { try writeFile(data, to: path) } catch {
                // A first line that failed (a full disk) leaves no empty file this run created.
                if !existed { try? FileManager.default.removeItem(atPath: path) }
                throw error
            }
            append = true
        }
    }
}

/// One end-to-end step's work: `batch` scenes restored and differentiated, spread over
/// `training.threads` (default `BLAS.threads`) threads (each its own workspaces and gradient sum, one BLAS and FFT thread
/// each), the per-thread sums added in a fixed order so the same seed and thread count give
/// the same weights.
final class EndToEndStep {
    let training: EndToEndTraining
    let batch: Int
    let threads: Int
    /// Per thread: one workspace per splitting step.
    let workspaces: [[UNetWorkspace]]
    var sums: [[Float]]

    init(_ training: EndToEndTraining, batch: Int, network: UNet) throws {
        self.training = training; self.batch = batch
        // `--threads`, not the machine's cores: the sums' order follows the thread count, and a
        // model must be reproducible on another machine from the count its header records.
        threads = max(1, min(training.threads ?? BLAS.threads, batch))
        workspaces = (0..<threads).map { _ in (0..<training.splitting.iterations).map { _ in UNetWorkspace() } }
        sums = Array(repeating: [Float](repeating: 0, count: network.parameterCount), count: threads)
    }

    /// The mean loss over the step's scenes; `gradients` ← its gradient.
    func run(step: Int, network: UNet, loss: any Loss, gradients: inout [Float]) throws -> Double {
        try BLAS.withThreads(1) { try runScenes(step: step, network: network, loss: loss, gradients: &gradients) }
    }

    /// `run`'s body, with the counts held at one thread per scene.
    private func runScenes(step: Int, network: UNet, loss: any Loss, gradients: inout [Float]) throws -> Double {
        var losses = [Double](repeating: 0, count: batch)
        var failure: Error?
        let lock = NSLock()
        let threads = threads, batch = batch, training = training, workspaces = workspaces
        sums.withUnsafeMutableBufferPointer { sums in
            let sums = sums
            losses.withUnsafeMutableBufferPointer { losses in
                let losses = losses
                parallelFor(threads, threads: threads) { t in
                    sums[t].withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                    for j in stride(from: t, to: batch, by: threads) {
                        do {
                            let scene = try training.trainingScene(step * batch + j)
                            losses[j] = try training.splitting.endToEndGradient(network: network, scene: scene, loss: loss,
                                                                                workspaces: workspaces[t], gradients: &sums[t]).loss
                        } catch {
                            lock.lock(); failure = failure ?? error; lock.unlock()
                        }
                    }
                }
            }
        }
        if let failure { throw failure }
        let scale = 1 / Float(batch)
        gradients.withUnsafeMutableBufferPointer { g in
            for t in 0..<threads { sums[t].withUnsafeBufferPointer { s in for i in 0..<g.count { g[i] += s[i] * scale } } }
        }
        return losses.reduce(0, +) / Double(batch)
    }
}
