import DeblurCore
import Foundation

/// One item of a dataset directory (a line of `items.jsonl`; see Docs/FileFormats.md).
/// Paths are relative to the dataset directory.
public struct DatasetItem: Codable, Sendable, Equatable {
    public var id: String
    public var sharp: String
    public var blurred: String
    public var psf: String
    /// Gaussian noise σ on the [0, 1] scale (0 when none), at most `maximumNoiseSigma`.
    public var noiseSigma: Double
    /// One of `boundaries`: `circular`, `reflect`, `replicate` or `valid`.
    public var boundary: String
    public var seed: UInt64?
    /// The kernel's name (bank entry or `trajectory-<seed>`), for grouping results by kernel.
    public var kernel: String?
    /// Poisson peak photon count, when Poisson noise was added: in (0, `maximumPoissonPeak`].
    public var poissonPeak: Double?
    /// The photograph the sharp image comes from, cropped or whole (its file name in `deblur
    /// synth --images`), for results grouped by source; nil for dead leaves and datasets made
    /// elsewhere.
    public var source: String?

    // What `deblur synth` itself accepts (`BlurBoundary`, `NoiseModel.validate` in
    // Deconvolution, which DeblurIO does not import; DatasetsTests checks that they agree).
    /// The `boundary` names `Dataset.load` accepts, those of `BlurBoundary`.
    public static let boundaries = ["circular", "reflect", "replicate", "valid"]
    /// The largest `noiseSigma` `Dataset.load` accepts: `NoiseModel.maximumGaussianSigma`.
    public static let maximumNoiseSigma: Double = 10
    /// The largest `poissonPeak` `Dataset.load` accepts, the largest `NoiseModel.validate` takes.
    public static let maximumPoissonPeak: Double = 1e9

    enum CodingKeys: String, CodingKey {
        case id, sharp, blurred, psf, boundary, seed, kernel, source
        case noiseSigma = "noise_sigma"
        case poissonPeak = "poisson_peak"
    }

    public init(id: String, sharp: String, blurred: String, psf: String, noiseSigma: Double, boundary: String,
                seed: UInt64? = nil, kernel: String? = nil, poissonPeak: Double? = nil, source: String? = nil) {
        self.id = id; self.sharp = sharp; self.blurred = blurred; self.psf = psf; self.noiseSigma = noiseSigma
        self.boundary = boundary; self.seed = seed; self.kernel = kernel; self.poissonPeak = poissonPeak; self.source = source
    }
}

/// A dataset directory: `dataset.json` plus `items.jsonl` and/or shard files
/// `items-K-of-N.jsonl`, which readers merge (sorted by id).
public struct Dataset: Sendable {
    public let directory: String
    /// `dataset.json` as a JSON object (format, version, generator settings).
    public let settings: [String: JSONValue]
    public let items: [DatasetItem]

    /// Loads a dataset directory; a missing `dataset.json` is allowed for datasets made by other tools.
    ///
    /// Items come from `items.jsonl` and every shard file `items-K-of-N.jsonl`, merged and
    /// sorted by `id`; blank lines are skipped. Image files are not opened here.
    /// - Throws: `IOError.badDataset` naming the file (and line): no items file, a line that is not
    ///   an item (with the missing or mistyped field), a `noise_sigma`, `boundary` or
    ///   `poisson_peak` outside what `deblur synth` accepts, a duplicate id, shard files of
    ///   different N or fewer than N of them, or a `dataset.json` that is not a JSON object
    ///   of format `deblurkit-dataset` (and version 1, when it gives one).
    public static func load(_ directory: String) throws -> Dataset {
        // A `deblur synth` shard that finishes removes the items files of another split, maybe
        // between the listing and the reading here: the directory is then listed again, so what
        // is reported (the dataset, or the shard files missing) is what is there now.
        for attempt in 1...3 {
            do { return try loadListed(directory) } catch let removed as ItemsFileRemoved {
                if attempt == 3 { throw removed.error }
            }
        }
        preconditionFailure("the third attempt returns or throws")
    }

