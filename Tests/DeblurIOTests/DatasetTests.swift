import Foundation
import Testing
@testable import DeblurIO

/// Dataset directories: manifest parsing, shard merging, and errors naming file and line.
@Suite struct DatasetTests {
    static func item(_ id: String, sigma: Double = 0.01, extra: String = "") -> String {
        #"{"id": "\#(id)", "sharp": "sharp/\#(id).png", "blurred": "blurred/\#(id).tif", "psf": "psf/\#(id).tif", "noise_sigma": \#(sigma), "boundary": "valid"\#(extra)}"#
    }

    static func make(_ files: [String: String]) -> String {
        let directory = TestFiles.scratch()
        for (name, text) in files {
            _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(text.utf8))
        }
        return directory
    }

    @Test("dataset.json and items.jsonl load: settings as JSON values, every item field decoded, blank lines skipped")
    func loadsManifest() throws {
        let directory = Self.make([
            "dataset.json": #"{"format": "deblurkit-dataset", "version": 1, "noise_sigma": 0.01, "kernels": ["a", "b"]}"#,
            "items.jsonl": Self.item("000002") + "\n\n" + Self.item("000001", sigma: 0, extra: #", "seed": 17, "kernel": "levin-03", "poisson_peak": 1000"#) + "\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let dataset = try Dataset.load(directory)
        #expect(dataset.settings["version"] == .number(1))
        #expect(dataset.settings["kernels"] == .array([.string("a"), .string("b")]))
        #expect(dataset.items.map(\.id) == ["000001", "000002"])
        #expect(dataset.items[0] == DatasetItem(id: "000001", sharp: "sharp/000001.png", blurred: "blurred/000001.tif",
                                                psf: "psf/000001.tif", noiseSigma: 0, boundary: "valid", seed: 17,
                                                kernel: "levin-03", poissonPeak: 1000))
        #expect(dataset.items[1].seed == nil && dataset.items[1].noiseSigma == 0.01)
        #expect(dataset.path("sharp/000001.png") == directory + "/sharp/000001.png")
    }

    @Test("Shard files items-K-of-N.jsonl merge with items.jsonl, sorted by id; dataset.json is optional")
    func mergesShards() throws {
        let directory = Self.make([
            "items-1-of-2.jsonl": Self.item("c") + "\n" + Self.item("a"),
            "items-2-of-2.jsonl": Self.item("d") + "\n" + Self.item("b") + "\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let dataset = try Dataset.load(directory)
        #expect(dataset.items.map(\.id) == ["a", "b", "c", "d"])
        #expect(dataset.settings.isEmpty)
    }

    @Test("An items file removed between the listing and the reading (a synth shard of another split finishing) is listed again, not reported as unreadable")
    func itemsFileRemovedWhileLoadingIsListedAgain() throws {
        let directory = Self.make(["items.jsonl": Self.item("a") + "\n" + Self.item("b") + "\n"])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/items.jsonl", aside = directory + "/.items.jsonl.aside"
        let stop = StopFlag()
        let churn = Thread {
            // What a shard does to it (unlink), then it is put back for the next round.
            while !stop.isSet {
                _ = rename(path, aside)
                _ = rename(aside, path)
            }
        }
        churn.start()
        var loaded = 0
        var reasons = Set<String>()
        for _ in 0..<3000 {
            do { loaded += try Dataset.load(directory).items.count == 2 ? 1 : 0 } catch let IOError.badDataset(_, _, reason) {
                reasons.insert(reason)
            }
        }
        stop.set()
        #expect(loaded > 0)
        // Missed by the listing, or (three times running) removed while it was read: never "cannot be read".
        #expect(reasons.isSubset(of: ["no items.jsonl or items-K-of-N.jsonl file",
                                      "removed while it was being read: is a deblur synth run changing the dataset? Read it once the run has finished"]))
    }

    @Test("One items file loads alone (a shard written before the others), with dataset.json; its errors name the file")
    func loadsOneItemsFile() throws {
        let directory = Self.make([
            "dataset.json": #"{"format": "deblurkit-dataset", "version": 1, "count": 6}"#,
            "items-2-of-3.jsonl": Self.item("000004", sigma: 0.02) + "\n" + Self.item("000001") + "\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The directory as a whole is incomplete, and stays refused by `load(_:)`.
        #expect(throws: IOError.badDataset(file: directory, line: nil, reason: "1 of 3 shard files present (items-K-of-3.jsonl)")) {
            try Dataset.load(directory)
        }
        let shard = try Dataset.load(directory, itemsFile: "items-2-of-3.jsonl")
        #expect(shard.items.map(\.id) == ["000001", "000004"])
        #expect(shard.items.map(\.noiseSigma) == [0.01, 0.02])
        #expect(shard.settings["count"] == .number(6))
        #expect(shard.path(shard.items[1].blurred) == directory + "/blurred/000004.tif")
        #expect(throws: IOError.badDataset(file: directory + "/items-1-of-3.jsonl", line: nil, reason: "no such items file")) {
            try Dataset.load(directory, itemsFile: "items-1-of-3.jsonl")
        }
        #expect(throws: IOError.badDataset(file: "/nonexistent-dataset", line: nil, reason: "not a directory")) {
            try Dataset.load("/nonexistent-dataset", itemsFile: "items.jsonl")
        }
        _ = FileManager.default.createFile(atPath: directory + "/items-3-of-3.jsonl", contents: Data((Self.item("000002") + "\n" + Self.item("000002")).utf8))
        #expect(throws: IOError.badDataset(file: directory + "/items-3-of-3.jsonl", line: 2, reason: "duplicate id \"000002\" (first in items-3-of-3.jsonl line 1)")) {
            try Dataset.load(directory, itemsFile: "items-3-of-3.jsonl")
        }
    }

    static func failure(_ files: [String: String]) -> (IOError?, String) {
        let directory = make(files)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do { _ = try Dataset.load(directory); return (nil, directory) } catch { return (error as? IOError, directory) }
    }

    @Test("A line missing a field is an error naming file, line and field")
    func missingField() {
        let (error, directory) = Self.failure(["items.jsonl": Self.item("a") + "\n" + #"{"id": "b", "sharp": "s", "blurred": "b", "noise_sigma": 0, "boundary": "valid"}"#])
        #expect(error == .badDataset(file: directory + "/items.jsonl", line: 2, reason: "missing field \"psf\""))
    }

    @Test("A mistyped field and a line that is not JSON are errors naming the line")
    func badLines() {
        let (typed, directory) = Self.failure(["items.jsonl": #"{"id": "a", "sharp": "s", "blurred": "b", "psf": "p", "noise_sigma": "high", "boundary": "valid"}"#])
        #expect(typed == .badDataset(file: directory + "/items.jsonl", line: 1, reason: "field \"noise_sigma\" is not a Double"))
        let (garbage, _) = Self.failure(["items-1-of-1.jsonl": "\n\nnot json\n"])
        guard case let .badDataset(file, line, reason)? = garbage else { Issue.record("got \(String(describing: garbage))"); return }
        #expect(file.hasSuffix("/items-1-of-1.jsonl") && line == 3 && reason.hasPrefix("not a JSON object"))
    }

    @Test("A noise_sigma that is negative, above deblur synth's 10 or beyond Double's range is an error naming the line (train fed 1e308 to the network as its noise plane and blamed the divergence on --lr)",
          arguments: ["-1", "-0.5", "10.000001", "25", "1e308", "1e999"])
    func badNoiseSigma(sigma: String) {
        let line = Self.item("b").replacingOccurrences(of: "\"noise_sigma\": 0.01", with: "\"noise_sigma\": \(sigma)")
        let (error, directory) = Self.failure(["items.jsonl": Self.item("a") + "\n" + line])
        if sigma == "1e999" {
            // Foundation refuses a number beyond Double as invalid JSON, before any check of ours.
            guard case let .badDataset(file, 2, _)? = error else { Issue.record("got \(String(describing: error))"); return }
            #expect(file == directory + "/items.jsonl")
        } else {
            #expect(error == .badDataset(file: directory + "/items.jsonl", line: 2,
                                         reason: "field \"noise_sigma\" is \(Double(sigma)!), expected a number from 0 to 10 (σ on the [0, 1] scale, as deblur synth --noise-sigma takes it)"))
        }
    }

    @Test("The ends of deblur synth's ranges load: noise_sigma 0 and 10, poisson_peak 1e9 or null, every boundary name")
    func itemRangesLoad() throws {
        let lines = [Self.item("a", sigma: 0), Self.item("b", sigma: 10, extra: #", "poisson_peak": 1e9"#),
                     Self.item("c", extra: #", "poisson_peak": null"#)]
            + DatasetItem.boundaries.map { Self.item("d-" + $0).replacingOccurrences(of: #""boundary": "valid""#, with: #""boundary": "\#($0)""#) }
        let directory = Self.make(["items.jsonl": lines.joined(separator: "\n")])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let items = try Dataset.load(directory).items
        #expect(items.map(\.noiseSigma).prefix(3) == [0, 10, 0.01])
        #expect(items.map(\.poissonPeak).prefix(3) == [nil, 1e9, nil])
        #expect(items.dropFirst(3).map(\.boundary) == ["circular", "reflect", "replicate", "valid"])
    }

    @Test("A boundary other than circular, reflect, replicate or valid is an error naming the line, the value (quoted, escaped) and the accepted names",
          arguments: [(#""same""#, #""same""#), (#""Valid""#, #""Valid""#), (#""""#, #""""#), (#""a\nb/c""#, #""a\nb/c""#)])
    func badBoundary(json: String, shown: String) {
        let line = Self.item("b").replacingOccurrences(of: #""boundary": "valid""#, with: #""boundary": "# + json)
        let (error, directory) = Self.failure(["items.jsonl": Self.item("a") + "\n" + line])
        #expect(error == .badDataset(file: directory + "/items.jsonl", line: 2,
                                     reason: "field \"boundary\" is \(shown), expected circular, reflect, replicate or valid"))
    }

    @Test("A poisson_peak outside deblur synth's (0, 1e9] is an error naming the line and the value", arguments: ["0", "-5", "1000000001", "1e308"])
    func badPoissonPeak(peak: String) {
        let (error, directory) = Self.failure(["items.jsonl": Self.item("a") + "\n" + Self.item("b", extra: ", \"poisson_peak\": \(peak)")])
        #expect(error == .badDataset(file: directory + "/items.jsonl", line: 2,
                                     reason: "field \"poisson_peak\" is \(Double(peak)!), expected a photon count in (0, 1e9] (as deblur synth --poisson takes it)"))
    }

    @Test("A seed that is not a 64-bit unsigned integer is named as such, not as a line that is not JSON", arguments: ["-1", "1.5", "18446744073709551616"])
    func badSeed(seed: String) {
        let (error, directory) = Self.failure(["items.jsonl": Self.item("a", extra: ", \"seed\": \(seed)")])
        guard case let .badDataset(file, 1, reason)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(file == directory + "/items.jsonl")
        #expect(reason.hasPrefix("field \"seed\" is ") && reason.hasSuffix("expected an integer from 0 to 18446744073709551615"), "\(reason)")
    }

    @Test("A line that is JSON but not an object is 'not a JSON object', not 'field \"\" is not a Dictionary<String, Any>'", arguments: ["[]", "null", "\"x\"", "7"])
    func jsonThatIsNotAnObject(line: String) {
        let (error, directory) = Self.failure(["items.jsonl": Self.item("a") + "\n" + line])
        #expect(error == .badDataset(file: directory + "/items.jsonl", line: 2, reason: "not a JSON object"))
    }

    @Test("A path holding a NUL is an error: it opened the file named by the part before the NUL (another item's image)")
    func pathWithNul() {
        let line = Self.item("b").replacingOccurrences(of: "\"blurred/b.tif\"", with: #""blurred/a.tif\u0000b""#)
        let (error, directory) = Self.failure(["items.jsonl": Self.item("a") + "\n" + line])
        #expect(error == .badDataset(file: directory + "/items.jsonl", line: 2, reason: "field \"blurred\" contains a NUL character (\\u0000), which no file name can hold"))
    }

    @Test("Duplicate ids across shards are an error naming both places")
    func duplicateIds() {
        let (error, directory) = Self.failure(["items-1-of-2.jsonl": Self.item("a"), "items-2-of-2.jsonl": Self.item("b") + "\n" + Self.item("a")])
        #expect(error == .badDataset(file: directory + "/items-2-of-2.jsonl", line: 2, reason: "duplicate id \"a\" (first in items-1-of-2.jsonl line 1)"))
    }

    @Test("Missing or mixed shard files, no items file, a foreign dataset.json and a missing directory are errors")
    func directoryErrors() {
        let (missing, d1) = Self.failure(["items-1-of-3.jsonl": Self.item("a"), "items-3-of-3.jsonl": Self.item("b")])
        #expect(missing == .badDataset(file: d1, line: nil, reason: "2 of 3 shard files present (items-K-of-3.jsonl)"))
        // Shards count from 1: a 0 file is not one of them, so shard 2 of 2 is still missing.
        let (zero, d0) = Self.failure(["items-0-of-2.jsonl": Self.item("a"), "items-1-of-2.jsonl": Self.item("b")])
        #expect(zero == .badDataset(file: d0, line: nil, reason: "1 of 2 shard files present (items-K-of-2.jsonl)"))
        let (mixed, _) = Self.failure(["items-1-of-2.jsonl": Self.item("a"), "items-1-of-3.jsonl": Self.item("b")])
        #expect(mixed?.description.contains("shard files of different splits") == true)
        let (none, d3) = Self.failure(["dataset.json": "{}"])
        #expect(none == .badDataset(file: d3, line: nil, reason: "no items.jsonl or items-K-of-N.jsonl file"))
        let (foreign, d4) = Self.failure(["dataset.json": #"{"format": "coco"}"#, "items.jsonl": Self.item("a")])
        #expect(foreign == .badDataset(file: d4 + "/dataset.json", line: nil, reason: "format is \"coco\", expected \"deblurkit-dataset\""))
        let (numeric, d5) = Self.failure(["dataset.json": #"{"format": 2}"#, "items.jsonl": Self.item("a")])
        #expect(numeric == .badDataset(file: d5 + "/dataset.json", line: nil, reason: "format is 2, expected \"deblurkit-dataset\""))
        // A later version was read as version 1; another tool's own version numbers are its own.
        for version in ["2", "\"1\"", "null"] {
            let (later, d6) = Self.failure(["dataset.json": #"{"format": "deblurkit-dataset", "version": "# + version + "}", "items.jsonl": Self.item("a")])
            #expect(later == .badDataset(file: d6 + "/dataset.json", line: nil,
                                         reason: "version is \(version), this DeblurKit reads version 1 (a dataset written by a later DeblurKit?)"))
        }
        #expect(Self.failure(["dataset.json": #"{"version": 7}"#, "items.jsonl": Self.item("a")]).0 == nil)
        #expect(throws: IOError.badDataset(file: "/nonexistent-dataset", line: nil, reason: "not a directory")) {
            try Dataset.load("/nonexistent-dataset")
        }
    }

    /// A folder or a pipe in place of a manifest was "cannot be read as UTF-8 text", as if its
    /// text were damaged.
    @Test("A dataset.json or items file that is a folder or a pipe is named so")
    func manifestsThatAreNotFiles() throws {
        for (name, pipe) in [("dataset.json", false), ("items.jsonl", false), ("dataset.json", true), ("items.jsonl", true)] {
            let directory = Self.make(name == "items.jsonl" ? [:] : ["items.jsonl": Self.item("a")])
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let path = directory + "/" + name
            if pipe { #expect(mkfifo(path, 0o600) == 0) } else { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false) }
            #expect(throws: IOError.badDataset(file: path, line: nil, reason: pipe ? "a pipe, not a file" : "a directory, not a file")) {
                try Dataset.load(directory)
            }
        }
    }

    @Test("JSON integers above 2^53 read and write digit for digit; smaller numbers stay Doubles")
    func largeIntegersRoundTrip() throws {
        let text = #"[9007199254740992,9007199254740993,18446744073709551615,18446744073709551616,0.5,-9007199254740993]"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(value == .array([.number(9_007_199_254_740_992), .largeInteger(9_007_199_254_740_993), .largeInteger(.max),
                                 .number(18_446_744_073_709_551_616), .number(0.5), .number(-9_007_199_254_740_992)]))
        let written = String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
        #expect(written.hasPrefix("[9007199254740992,9007199254740993,18446744073709551615,"), "\(written)")
        #expect(JSONValue.integer(1 << 53) == .number(9_007_199_254_740_992) && JSONValue.integer((1 << 53) + 1) == .largeInteger((1 << 53) + 1))
    }
}

/// A flag one thread sets and another polls.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
