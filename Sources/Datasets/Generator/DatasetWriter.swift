import DeblurCore
import DeblurIO
import Deconvolution
import Foundation

/// What a `DatasetGenerator.write` run did.
public struct SynthesisSummary: Sendable {
    /// Items of this shard.
    public var items: Int
    /// Items generated and written by this run.
    public var generated: Int
    /// Items already complete on disk and skipped.
    public var skipped: Int
    /// Wall-clock seconds.
    public var seconds: Double
    /// Seconds per stage summed over all threads (so they add up to about threads × seconds).
    public var stages: StageTimes
    /// Generated items per second of wall-clock time.
    public var itemsPerSecond: Double { seconds > 0 ? Double(generated) / seconds : 0 }
}

extension DatasetGenerator {
    /// The `dataset.json` object: format, version, tool version and every setting.
    public func datasetJSON() throws -> [String: JSONValue] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let data = try encoder.encode(settings)
        guard case .object(var object) = try JSONDecoder().decode(JSONValue.self, from: data) else {
            preconditionFailure("settings encode to a JSON object")
        }
        object["format"] = .string("deblurkit-dataset")
        object["version"] = .number(1)
        object["deblurkit_version"] = .string(DeblurKitVersion.string)
        return object
    }

    static func encodeSorted<T: Encodable>(_ value: T, pretty: Bool) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// Refuses a source folder (`imagesDirectory`, a kernel folder) that is one of the item
    /// folders of `directory`: `synth --out ds --images ds/sharp` replaced the photographs with
    /// the items' crops (and `--force` removed them), exit 0.
    func refuseWritingIntoSources(_ directory: String) throws {
        let sources: [(what: String, path: String?)] = [
            ("images folder", settings.sharpSource == .images ? settings.imagesDirectory : nil),
            ("kernel folder", settings.kernelSource == .folder && settings.kernelDirectory != "bank" ? settings.kernelDirectory : nil),
        ]
        for case let (what, source?) in sources {
            guard let sourceID = existingFileIdentity(source) else { continue }
            for sub in ["sharp", "blurred", "psf"] {
                let items = (directory as NSString).appendingPathComponent(sub)
                if existingFileIdentity(items) == sourceID {
                    throw DatasetsError.invalidSetting(name: what, value: source,
                                                       expected: "a folder other than \(items), where the items' \(sub) files are written (its files would be replaced)")
                }
            }
        }
    }

    /// Generates this shard's items into `directory` (the layout of Docs/FileFormats.md):
    /// `dataset.json`, `sharp/`, `blurred/`, `psf/` and the shard's items file.
    ///
    /// Every file is written atomically, so a file that exists is complete. Re-running skips
    /// items whose three files exist; a directory whose `dataset.json` records other
    /// settings (or another DeblurKit version) is refused unless `force`, which removes its
    /// items files and the old items' images (of every shard), then regenerates every item of
    /// the shard. Shards may run concurrently on
    /// one directory; a finished run removes items files of other shard splits (they list the
    /// same items, and readers refuse mixed splits).
    ///
    /// - Parameters:
    ///   - threads: items generated in parallel (each with one-threaded FFTs).
    ///   - progress: called after each item with (done, total), from worker threads, possibly
    ///     at the same time and out of order: guard what it changes with a lock. (It is not
    ///     `@Sendable`, so the compiler does not check this, even in Swift 6 mode.)
    /// - Throws: `DatasetsError` for a mismatching directory, unreadable sources or write failures.
    public func write(to directory: String, shard: Shard = .all, force: Bool = false,
                      threads: Int = ProcessorInfo.cores, progress: ((Int, Int) -> Void)? = nil) throws -> SynthesisSummary {
        let start = monotonicSeconds()
        let fm = FileManager.default
        try refuseWritingIntoSources(directory)
        for sub in ["", "sharp", "blurred", "psf"] {
            let path = (directory as NSString).appendingPathComponent(sub)
            do { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
                throw DatasetsError.fileError(path: path, reason: "cannot create the directory: \(fileErrorReason(error, path: path))")
            }
        }
        let manifestPath = (directory as NSString).appendingPathComponent("dataset.json")
        let ours = try datasetJSON()
        // Shards started together must not both take the old settings for theirs: the second
        // would remove the first one's new items. One run at a time checks and replaces them.
        // The lock is a file opened for writing, not the directory: NFS clients lock by fcntl on
        // the server, which grants an exclusive lock only on a file open for writing, so a
        // directory's lock always failed there (best effort still: a file system mounted
        // without locking refuses it, and then runs go unlocked).
        let directoryLock = open((directory as NSString).appendingPathComponent(Self.lockFileName), O_RDWR | O_CREAT, 0o644)
        if directoryLock >= 0 { _ = flock(directoryLock, LOCK_EX) }
        defer { if directoryLock >= 0 { close(directoryLock) } }
        // Runs writing items hold the second lock shared until they end; a run that replaces the
        // settings takes it exclusively, so it waits for them: a run that had checked the old
        // settings went on writing old items, after the forced run had removed them, under the
        // new dataset.json (and its items file last). Taken under the first lock, so that no
        // replacement slips in between a run's check and its shared lock.
        let runLock = open((directory as NSString).appendingPathComponent(Self.runLockFileName), O_RDWR | O_CREAT, 0o644)
        defer { if runLock >= 0 { close(runLock) } }
        if let existing = fm.contents(atPath: manifestPath) {
            var differences = ["its dataset.json is not a JSON object"]
            if case .object(let theirs)? = try? JSONDecoder().decode(JSONValue.self, from: existing) {
                // A setting neither run reads is no difference; the ones that make it unread (the
                // sources) are compared, so a change of source is still one.
                let unread = settings.unreadKeys
                differences = Set(ours.keys).union(theirs.keys).subtracting(unread).sorted().compactMap { key -> String? in
                    ours[key] == theirs[key] ? nil : "\(key): \(Self.describe(theirs[key])) there, \(Self.describe(ours[key])) now"
                }
            }
            if !differences.isEmpty {
                guard force else { throw DatasetsError.settingsMismatch(path: directory, differences: differences) }
                if runLock >= 0 { _ = flock(runLock, LOCK_EX) }
                // The old items files describe another dataset: none of them may survive.
                try removeItemsFiles(in: directory) { _ in true }
                // Nor may the old items: once the new dataset.json is written, an item whose files
                // exist counts as complete, so a killed run (or another shard) resumed without
                // --force would keep them as items of the new settings.
                try removeItemImages(in: directory)
            }
        }
        try writeAtomically(try Self.encodeSorted(ours, pretty: true) + Data("\n".utf8), to: manifestPath)
        // From exclusive (a replacement) to shared: other runs are still kept out by the first lock.
        if runLock >= 0 { _ = flock(runLock, LOCK_SH) }
        if directoryLock >= 0 { _ = flock(directoryLock, LOCK_UN) }

        let indices = (0..<settings.count).filter(shard.contains)
        var pending = [Int]()
        for i in indices {
            let paths = SyntheticItem.paths(id: SyntheticItem.id(index: i, count: settings.count), quantizeBits: settings.quantizeBits)
            let complete = [paths.sharp, paths.blurred, paths.psf].allSatisfy {
                fm.fileExists(atPath: (directory as NSString).appendingPathComponent($0))
            }
            if force || !complete { pending.append(i) }
        }
        let total = indices.count
        let skippedCount = total - pending.count
        progress?(skippedCount, total)

        // One component owns parallelism: items run in parallel, so the image writers'
        // sample conversion stays on the item's thread.
        let stages = try ImageIO.serially {
            let lock = NSLock()
            var firstError: Error?
            var stages = StageTimes()
            var done = skippedCount
            let workers = max(1, min(threads, pending.count))
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let convolver = DatasetGenerator.makeConvolver()
                var local = StageTimes()
                // Interleaved so that every worker finishes at about the same time.
                for k in stride(from: worker, to: pending.count, by: workers) {
                    lock.lock(); let stop = firstError != nil; lock.unlock()
                    if stop { break }
                    do {
                        let item = try makeItem(index: pending[k], convolver: convolver, timing: &local)
                        let clock = monotonicSeconds()
                        try writeItem(item, into: directory)
                        local.write += monotonicSeconds() - clock
                        lock.lock(); done += 1; let d = done; lock.unlock()
                        progress?(d, total)
                    } catch {
                        lock.lock(); if firstError == nil { firstError = error }; lock.unlock()
                    }
                }
                lock.lock(); stages.add(local); lock.unlock()
            }
            if let firstError { throw firstError }
            return stages
        }

        var lines = Data()
        for i in indices {
            lines += try Self.encodeSorted(manifestEntry(index: i), pretty: false)
            lines += Data("\n".utf8)
        }
        // Items files of another shard split list the same items (same settings): readers
        // refuse mixed splits, so this split's files replace them.
        try removeItemsFiles(in: directory) { name in
            name == "items.jsonl" ? shard.count != 1 : !name.hasSuffix("-of-\(shard.count).jsonl")
        }
        try writeAtomically(lines, to: (directory as NSString).appendingPathComponent(shard.itemsFileName))
        return SynthesisSummary(items: total, generated: pending.count, skipped: skippedCount,
                                seconds: monotonicSeconds() - start, stages: stages)
    }

    /// The file in a dataset directory that runs lock while they check and replace `dataset.json`.
    /// It stays (removing it would let a waiting run lock the removed file while a new run locks
    /// a new one); readers ignore it.
    public static let lockFileName = ".deblur-synth.lock"

    /// The file runs lock shared while they write items, and a run that replaces the settings
    /// (`force`) exclusively, waiting for them to end. It stays, as `lockFileName`.
    public static let runLockFileName = ".deblur-synth-run.lock"

    /// Removes `items.jsonl` and `items-K-of-N.jsonl` files whose name passes `filter`.
    func removeItemsFiles(in directory: String, where filter: (String) -> Bool) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasPrefix("items") && name.hasSuffix(".jsonl") && filter(name) {
            let path = (directory as NSString).appendingPathComponent(name)
            do { try Self.removeIfPresent(path) } catch {
                throw DatasetsError.fileError(path: path, reason: "cannot remove the stale items file: \(fileErrorReason(error, path: path))")
            }
        }
    }

    /// Removes `path`; a file already gone is no error. Shards run at the same time list the
    /// same stale files, and all but the first find them removed (`ENOENT`) when they get there.
    static func removeIfPresent(_ path: String) throws {
        do { try FileManager.default.removeItem(atPath: path) } catch {
            var status = stat()
            if lstat(path, &status) != 0, errno == ENOENT { return }
            throw error
        }
    }

    /// Removes the item files (`000017.png`, `000017.tif`) in `sharp/`, `blurred/` and `psf/`,
    /// and the temporary files of writes a killed run left (`.000017.tif.tmp-…`).
    func removeItemImages(in directory: String) throws {
        for sub in ["sharp", "blurred", "psf"] {
            let folder = (directory as NSString).appendingPathComponent(sub)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                let stem = atomicWriteTarget(ofTemporary: name) ?? name
                guard stem.hasSuffix(".png") || stem.hasSuffix(".tif") else { continue }
                let id = stem.dropLast(4)
                guard !id.isEmpty, id.allSatisfy({ $0.isASCII && $0.isNumber }) else { continue }
                let path = (folder as NSString).appendingPathComponent(name)
                do { try Self.removeIfPresent(path) } catch {
                    throw DatasetsError.fileError(path: path, reason: "cannot remove an item of the old settings: \(fileErrorReason(error, path: path))")
                }
            }
        }
    }

    /// Writes one item's three files (each atomically; the sharp image last).
    func writeItem(_ item: SyntheticItem, into directory: String) throws {
        let paths = SyntheticItem.paths(id: item.id, quantizeBits: settings.quantizeBits)
        func full(_ relative: String) -> String { (directory as NSString).appendingPathComponent(relative) }
        let depth: SampleDepth = settings.quantizeBits == 8 ? .uint8 : settings.quantizeBits == 16 ? .uint16 : .float32
        try ImageIO.write(item.blurred, to: full(paths.blurred), depth: depth)
        try ImageIO.writePSF(item.psf, to: full(paths.psf))
        try ImageIO.write(item.sharp, to: full(paths.sharp), depth: settings.sharpBits == 16 ? .uint16 : .uint8)
    }

    private static func describe(_ value: JSONValue?) -> String {
        guard let value else { return "absent" }
        guard let data = try? encodeSorted(value, pretty: false) else { return "?" }
        return String(decoding: data, as: UTF8.self)
    }
}

extension Dataset {
    /// The items one shard wrote (`deblur synth --shard K/N`, `DatasetGenerator.write(to:shard:)`),
    /// with the directory's `dataset.json`, whether or not the other shards exist yet: its
    /// `items-K-of-N.jsonl` alone (`Dataset.load(_:itemsFile:)`). `Shard.all` loads the whole
    /// dataset as `Dataset.load(_:)` does.
    /// - Throws: `IOError.badDataset` naming the file: no items file of this shard, or a bad line.
    public static func load(_ directory: String, shard: Shard) throws -> Dataset {
        shard.count == 1 ? try load(directory) : try load(directory, itemsFile: shard.itemsFileName)
    }
}