    private static func loadListed(_ directory: String) throws -> Dataset {
        let settings = try loadSettings(directory)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        var itemFiles: [String] = []
        var shardCounts: [Int: Set<Int>] = [:]
        for name in names.sorted() {
            if name == "items.jsonl" { itemFiles.append(name); continue }
            if let (k, n) = shardIndex(name) {
                itemFiles.append(name)
                shardCounts[n, default: []].insert(k)
            }
        }
        guard !itemFiles.isEmpty else { throw IOError.badDataset(file: directory, line: nil, reason: "no items.jsonl or items-K-of-N.jsonl file") }
        if shardCounts.count > 1 {
            throw IOError.badDataset(file: directory, line: nil, reason: "shard files of different splits: of-\(shardCounts.keys.sorted().map(String.init).joined(separator: ", of-"))")
        }
        if let (n, ks) = shardCounts.first, ks.count < n {
            throw IOError.badDataset(file: directory, line: nil, reason: "\(ks.count) of \(n) shard files present (items-K-of-\(n).jsonl)")
        }

        return Dataset(directory: directory, settings: settings, items: try readItems(directory, files: itemFiles))
    }

    /// Loads one items file of a dataset directory with its `dataset.json`: typically a shard's
    /// `items-K-of-N.jsonl` (`Shard.itemsFileName`), whose items a `deblur synth --shard K/N` run
    /// (or `DatasetGenerator.write(to:shard:)`) has written while other shards are missing or
    /// still running, which `load(_:)` refuses as an incomplete dataset. Other items files in the
    /// directory are not read.
    /// - Throws: `IOError.badDataset` naming the file (and line): not a directory, no such items
    ///   file, a line that is not an item, a duplicate id, or a bad `dataset.json`.
    public static func load(_ directory: String, itemsFile: String) throws -> Dataset {
        let settings = try loadSettings(directory)
        let path = (directory as NSString).appendingPathComponent(itemsFile)
        guard FileManager.default.fileExists(atPath: path) else {
            throw IOError.badDataset(file: path, line: nil, reason: "no such items file")
        }
        do {
            return Dataset(directory: directory, settings: settings, items: try readItems(directory, files: [itemsFile]))
        } catch let removed as ItemsFileRemoved { throw removed.error }
    }

    /// An items file listed in the directory was gone when it was opened.
    private struct ItemsFileRemoved: Error {
        var path: String
        var error: IOError {
            .badDataset(file: path, line: nil, reason: "removed while it was being read: is a deblur synth run changing the dataset? Read it once the run has finished")
        }
    }

