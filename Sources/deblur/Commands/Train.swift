import ArgumentParser
import DeblurKit
import Foundation

extension OptimizerKind: ExpressibleByArgument {}
extension LearningRateSchedule.Kind: ExpressibleByArgument {}
extension RefinerInput: ExpressibleByArgument {}
extension RefinerTask: ExpressibleByArgument {}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train the CNN: a refiner of a classical estimate, or a plug-and-play denoiser.",
        discussion: """
        Trains a residual U-Net that refines a classical estimate (--task refine) or that removes Gaussian noise \
        of a given level (--task denoise: the plug-and-play prior; inputs estimate,noise, no blur, no base). Data comes from a dataset directory \
        (deblur synth) or is synthesized on the fly (dead leaves + random trajectories + noise). Every epoch the \
        model is scored on held-out images, one JSON line is appended to the log (a fresh run's first only once its \
        first checkpoint is complete, just before it takes its name), a checkpoint is written atomically to OUTPUT.checkpoint, then \
        the best model on validation PSNR is kept at OUTPUT. A run holds OUTPUT.lock (removed at its end) while \
        it runs: another run of the same OUTPUT, --resume included, is refused at once.
        Smoke run: deblur train --synthetic --steps 3 --width 8 -o tiny.model
        """)

    @Flag(help: "Generate training data on the fly (dead leaves, trajectory PSFs, noise range, valid boundary).")
    var synthetic = false
    @Option(help: "Train on a dataset directory (deblur synth's layout, Docs/FileFormats.md); every tenth item is held out for validation.")
    var dataset: String?
    @Option(name: [.short, .customLong("output")], help: "The model file to write (the best on validation).")
    var output: String

    @Option(help: "Optimizer steps in total (instead of --epochs).")
    var steps: Int?
    @Option(help: "Epochs (validation + checkpoint after each; default 10, or --steps instead).")
    var epochs: Int?
    @Option(help: "Steps per epoch (default: about one pass over the training pixels).")
    var stepsPerEpoch: Int?
    @Option(help: "What the network learns: refine (a classical estimate) or denoise (a plug-and-play prior).")
    var task: RefinerTask = .refine
    @Option(help: "Channels at full resolution.")
    var width = 32
    @Option(help: "Number of 2× downsamplings of the U-Net.")
    var depth = 2
    @Option(help: "3×3 convolutions per level.")
    var convolutions = 2
    @Option(help: "Comma-separated network inputs, estimate first: estimate, blurred, noise (default: estimate,blurred,noise; denoise: estimate,noise).")
    var inputs: String?
    @Option(help: "Patches per batch.")
    var batch = 16
    @Option(help: "Patch side in pixels (a multiple of 2^depth; default 64). --end-to-end restores whole scenes and takes none.")
    var patch: Int?
    @Option(help: "Seed of every random choice (data, initialization, batches).")
    var seed: UInt64 = 0
    @Flag(help: "Continue from OUTPUT.checkpoint with the same settings (refused when OUTPUT holds a model of another run).")
    var resume = false
    @Option(help: "Base classical method run before the network (default wiener; a refiner's only: a denoiser runs none).")
    var base: String?
    @Option(help: "A key=value parameter of the base method (repeatable), e.g. --base-param nsr=0.01; a refiner's only.")
    var baseParam: [String] = []
    @Option(help: "Loss: mse, l1, charbonnier, ssim, or a weighted sum such as 0.8*l1+0.2*ssim.")
    var loss = "l1"
    @Option(help: "Optimizer (\(OptimizerKind.allCases.map(\.rawValue).joined(separator: ", "))).")
    var optimizer: OptimizerKind = .adam
    @Option(help: "Base learning rate.")
    var lr: Float = 1e-3
    @Option(help: "Decoupled weight decay, adam and adamw only (0 with adamw means 1e-4); lr × weight decay must stay below 1.")
    var weightDecay: Float = 0
    @Option(help: "Learning-rate schedule (constant, step, cosine).")
    var schedule: LearningRateSchedule.Kind = .cosine
    @Option(help: "Linear warm-up steps.")
    var warmup = 0
    @Option(help: "Synthetic training images (default 256; validation: 16). --end-to-end draws fresh scenes every step and takes none.")
    var syntheticImages: Int?
    @Option(help: "Side of each synthetic image in pixels (default 128).")
    var imageSize: Int?
    @Option(help: "Synthetic noise σ range on the [0, 1] scale, as MIN:MAX like synth's --noise-sigma (0 ≤ MIN ≤ MAX ≤ 10), or one value (default 0.005:0.03; denoise: 0:0.2). MIN,MAX is read too.")
    var noiseRange: String?
    @Option(help: "Synthetic PSF sides (odd), comma-separated; each image draws one (default 13,17,21,25,31). A denoiser's images are blurred only with --unrolled or --end-to-end.")
    var psfSizes: String?
    @Option(help: "Synthetic dead leaves: largest texture amplitude; each image draws one in [0, MAX) (default 0).")
    var texture: Double?
    @Option(help: "Synthetic dead leaves: largest background defocus σ in pixels; each image draws one in [0, MAX) (default 0).")
    var defocus: Double?
    @Option(help: "Synthetic dead leaves: largest fine-grain amplitude; each image draws one in [0, MAX) (default 0).")
    var grain: Double?
    @Option(help: "Synthetic dead leaves: largest shading (linear ramp per disk) amplitude; each image draws one in [0, MAX) (default 0).")
    var shading: Double?
    @Option(help: "Synthetic dead leaves: fraction of leaves that are ellipses, rectangles or triangles instead of disks, in [0, 1] (default 0).")
    var shapes: Double?
    @Option(help: "Synthetic dead leaves: fraction of leaves filled with a periodic motif (stripes, dots, bricks or tiles, glyphs), in [0, 1] (default 0).")
    var patterns: Double?
    @Option(help: "Synthetic dead leaves: largest lens blur σ in pixels over the finished image; each image draws one in [0, MAX) (default 0).")
    var lensBlur: Double?
    @Option(help: "Synthetic dead leaves: smallest contrast factor; each image's contrast is scaled by one drawn log-uniformly in [MIN, 1] around a random level (default 1: unchanged).")
    var contrast: Double?
    @Option(help: "Synthetic dead leaves: grain correlation octaves (0.8·2^k px, k drawn per leaf), 1…4 (default 1).")
    var grainOctaves: Int?
    @Option(help: "Synthetic dead leaves: fraction of grained leaves whose grain is drawn out into strands along a direction of their own (fur, grass, wood), in [0, 1] (default 0; needs --grain).")
    var strands: Double?
    @Option(help: "Synthetic dead leaves: smallest and largest disk radius in pixels, a number or MIN:MAX (as deblur synth's; default 1:100).")
    var radii: String?
    @Option(help: ArgumentHelp("Denoiser fine-tuning: N more images, blurred (trajectory PSFs of --psf-sizes, noise σ in 0.005–0.03) and restored by plug-and-play with the --init model; every step's input to the network becomes a training sample (8 per image).", valueName: "N"))
    var unrolled = 0
    @Flag(help: ArgumentHelp("Denoiser fine-tuning through the whole plug-and-play splitting: every step restores --batch fresh blurred scenes (trajectory PSFs of --psf-sizes, valid boundary, noise σ in --noise-range, default 0.005:0.03) with the network and follows the loss of the outputs back through every network pass and data step. Needs --task denoise and --init."))
    var endToEnd = false
    @Option(name: .customLong("init"), help: ArgumentHelp("Start from this model's weights (same architecture and task) instead of a random initialization: fine-tuning.", valueName: "model"))
    var initial: String?
    @Option(help: "OpenBLAS threads (default: all cores). Same seed and threads → same weights; another thread count adds the gradients in another order, so its weights differ in the last digits (the model header records blas_threads; a resume under another count is noted and recorded as blas_threads_history).")
    var threads: Int?
    @Option(help: "JSON-lines training log (default: OUTPUT.log.jsonl).")
    var log: String?
    @Flag(help: "Print the final summary as JSON on stdout.")
    var json = false
    @Flag(help: "No progress bar.")
    var quiet = false

    // The settings with their defaults. The options are Optional so that validate() can tell one
    // written on the command line from one left out, and refuse one the run would not read.
    var epochCount: Int { epochs ?? 10 }
    var patchSide: Int { patch ?? 64 }
    var baseName: String { base ?? "wiener" }
    var imageCount: Int { syntheticImages ?? 256 }
    var imageSide: Int { imageSize ?? 128 }

    func validate() throws {
        guard synthetic != (dataset != nil) else { throw ValidationError("Please give exactly one of --synthetic or --dataset DIR.") }
        if let steps, steps < 1 { throw ValidationError("Please give --steps ≥ 1 (got \(steps)).") }
        // --steps replaced the epoch count without a word: `--steps 1000 --epochs 5` ran 1000 steps
        // in epochs of the default length, not five epochs.
        if steps != nil && epochs != nil {
            throw ValidationError("Please give either --steps or --epochs, not both: --steps is the total, which --epochs would otherwise make (epochs × --steps-per-epoch).")
        }
        let epochs = epochCount
        guard epochs >= 1 else { throw ValidationError("Please give --epochs ≥ 1 (got \(epochs)).") }
        if let stepsPerEpoch, stepsPerEpoch < 1 { throw ValidationError("Please give --steps-per-epoch ≥ 1 (got \(stepsPerEpoch)).") }
        guard warmup >= 0 else { throw ValidationError("Please give --warmup ≥ 0 (got \(warmup)).") }
        guard weightDecay >= 0, weightDecay.isFinite else { throw ValidationError("Please give --weight-decay ≥ 0 (got \(weightDecay)).") }
        // sgd, momentum, nesterov and adagrad have no weight decay: it would be recorded, not applied.
        if weightDecay > 0 && !optimizer.hasWeightDecay {
            throw ValidationError("Please use --weight-decay with --optimizer adam or adamw (\(optimizer.rawValue) has no weight decay).")
        }
        guard batch >= 1 else { throw ValidationError("Please give --batch ≥ 1 (got \(batch)).") }
        let syntheticImages = imageCount, imageSize = imageSide
        guard syntheticImages >= 1, imageSize >= 16 else { throw ValidationError("Please give --synthetic-images ≥ 1 and --image-size ≥ 16.") }
        // synth's largest side, so that the products below stay far from overflowing.
        guard imageSize <= 16384 else { throw ValidationError("Please give an --image-size up to 16384 (got \(imageSize)).") }
        // The progress bar and the schedule count epochs · steps per epoch (about 1000 at most
        // by default): --epochs 2^63 overflowed it and trapped.
        if steps == nil, epochs.multipliedReportingOverflow(by: stepsPerEpoch ?? 1000).overflow {
            throw ValidationError("Please give fewer --epochs (got \(epochs)): \(epochs) × \(stepsPerEpoch ?? 1000) steps per epoch overflows the step count.")
        }
        try checkMemory()
        try checkThreads(threads)
        try checkWritableOutput(output, option: "--output")
        if let log { try checkWritableOutput(log, option: "--log") }
        // The dataset's files too: `--dataset ds -o ds/sharp/000000.png` wrote the model over
        // that sharp image and its checkpoint and log beside it, exit 0.
        try refuseClashes([("--output", output), ("--output's checkpoint", output + ".checkpoint"), ("--log", log ?? output + ".log.jsonl")],
                          inputs: [initial].compactMap { $0 } + (dataset.map(datasetInputFiles) ?? []))
        // Checked before the data is synthesized (minutes), not when the checkpoint is read.
        if resume && !FileManager.default.fileExists(atPath: output + ".checkpoint") {
            throw ValidationError("--resume: there is no checkpoint \(output).checkpoint (one is written after each epoch, so a run stopped during its first has none): run without --resume to start afresh.")
        }
        if task == .denoise && !synthetic {
            throw ValidationError("--task denoise trains on synthetic data only: please give --synthetic.")
        }
        guard unrolled >= 0 else { throw ValidationError("Please give --unrolled ≥ 0 (got \(unrolled)).") }
        if unrolled > 0 && (task != .denoise || initial == nil) {
            throw ValidationError("--unrolled restores its images with the denoiser being fine-tuned: please give --task denoise and --init MODEL.")
        }
        if endToEnd && (task != .denoise || initial == nil || unrolled > 0) {
            throw ValidationError("--end-to-end fine-tunes a denoiser through its splitting: please give --task denoise and --init MODEL, without --unrolled.")
        }
        try refuseUnusedOptions()
    }

    /// Refuses options this run would not read: they were dropped without a word, exit 0.
    func refuseUnusedOptions() throws {
        if task == .denoise {
            // The header records base "none" whatever was given.
            try refuseUnused([("--base", base != nil), ("--base-param", !baseParam.isEmpty)],
                             "with --task denoise: a denoiser runs no base method (plug-and-play restores with the network alone)")
        }
        if dataset != nil {
            try refuseUnused([("--synthetic-images", syntheticImages != nil), ("--image-size", imageSize != nil), ("--noise-range", noiseRange != nil),
                              ("--psf-sizes", psfSizes != nil), ("--texture", texture != nil), ("--defocus", defocus != nil), ("--grain", grain != nil),
                              ("--shading", shading != nil), ("--shapes", shapes != nil), ("--patterns", patterns != nil), ("--lens-blur", lensBlur != nil),
                              ("--contrast", contrast != nil), ("--grain-octaves", grainOctaves != nil), ("--strands", strands != nil), ("--radii", radii != nil)],
                             "with --dataset: the synthetic-data options shape the data of --synthetic only, and a dataset's items are used as they are")
        }
        if (grain ?? 0) == 0 { try refuseUnused([("--strands", strands != nil)], "without --grain: strands are the leaves' grain drawn out, and there is none") }
        // A denoiser's images are blurred only to be unrolled or restored end to end.
        if task == .denoise && unrolled == 0 && !endToEnd {
            try refuseUnused([("--psf-sizes", psfSizes != nil)],
                             "with --task denoise: its training images are not blurred (only --unrolled N and --end-to-end blur theirs)")
        }
        if endToEnd {
            try refuseUnused([("--synthetic-images", syntheticImages != nil), ("--patch", patch != nil)],
                             "with --end-to-end: every step restores --batch fresh whole scenes of --image-size, from no stored images or patches")
        }
    }

    /// The locks of this run's outputs: `OUTPUT.lock` (the model, its checkpoint and the default
    /// log) and, for a --log elsewhere, `LOG.lock`.
    func outputLocks() throws -> [OutputLock] {
        // Beside the file written, so that two names of one model (a link) share the lock.
        func lockPath(_ file: String) -> String { writeDestination(of: file).path + ".lock" }
        var locks = [OutputLock]()
        do {
            if let lock = try OutputLock.take(lockPath(output), for: output) { locks.append(lock) }
            if let log, writeDestination(of: log).path != writeDestination(of: output + ".log.jsonl").path,
               let lock = try OutputLock.take(lockPath(log), for: log) { locks.append(lock) }
        } catch {
            locks.forEach { $0.release() }
            throw error
        }
        return locks
    }

    /// A byte count as the memory refusals print it.
    private func gigabytes(_ bytes: Double) -> String { String(format: "%.3g GB", bytes / 1e9) }

    /// Refuses settings whose data or activations could never fit in this machine's memory: the
    /// allocation aborted the process (--batch 2^31 asked for 26 TB, --synthetic-images 2^31 for
    /// 240 GB) instead of a refusal naming the option. The estimates are lower bounds (the planes
    /// the synthetic samples hold; one full-resolution activation and its gradient), so only
    /// settings that cannot run are refused.
    func checkMemory() throws {
        let available = Double(ProcessInfo.processInfo.physicalMemory)
        let patch = patchSide, syntheticImages = imageCount, imageSize = imageSide
        let activations = Double(batch) * Double(patch) * Double(patch) * Double(max(width, 1)) * 4 * 2
        if activations > available {
            throw ValidationError("Please give a smaller --batch or --patch (got \(batch) patches of \(patch)²): one layer's activations and gradients at --width \(width) need at least \(gigabytes(activations)), more than this machine's \(gigabytes(available)).")
        }
        if synthetic {
            // A refiner's sample holds three distinct planes (estimate, blurred, sharp); a
            // denoiser's training sample is its clean image alone, shared by all three, and its
            // validation one two (noisy, clean). Counting three for a denoiser refused runs that
            // fit in a third of the memory. An unrolled image gives 8 samples, one estimate each,
            // sharing its blurred and sharp planes. 16 validation images are made besides.
            let planes = task == .denoise
                ? Double(syntheticImages) + 16 * 2 + 10 * Double(max(unrolled, 0))
                : (Double(syntheticImages) + 16) * 3
            let data = planes * Double(imageSize) * Double(imageSize) * 4
            if data > available {
                throw ValidationError("Please give fewer --synthetic-images or a smaller --image-size (got \(syntheticImages) of \(imageSize)²\(unrolled > 0 ? " and \(unrolled) unrolled" : "")): the training data needs at least \(gigabytes(data)), more than this machine's \(gigabytes(available)).")
            }
        }
    }

    /// Refuses a dataset whose samples cannot be held in this machine's memory: every item is
    /// kept whole as three Float32 planes per channel (the base estimate, the blurred and the
    /// sharp image), estimated from the first item's header (`ImageIO.info`: no pixels are read
    /// twice): 12 bytes per pixel, 79 GB for 100 000 items of 256². Such a run restored items for
    /// as long as memory lasted (minutes), then was killed without a word.
    func checkDatasetMemory(_ dataset: Dataset) throws {
        guard let first = dataset.items.first else { return }
        let image = try ImageIO.info(dataset.path(first.blurred))
        let need = Double(dataset.items.count) * Double(image.channels * image.height * image.width) * 12
        let available = Double(ProcessInfo.processInfo.physicalMemory)
        if need > available {
            throw CLIError("dataset \(dataset.directory) is too large to train on here: its \(dataset.items.count) items "
                + "(\(image.channels == 1 ? "" : "\(image.channels) channels of ")\(image.height)×\(image.width), as its first) are held in memory "
                + "as three Float32 planes per channel (base estimate, blurred, sharp), at least \(gigabytes(need)), more than "
                + "this machine's \(gigabytes(available)); train on a dataset of fewer or smaller items")
        }
    }

    func run() throws {
        // The model, its checkpoint and its log must stay one run's: a second run of the same
        // output (a job array, a loop with `&`) is refused before it reads or writes any of them.
        let locks = try outputLocks()
        defer { locks.forEach { $0.release() } }
        if let threads { BLAS.threads = threads }
        var parameters: [String: String] = [:]
        for p in baseParam {
            let (key, value) = try keyValue(p, option: "base-param")
            // The later value silently won, and the header recorded one the user may not have meant.
            guard parameters.updateValue(value, forKey: key) == nil else {
                throw CLIError("invalid --base-param \(p): \(key) is given twice")
            }
        }
        // The header records every base parameter, defaults included, so a later change of a
        // default cannot silently change the input a trained model expects.
        let base = baseName
        let resolved = try ClassicalMethods.resolvedParameters(base, parameters: parameters)
        let denoise = task == .denoise
        // A denoiser runs no base method; its header says so rather than naming one.
        let baseMethod = denoise ? BaseMethod(name: "none", parameters: [:]) : BaseMethod(name: base, parameters: resolved)
        let restorer = try ClassicalMethods.make(base, parameters: resolved)
        let inputs = self.inputs ?? (denoise ? "estimate,noise" : "estimate,blurred,noise")
        // Empty entries kept, so that 'estimate,,noise' is refused rather than read as 'estimate,noise'.
        let inputList = try inputs.split(separator: ",", omittingEmptySubsequences: false).map { name -> RefinerInput in
            guard let i = RefinerInput(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw CLIError("invalid --inputs entry '\(name)': expected estimate, blurred or noise")
            }
            return i
        }
        let architecture = RefinerArchitecture(width: width, depth: depth, convolutionsPerLevel: convolutions, inputs: inputList)
        if let problem = architecture.problem { throw CLIError("invalid network: \(problem)") }
        if denoise && inputList.contains(.blurred) {
            throw CLIError("invalid --inputs '\(inputs)': a denoiser (--task denoise) has no blurred image")
        }

        // Read and checked before the data is synthesized, which can take minutes.
        let initialModel = try initial.map { try ModelFile.read($0).model }
        if let initialModel, let initial {
            try Trainer.checkInitial(initialModel, path: initial, architecture: architecture, task: task)
        }
        // So is the checkpoint of --resume: a damaged one, or one of another network or task,
        // was refused only once the data had been made.
        if resume {
            let checkpoint = output + ".checkpoint"
            let model = try ModelFile.read(checkpoint).model
            try Trainer.checkInitial(model, path: checkpoint, architecture: architecture, task: task)
            try Trainer.checkSameRun(checkpoint: model, path: checkpoint, output: output)
        }

        let data: TrainingData
        var endToEndTraining: EndToEndTraining?
        if let dataset {
            let loaded = try Dataset.load(dataset)
            try checkDatasetMemory(loaded)
            // One tick per item: the base method takes ~15 ms per 256² item on 2 cores, minutes
            // on a large dataset, and the bar stood at 0 of 1 until all were done.
            let bar = ProgressBar(total: loaded.items.count, label: "base \(base)", quiet: quiet)
            data = try TrainingData.dataset(loaded, base: restorer, patch: patchSide, progress: { bar.advance() })
            bar.finish()
        } else {
            var settings = SyntheticDataSettings()
            settings.trainingImages = imageCount
            settings.imageSize = imageSide
            let noiseRange = self.noiseRange ?? (denoise && !endToEnd ? "0:0.2" : "0.005:0.03")
            // Earlier releases documented MIN,MAX; scripts written then keep working.
            let (low, high) = try Synth.range(noiseRange.contains(":") ? noiseRange : noiseRange.replacingOccurrences(of: ",", with: ":"), "noise-range")
            // The synthesizer's own bound, checked here so that `inf` is named as typed (it
            // reached the synthesizer as "invalid noise sigma -nan").
            guard low >= 0, high >= low, high <= NoiseModel.maximumGaussianSigma else {
                throw CLIError("invalid --noise-range '\(noiseRange)': expected MIN:MAX with 0 ≤ MIN ≤ MAX ≤ \(Int(NoiseModel.maximumGaussianSigma)) (σ on the [0, 1] scale)")
            }
            settings.noiseMin = low; settings.noiseMax = high
            if endToEnd { settings.unrolledNoise = low...high }
            let psfSizes = self.psfSizes ?? "13,17,21,25,31"
            let sizes = psfSizes.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !sizes.isEmpty, sizes.allSatisfy({ $0 != nil && $0! >= 3 && $0! % 2 == 1 }) else {
                throw CLIError("invalid --psf-sizes '\(psfSizes)': expected odd sides ≥ 3, comma-separated")
            }
            settings.psfSizes = sizes.map { $0! }
            settings.textureMax = texture ?? 0; settings.defocusMax = defocus ?? 0; settings.grainMax = grain ?? 0
            settings.shadingMax = shading ?? 0; settings.shapeFraction = shapes ?? 0; settings.patternFraction = patterns ?? 0
            settings.lensBlurMax = lensBlur ?? 0
            settings.contrastMin = contrast ?? 1
            (settings.minRadius, settings.maxRadius) = try Synth.range(radii ?? "1:100", "radii")
            settings.grainOctaves = grainOctaves ?? 1; settings.strandFraction = strands ?? 0; settings.unrolledImages = unrolled
            let splitting = try initialModel.flatMap { unrolled > 0 ? try PlugAndPlayRestorer(model: $0) : nil }
            if endToEnd, let initialModel {
                // Scenes are drawn fresh at every step: no data to synthesize up front.
                // The gradient runs through the network's passes and data steps only.
                var pnp = try PlugAndPlayRestorer(model: initialModel)
                pnp.collaborativeSteps = 0
                endToEndTraining = try EndToEndTraining(splitting: pnp, settings: settings, seed: seed)
                data = TrainingData(training: [], validation: [], description: [:], task: .denoise)
            } else {
                let bar = ProgressBar(total: settings.trainingImages + settings.validationImages + unrolled, label: "synthesize", quiet: quiet)
                data = denoise ? try TrainingData.syntheticDenoising(settings, seed: seed, splitting: splitting) { bar.advance() }
                    : try TrainingData.synthetic(settings, base: restorer, seed: seed) { bar.advance() }
                bar.finish()
            }
        }

        var options = TrainingOptions()
        options.steps = steps; options.epochs = epochCount; options.stepsPerEpoch = stepsPerEpoch
        options.batch = batch; options.patch = patchSide; options.optimizer = optimizer; options.learningRate = lr
        options.weightDecay = weightDecay; options.schedule = schedule; options.warmup = warmup
        options.loss = loss; options.seed = seed
        let trainer = try Trainer(architecture: architecture, base: baseMethod, data: data, options: options,
                                  output: output, logPath: log ?? output + ".log.jsonl")
        if let initialModel, let initial { try trainer.initialize(from: initialModel, path: initial) }
        if let endToEndTraining { try trainer.trainEndToEnd(endToEndTraining) }
        if resume {
            // A warm restart changes settings on purpose; a slip of the command line would too.
            let changed = try trainer.resume()
            // Printed under --quiet too, which only hides the progress bar: a batch job is where
            // a slip of the command line would otherwise go unseen.
            if !changed.isEmpty {
                writeStandardError("note: resuming \(output).checkpoint with other settings than it was written with: \(changed.joined(separator: "; "))\n")
            }
            switch trainer.resumedOutput {
            case let .restored(problem, step, psnr)?:
                writeStandardError("note: resuming: \(output) \(problem); rewrote it from \(output).checkpoint, whose weights are the run's best "
                                   + "(step \(step), validation PSNR \(String(format: "%.2f", psnr)) dB)\n")
            case let .lost(problem, bestPSNR, keptStep, keptPSNR)?:
                writeStandardError("note: resuming: \(output) \(problem), not the run's best model (validation PSNR "
                                   + "\(String(format: "%.2f", bestPSNR)) dB, recorded in \(output).checkpoint): that model is lost. \(output) now holds "
                                   + "the best one left (step \(keptStep), \(String(format: "%.2f", keptPSNR)) dB), replaced by any better epoch; "
                                   + "the log marks an epoch best only above \(String(format: "%.2f", bestPSNR)) dB\n")
            case nil: break
            }
        }
        let bar = ProgressBar(total: trainer.totalSteps, label: "train", quiet: quiet)
        if trainer.step > 0 { bar.advance(trainer.step) }
        var lastValidation = ""
        let start = monotonicSeconds()
        let model = try trainer.run { event in
            switch event {
            case let .step(_, _, loss, _):
                bar.advance(status: String(format: "loss %.4g%@", loss, lastValidation))
            case let .validation(_, _, m, _):
                lastValidation = String(format: "  val %.2f dB (base %.2f)", m.psnr, m.basePSNR)
                bar.setStatus(lastValidation)
            }
        }
        bar.finish()
        // Without validation data the trainer never saved a best model: write the last one.
        if trainer.best == nil { try ModelFile.write(model, to: output) }
        let seconds = monotonicSeconds() - start
        let m = model.header.metrics
        if json {
            var fields: [String] = ["\"model\": \(jsonQuoted(output))", "\"steps\": \(trainer.step)", "\"parameters\": \(model.network.parameterCount)",
                                    String(format: "\"seconds\": %.3f", seconds)]
            for key in ["psnr", "ssim", "base_psnr", "base_ssim", "loss"] { if let v = m[key], v.isFinite { fields.append(String(format: "\"val_\(key)\": %.6g", v)) } }
            print("{" + fields.joined(separator: ", ") + "}")
        } else {
            var line = "wrote \(output): \(model.network.parameterCount) parameters, \(trainer.step) steps in " + String(format: "%.1f s", seconds)
            if let p = m["psnr"], let b = m["base_psnr"] { line += String(format: "; validation PSNR %.2f dB (%@ %.2f dB)", p, endToEnd ? "blurred input" : denoise ? "noisy input" : "base " + base, b) }
            print(line)
        }
    }
}
