import ArgumentParser
import DeblurKit
import Foundation

struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Score several methods side by side on a dataset.",
        discussion: """
        Methods are specs name[:key=value,...], comma-separated: blurred, wiener:nsr=auto, tikhonov:lambda=0.002, \
        rl:iterations=30,boundary=masked, rl-tv, hyper-laplacian, cnn:model=FILE, saved:dir=FOLDER (restorations \
        made elsewhere, FOLDER/<item id>.tif or .png). Every item is restored by every \
        method and scored against its sharp image; items run in parallel. Prints the summary table (Markdown) on \
        stdout; failed items, and reports that cannot be written, are listed and make the exit status 1 after all \
        other outputs are written, as does a --save-restored image that cannot be written (saving stops there, \
        the scores are kept).
        Large datasets: run shards (--shard K/N --json part-K.json, e.g. as a job array), then \
        deblur compare --merge part-*.json --report ... (Examples/slurm/compare-array.sh).
        """)

    @Argument(help: "The dataset directory (dataset.json, items.jsonl, sharp/, blurred/, psf/).")
    var dataset: String?

    @Option(help: "Comma-separated method specs, e.g. blurred,wiener:nsr=auto,rl:iterations=30.")
    var methods: String?

    @Option(help: "Score only shard K of N (1-based, items i ≡ K−1 mod N after --limit); merge the shards' --json files with --merge.")
    var shard: String?

    @Option(parsing: .upToNextOption, help: "Merge the --json reports of a sharded run (no dataset, no methods) and write the reports of the whole.")
    var merge: [String] = []

    @Option(help: "With --tune: write the method list with the tuned values filled in, for runs that reuse them (shards); '-' prints it instead of the table.")
    var tunedMethods: String?

    @OptionGroup var metrics: MetricOptions

    @Option(help: "Method the win counts compare against (default: blurred if listed, else the first; with --merge, the parts' baseline).")
    var baseline: String?

    @Flag(help: "Tune each method's free parameter (NSR, λ, iterations) on a validation split, then score the rest.")
    var tune = false

    @Option(help: "Fraction of items used for tuning with --tune (default: 0.2).")
    var validationFraction: Double?

    @Option(help: "Seed of the validation split of --tune (default: 0).")
    var splitSeed: UInt64?

    /// The split's settings, recorded in the reports even without --tune.
    var fraction: Double { validationFraction ?? 0.2 }

    @Option(help: "Score only the first N items (in id order).")
    var limit: Int?

    // Optional, so that --help shows "all cores" rather than this machine's count as the default.
    @Option(help: "Items restored at once (default: all cores; each method then runs single-threaded).")
    var threads: Int?
    var threadCount: Int { threads ?? ProcessorInfo.cores }

    @Option(name: .customLong("report"), help: "Write the full Markdown report (tables by kernel, blur support, source photograph and noise, tuning, failures); '-' prints it instead of the table.")
    var reportPath: String?

    @Option(name: .customLong("json"), help: "Write everything as JSON (settings, versions, per item, aggregates); '-' prints it instead of the table.")
    var jsonPath: String?

    @Option(name: .customLong("csv"), help: "Write one CSV row per item × method; '-' prints it instead of the table.")
    var csvPath: String?

    @Option(name: .customLong("html"), help: "Write a self-contained HTML report with charts and side-by-side crops; '-' prints it instead of the table.")
    var htmlPath: String?

    @Option(help: "Save every restored image as DIR/<method>/<id>.tif (32-bit float). If one cannot be written (a full disk), saving stops with one error line; scoring and reports go on, exit status 1.")
    var saveRestored: String?

    // Optionals (defaults applied where they are read), so that validate() can refuse one given
    // without the report it shapes.
    @Option(help: "Items whose PSNR is traced per iteration for the HTML curves and the JSON report (default 2).")
    var traceItems: Int?

    @Option(help: "Items shown as side-by-side crops in the HTML report (default 3).")
    var previewItems: Int?

    @Option(help: "Items listed in the HTML report's per-item table, the first ones (default \(HTMLReport.defaultItemRows)); the CSV and JSON list every item.")
    var htmlItems: Int?

    @Flag(help: "No progress bar.")
    var quiet = false

    /// The outputs '-' can send to stdout, as given.
    var outputs: [(option: String, path: String?)] {
        [("--report", reportPath), ("--csv", csvPath), ("--html", htmlPath), ("--json", jsonPath), ("--tuned-methods", tunedMethods)]
    }

    /// The outputs with the file each names (nil: not given, or '-': stdout).
    var outputFiles: [(option: String, path: String?)] { outputs.map { ($0.option, $0.path == "-" ? nil : $0.path) } }

    func validate() throws {
        try checkThreads(threads)
        let toStdout = outputs.filter { $0.path == "-" }.map(\.option)
        if toStdout.count > 1 {
            throw ValidationError("Only one report can take stdout ('-'); got \(toStdout.map { "\($0) -" }.joined(separator: " and ")): name a file for the others.")
        }
        if let validationFraction, !(validationFraction > 0 && validationFraction < 1) {
            throw ValidationError("Please give a --validation-fraction between 0 and 1 (got \(validationFraction)).")
        }
        if let limit, limit < 1 { throw ValidationError("Please give --limit ≥ 1 (got \(limit)).") }
        guard traceItems ?? 0 >= 0, previewItems ?? 0 >= 0, htmlItems ?? 0 >= 0 else { throw ValidationError("Please give --trace-items, --preview-items and --html-items ≥ 0.") }
        if merge.isEmpty {
            guard dataset != nil, methods != nil else { throw ValidationError("Please give a DATASET and --methods (or --merge REPORT.json ...).") }
        } else {
            guard dataset == nil, methods == nil, shard == nil, !tune, saveRestored == nil else {
                throw ValidationError("--merge takes only report files and output options, not a dataset, --methods, --shard, --tune or --save-restored.")
            }
            // The parts hold scores, not images: they cannot be rescored under other settings.
            guard metrics.given.isEmpty else {
                throw ValidationError("--merge keeps the parts' scores as computed, so it takes no metric options (--crop, --ssim-preset, --luminance, --data-range); got \(metrics.given.joined(separator: ", ")). Give them to the shards' runs instead.")
            }
            // They act on restoring and scoring items, which the parts' runs did: dropped, exit 0.
            try refuseUnused([("--limit", limit != nil), ("--threads", threads != nil), ("--trace-items", traceItems != nil),
                              ("--preview-items", previewItems != nil)],
                             "with --merge: the parts' runs restored and scored the items (give such options to those runs instead)")
        }
        // Each shapes one report only: without it they were dropped, exit 0.
        if htmlPath == nil {
            try refuseUnused([("--preview-items", previewItems != nil), ("--html-items", htmlItems != nil)],
                             "without --html: only the HTML report is shaped by these options")
            if jsonPath == nil {
                try refuseUnused([("--trace-items", traceItems != nil)],
                                 "without --html or --json: the traces go to those two reports only (drawn in the HTML, stored in the JSON)")
            }
        }
        if shard != nil && tune {
            throw ValidationError("--tune with --shard would tune every shard on its own split: tune once (--tune --tuned-methods FILE, e.g. with --limit), then give the shards --methods \"$(cat FILE)\".")
        }
        if tunedMethods != nil && !tune { throw ValidationError("--tuned-methods needs --tune.") }
        // Without --tune there is no split: the options would be silently ignored.
        if (validationFraction != nil || splitSeed != nil) && !tune {
            throw ValidationError("--validation-fraction and --split-seed need --tune.")
        }
        // The reports are written after every item has run, which can take hours: a path
        // that cannot be written is refused before the first item rather than after the last.
        for (option, path) in outputFiles {
            if let path { try checkWritableOutput(path, option: option) }
        }
        if saveRestored?.isEmpty == true { throw ValidationError("--save-restored is an empty name: give a folder name.") }
        // The dataset's own description and items lists, its items' images and PSFs, the
        // models of cnn:model=, and the parts being merged, are inputs: `--csv ds/sharp/000003.png`
        // replaced that sharp image with the report.
        // Only an output that exists can be one of them; listing the items loads the whole
        // dataset (9 s at 100 000 items), so a run writing fresh reports skips it.
        var inputs = merge
        if let dataset, outputFiles.contains(where: { $0.path.flatMap(existingFileIdentity) != nil }) {
            inputs += datasetInputFiles(dataset)
        }
        let specs = methods.flatMap { try? MethodSpec.parseList($0) }
        inputs += (specs ?? []).filter { $0.name == "cnn" }.compactMap { $0.parameterDictionary["model"] }
        try refuseClashes(outputFiles, inputs: inputs)
        if let saveRestored, let specs { try refuseSavingInto(specs, root: saveRestored) }
    }

    /// Refuses a `--save-restored` folder of a method that `saved:dir=` reads: each item's
    /// image would be replaced by this run's before or after the saved one is read, so an
    /// earlier version's restorations were lost and, read after, scored as this run's.
    func refuseSavingInto(_ specs: [MethodSpec], root: String) throws {
        for read in specs where read.name == "saved" {
            guard let folder = read.parameterDictionary["dir"], let readID = existingFileIdentity(folder) else { continue }
            for written in specs {
                let target = Self.restoredFolder(root: root, method: written.description)
                if existingFileIdentity(target) == readID {
                    throw ValidationError("--save-restored \(root) would write \(written.description)'s images into \(target), "
                                          + "the folder \(read.description) reads (its files would be replaced): give another --save-restored folder.")
                }
            }
        }
    }

    /// Where `--save-restored ROOT` puts the images of the method labelled `method`.
    static func restoredFolder(root: String, method: String) -> String {
        (root as NSString).appendingPathComponent(SavedRestorations.fileName(method))
    }

    /// A flag set once, from any thread.
    final class OnceFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
        /// Sets the flag; true for the call that set it.
        func set() -> Bool {
            lock.lock(); defer { lock.unlock() }
            defer { value = true }
            return !value
        }
    }

    func run() throws {
        guard let dataset, let methods else { return try emit(try mergedReports()) }
        let specs = try MethodSpec.parseList(methods)
        let data = try Dataset.load(dataset)
        var entries = data.items
        if let limit { entries = Array(entries.prefix(limit)) }
        guard !entries.isEmpty else { throw CLIError("dataset \(dataset) has no items") }
        var shardRecord: ComparisonShard?
        if let shard {
            let part = try Shard(parsing: shard)
            shardRecord = ComparisonShard(index: part.index, count: part.count, datasetItems: entries.count)
            entries = entries.enumerated().filter { part.contains($0.offset) }.map(\.element)
            guard !entries.isEmpty else { throw CLIError("shard \(shard) of dataset \(dataset) has no items") }
        }
        let items = ComparisonItem.items(of: data, entries)
        if let range = metrics.dataRange, range != 1, let first = entries.first,
           let sharp = try? ImageIO.info(data.path(first.sharp)), !sharp.isFloat {
            // An integer sharp image is read on [0, 1], and so are the restorations of a dataset
            // of them: at --data-range 255 every PSNR came out 48.1 dB high, SSIM near 1, silently.
            let r = String(format: "%g", range)
            writeStandardError("note: --data-range \(r): \(dataset)'s sharp images are \(sharp.bitsPerSample)-bit integer files (\(first.sharp)), "
                               + "read on [0, 1] with white 1, not \(r): PSNR is \(String(format: "%+.1f", 20 * log10(range))) dB and SSIM "
                               + "\(range > 1 ? "higher" : "lower") than on their own scale. Leave out --data-range for a dataset of 8/16-bit images\n")
        }
        // Set at the first `--save-restored` image that cannot be written, after which none is.
        let saveStopped = OnceFlag()

        var settings = ComparisonSettings(dataset: dataset, metrics: metrics.settings, baseline: baseline ?? "",
                                          tune: tune, validationFraction: fraction, splitSeed: splitSeed ?? 0, threads: threadCount)
        if let baseline, !specs.map(\.description).contains(baseline) {
            throw CLIError("--baseline '\(baseline)' is not one of the methods: \(specs.map(\.description).joined(separator: ", "))")
        }
        settings.methodSpecs = specs.map(\.description)
        settings.shard = shardRecord
        var runner = ComparisonRunner(settings: settings)
        if let traceItems { runner.traceItems = traceItems }
        if let previewItems { runner.previewItems = previewItems }
        let bar = ProgressBar(total: tune ? items.count - max(1, Int((fraction * Double(items.count)).rounded(.up))) : items.count,
                              label: "compare", quiet: quiet)
        runner.progress = { record, _, _ in bar.advance(status: record.id) }
        if let saveRestored {
            let root = saveRestored
            // Names that become one file name would replace each other's images, and a later
            // saved:dir= would read the survivor for both. Every item of the dataset, not only
            // this shard's or --limit's: the shard (or run) that saves the other item writes the
            // same file, whichever runs last wins, and saved:dir= reads it as its own.
            for (what, names, suffix) in [("items", data.items.map(\.id), ".tif"), ("methods", specs.map(\.description), "/")] {
                var seen: [String: String] = [:]
                for name in names {
                    let file = SavedRestorations.fileName(name)
                    if let other = seen[file] {
                        throw CLIError("--save-restored \(root): \(what) '\(other)' and '\(name)' would both be saved as \(file)\(suffix) "
                                       + "(every character but letters, digits and ._=- becomes _); nothing written")
                    }
                    seen[file] = name
                }
            }
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            runner.saveRestored = { id, method, image in
                guard !saveStopped.isSet else { return }
                do {
                    let directory = Self.restoredFolder(root: root, method: method)
                    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                    try ImageIO.write(image, to: (directory as NSString).appendingPathComponent(SavedRestorations.fileName(id) + ".tif"))
                } catch {
                    // A full disk fails every later save alike: one line, and the run keeps
                    // the disk's last bytes for the reports, whose scores the failure leaves intact.
                    // The image went to a temporary file, removed: no partial file is left.
                    if saveStopped.set() {
                        bar.message(Main.errorLine(error) + "; no more restorations are saved in this run (--save-restored), the scoring goes on\n")
                    }
                }
            }
        }

        if tune && !quiet {
            runner.tuningProgress = { candidate, index, count in
                writeStandardError("compare: tuning \(candidate) (\(index + 1)/\(count)) on the validation split\n")
            }
        }
        // One component owns the cores: items in parallel, so each transform, product and
        // collaborative filter runs on one thread (the CNN's results do not depend on it).
        let result = try BLAS.withThreads(threadCount > 1 ? 1 : BLAS.threads) {
            // Every item of the dataset, not only this shard's: another item's file is another
            // item's wherever it runs.
            try runner.run(items: items, specs: specs, factory: .standard(itemIDs: data.items.map(\.id)))
        }
        bar.finish()
        var unwritten: [Error] = []
        var tunedList: String?
        if let tunedMethods {
            let tuned = Dictionary(uniqueKeysWithValues: result.tuning.map { ($0.method, $0.tunedSpec.description) })
            let list = specs.map { tuned[$0.description] ?? $0.description }.joined(separator: ",")
            if tunedMethods == "-" { tunedList = list } else {
                do { try writeAtomically(Data((list + "\n").utf8), to: tunedMethods) } catch { unwritten.append(error) }
            }
        }
        try emit(result, unwritten: unwritten, tunedList: tunedList)
        // Reported when it happened; the scores and reports are complete, the images are not.
        if saveStopped.isSet { throw ExitCode.failure }
    }

    /// The `--merge` inputs read and merged, with `--baseline` applied: win counts come from
    /// the per-item scores the parts store, so they can be counted against any method.
    func mergedReports() throws -> Comparison {
        let parts = try merge.map { path -> (source: String, comparison: Comparison) in
            let data: Data
            do {
                // A part is read once, whole, as a stream: a pipe (`--merge <(ssh node cat part.json)`)
                // too, which Data(contentsOf:) refused as "permission denied".
                data = try readWhole(path)
            } catch CoreError.readFailed(_, let reason) {
                throw CLIError("cannot read comparison report \(path): \(reason)")
            }
            return (path, try Comparison.parseJSON(data, source: path))
        }
        var merged = try Comparison.merge(parts)
        if let baseline {
            guard merged.methods.contains(baseline) else {
                throw CLIError("--baseline '\(baseline)' is not one of the merged reports' methods: \(merged.methods.joined(separator: ", "))")
            }
            merged.settings.baseline = baseline
        }
        return merged
    }

    /// Writes the requested reports, prints the table (or the report, or `tunedList`, asked for
    /// on stdout), and fails (after writing) if any result failed or any output could not be
    /// written (`unwritten`: the failures so far).
    func emit(_ result: Comparison, unwritten: [Error] = [], tunedList: String? = nil) throws {
        // The intervals to the baseline are bootstrapped once for all the reports that show them
        // (0.9 s each at 5 000 items × 3 methods, 15 s at 100 000), and only if one is asked for.
        lazy var againstBaseline = result.againstBaseline
        func render(_ option: String) -> String {
            switch option {
            case "--report": return MarkdownReport.render(result, againstBaseline: againstBaseline)
            case "--csv": return CSVReport.render(result)
            case "--html": return HTMLReport.render(result, encodePNG: { try ImageIO.encodePNG($0) }, itemRows: htmlItems ?? HTMLReport.defaultItemRows,
                                                    againstBaseline: againstBaseline)
            default: return JSONReport.render(result, againstBaseline: againstBaseline)
            }
        }
        var unwritten = unwritten
        // The files first, stdout last: a reader that stops early (`| head`) ends the process by
        // SIGPIPE at the first write past what it read, and the report files after it in this
        // loop were never written, the whole run's scores lost with them.
        for case let (option, given?) in outputs where option != "--tuned-methods" && given != "-" {
            // A report that cannot be written (a full disk) does not cost the others, nor the
            // table: the run's results would be lost with them.
            do { try writeAtomically(Data(render(option).utf8), to: given) } catch { unwritten.append(error) }
        }
        let toStdout = outputs.first { $0.path == "-" && $0.option != "--tuned-methods" }?.option
        if let tunedList {
            print(tunedList)
        } else if let toStdout {
            print(render(toStdout), terminator: "")
        } else {
            print(MarkdownReport.headline(result) + "\n")
            print(MarkdownReport.summaryTable(result), terminator: "")
            for t in result.tuning { print("tuned \(t.method): \(t.parameter) = \(t.chosen)") }
        }
        let failures = result.failures
        if !failures.isEmpty {
            // One line per failure, for scripts that read them: an item id or a reason holding a
            // line break made the rest of the line look like another message.
            let line = MarkdownReport.oneLine
            for f in failures.prefix(20) {
                writeStandardError("failed: item \(line(f.item))\(f.method.map { ", \(line($0))" } ?? ""): \(line(f.reason))\n")
            }
            if failures.count > 20 { writeStandardError("… and \(failures.count - 20) more (see the report)\n") }
        }
        var errors = unwritten
        if !failures.isEmpty {
            errors.append(CLIError("\(result.failedResultCount) item/method result(s) failed out of \(result.items.count * result.methods.count)"))
        }
        // Each in the line `Main.fail` prints for the last: Foundation's own file errors among
        // them would otherwise print as its "Error Domain=NSCocoaErrorDomain …" dump.
        for error in errors.dropLast() { writeStandardError(Main.errorLine(error) + "\n") }
        if let last = errors.last { throw last }
    }
}