    /// The items of `files` (names in `directory`), sorted by id; ids must be unique across them.
    private static func readItems(_ directory: String, files itemFiles: [String]) throws -> [DatasetItem] {
        var items: [DatasetItem] = []
        var origin: [String: String] = [:]
        let decoder = JSONDecoder()
        for name in itemFiles {
            let path = (directory as NSString).appendingPathComponent(name)
            let data: Data
            do { data = try manifestData(path, removed: ItemsFileRemoved(path: path)) }
            guard let text = String(data: data, encoding: .utf8) else {
                throw IOError.badDataset(file: path, line: nil, reason: "cannot be read as UTF-8 text")
            }
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
                if trimmed.isEmpty { continue }
                let item: DatasetItem
                do {
                    item = try decoder.decode(DatasetItem.self, from: Data(trimmed.utf8))
                } catch {
                    throw IOError.badDataset(file: path, line: index + 1, reason: seedProblem(trimmed) ?? describe(error))
                }
                // The trainer feeds σ to the network as its noise plane: -1 trained on a negative
                // plane without a word, 1e308 "diverged" as if the learning rate were wrong.
                // The C calls that open the files stop at a NUL: "blurred/7.tif\u{0}x" opened
                // blurred/7.tif, another item's image, and scored it without a word.
                for (field, value) in [("sharp", item.sharp), ("blurred", item.blurred), ("psf", item.psf)] where value.utf8.contains(0) {
                    throw IOError.badDataset(file: path, line: index + 1, reason: "field \"\(field)\" contains a NUL character (\\u0000), which no file name can hold")
                }
                guard item.noiseSigma.isFinite, item.noiseSigma >= 0, item.noiseSigma <= DatasetItem.maximumNoiseSigma else {
                    throw IOError.badDataset(file: path, line: index + 1, reason: "field \"noise_sigma\" is \(item.noiseSigma), expected a number from 0 to "
                                             + "\(Int(DatasetItem.maximumNoiseSigma)) (σ on the [0, 1] scale, as deblur synth --noise-sigma takes it)")
                }
                // compare and train do not use these two, but they say how the item was made, and a
                // script reading them would take "same" or a peak of -5 at its word.
                guard DatasetItem.boundaries.contains(item.boundary) else {
                    throw IOError.badDataset(file: path, line: index + 1, reason: "field \"boundary\" is \(quoted(item.boundary)), expected "
                                             + DatasetItem.boundaries.dropLast().joined(separator: ", ") + " or " + DatasetItem.boundaries.last!)
                }
                if let peak = item.poissonPeak, !(peak.isFinite && peak > 0 && peak <= DatasetItem.maximumPoissonPeak) {
                    throw IOError.badDataset(file: path, line: index + 1, reason: "field \"poisson_peak\" is \(peak), expected a photon count "
                                             + "in (0, 1e9] (as deblur synth --poisson takes it)")
                }
                let place = "\(name) line \(index + 1)"
                if let first = origin[item.id] {
                    throw IOError.badDataset(file: path, line: index + 1, reason: "duplicate id \"\(item.id)\" (first in \(first))")
                }
                origin[item.id] = place
                items.append(item)
            }
        }
        items.sort { $0.id < $1.id }
        return items
    }

    /// What is wrong with the `seed` of a line that is a JSON object but whose seed is not a
    /// UInt64 (-1, 1.5, 2⁶⁴): Foundation's decoder calls the whole line "not valid JSON".
    private static func seedProblem(_ line: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let seed = object["seed"] as? NSNumber, !(seed is Bool) else { return nil }
        let text = seed.stringValue
        guard UInt64(text) == nil else { return nil }
        return "field \"seed\" is \(text), expected an integer from 0 to \(UInt64.max)"
    }

    /// `items-K-of-N.jsonl` → (K, N), K from 1 (as `--shard K/N` writes them).
    private static func shardIndex(_ name: String) -> (Int, Int)? {
        guard name.hasPrefix("items-"), name.hasSuffix(".jsonl") else { return nil }
        let middle = name.dropFirst("items-".count).dropLast(".jsonl".count)
        let parts = middle.components(separatedBy: "-of-")
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]), n > 0, k >= 1, k <= n else { return nil }
        return (k, n)
    }

    /// The `dataset.json` of `directory` (empty when there is none), after checking that it is a directory.
    private static func loadSettings(_ directory: String) throws -> [String: JSONValue] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw IOError.badDataset(file: directory, line: nil, reason: "not a directory")
        }
        let path = (directory as NSString).appendingPathComponent("dataset.json")
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        let data = try manifestData(path)
        let value: JSONValue
        do {
            value = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw IOError.badDataset(file: path, line: nil, reason: "not valid JSON (\(describe(error)))")
        }
        guard case .object(let settings) = value else {
            throw IOError.badDataset(file: path, line: nil, reason: "expected a JSON object")
        }
        if let format = settings["format"], format != .string("deblurkit-dataset") {
            // As written in the file ("coco"), not as the Swift case (string("coco")).
            throw IOError.badDataset(file: path, line: nil, reason: "format is \(quoted(format)), expected \"deblurkit-dataset\"")
        }
        // A later version may mean its fields otherwise, as a model file's may: one was read as
        // version 1 without a word. Checked with our format only: another tool's dataset.json
        // may number its own versions.
        if settings["format"] != nil, let version = settings["version"], version != .number(1) {
            throw IOError.badDataset(file: path, line: nil, reason: "version is \(quoted(version)), this DeblurKit reads version 1 "
                                     + "(a dataset written by a later DeblurKit?)")
        }
        return settings
    }

    /// The bytes of a manifest file (`dataset.json`, an items file). A folder, a pipe and a file
    /// without read permission were all "cannot be read as UTF-8 text", as if their text were
    /// damaged; the reason is now said.
    /// - Throws: `IOError.badDataset` naming `path`: a directory, a pipe or socket, or the system's reason.
    /// - Parameter removed: thrown instead when the file is gone by the time it is opened.
    private static func manifestData(_ path: String, removed: Error? = nil) throws -> Data {
        func fail(_ reason: String) -> IOError { .badDataset(file: path, line: nil, reason: reason) }
        if let kind = streamKind(of: path) { throw fail("\(kind), not a file") }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw fail("a directory, not a file")
        }
        do { return try readWhole(path) } catch CoreError.readFailed(_, let reason) {
            // ENOENT's reason is the file gone.
            if let removed, reason == systemErrorReason(ENOENT) { throw removed }
            throw fail("cannot be read (\(reason))")
        }
    }

    /// `value` as JSON text: a string in quotes with its control characters escaped, so a
    /// name holding a newline still makes a one-line message.
    private static func quoted<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return (try? encoder.encode(value)).flatMap { String(data: $0, encoding: .utf8) } ?? "\(value)"
    }

    /// A one-line reason from a `DecodingError`, naming the field.
    private static func describe(_ error: Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func field(_ path: [CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }
        switch error {
        case let .keyNotFound(key, _): return "missing field \"\(key.stringValue)\""
        // A line that is JSON but not an object (`[]`, `null`, `"x"`) has no field to name.
        case let .typeMismatch(_, context) where context.codingPath.isEmpty, let .valueNotFound(_, context) where context.codingPath.isEmpty:
            return "not a JSON object"
        case let .typeMismatch(type, context): return "field \"\(field(context.codingPath))\" is not a \(type)"
        case let .valueNotFound(type, context): return "field \"\(field(context.codingPath))\" is null, expected a \(type)"
        case let .dataCorrupted(context):
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return context.codingPath.isEmpty ? "not a JSON object (\(underlying ?? context.debugDescription))"
                                              : "field \"\(field(context.codingPath))\": \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    /// The absolute path of a file named in an item.
    public func path(_ relative: String) -> String { (directory as NSString).appendingPathComponent(relative) }
}

/// A small JSON value type for settings that cross module lines.
///
/// Numbers are `.number(Double)`, except integers above 2⁵³, which a Double would round:
/// those are `.largeInteger(UInt64)` and are written back digit for digit, so a 64-bit seed
/// (`deblur synth --seed`) survives a round trip and two seeds that differ only in the last
/// digits compare unequal.
public enum JSONValue: Sendable, Equatable, Codable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])
    /// A non-negative integer above 2⁵³ (`JSONValue.largeIntegerThreshold`), kept exactly.
    case largeInteger(UInt64)

    /// 2⁵³: every integer up to it is exact in a Double; from 2⁵³ + 1 on, some are not.
    public static let largeIntegerThreshold: UInt64 = 1 << 53

    /// `.largeInteger` above 2⁵³, else `.number`: the one way an integer becomes a value, so
    /// a value built in code equals the same value read from a file.
    public static func integer(_ value: UInt64) -> JSONValue {
        value > largeIntegerThreshold ? .largeInteger(value) : .number(Double(value))
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        // Integers first: decoding 2⁵³ + 1 as a Double would silently give 2⁵³.
        else if let u = try? c.decode(UInt64.self) { self = .integer(u) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .largeInteger(let u): try c.encode(u)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}
