import ArgumentParser
import DeblurKit
import Foundation

extension SynthesisSettings.ImageOrder: ExpressibleByArgument {}

struct Synth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth", abstract: "Generate a synthetic blurred dataset.",
        discussion: """
        Writes DIR/dataset.json, DIR/sharp, DIR/blurred, DIR/psf and DIR/items.jsonl (or items-K-of-N.jsonl \
        with --shard). Every item depends on (settings, --seed, item index) alone: N shards run anywhere give \
        the same files as one run. Re-running skips complete items. See Docs/Synthesis.md.
        """)

    @Option(help: "Output dataset directory.")
    var out: String
    @Option(help: "Number of items.")
    var count: Int?
    @Option(help: "Use N procedural dead-leaves images (the default sharp source; same as --count N).")
    var deadLeaves: Int?
    @Option(help: "Folder of PNG/TIFF sharp images to crop from instead of dead leaves.")
    var images: String?
    @Flag(help: "Use whole images from --images instead of random crops.")
    var wholeImages = false
    @Option(help: "Which image of --images each item uses: random (drawn per item, with replacement) or cycle (passes over the images, each pass in a new seeded random order, so each is used count/N times).")
    var imageOrder: SynthesisSettings.ImageOrder?
    @Flag(help: "Skip unreadable or too small files in --images / --kernels (listed on stderr) instead of failing; needs one of them.")
    var skipBad = false
    @Option(help: "Item size: N (square) or HxW (default 256; --whole-images keeps each image's own).")
    var size: String?
    @Option(help: "Folder of PSF files to draw from, or 'bank' for the shipped bank (default: fresh trajectories).")
    var kernels: String?
    @Option(help: "Side of the fresh trajectory PSFs (odd; default 31). --kernels draws from files instead, and takes no trajectory options.")
    var trajectories: Int?
    @OptionGroup var trajectory: TrajectoryOptions
    // The dead-leaves options shape procedural images only; Optionals (defaults applied in
    // `settings()`) so that validate() can refuse them beside --images.
    @Flag(help: "RGB dead leaves (default gray).")
    var rgb = false
    @Option(help: "Dead leaves: smallest and largest disk radius in pixels, MIN:MAX (default 1:100).")
    var radii: String?
    @Option(help: "Dead leaves: sinusoidal texture amplitude per disk, in [0, 0.5) (default 0).")
    var texture: Double?
    @Option(help: "Dead leaves: largest fine-grain amplitude per disk, in [0, 0.5) (each disk draws one; default 0).")
    var grain: Double?
    @Option(help: "Dead leaves: largest shading amplitude per disk, a linear ramp of ± A across the disk, in [0, 0.5) (each disk draws one; default 0).")
    var shading: Double?
    @Option(help: "Dead leaves: fraction of leaves that are ellipses, rectangles or triangles (up to 6:1) instead of disks, in [0, 1] (default 0).")
    var shapes: Double?
    @Option(help: "Dead leaves: fraction of leaves filled with a periodic motif (stripes, dots, bricks or tiles, rows of glyphs; period 3–24 px), in [0, 1] (default 0).")
    var patterns: Double?
    @Option(help: "Dead leaves: σ in pixels of a Gaussian lens blur over the finished image, soft edges instead of one-pixel steps (default 0: none).")
    var lensBlur: Double?
    @Option(help: "Dead leaves: grain correlation octaves, 1…4: each disk's grain is correlated over 0.8·2^k px for a k of its own (default 1).")
    var grainOctaves: Int?
    @Option(help: "Dead leaves: fraction of grained leaves whose grain is drawn out into strands along a direction of their own (fur, grass, wood), in [0, 1] (default 0; needs --grain).")
    var strands: Double?
    @Option(help: "Dead leaves: σ in pixels of an out-of-focus background layer (default 0: none).")
    var defocus: Double?
    @Option(help: "Gaussian noise σ on the [0, 1] scale: S, or MIN:MAX drawn uniformly per item.")
    var noiseSigma = "0.01"
    @OptionGroup var noise: NoiseOptions
    @Option(help: "Boundary protocol: valid (blur a larger crop, keep the valid part), circular, reflect, replicate.")
    var boundary: BlurBoundaryArgument = .valid
    @Option(help: "Bits per sample of the sharp PNGs, 8 or 16 (the sharp image is put on that grid before blurring).")
    var sharpBits = 8
    @Option(help: "Dataset seed.")
    var seed: UInt64 = 0
    @Option(help: "Write only shard K of N (1-based), e.g. 3/8; its items go to items-K-of-N.jsonl.")
    var shard: String?
    @Flag(help: "Regenerate every item, even into a directory made with other settings.")
    var force = false
    @Option(help: "Items generated in parallel (default: all cores).")
    var threads: Int?
    @Flag(help: "No progress bar.")
    var quiet = false
    @Flag(help: "Print the summary as JSON on stdout.")
    var json = false

    /// Refuses options the run would not read: each was dropped without a word, exit 0, while
    /// `dataset.json` recorded its value as if it had been used.
    func validate() throws {
        if images != nil {
            try refuseUnused([("--rgb", rgb), ("--radii", radii != nil), ("--texture", texture != nil), ("--grain", grain != nil),
                              ("--shading", shading != nil), ("--shapes", shapes != nil), ("--patterns", patterns != nil),
                              ("--lens-blur", lensBlur != nil), ("--grain-octaves", grainOctaves != nil), ("--strands", strands != nil), ("--defocus", defocus != nil)],
                             "with --images: the dead-leaves options shape procedural images only, and the images are used as they are")
        }
        if (grain ?? 0) == 0 { try refuseUnused([("--strands", strands != nil)], "without --grain: strands are the leaves' grain drawn out, and there is none") }
        if wholeImages { try refuseUnused([("--size", size != nil)], "with --whole-images: each item keeps its image's own size") }
        if kernels != nil {
            try refuseUnused([("--trajectories", trajectories != nil)] + trajectory.given,
                             "with --kernels: the trajectory options shape fresh trajectory PSFs only, and the kernels are drawn from the files")
        }
        if images == nil && kernels == nil {
            try refuseUnused([("--skip-bad", skipBad)], "without --images or --kernels: it skips their unusable files, and there are none")
        }
    }

    static func range(_ text: String, _ name: String) throws -> (Double, Double) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard (parts.count == 1 || parts.count == 2), parts.allSatisfy({ $0 != nil }) else {
            throw CLIError("invalid --\(name) '\(text)': expected a number or MIN:MAX")
        }
        return (parts[0]!, parts.last!!)
    }

    func settings() throws -> SynthesisSettings {
        var s = SynthesisSettings()
        if let deadLeaves, let count, deadLeaves != count {
            throw CLIError("--dead-leaves \(deadLeaves) and --count \(count) disagree: give one of them")
        }
        if deadLeaves != nil && images != nil { throw CLIError("give either --images or --dead-leaves, not both") }
        s.count = deadLeaves ?? count ?? 100
        // Empty parts kept, so that 8x, x8 and 4x6x are refused rather than read as 8, 8 and 4×6.
        let size = self.size ?? "256"
        let dims = size.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard (dims.count == 1 || dims.count == 2), dims.allSatisfy({ ($0 ?? 0) > 0 }) else {
            throw CLIError("invalid --size '\(size)': expected N or HxW with positive integers")
        }
        s.height = dims[0]!; s.width = dims.last!!
        s.seed = seed
        if let images {
            s.sharpSource = .images
            s.imagesDirectory = images
            s.wholeImages = wholeImages
            s.imageOrder = imageOrder ?? .random
        } else if wholeImages {
            throw CLIError("--whole-images needs --images DIR")
        } else if imageOrder != nil {
            throw CLIError("--image-order needs --images DIR")
        }
        let (rmin, rmax) = try Self.range(radii ?? "1:100", "radii")
        s.deadLeaves = DeadLeaves(minRadius: rmin, maxRadius: rmax, channels: rgb ? 3 : 1, textureAmplitude: texture ?? 0, defocusSigma: defocus ?? 0)
        s.deadLeaves.grainAmplitude = grain ?? 0
        s.deadLeaves.shadingAmplitude = shading ?? 0
        s.deadLeaves.shapeFraction = shapes ?? 0
        s.deadLeaves.patternFraction = patterns ?? 0
        s.deadLeaves.lensSigma = lensBlur ?? 0
        s.deadLeaves.grainOctaves = grainOctaves ?? 1
        s.deadLeaves.strandFraction = strands ?? 0
        if let kernels {
            s.kernelSource = .folder
            s.kernelDirectory = kernels
        }
        s.trajectorySize = trajectories ?? 31
        s.trajectory = trajectory.parameters
        (s.noiseSigmaMin, s.noiseSigmaMax) = try Self.range(noiseSigma, "noise-sigma")
        s.poissonPeak = noise.poisson
        s.quantizeBits = noise.quantize
        s.boundary = boundary.boundary
        s.sharpBits = sharpBits
        return s
    }

    func run() throws {
        let settings = try settings()
        let shard = try shard.map { try Shard(parsing: $0) } ?? .all
        try checkThreads(threads)
        let generator: DatasetGenerator
        do {
            // Only `--kernels bank` needs the bank's folder: an install without its resources
            // still synthesizes with other kernels.
            let bank = settings.kernelDirectory == "bank" ? try KernelBank.directory.appendingPathComponent("tif").path : nil
            generator = try DatasetGenerator(settings: settings, skipBad: skipBad, bankDirectory: bank)
        } catch let error as DatasetsError {
            // A folder of photographs often holds a stray small or odd file.
            guard case .badSource = error, !skipBad else { throw error }
            throw CLIError("\(error) (--skip-bad leaves such files out)")
        }
        for (path, reason) in generator.skipped {
            writeStandardError("skipped \(path): \(reason)\n")
        }
        let bar = ProgressBar(total: (0..<settings.count).filter(shard.contains).count, label: "synth", quiet: quiet)
        var reported = 0
        let lock = NSLock()
        let summary = try generator.write(to: out, shard: shard, force: force, threads: threads ?? ProcessorInfo.cores) { done, _ in
            lock.lock(); let step = done - reported; reported = done; lock.unlock()
            if step > 0 { bar.advance(step) }
        }
        bar.finish()
        let t = summary.stages
        if json {
            print(String(format: "{\"items\": %d, \"generated\": %d, \"skipped\": %d, \"seconds\": %.3f, \"items_per_second\": %.1f, \"stage_seconds\": {\"psf\": %.3f, \"sharp\": %.3f, \"blur\": %.3f, \"noise\": %.3f, \"write\": %.3f}}",
                         summary.items, summary.generated, summary.skipped, summary.seconds, summary.itemsPerSecond,
                         t.psf, t.sharp, t.blur, t.noise, t.write).dropLast() + ", \"directory\": \(jsonQuoted(out)), \"items_file\": \(jsonQuoted(shard.itemsFileName))}")
        } else {
            print(String(format: "synth: %d items (%d generated, %d already complete) in %.2f s, %.1f items/s",
                         summary.items, summary.generated, summary.skipped, summary.seconds, summary.itemsPerSecond) + " → \(out)/\(shard.itemsFileName)")
            print(String(format: "  thread-seconds: psf %.2f, sharp %.2f, blur %.2f, noise %.2f, write %.2f",
                         t.psf, t.sharp, t.blur, t.noise, t.write))
        }
    }
}
