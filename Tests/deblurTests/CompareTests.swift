import DeblurKit
import Foundation
import Testing

@Suite struct CompareTests {
    static func dataset(in dir: URL) throws {
        let result = try dir.deblur(SynthTests.arguments)
        #expect(result.status == 0, "\(result)")
    }

    /// A fresh 3-item dataset in `dir`, its automatic-Wiener restorations saved by `compare`,
    /// and each written to `folder` as `transform` changes it, as another tool might have saved it.
    static func savedWienerRestorations(in dir: URL, folder: String, _ transform: (Image) -> Image) throws {
        try dataset(in: dir)
        _ = try dir.deblur("compare", "ds", "--methods", "wiener:nsr=auto", "--save-restored", "restored", "--quiet")
        try FileManager.default.createDirectory(at: dir.file(folder), withIntermediateDirectories: true)
        for id in ["000000", "000001", "000002"] {
            let image = try ImageIO.read(dir.file("restored/wiener_nsr=auto/\(id).tif").path)
            try ImageIO.write(transform(image), to: dir.file("\(folder)/\(id).tif").path)
        }
    }

    /// A fresh 3-item dataset in `dir` whose items are named `ids` in order.
    static func dataset(in dir: URL, ids: [String]) throws {
        try dataset(in: dir)
        let itemsFile = dir.file("ds/items.jsonl")
        let lines = try String(contentsOf: itemsFile, encoding: .utf8).split(separator: "\n").map(String.init)
        let renamed = zip(lines, ids).map { line, id in line.replacing(#/"id":"\d+"/#, with: "\"id\":\"\(id)\"") }
        try (renamed.joined(separator: "\n") + "\n").write(to: itemsFile, atomically: true, encoding: .utf8)
    }

    /// Scores `methods` on a fresh 3-item dataset in `dir` (one thread): the CSV's cells.
    static func scores(_ methods: String, in dir: URL) throws -> [[String]] {
        try dataset(in: dir)
        let result = try dir.deblur("compare", "ds", "--methods", methods, "--csv", "scores.csv", "--quiet", "--threads", "1")
        #expect(result.status == 0, "\(result)")
        return try csv("scores.csv", in: dir)
    }

    /// Runs `compare` on shards `parts` of `count` (blurred and wiener), each writing part-K.json.
    static func shards(_ parts: [Int], of count: Int, in dir: URL) throws {
        for k in parts {
            let part = try dir.deblur("compare", "ds", "--methods", "blurred,wiener", "--shard", "\(k)/\(count)", "--json", "part-\(k).json", "--quiet")
            #expect(part.status == 0, "\(part)")
        }
    }

    /// The cells of a CSV report, row by row (the header first).
    static func csv(_ name: String, in dir: URL) throws -> [[String]] {
        try String(contentsOf: dir.file(name), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: true)
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    @Test func blurredAndWienerOnThreeItemsWriteSixCSVRows() throws {
        try withScratch { dir in
            let lines = try Self.scores("blurred,wiener", in: dir)
            #expect(lines.count == 1 + 3 * 2, "\(lines)")
            let methodColumn = try #require(lines[0].firstIndex(of: "method"), "no method column: \(lines[0])")
            let methods = lines.dropFirst().map { $0[methodColumn] }
            #expect(methods.filter { $0 == "blurred" }.count == 3)
            #expect(methods.filter { $0.hasPrefix("wiener") }.count == 3)
        }
    }

    /// The library's `MethodFactory.standard` and `ComparisonItem.items(of:)` are what `compare`
    /// runs: the same specs on the same dataset give the CSV's scores; a bad spec is a typed error.
    @Test func theStandardFactoryScoresAsTheCommandDoes() throws {
        try withScratch { dir in
            let lines = try Self.scores("blurred,wiener:nsr=auto,rl:iterations=5", in: dir)
            let header = lines[0]
            let id = try #require(header.firstIndex(of: "item")), m = try #require(header.firstIndex(of: "method")),
                p = try #require(header.firstIndex(of: "psnr"))
            let runner = ComparisonRunner(settings: ComparisonSettings(threads: 1))
            let result = try runner.run(items: ComparisonItem.items(of: try Dataset.load(dir.file("ds").path)),
                                        specs: try MethodSpec.parseList("blurred,wiener:nsr=auto,rl:iterations=5"), factory: .standard)
            let scores = Dictionary(uniqueKeysWithValues: result.items.flatMap { item in
                item.results.map { ("\(item.id) \($0.method)", $0.scores?.psnr ?? .nan) }
            })
            #expect(scores.count == 9)
            for row in lines.dropFirst() {
                #expect(abs((scores["\(row[id]) \(row[m])"] ?? .nan) - (Double(row[p]) ?? .nan)) < 1e-9, "\(row)")
            }
            for bad in ["foo", "blurred:x=1"] {
                #expect(throws: EvaluationError.self) { try MethodFactory.standard.make(MethodSpec.parseList(bad)[0]) }
            }
        }
    }

    /// compare and metrics share the scoring code: the `blurred` rows are `metrics sharp blurred`.
    @Test func blurredRowsEqualMetricsOfSharpAgainstBlurred() throws {
        try withScratch { dir in
            let lines = try Self.scores("blurred", in: dir)
            let header = lines[0]
            let id = try #require(header.firstIndex(of: "item")), p = try #require(header.firstIndex(of: "psnr")),
                s = try #require(header.firstIndex(of: "ssim"))
            #expect(lines.count == 4)
            for row in lines.dropFirst() {
                let metrics = try dir.deblur("metrics", "ds/sharp/\(row[id]).png", "ds/blurred/\(row[id]).tif", "--json")
                let object = try MetricsTests.json(metrics)
                let psnr = try #require(object["psnr"] as? Double), ssim = try #require(object["ssim"] as? Double)
                #expect(abs(psnr - (Double(row[p]) ?? .nan)) < 1e-9, "item \(row[id])")
                #expect(abs(ssim - (Double(row[s]) ?? .nan)) < 1e-9, "item \(row[id])")
            }
        }
    }

    /// A part read from a pipe (`--merge <(ssh node cat part.json)`) merges as the file does;
    /// it was refused as "permission denied".
    @Test func aMergePartMayBeAPipe() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            try Self.shards([1, 2], of: 2, in: dir)
            let pipe = dir.file("part-1.pipe").path
            #expect(mkfifo(pipe, 0o600) == 0)
            let bytes = try Data(contentsOf: dir.file("part-1.json"))
            let writer = Thread {
                if let handle = FileHandle(forWritingAtPath: pipe) { handle.write(bytes); try? handle.close() }
            }
            writer.start()
            let piped = try dir.deblur("compare", "--merge", "part-1.pipe", "part-2.json", "--csv", "-")
            let file = try dir.deblur("compare", "--merge", "part-1.json", "part-2.json", "--csv", "-")
            #expect(piped.status == 0, "\(piped)")
            #expect(piped.stdout == file.stdout && !file.stdout.isEmpty)
        }
    }

    /// A folder given as a part (the dataset, say) was refused with Foundation's dump ("Error
    /// Domain=NSCocoaErrorDomain Code=256 …"), or as another user with "the directory … is not
    /// writable": reasons for writing, given for a read.
    @Test func aMergePartThatIsAFolderIsNamedSo() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            let before = dir.listing()
            let result = try dir.deblur("compare", "--merge", "ds", "--csv", "-")
            expectCleanFailure(result, naming: "ds", directory: dir, before: before)
            #expect(result.stderrLines.first == "Error: cannot read comparison report ds: is a directory", "\(result)")
        }
    }

    /// A job array's shards, merged, give the CSV of one run (timings aside) and its table.
    @Test func threeShardsMergedEqualOneRun() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            try Self.shards([1, 2, 3], of: 3, in: dir)
            let merged = try dir.deblur("compare", "--merge", "part-3.json", "part-1.json", "part-2.json", "--csv", "merged.csv", "--report", "merged.md")
            let whole = try dir.deblur("compare", "ds", "--methods", "blurred,wiener", "--csv", "whole.csv", "--report", "whole.md", "--quiet")
            #expect(merged.status == 0 && whole.status == 0, "\(merged) \(whole)")
            func rows(_ name: String) throws -> [String] {
                // The seconds column differs between runs: compare everything else.
                let lines = try Self.csv(name, in: dir)
                let seconds = lines[0].firstIndex(of: "seconds")
                return lines.map { line in
                    var cells = line
                    if let seconds { cells.remove(at: seconds) }
                    return cells.joined(separator: ",")
                }
            }
            #expect(try rows("merged.csv") == rows("whole.csv"))
            let table = { (text: String) in text.split(separator: "\n").filter { $0.hasPrefix("| blurred") }.map { $0.split(separator: "|").prefix(7).joined(separator: "|") } }
            #expect(table(merged.stdout) == table(whole.stdout) && !table(whole.stdout).isEmpty)
            // The differences to the baseline and their bootstrap intervals come from the merged scores: one run's.
            let againstBaseline = { (name: String) throws -> String in
                let text = try String(contentsOf: dir.file(name), encoding: .utf8)
                return text.components(separatedBy: "\n## ").first { $0.hasPrefix("Against the baseline") } ?? ""
            }
            let section = try againstBaseline("whole.md")
            #expect(section.contains("\n| wiener | +") && section.contains("| 3 |\n") && !section.contains("[—]"), "\(section)")
            #expect(try againstBaseline("merged.md") == section)
            let overlap = try dir.deblur("compare", "--merge", "part-1.json", "part-1.json", "--csv", "bad.csv")
            #expect(overlap.status == 1 && overlap.stderr.contains("part-1.json") && !FileManager.default.fileExists(atPath: dir.file("bad.csv").path))
            let tuneShard = try dir.deblur("compare", "ds", "--methods", "wiener", "--shard", "1/3", "--tune", "--quiet")
            #expect(tuneShard.status == 1 && tuneShard.stderr.contains("--tuned-methods"))
        }
    }

    /// `--html-items N` lists the first N items in the HTML report's per-item table (default
    /// 1 000); a negative count is refused before any item runs.
    @Test func htmlItemsLimitsThePerItemTable() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            let result = try dir.deblur("compare", "ds", "--methods", "blurred", "--html", "one.html", "--html-items", "1",
                                        "--csv", "all.csv", "--quiet")
            #expect(result.status == 0, "\(result)")
            let html = try String(contentsOf: dir.file("one.html"), encoding: .utf8)
            let ids = try Self.csv("all.csv", in: dir).dropFirst().map { $0[0] }
            #expect(ids.count == 3 && html.contains("<tr><td>\(ids[0])</td>") && !html.contains("<tr><td>\(ids[1])</td>"))
            #expect(html.contains("The first 1 of 3 items"))
            let before = dir.listing()
            let negative = try dir.deblur("compare", "ds", "--methods", "blurred", "--html", "x.html", "--html-items", "-1", "--quiet")
            expectCleanFailure(negative, naming: "--html-items", directory: dir, before: before, usageFollows: true)
        }
    }

    /// Options that shape a report not asked for, or the restoring and scoring a merge does not
    /// do, were accepted and dropped, exit 0: refused before anything runs, naming them.
    @Test(arguments: [
        (["ds", "--methods", "blurred", "--csv", "s.csv", "--preview-items", "1"], "Please leave out --preview-items without --html"),
        (["ds", "--methods", "blurred", "--json", "s.json", "--html-items", "5"], "Please leave out --html-items without --html"),
        (["ds", "--methods", "blurred", "--csv", "s.csv", "--trace-items", "1"], "Please leave out --trace-items without --html or --json"),
        (["--merge", "part-1.json", "--csv", "m.csv", "--limit", "2"], "Please leave out --limit with --merge"),
        (["--merge", "part-1.json", "--html", "m.html", "--threads", "1", "--trace-items", "1", "--preview-items", "1"],
         "Please leave out --threads, --trace-items and --preview-items with --merge")])
    func optionsWithoutWhatTheyActOnAreRefused(arguments: [String], message: String) throws {
        try withScratch { dir in
            let result = try dir.deblur(["compare"] + arguments + ["--quiet"])
            expectCleanFailure(result, naming: message, directory: dir, before: [], usageFollows: true)
        }
    }

    /// --trace-items shapes the JSON report too (its traces), without --html.
    @Test func traceItemsWithJSONAloneTracesThatMany() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            let result = try dir.deblur("compare", "ds", "--methods", "rl:iterations=2", "--json", "r.json", "--trace-items", "1", "--quiet")
            #expect(result.status == 0, "\(result)")
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.file("r.json"))) as? [String: Any]
            #expect((object?["traces"] as? [Any])?.count == 1, "\(String(describing: object?["traces"]))")
        }
    }

    /// The split's options mean nothing without --tune: refused, not silently ignored.
    @Test(arguments: [["--split-seed", "3"], ["--validation-fraction", "0.5"]])
    func splitOptionsWithoutTuneAreUsageErrors(option: [String]) throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            let before = dir.listing()
            let result = try dir.deblur(["compare", "ds", "--methods", "wiener", "--csv", "r.csv", "--quiet"] + option)
            expectCleanFailure(result, naming: option[0], directory: dir, before: before, usageFollows: true)
            #expect(result.stderrLines.first?.contains("--tune") == true, "\(result)")
        }
    }

    /// Each shard's JSON records K/N and the dataset's size, so a merge missing a part fails
    /// naming it instead of reporting on two thirds of the dataset.
    @Test func mergeOfAnIncompleteSetOfShardsFailsNamingTheMissingShard() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            try Self.shards([1, 3], of: 3, in: dir)
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.file("part-3.json"))) as? [String: Any]
            let shard = (object?["settings"] as? [String: Any])?["shard"] as? [String: Any]
            #expect(shard?["index"] as? Int == 3 && shard?["count"] as? Int == 3 && shard?["dataset_items"] as? Int == 3, "\(shard ?? [:])")
            let before = dir.listing()
            let result = try dir.deblur("compare", "--merge", "part-1.json", "part-3.json", "--csv", "merged.csv", "--json", "merged.json")
            expectCleanFailure(result, naming: "missing 1 shard(s): 2/3", directory: dir, before: before)
        }
    }

    /// A dataset's 8/16-bit sharp images are read on [0, 1], and so are their restorations:
    /// `--data-range 255` scored every method 48 dB high (blurred 62.9 dB, SSIM 0.999) with no
    /// word. A note now names the sharp file and the offset; the scores are as asked.
    @Test func aDataRangeOverIntegerSharpImagesGetsANote() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            let ranged = try dir.deblur("compare", "ds", "--methods", "blurred", "--data-range", "255", "--csv", "ranged.csv", "--quiet")
            #expect(ranged.status == 0, "\(ranged)")
            #expect(ranged.stderr.contains("note: --data-range 255: ds's sharp images are 8-bit integer files (sharp/000000.png)")
                    && ranged.stderr.contains("PSNR is +48.1 dB"), "\(ranged)")
            let plain = try dir.deblur("compare", "ds", "--methods", "blurred", "--data-range", "1", "--csv", "plain.csv", "--quiet")
            #expect(plain.status == 0 && plain.stderr.isEmpty, "\(plain)")
            let psnr = { (name: String) in try Self.csv(name, in: dir).dropFirst().map { Double($0[5])! } }
            #expect(zip(try psnr("ranged.csv"), try psnr("plain.csv")).allSatisfy { abs($0 - $1 - 20 * log10(255)) < 1e-9 })
        }
    }

    /// Merged parts hold scores, not images: a metric option cannot apply and is refused; the
    /// win counts come from the stored per-item scores, so --baseline applies as in one run.
    @Test func mergeRefusesMetricOptionsAndCountsWinsAgainstTheGivenBaseline() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            try Self.shards([1, 2], of: 2, in: dir)
            for option in [["--crop", "0"], ["--ssim-preset", "matlab"], ["--luminance"], ["--data-range", "255"]] {
                let before = dir.listing()
                let refused = try dir.deblur(["compare", "--merge", "part-1.json", "part-2.json", "--csv", "merged.csv"] + option)
                expectCleanFailure(refused, naming: "got \(option[0])", directory: dir, before: before, usageFollows: true)
            }
            let merged = try dir.deblur("compare", "--merge", "part-1.json", "part-2.json", "--baseline", "wiener", "--json", "merged.json")
            let whole = try dir.deblur("compare", "ds", "--methods", "blurred,wiener", "--baseline", "wiener", "--json", "whole.json", "--quiet")
            #expect(merged.status == 0 && whole.status == 0, "\(merged) \(whole)")
            func wins(_ name: String) throws -> [[String: Any]] {
                let object = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.file(name))) as? [String: Any]
                return ((object?["aggregates"] as? [String: Any])?["wins"] as? [[String: Any]]) ?? []
            }
            let mergedWins = try wins("merged.json"), wholeWins = try wins("whole.json")
            #expect(mergedWins.count == 1 && mergedWins.first?["baseline"] as? String == "wiener" && mergedWins.first?["method"] as? String == "blurred")
            let psnrWins = try #require(mergedWins.first?["psnr"] as? [String: Int], "\(mergedWins)")
            #expect(psnrWins.values.reduce(0, +) == 3 && wholeWins.count == 1 && psnrWins == wholeWins.first?["psnr"] as? [String: Int])
            let before = dir.listing()
            let unknown = try dir.deblur("compare", "--merge", "part-1.json", "part-2.json", "--baseline", "rl", "--csv", "merged.csv")
            expectCleanFailure(unknown, naming: "'rl'", directory: dir, before: before)
        }
    }

    @Test func tunedMethodsFileListsTheChosenValues() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            let result = try dir.deblur("compare", "ds", "--methods", "blurred,wiener,rl:iterations=3", "--tune", "--validation-fraction", "0.4",
                                        "--tuned-methods", "tuned.txt", "--quiet")
            #expect(result.status == 0, "\(result)")
            let text = try String(contentsOf: dir.file("tuned.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            let chosen = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("tuned wiener: nsr = ") })
            #expect(text == "blurred,wiener:nsr=\(chosen.dropFirst("tuned wiener: nsr = ".count)),rl:iterations=3")
        }
    }

    /// A Wiener spec with a noise σ fixes its NSR: --tune keeps it as given (it stopped the run
    /// with "nsr and noise-sigma" when the tuner added an NSR to it), and still tunes plain wiener.
    @Test func tuneKeepsAWienerSpecWhoseNoiseSigmaFixesItsNSR() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            let result = try dir.deblur("compare", "ds", "--methods", "wiener:noise-sigma=0.01,wiener", "--tune", "--validation-fraction", "0.4",
                                        "--tuned-methods", "tuned.txt", "--json", "r.json", "--quiet")
            #expect(result.status == 0, "\(result)")
            let text = try String(contentsOf: dir.file("tuned.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(text.hasPrefix("wiener:noise-sigma=0.01,wiener:nsr="), "\(text)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.file("r.json"))) as? [String: Any])
            let tuned = (report["tuning"] as? [[String: Any]])?.compactMap { $0["method"] as? String }
            #expect(tuned == ["wiener"])
        }
    }

    /// An item whose sharp file is missing fails for every method: two methods, two failed
    /// results, as the table's failed column says, and the run still writes its reports.
    @Test func aMissingSharpFileCountsOneFailedResultPerMethod() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            try FileManager.default.removeItem(at: dir.file("ds/sharp/000001.png"))
            let result = try dir.deblur("compare", "ds", "--methods", "blurred,wiener", "--csv", "scores.csv", "--quiet")
            #expect(result.status == 1, "\(result)")
            #expect(result.stderrLines.last == "Error: 2 item/method result(s) failed out of 6", "\(result)")
            let failed = result.stdout.split(separator: "\n").filter { $0.hasPrefix("| blurred") || $0.hasPrefix("| wiener") }
                .map { $0.split(separator: "|").last?.trimmingCharacters(in: .whitespaces) }
            #expect(failed == ["1", "1"], "\(result.stdout)")
            #expect(try Self.csv("scores.csv", in: dir).filter { $0.first == "000001" && $0[8].isEmpty == false }.count == 2)
        }
    }

    /// A NaN in an item's float TIFF failed each method on its own, naming no file ("invalid
    /// output of blurred with NaN…", "the blurred image contains NaN…", "invalid reference with 1
    /// NaN…"); the item now fails once, naming the file, as for a missing one.
    @Test(arguments: ["blurred", "sharp"])
    func aNonFiniteSampleInAnItemsImageFailsTheItemNamingTheFile(role: String) throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            let path = dir.file("ds/\(role)/000001.\(role == "sharp" ? "png" : "tif")").path
            var image = try ImageIO.read(path)
            image[2, 3] = .infinity
            image[5, 1] = .nan
            let tiff = dir.file("ds/\(role)/000001.tif").path
            try FileManager.default.removeItem(atPath: path)
            try ImageIO.write(image, to: tiff, depth: .float32)
            if role == "sharp" {
                let items = dir.file("ds/items.jsonl")
                let text = try String(contentsOf: items, encoding: .utf8).replacingOccurrences(of: "sharp/000001.png", with: "sharp/000001.tif")
                try text.write(to: items, atomically: true, encoding: .utf8)
            }
            let result = try dir.deblur("compare", "ds", "--methods", "blurred,wiener", "--quiet")
            #expect(result.status == 1, "\(result)")
            #expect(result.stderrLines == ["failed: item 000001: invalid image ds/\(role)/000001.tif with 2 NaN or infinite samples: expected finite values",
                                           "Error: 2 item/method result(s) failed out of 6"], "\(result)")
        }
    }

    /// The CSV's numbers are the JSON's, bit for bit: σ drawn from a range has every digit, and
    /// reading either file gives the same Doubles (JSONDecoder, which reads doubles exactly).
    @Test func csvNumbersReadBackToTheJSONValuesExactly() throws {
        try withScratch { dir in
            let synth = try dir.deblur("synth", "--out", "ds", "--count", "3", "--size", "32", "--trajectories", "7", "--noise-sigma", "0.005:0.02", "--quiet")
            #expect(synth.status == 0, "\(synth)")
            let result = try dir.deblur("compare", "ds", "--methods", "blurred,wiener", "--csv", "scores.csv", "--json", "scores.json", "--quiet")
            #expect(result.status == 0, "\(result)")
            struct Report: Decodable {
                struct Result: Decodable { var method: String, mse: Double?, psnr: Double?, ssim: Double?, seconds: Double? }
                struct Item: Decodable { var id: String, noise_sigma: Double?, results: [Result] }
                var items: [Item]
            }
            let json = try JSONDecoder().decode(Report.self, from: Data(contentsOf: dir.file("scores.json")))
            var expected = [String: [Double?]]()
            for item in json.items {
                for r in item.results { expected["\(item.id) \(r.method)"] = [item.noise_sigma, r.mse, r.psnr, r.ssim, r.seconds] }
            }
            let lines = try Self.csv("scores.csv", in: dir)
            #expect(Array(lines[0][2...7]) == ["noise_sigma", "method", "mse", "psnr", "ssim", "seconds"])
            #expect(lines.count == 7 && expected.count == 6)
            for row in lines.dropFirst() {
                let numbers = [row[2], row[4], row[5], row[6], row[7]].map { Double($0) }
                #expect(numbers == expected["\(row[0]) \(row[3])"] && numbers.allSatisfy { $0 != nil }, "\(row)")
                // 0.005…0.02 drawn uniformly: %g's 6 digits could not have read back.
                #expect(row[2].count > 8, "\(row[2])")
            }
        }
    }

    /// An unknown method, or a value every image would refuse, stops compare before any item
    /// runs (those values once failed item by item and wrote a report of failures); so does a
    /// parameter that would do nothing (CG steps of a one-shot filter, once silently ignored).
    @Test(arguments: [("blurred,sharpen-magic", "sharpen-magic"), ("blurred,tikhonov:lambda=-1", "-1"), ("rl:iterations=0", "iterations"),
                      ("blurred,wiener:iterations=5,boundary=reflect", "invalid wiener parameter iterations: expected it only with boundary=masked"),
                      ("tikhonov:boundary=circular,iterations=7", "invalid tikhonov parameter iterations")])
    func badMethodExitsOneNamingItWithoutOutput(methods: String, named: String) throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            let before = dir.listing()
            let result = try dir.deblur("compare", "ds", "--methods", methods, "--csv", "scores.csv", "--quiet")
            expectCleanFailure(result, naming: named, directory: dir, before: before)
        }
    }

    /// The reports are written after the last item: a report path that cannot be written is
    /// refused before the first, so a long run is not lost (no restored image saved either).
    @Test(arguments: ["--report", "--csv", "--json", "--html"])
    func reportInAMissingFolderIsRefusedBeforeAnyItemRuns(option: String) throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            let before = dir.listing()
            let result = try dir.deblur("compare", "ds", "--methods", "blurred,wiener", "--save-restored", "restored",
                                        option, "missing/report", "--quiet")
            expectCleanFailure(result, naming: "missing", directory: dir, before: before, usageFollows: true)
            #expect(result.stderrLines.first?.contains(option) == true, "\(result)")
        }
    }

    /// `saved:dir=` scores restorations made elsewhere. An earlier run's `--save-restored`
    /// images read back give the method's scores to the last digit, untimed; the same image
    /// as an 8-bit PNG scores as `deblur metrics` scores that file.
    @Test func savedRestorationsScoreAsTheMethodThatMadeThem() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            let first = try dir.deblur("compare", "ds", "--methods", "wiener:nsr=auto", "--save-restored", "restored", "--quiet")
            #expect(first.status == 0, "\(first)")
            try FileManager.default.createDirectory(at: dir.file("png"), withIntermediateDirectories: true)
            for id in ["000000", "000001", "000002"] {
                let converted = try dir.deblur("convert", "restored/wiener_nsr=auto/\(id).tif", "png/\(id).png", "--bit-depth", "8")
                #expect(converted.status == 0, "\(converted)")
            }
            let result = try dir.deblur("compare", "ds", "--methods", "wiener:nsr=auto,saved:dir=restored/wiener_nsr=auto,saved:dir=png",
                                        "--csv", "scores.csv", "--quiet", "--threads", "1")
            #expect(result.status == 0, "\(result)")
            let rows = try Self.csv("scores.csv", in: dir)
            let h = rows[0]
            let item = try #require(h.firstIndex(of: "item")), m = try #require(h.firstIndex(of: "method")),
                psnr = try #require(h.firstIndex(of: "psnr")), ssim = try #require(h.firstIndex(of: "ssim")),
                seconds = try #require(h.firstIndex(of: "seconds"))
            let byMethod = Dictionary(grouping: rows.dropFirst(), by: { $0[m] })
            let made = try #require(byMethod["wiener:nsr=auto"]), saved = try #require(byMethod["saved:dir=restored/wiener_nsr=auto"]),
                png = try #require(byMethod["saved:dir=png"])
            #expect(made.count == 3 && saved.count == 3 && png.count == 3)
            for (a, b) in zip(made, saved) {
                #expect(a[item] == b[item] && a[psnr] == b[psnr] && a[ssim] == b[ssim], "\(a) against \(b)")
                #expect(!a[seconds].isEmpty && b[seconds].isEmpty, "\(a) against \(b)")
            }
            for row in png {
                let metrics = try dir.deblur("metrics", "ds/sharp/\(row[item]).png", "png/\(row[item]).png", "--json")
                let json = try #require(JSONSerialization.jsonObject(with: Data(metrics.stdout.utf8)) as? [String: Any])
                let expected = try #require(json["psnr"] as? Double), read = try #require(Double(row[psnr]))
                #expect(abs(read - expected) < 1e-9, "\(row)")
                #expect(read < (Double(made.first { $0[item] == row[item] }![psnr]) ?? 0) + 0.5)
            }
        }
    }

    /// A saved restoration holding NaN failed as "invalid output of saved:dir=nan with NaN or
    /// infinite samples", naming no file; with range= too.
    @Test(arguments: ["saved:dir=nan", "saved:dir=nan,range=255"])
    func aSavedRestorationWithNaNFailsItsItemNamingTheFile(method: String) throws {
        try withScratch { dir in
            try Self.savedWienerRestorations(in: dir, folder: "nan") { image in
                var copy = image
                if image.height > 0 { copy[1, 2] = .nan }
                return copy
            }
            let result = try dir.deblur("compare", "ds", "--methods", method, "--quiet", "--threads", "1")
            #expect(result.status == 1, "\(result)")
            #expect(result.stderrLines.first == "failed: item 000000, \(method): invalid restoration nan/000000.tif with 1 NaN or infinite sample: "
                                                + "expected finite values", "\(result)")
            #expect(result.stderrLines.last == "Error: 3 item/method result(s) failed out of 3", "\(result)")
        }
    }

    /// Float restorations in 0–255 units (a network trained so) scored as stored read as a PSNR
    /// near −40 dB: they fail their item naming the file and `range=`, and with `range=255`
    /// they score as the same images on [0, 1].
    @Test func savedFloatRestorationsInOtherUnitsFailOrAreScaledByRange() throws {
        try withScratch { dir in
            try Self.savedWienerRestorations(in: dir, folder: "units") { image in
                Image(height: image.height, width: image.width, pixels: image.pixels.map { $0 * 255 })
            }
            let raw = try dir.deblur("compare", "ds", "--methods", "blurred,saved:dir=units", "--quiet")
            #expect(raw.status == 1, "\(raw)")
            #expect(raw.stderr.contains("units/000000.tif") && raw.stderr.contains("range=W"), "\(raw)")
            // The label holds a comma, which the CSV quotes: read the JSON.
            let run = try dir.deblur("compare", "ds", "--methods", "wiener:nsr=auto,saved:dir=units,range=255", "--json", "-", "--quiet")
            #expect(run.status == 0, "\(run)")
            let json = try #require(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let items = try #require(json["items"] as? [[String: Any]])
            #expect(items.count == 3)
            for item in items {
                let results = try #require(item["results"] as? [[String: Any]])
                let psnr = Dictionary(uniqueKeysWithValues: results.map { ($0["method"] as? String ?? "", $0["psnr"] as? Double ?? .nan) })
                let made = try #require(psnr["wiener:nsr=auto"]), scaled = try #require(psnr["saved:dir=units,range=255"])
                #expect(abs(made - scaled) < 1e-4, "\(psnr)")
            }
            let bad = try dir.deblur("compare", "ds", "--methods", "saved:dir=units,range=0", "--quiet")
            #expect(bad.status == 1 && bad.stderr.contains("range"), "\(bad)")
        }
    }

    /// A restoration on the [0, 1] scale whose edges ring far past it (scikit-image's
    /// `richardson_lucy` with `clip=False` on a `valid` blur reaches 4–18) is scored as stored:
    /// the unit check looks at the median sample, not the extremes, which refused every item of
    /// Docs/Evaluation.md's own scikit-image example.
    @Test func savedFloatRestorationsRingingAtTheEdgesAreScored() throws {
        try withScratch { dir in
            try Self.savedWienerRestorations(in: dir, folder: "ringing") { image in
                Image(height: image.height, width: image.width) { _, y, x in
                    let edge = min(y, x, image.height - 1 - y, image.width - 1 - x)
                    return edge == 0 ? 6 : edge == 1 ? -3 : image[0, y, x]
                }
            }
            let run = try dir.deblur("compare", "ds", "--methods", "blurred,saved:dir=ringing", "--crop", "2", "--json", "-", "--quiet")
            #expect(run.status == 0, "\(run)")
            let json = try #require(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            let items = try #require(json["items"] as? [[String: Any]])
            let made = try dir.deblur("compare", "ds", "--methods", "blurred,wiener:nsr=auto", "--crop", "2", "--json", "-", "--quiet")
            let reference = try #require(JSONSerialization.jsonObject(with: Data(made.stdout.utf8)) as? [String: Any])
            let referenceItems = try #require(reference["items"] as? [[String: Any]])
            #expect(items.count == 3 && referenceItems.count == 3)
            for (item, referenceItem) in zip(items, referenceItems) {
                let saved = try #require((item["results"] as? [[String: Any]])?.first { $0["method"] as? String == "saved:dir=ringing" })
                let wiener = try #require((referenceItem["results"] as? [[String: Any]])?.first { $0["method"] as? String == "wiener:nsr=auto" })
                // Inside the 2-pixel crop the files are Wiener's restorations, bit for bit.
                #expect(abs(try #require(saved["psnr"] as? Double) - (try #require(wiener["psnr"] as? Double))) < 1e-9, "\(saved) \(wiener)")
            }
        }
    }

    /// An item without its file, or with two, fails alone with the reason; a folder that does
    /// not exist, or a parameter other than `dir`, refuses the method before any item runs.
    @Test func savedRestorationsMissingOrAmbiguousFailThatItemOnly() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            _ = try dir.deblur("compare", "ds", "--methods", "blurred", "--save-restored", "restored", "--quiet")
            let folder = dir.file("restored/blurred")
            try FileManager.default.removeItem(at: folder.appendingPathComponent("000001.tif"))
            try FileManager.default.copyItem(at: folder.appendingPathComponent("000002.tif"), to: folder.appendingPathComponent("000002.png"))
            let result = try dir.deblur("compare", "ds", "--methods", "blurred,saved:dir=restored/blurred", "--csv", "scores.csv", "--quiet")
            #expect(result.status == 1, "\(result)")
            #expect(result.stderr.contains("000001.tif|.tiff|.png: no such file"), "\(result)")
            #expect(result.stderr.contains("more than one"), "\(result)")
            let rows = try Self.csv("scores.csv", in: dir).filter { $0.contains("saved:dir=restored/blurred") }
            #expect(rows.count == 3)
            #expect(rows.filter { $0[8].isEmpty }.map(\.first) == ["000000"], "\(rows)")

            // Another size names the file, not only the method.
            try ImageIO.write(Image(height: 8, width: 8, value: 0.5), to: folder.appendingPathComponent("000001.tif").path)
            let small = try dir.deblur("compare", "ds", "--methods", "saved:dir=restored/blurred", "--csv", "scores.csv", "--quiet")
            #expect(small.status == 1, "\(small)")
            #expect(small.stderr.contains("size mismatch for restored/blurred/000001.tif (the restoration of item 000001): expected the item's 1×32×32, got 1×8×8"),
                    "\(small)")

            for (spec, culprit) in [("saved:dir=nothing", "nothing"), ("saved:dir=ds/items.jsonl", "ds/items.jsonl"),
                                    ("saved:dir=restored,x=1", "'x'"), ("saved", "dir")] {
                let before = dir.listing()
                let refused = try dir.deblur("compare", "ds", "--methods", "blurred," + spec, "--csv", "refused.csv", "--quiet")
                expectCleanFailure(refused, naming: culprit, directory: dir, before: before)
            }
        }
    }

    /// Ids holding characters `--save-restored` replaces in file names (`img 1` → `img_1.tif`,
    /// `a/b` → `a_b.tif`) are read back from those names: `saved:dir=` looked for `img 1.tif`
    /// and refused `a/b`, so an earlier run's images of such a dataset all failed.
    @Test func savedRestorationsOfOddIdsAreReadUnderTheNamesSaveRestoredGives() throws {
        try withScratch { dir in
            let ids = ["img 1", "a/b", "c:d"]
            try Self.dataset(in: dir, ids: ids)
            let first = try dir.deblur("compare", "ds", "--methods", "wiener:nsr=auto", "--save-restored", "restored", "--quiet")
            #expect(first.status == 0, "\(first)")
            #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.file("restored/wiener_nsr=auto").path))
                    == ["img_1.tif", "a_b.tif", "c_d.tif"])
            let result = try dir.deblur("compare", "ds", "--methods", "wiener:nsr=auto,saved:dir=restored/wiener_nsr=auto",
                                        "--csv", "scores.csv", "--quiet", "--threads", "1")
            #expect(result.status == 0, "\(result)")
            let rows = try Self.csv("scores.csv", in: dir).dropFirst()
            #expect(rows.count == 6, "\(rows)")
            for id in ids {
                let scores = rows.filter { $0[0] == id }.map { $0[5] }
                #expect(scores.count == 2 && !scores[0].isEmpty && scores[0] == scores[1], "\(id): \(scores)")
            }
        }
    }

    /// A failure's stderr line held the item id and reason as they are: an id with a line
    /// break split it, and the part after the break read as a line of its own. Each failure is
    /// one line now, its line breaks written `\n`; the CSV keeps the id and reason as they are.
    @Test func eachFailureIsOneLineOnStandardError() throws {
        try withScratch { dir in
            try Self.dataset(in: dir, ids: ["new\\nline", "b", "c"])
            try FileManager.default.createDirectory(at: dir.file("saved"), withIntermediateDirectories: true)
            for id in ["b", "c"] { try FileManager.default.copyItem(at: dir.file("ds/blurred/000001.tif"), to: dir.file("saved/\(id).tif")) }
            let result = try dir.deblur("compare", "ds", "--methods", "saved:dir=saved", "--csv", "scores.csv", "--quiet", "--threads", "1")
            #expect(result.status == 1, "\(result)")
            let lines = result.stderr.split(separator: "\n").map(String.init)
            let expected = "failed: item new\\nline, saved:dir=saved: cannot open saved/new\\nline.tif|.tiff|.png or new_line.tif|.tiff|.png: "
                + "no such file (the restoration of item new\\nline)"
            #expect(lines.first == expected, "\(result)")
            #expect(lines.count == 2 && lines[1] == "Error: 1 item/method result(s) failed out of 3", "\(result)")
        }
    }

    /// An item whose file is missing falls back to the name `--save-restored` gives it, but not
    /// when that name is another item's: item `a b` without `a b.tif` read `a_b.tif`, item
    /// `a_b`'s restoration, and was scored with it (status 0). It fails naming both ids, in a
    /// shard without `a_b` too; `c:d` still reads `c_d.tif`, which no other item claims.
    @Test func savedRestorationsNeverReadAnotherItemsFile() throws {
        try withScratch { dir in
            try Self.dataset(in: dir, ids: ["a b", "a_b", "c:d"])
            // Restorations named as another tool might: the blurred images themselves.
            try FileManager.default.createDirectory(at: dir.file("saved"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: dir.file("ds/blurred/000001.tif"), to: dir.file("saved/a_b.tif"))
            try FileManager.default.copyItem(at: dir.file("ds/blurred/000002.tif"), to: dir.file("saved/c_d.tif"))
            let result = try dir.deblur("compare", "ds", "--methods", "blurred,saved:dir=saved", "--csv", "scores.csv", "--quiet", "--threads", "1")
            #expect(result.status == 1, "\(result)")
            let message = "cannot open saved/a b.tif|.tiff|.png: no such file (the restoration of item 'a b'); "
                + "a_b.tif|.tiff|.png is not read in its place: item 'a_b' of the dataset has that file name too"
            #expect(result.stderr.contains("failed: item a b, saved:dir=saved: " + message), "\(result)")
            let rows = try Self.csv("scores.csv", in: dir).dropFirst()
            let saved = Dictionary(uniqueKeysWithValues: rows.filter { $0[3] == "saved:dir=saved" }.map { ($0[0], $0) })
            let blurred = Dictionary(uniqueKeysWithValues: rows.filter { $0[3] == "blurred" }.map { ($0[0], $0) })
            #expect(saved["a b"]?[5] == "" && saved["a b"]?[8] == message, "\(rows)")
            for id in ["a_b", "c:d"] {
                #expect(saved[id]?[5] == blurred[id]?[5] && saved[id]?[5].isEmpty == false, "\(rows)")
            }

            let shard = try dir.deblur("compare", "ds", "--methods", "saved:dir=saved", "--shard", "1/3", "--csv", "shard.csv", "--quiet")
            #expect(shard.status == 1 && shard.stderr.contains(message), "\(shard)")

            try FileManager.default.copyItem(at: dir.file("ds/blurred/000000.tif"), to: dir.file("saved/a b.tif"))
            let named = try dir.deblur("compare", "ds", "--methods", "blurred,saved:dir=saved", "--csv", "named.csv", "--quiet")
            #expect(named.status == 0, "\(named)")
        }
    }

    /// Two item ids that `--save-restored` turns into one file name (`a b`, `a_b`) are refused
    /// before the run: the second item's image replaced the first's, and `saved:dir=` then read
    /// it for both.
    @Test func saveRestoredRefusesIdsThatShareAFileName() throws {
        try withScratch { dir in
            try Self.dataset(in: dir, ids: ["a b", "a_b", "c"])
            let before = dir.listing()
            let result = try dir.deblur("compare", "ds", "--methods", "blurred", "--save-restored", "restored", "--csv", "scores.csv", "--quiet")
            expectCleanFailure(result, naming: "--save-restored restored: items 'a b' and 'a_b' would both be saved as a_b.tif",
                               directory: dir, before: before)
        }
    }

    /// Shards (or a --limit run) that save different items under one file name: item ids are
    /// checked across the whole dataset. Shard 2/2 saved item `a_b` as a_b.tif, shard 1/2 then
    /// item `a b` over it, and `saved:dir=` scored `a_b` with `a b`'s restoration (status 0 for it).
    @Test(arguments: [["--shard", "1/2"], ["--shard", "2/2"], ["--limit", "1"]])
    func saveRestoredRefusesIdsThatShareAFileNameInOtherShards(selection: [String]) throws {
        try withScratch { dir in
            try Self.dataset(in: dir, ids: ["a b", "a_b", "c"])
            let before = dir.listing()
            let result = try dir.deblur(["compare", "ds", "--methods", "blurred", "--save-restored", "restored", "--csv", "scores.csv", "--quiet"]
                                        + selection)
            expectCleanFailure(result, naming: "--save-restored restored: items 'a b' and 'a_b' would both be saved as a_b.tif",
                               directory: dir, before: before)
        }
    }

    /// `--save-restored` writing into the folder a `saved:dir=` reads is refused before the
    /// run, the folder untouched: the run replaced each earlier image with its own, and a
    /// method listed before the saved one had its new images scored as the saved ones.
    @Test(arguments: ["saved:dir=runs/wiener_nsr=auto", "saved:dir=runs/wiener_nsr=auto/"])
    func saveRestoredIntoTheFolderASavedMethodReadsIsRefused(saved: String) throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            let earlier = try dir.deblur("compare", "ds", "--methods", "tikhonov:lambda=0.01", "--save-restored", "runs", "--quiet")
            #expect(earlier.status == 0, "\(earlier)")
            try FileManager.default.moveItem(at: dir.file("runs/tikhonov_lambda=0.01"), to: dir.file("runs/wiener_nsr=auto"))
            let kept = try SynthTests.contents(dir.file("runs"))
            let before = dir.listing()
            let result = try dir.deblur("compare", "ds", "--methods", "wiener:nsr=auto," + saved, "--save-restored", "runs",
                                        "--csv", "scores.csv", "--quiet")
            expectCleanFailure(result, naming: "--save-restored runs would write wiener:nsr=auto's images into runs/wiener_nsr=auto",
                               directory: dir, before: before, usageFollows: true)
            #expect(try SynthTests.contents(dir.file("runs")) == kept)
            let elsewhere = try dir.deblur("compare", "ds", "--methods", "wiener:nsr=auto," + saved, "--save-restored", "new",
                                           "--csv", "scores.csv", "--quiet")
            #expect(elsewhere.status == 0, "\(elsewhere)")
        }
    }

    /// `-` names stdout for any one report, which is then printed instead of the table (it
    /// wrote a file named `-` for all but `--json`); two reports cannot share it.
    @Test func anyOneReportCanGoToStdout() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            let starts = ["--csv": "item,kernel,noise_sigma,method,", "--report": "# Comparison\n", "--html": "<!doctype html>", "--json": "{"]
            for (option, start) in starts.sorted(by: { $0.key < $1.key }) {
                let result = try dir.deblur("compare", "ds", "--methods", "blurred", option, "-", "--csv", option == "--csv" ? "-" : "rows.csv", "--quiet")
                #expect(result.status == 0, "\(result)")
                #expect(result.stdout.hasPrefix(start), "\(option): \(result.stdout.prefix(80))")
                #expect(!result.stdout.contains("| method | PSNR mean") || option == "--report", "\(option) printed the table too")
                #expect(!FileManager.default.fileExists(atPath: dir.file("-").path))
            }
            let before = dir.listing()
            let both = try dir.deblur("compare", "ds", "--methods", "blurred", "--csv", "-", "--json", "-", "--quiet")
            expectCleanFailure(both, naming: "--csv - and --json -", directory: dir, before: before, usageFollows: true)
        }
    }

    /// `--tuned-methods -` prints the tuned list alone on stdout, as `-` does for the reports
    /// (it wrote a file named `-`), so a script can take it as `$(…)`; it cannot share stdout.
    @Test func theTunedMethodListCanGoToStdout() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            let result = try dir.deblur("compare", "ds", "--methods", "blurred,wiener", "--tune", "--tuned-methods", "-", "--csv", "rows.csv", "--quiet")
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.wholeMatch(of: #/blurred,wiener:nsr=[0-9.e-]+\n/#) != nil, "\(result.stdout)")
            #expect(!FileManager.default.fileExists(atPath: dir.file("-").path))
            let before = dir.listing()
            let both = try dir.deblur("compare", "ds", "--methods", "blurred,wiener", "--tune", "--tuned-methods", "-", "--json", "-", "--quiet")
            expectCleanFailure(both, naming: "--json - and --tuned-methods -", directory: dir, before: before, usageFollows: true)
        }
    }

    /// A reader of stdout that stops early (`| head`; here `| true`, which reads nothing) ends the
    /// run by SIGPIPE at its first write there: the report files are written before stdout, so
    /// they are complete. The JSON came after the HTML on stdout and was never written, the
    /// whole run's scores lost with it.
    @Test func reportFilesAreWrittenBeforeAStdoutNobodyReads() throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            // SIGPIPE at its default action, as in a shell, whatever the test runner does with it.
            let script = "env --default-signal=PIPE \"$0\" compare ds --methods blurred,wiener --html - --json scores.json --quiet | true"
            let result = try CLI.run(["-c", script, try CLI.executable.get().path], in: dir, binary: URL(fileURLWithPath: "/bin/sh"))
            #expect(result.status == 0 && result.stderr.isEmpty, "\(result)")
            let report = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.file("scores.json"))) as? [String: Any]
            #expect((report?["items"] as? [Any])?.count == 3, "\(String(describing: report?.keys))")
            #expect((report?["methods"] as? [Any])?.count == 2)
            #expect(dir.listing().filter { !$0.hasPrefix("ds") } == ["scores.json"], "\(dir.listing())")
        }
    }

    @Test func missingDatasetExitsOneNamingIt() throws {
        try withScratch { dir in
            let result = try dir.deblur("compare", "nodata", "--methods", "blurred", "--csv", "scores.csv", "--quiet")
            expectCleanFailure(result, naming: "nodata", directory: dir, before: [])
        }
    }

    /// A report path that is one of the dataset's item files or a cnn:model= file was written
    /// over it at the end of the run: `--csv ds/sharp/000000.png` replaced that sharp image with
    /// the CSV (exit 0), and every later run scored against the CSV's bytes.
    @Test(arguments: [["--csv", "ds/sharp/000000.png"], ["--json", "ds/blurred/000001.tif"], ["--report", "ds/psf/000002.tif"],
                      ["--html", "m.model"]])
    func aReportOverAnItemFileOrAModelIsRefusedAndTheFileKept(report: [String]) throws {
        try withScratch { dir in
            try Self.dataset(in: dir)
            let train = try dir.deblur("train", "--synthetic", "--steps", "1", "--width", "8", "--synthetic-images", "2",
                                       "--image-size", "32", "--patch", "16", "--batch", "1", "--quiet", "-o", "m.model")
            #expect(train.status == 0, "\(train)")
            let target = dir.file(report[1])
            let bytes = try Data(contentsOf: target)
            let before = dir.listing()
            let result = try dir.deblur(["compare", "ds", "--methods", "blurred,cnn:model=m.model", "--quiet"] + report)
            expectCleanFailure(result, naming: "\(report[0]) \(report[1]) is the input", directory: dir, before: before, usageFollows: true)
            #expect(try Data(contentsOf: target) == bytes)
        }
    }
}
