import Testing
import Foundation
import DeblurCore
import DeblurIO
import Deconvolution
import _TestSupport
@testable import Datasets
import KernelBank

@Suite(.serialized) struct DatasetWriterTests {
    func temporaryDirectory(_ name: String) -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("deblurkit-\(name)-\(getpid())").path
        try? FileManager.default.removeItem(atPath: path)
        return path
    }

    func settings() -> SynthesisSettings {
        var s = SynthesisSettings()
        s.count = 5
        s.height = 20
        s.width = 18
        s.seed = 7
        s.deadLeaves = DeadLeaves(minRadius: 1, maxRadius: 15)
        s.trajectorySize = 7
        s.noiseSigmaMin = 0.005
        s.noiseSigmaMax = 0.02
        return s
    }

    func itemFiles(_ directory: String) throws -> [String: Data] {
        var files = [String: Data]()
        for sub in ["sharp", "blurred", "psf"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: directory + "/" + sub) {
                files[sub + "/" + name] = FileManager.default.contents(atPath: directory + "/" + sub + "/" + name)
            }
        }
        return files
    }

    /// A node that wrote its shard reads it back before the other shards exist: the shard's
    /// items are the in-memory items of its indices, and `Shard.all` is the whole dataset.
    @Test func oneShardLoadsBeforeTheOthersAreWritten() throws {
        let directory = temporaryDirectory("one-shard")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let generator = try DatasetGenerator(settings: settings())
        _ = try generator.write(to: directory, shard: try Shard(2, of: 3), threads: 1)
        #expect(throws: IOError.self) { try Dataset.load(directory) }
        let part = try Dataset.load(directory, shard: try Shard(2, of: 3))
        #expect(part.items.map(\.id) == ["000001", "000004"])
        #expect(part.settings["format"] == .string("deblurkit-dataset"))
        for entry in part.items {
            let item = try generator.makeItem(index: Int(entry.id)!)
            #expect(try ImageIO.read(part.path(entry.blurred)) == item.blurred)
            #expect(entry.noiseSigma == item.noise.gaussianSigma)
        }
        #expect(throws: IOError.badDataset(file: directory + "/items-1-of-3.jsonl", line: nil, reason: "no such items file")) {
            try Dataset.load(directory, shard: try Shard(1, of: 3))
        }
        _ = try generator.write(to: directory, shard: try Shard(1, of: 3), threads: 1)
        _ = try generator.write(to: directory, shard: try Shard(3, of: 3), threads: 1)
        #expect(try Dataset.load(directory, shard: .all).items.map(\.id) == ["000000", "000001", "000002", "000003", "000004"])
    }

    @Test func writtenFilesReadBackAsTheInMemoryItems() throws {
        let directory = temporaryDirectory("write")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let generator = try DatasetGenerator(settings: settings())
        let summary = try generator.write(to: directory, threads: 2)
        #expect(summary.items == 5 && summary.generated == 5 && summary.skipped == 0)
        let dataset = try Dataset.load(directory)
        #expect(dataset.items.map(\.id) == ["000000", "000001", "000002", "000003", "000004"])
        #expect(dataset.settings["format"] == .string("deblurkit-dataset"))
        #expect(dataset.settings["deblurkit_version"] == .string(DeblurKitVersion.string))
        for entry in dataset.items {
            let item = try generator.makeItem(index: Int(entry.id)!)
            #expect(try ImageIO.read(dataset.path(entry.sharp)) == item.sharp)
            #expect(try ImageIO.read(dataset.path(entry.blurred)) == item.blurred)
            // The file holds the PSF's samples exactly; reading renormalizes (a last-bit change).
            #expect(try ImageIO.read(dataset.path(entry.psf)) == item.psf.image)
            #expect(maxAbsDifference(try ImageIO.readPSF(dataset.path(entry.psf)).image, item.psf.image) < 1e-7)
            #expect(entry.noiseSigma == item.noise.gaussianSigma && entry.kernel == item.kernelName)
        }
    }

    /// DeblurIO cannot import Deconvolution, so `Dataset.load` keeps its own copy of the ranges
    /// `deblur synth` accepts: every dataset synth writes must load, and no more.
    @Test func datasetItemRangesAreTheSynthesisRanges() {
        #expect(DatasetItem.boundaries == BlurBoundary.allCases.map(\.rawValue))
        #expect(DatasetItem.maximumNoiseSigma == NoiseModel.maximumGaussianSigma)
        #expect((try? NoiseModel(gaussianSigma: DatasetItem.maximumNoiseSigma.nextUp).validate()) == nil)
        #expect((try? NoiseModel(poissonPeak: DatasetItem.maximumPoissonPeak).validate()) != nil)
        #expect((try? NoiseModel(poissonPeak: DatasetItem.maximumPoissonPeak.nextUp).validate()) == nil)
    }

    /// Dead leaves, and photographs in `cycle` order, whose passes (4 photos, 10 items) straddle
    /// the shards: an item's photo comes from its pass's permutation, not from earlier items.
    @Test(arguments: ["dead leaves", "photos in cycle"])
    func shardsInAnyOrderWriteTheSameFilesAsOneRun(source: String) throws {
        let whole = temporaryDirectory("whole"), sharded = temporaryDirectory("sharded")
        let photos = try photoFolder("shard-photos", count: 4)
        defer { for d in [whole, sharded, photos] { try? FileManager.default.removeItem(atPath: d) } }
        var s = settings()
        if source == "photos in cycle" {
            s = photoSettings(photos, count: 10)
            s.imageOrder = .cycle
        }
        let generator = try DatasetGenerator(settings: s)
        _ = try generator.write(to: whole, threads: 1)
        _ = try generator.write(to: sharded, shard: try Shard(3, of: 3), threads: 2)
        _ = try generator.write(to: sharded, shard: try Shard(1, of: 3), threads: 1)
        _ = try generator.write(to: sharded, shard: try Shard(2, of: 3), threads: 2)
        #expect(try itemFiles(whole) == (try itemFiles(sharded)))
        #expect(FileManager.default.contents(atPath: whole + "/dataset.json") == FileManager.default.contents(atPath: sharded + "/dataset.json"))
        #expect(FileManager.default.fileExists(atPath: sharded + "/items-2-of-3.jsonl"))
        #expect(try Dataset.load(sharded).items == (try Dataset.load(whole).items))
        // Switching the split replaces the other split's items files; nothing is regenerated.
        let summary = try generator.write(to: sharded)
        #expect(summary.skipped == s.count)
        #expect(!FileManager.default.fileExists(atPath: sharded + "/items-2-of-3.jsonl"))
        #expect(try Dataset.load(sharded).items == (try Dataset.load(whole).items))
    }

    @Test func itemsDoNotDependOnFFTWPlanningRigor() throws {
        // FFTW_MEASURE picks plans by timing and plans round differently: items must not
        // go through FFTW, or shards run on other machines would differ in the last bits.
        var s = settings()
        s.kernelSource = .folder
        let folder = temporaryDirectory("dense")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try ImageIO.writePSF(try PSF.gaussian(sigma: 3), to: folder + "/dense.tif")  // 361 taps
        s.kernelDirectory = folder
        let generator = try DatasetGenerator(settings: s)
        let estimated = try generator.makeItem(index: 2)
        let saved = FFT.rigor
        FFT.rigor = .measure
        defer { FFT.rigor = saved }
        #expect(try generator.makeItem(index: 2).blurred == estimated.blurred)
    }

    @Test func rerunSkipsCompleteItemsAndRegeneratesMissingFiles() throws {
        let directory = temporaryDirectory("resume")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let generator = try DatasetGenerator(settings: settings())
        _ = try generator.write(to: directory)
        let before = try itemFiles(directory)
        try FileManager.default.removeItem(atPath: directory + "/blurred/000003.tif")
        let summary = try generator.write(to: directory)
        #expect(summary.generated == 1 && summary.skipped == 4)
        #expect(try itemFiles(directory) == before)
    }

    /// Shards of a job array finish at about the same time, and each removes the items files of
    /// another split that it listed (`items.jsonl` of an earlier whole run): all but the first
    /// found them gone and failed ("cannot remove the stale items file: no such file or
    /// directory") without writing their own items file.
    @Test func staleItemsFileRemovedByAnotherShardFirstIsNoError() throws {
        let directory = temporaryDirectory("stale-race")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let generator = try DatasetGenerator(settings: settings())
        _ = try generator.write(to: directory, threads: 1)
        try Data("{}\n".utf8).write(to: URL(fileURLWithPath: directory + "/items-1-of-4.jsonl"))
        var listed = [String]()
        // The other shard removes each file between this run's listing and its removal.
        try generator.removeItemsFiles(in: directory) { name in
            listed.append(name)
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
            return true
        }
        #expect(listed.sorted() == ["items-1-of-4.jsonl", "items.jsonl"])
        // What two shards do when they end together: both succeed, and the dataset is whole.
        let before = try itemFiles(directory)
        _ = try generator.write(to: directory, threads: 1)
        let failures = NSLock()
        var errors = [String]()
        DispatchQueue.concurrentPerform(iterations: 2) { k in
            do { _ = try generator.write(to: directory, shard: try Shard(k + 1, of: 2), threads: 1) } catch {
                failures.lock(); errors.append("\(error)"); failures.unlock()
            }
        }
        #expect(errors.isEmpty)
        #expect(try Dataset.load(directory).items.map(\.id) == ["000000", "000001", "000002", "000003", "000004"])
        #expect(try itemFiles(directory) == before)
    }

    /// Runs take turns checking and replacing dataset.json by locking a file opened for writing.
    /// They used to lock the directory itself (opened read-only), which NFS clients, which
    /// emulate flock with the server's fcntl locks, refuse for an exclusive lock: on NFS every
    /// run went unlocked, and `--force` shards started together removed each other's new items.
    @Test func runsWaitForTheLockFileHeldByAnotherRun() throws {
        let directory = temporaryDirectory("lock")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lockPath = directory + "/" + DatasetGenerator.lockFileName
        let held = open(lockPath, O_RDWR | O_CREAT, 0o644)
        try #require(held >= 0 && flock(held, LOCK_EX) == 0)
        // What NFS asks of an exclusive lock: the lock file is a regular file, open for writing.
        var status = stat()
        #expect(stat(lockPath, &status) == 0 && status.st_mode & S_IFMT == S_IFREG)
        let generator = try DatasetGenerator(settings: settings())
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: Error?
        Thread.detachNewThread {
            do { _ = try generator.write(to: directory, threads: 1) } catch { failure = error }
            finished.signal()
        }
        #expect(finished.wait(timeout: .now() + 0.5) == .timedOut)
        #expect(!FileManager.default.fileExists(atPath: directory + "/dataset.json"))
        close(held)
        #expect(finished.wait(timeout: .now() + 60) == .success)
        #expect(failure == nil)
        #expect(try Dataset.load(directory).items.count == 5)
        #expect(FileManager.default.fileExists(atPath: lockPath))
    }

    /// A forced run with other settings waits for the runs writing items (which hold the run
    /// lock shared) before it removes the old items and writes its dataset.json: a run that had
    /// checked the old settings used to go on writing old items under the new dataset.json
    /// (`synth --seed 0` beside `synth --seed 1 --force`: 130 of 200 blurred images of seed 0 in
    /// a seed-1 dataset, and seed 0's items file, both runs exit 0).
    @Test func forcedRunWithOtherSettingsWaitsForTheRunsWritingItems() throws {
        let directory = temporaryDirectory("force-waits")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try DatasetGenerator(settings: settings()).write(to: directory, threads: 1)
        let old = FileManager.default.contents(atPath: directory + "/dataset.json")
        // A run of the old settings, writing its items.
        let held = open(directory + "/" + DatasetGenerator.runLockFileName, O_RDWR | O_CREAT, 0o644)
        try #require(held >= 0 && flock(held, LOCK_SH) == 0)
        var other = settings()
        other.seed = 8
        let generator = try DatasetGenerator(settings: other)
        let finished = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: Error?
        Thread.detachNewThread {
            do { _ = try generator.write(to: directory, force: true, threads: 1) } catch { failure = error }
            finished.signal()
        }
        #expect(finished.wait(timeout: .now() + 0.5) == .timedOut)
        #expect(FileManager.default.contents(atPath: directory + "/dataset.json") == old)
        close(held)
        #expect(finished.wait(timeout: .now() + 60) == .success)
        #expect(failure == nil)
        let fresh = temporaryDirectory("force-waits-fresh")
        defer { try? FileManager.default.removeItem(atPath: fresh) }
        _ = try DatasetGenerator(settings: other).write(to: fresh, threads: 1)
        #expect(try itemFiles(directory) == itemFiles(fresh))
        // Runs of matching settings share the lock: one holding it does not hold up another.
        let shared = open(directory + "/" + DatasetGenerator.runLockFileName, O_RDWR, 0o644)
        try #require(shared >= 0 && flock(shared, LOCK_SH) == 0)
        defer { close(shared) }
        #expect(try generator.write(to: directory, threads: 1).skipped == 5)
    }

    @Test func directoryWithOtherSettingsIsRefusedUnlessForced() throws {
        let directory = temporaryDirectory("mismatch")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = try DatasetGenerator(settings: settings()).write(to: directory)
        var other = settings()
        other.seed = 8
        let generator = try DatasetGenerator(settings: other)
        #expect(throws: DatasetsError.self) { try generator.write(to: directory) }
        _ = try DatasetGenerator(settings: settings()).write(to: directory, shard: try Shard(1, of: 2))
        let summary = try generator.write(to: directory, force: true)
        #expect(summary.generated == 5)
        #expect(!FileManager.default.fileExists(atPath: directory + "/items-1-of-2.jsonl"))
        #expect(try Dataset.load(directory).settings["seed"] == .number(8))
    }

    /// `deblur synth` once accepted dead-leaves options beside `--images` and trajectory options
    /// beside `--kernels`, recorded them, and did not use them; it now refuses them. A dataset
    /// made so resumes under the command without them (nothing regenerated), while the same
    /// change on a dead-leaves dataset, which reads it, is still refused.
    @Test func settingsTheSourcesDoNotReadAreNotCompared() throws {
        let folder = temporaryDirectory("unread-sources"), kernels = temporaryDirectory("unread-kernels")
        let out = temporaryDirectory("unread-out"), leaves = temporaryDirectory("unread-leaves")
        defer { for path in [folder, kernels, out, leaves] { try? FileManager.default.removeItem(atPath: path) } }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: kernels, withIntermediateDirectories: true)
        try ImageIO.write(randomImage(height: 40, width: 50, seed: 1), to: folder + "/a.png", depth: .uint8)
        try ImageIO.writePSF(try PSF.disk(radius: 2), to: kernels + "/disk.tif")
        var recorded = settings()
        recorded.sharpSource = .images
        recorded.imagesDirectory = folder
        recorded.kernelSource = .folder
        recorded.kernelDirectory = kernels
        recorded.deadLeaves.textureAmplitude = 0.2
        recorded.trajectorySize = 9
        recorded.trajectory.exposure = 0.5
        _ = try DatasetGenerator(settings: recorded).write(to: out)
        let files = try itemFiles(out)
        var now = recorded
        now.deadLeaves = SynthesisSettings().deadLeaves
        now.trajectorySize = SynthesisSettings().trajectorySize
        now.trajectory = SynthesisSettings().trajectory
        #expect(try DatasetGenerator(settings: now).write(to: out).generated == 0)
        #expect(try itemFiles(out) == files)
        // The item size of cropped photographs is read, and compared.
        var cropped = now
        cropped.height = 16
        #expect(throws: DatasetsError.self) { try DatasetGenerator(settings: cropped).write(to: out) }
        var whole = now
        whole.wholeImages = true
        _ = try DatasetGenerator(settings: whole).write(to: out, force: true)
        whole.height = 64
        whole.width = 64
        #expect(try DatasetGenerator(settings: whole).write(to: out).generated == 0)
        // The dead leaves of a dead-leaves dataset are read, and compared.
        var textured = settings()
        textured.deadLeaves.textureAmplitude = 0.2
        _ = try DatasetGenerator(settings: textured).write(to: leaves)
        #expect(throws: DatasetsError.self) { try DatasetGenerator(settings: settings()).write(to: leaves) }
    }

    /// Once the new dataset.json is written, files that exist count as complete items: a forced
    /// run killed before regenerating them all, then resumed without --force, used to keep the
    /// old settings' items under the new settings. The old items must be gone before the first
    /// new one is written.
    @Test func forcedRunWithOtherSettingsRemovesTheOldItemsBeforeWritingNewOnes() throws {
        let directory = temporaryDirectory("forced")
        let fresh = temporaryDirectory("forced-fresh")
        defer { for d in [directory, fresh] { try? FileManager.default.removeItem(atPath: d) } }
        _ = try DatasetGenerator(settings: settings()).write(to: directory)
        // What a killed write leaves, and a file of the user's.
        try Data([1]).write(to: URL(fileURLWithPath: directory + "/blurred/.000002.tif.tmp-4242-17"))
        try Data([2]).write(to: URL(fileURLWithPath: directory + "/sharp/notes.txt"))
        var other = settings()
        other.seed = 8
        let generator = try DatasetGenerator(settings: other)
        let seen = NSLock()
        var atStart: [String]?
        _ = try generator.write(to: directory, force: true, threads: 1) { done, _ in
            seen.lock(); defer { seen.unlock() }
            if atStart == nil, done == 0 { atStart = (try? itemFiles(directory))?.keys.sorted() }
        }
        #expect(atStart == ["sharp/notes.txt"])
        _ = try generator.write(to: fresh)
        var forced = try itemFiles(directory)
        #expect(forced.removeValue(forKey: "sharp/notes.txt") == Data([2]))
        #expect(forced == (try itemFiles(fresh)))
    }

    /// A Double holds 2⁵³ + 1 as 2⁵³: the seed must be written and compared as the integer it is,
    /// or a run with seed 2⁵³ would "resume" a dataset made with 2⁵³ + 1.
    @Test func aSeedAbove2To53IsRecordedExactlyAndItsNeighbourIsRefused() throws {
        let directory = temporaryDirectory("bigseed")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var big = settings()
        big.count = 1
        big.seed = (1 << 53) + 1
        _ = try DatasetGenerator(settings: big).write(to: directory)
        let text = try String(contentsOfFile: directory + "/dataset.json", encoding: .utf8)
        #expect(text.contains("\"seed\" : 9007199254740993,"), "\(text)")
        #expect(try Dataset.load(directory).settings["seed"] == .largeInteger(9_007_199_254_740_993))
        #expect(try DatasetGenerator(settings: big).write(to: directory).skipped == 1)
        var neighbour = big
        neighbour.seed = 1 << 53
        do { _ = try DatasetGenerator(settings: neighbour).write(to: directory); Issue.record("seed 2^53 resumed a 2^53 + 1 dataset") } catch {
            #expect("\(error)".contains("seed: 9007199254740993 there, 9007199254740992 now"), "\(error)")
        }
        var largest = big
        largest.seed = .max
        _ = try DatasetGenerator(settings: largest).write(to: directory, force: true)
        #expect(try Dataset.load(directory).settings["seed"] == .largeInteger(.max))
        // A file from before exact integers holds the seed rounded to a Double: it still loads.
        let old = text.replacingOccurrences(of: "9007199254740993", with: "1.8446744073709552e+19")
        try Data(old.utf8).write(to: URL(fileURLWithPath: directory + "/dataset.json"))
        #expect(try Dataset.load(directory).settings["seed"] == .number(18_446_744_073_709_551_616))
    }

    @Test func imageFolderSourceCropsImagesAndReportsBadFiles() throws {
        let folder = temporaryDirectory("sources"), out = temporaryDirectory("from-images")
        defer { try? FileManager.default.removeItem(atPath: folder); try? FileManager.default.removeItem(atPath: out) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try ImageIO.write(randomImage(height: 40, width: 50, seed: 1), to: folder + "/a.png", depth: .uint8)
        try ImageIO.write(randomImage(height: 10, width: 10, seed: 2), to: folder + "/small.png", depth: .uint8)
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: folder + "/notes.txt"))
        var s = settings()
        s.sharpSource = .images
        s.imagesDirectory = folder
        #expect(throws: DatasetsError.self) { try DatasetGenerator(settings: s) }
        let generator = try DatasetGenerator(settings: s, skipBad: true)
        #expect(generator.imageFiles == [folder + "/a.png"])
        #expect(generator.skipped.map { ($0.path as NSString).lastPathComponent }.sorted() == ["notes.txt", "small.png"])
        let item = try generator.makeItem(index: 0)
        #expect(item.sharp.height == 20 && item.sharp.width == 18)
        _ = try generator.write(to: out)
        // Every item names the photograph it was cut from (for results by source); dead leaves name none.
        #expect(try Dataset.load(out).items.map(\.source) == Array(repeating: "a.png", count: 5))
        #expect(try DatasetGenerator(settings: settings()).manifestEntry(index: 0).source == nil)
    }

    /// Synthesis.md: each item keeps its photograph's channels (a folder of color and gray
    /// photographs gives both), every channel blurred by the item's PSF as a gray image would be,
    /// with noise of its own per channel.
    @Test func imageFolderItemsKeepTheirPhotographsChannels() throws {
        let folder = temporaryDirectory("sources-color")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let color = randomImage(channels: 3, height: 30, width: 26, seed: 4), gray = randomImage(height: 30, width: 26, seed: 5)
        try ImageIO.write(color, to: folder + "/color.png", depth: .uint8)
        try ImageIO.write(gray, to: folder + "/gray.png", depth: .uint8)
        var s = settings()
        s.sharpSource = .images
        s.imagesDirectory = folder
        s.imageOrder = .cycle
        s.count = 2
        s.boundary = .circular
        s.noiseSigmaMin = 0.02
        s.noiseSigmaMax = 0.02
        let generator = try DatasetGenerator(settings: s)
        let items = try (0..<2).map { try generator.makeItem(index: $0) }
        #expect(items.map(\.sharp.channels).sorted() == [1, 3])
        // The photograph each item names is the one its crop is found in below.
        for (i, item) in items.enumerated() {
            #expect(generator.manifestEntry(index: i).source == (item.sharp.channels == 3 ? "color.png" : "gray.png"))
        }
        for item in items {
            let source = try ImageIO.read(folder + (item.sharp.channels == 3 ? "/color.png" : "/gray.png"))
            // The sharp image is a crop of its photograph, every channel from the same place.
            let origins = (0...(source.height - 20)).flatMap { y in (0...(source.width - 18)).map { (y, $0) } }.filter { y, x in
                (0..<item.sharp.channels).allSatisfy { c in
                    (0..<20).allSatisfy { i in (0..<18).allSatisfy { j in item.sharp[c, i, j] == source[c, y + i, x + j] } }
                }
            }
            #expect(origins.count == 1, "\(item.sharp.channels) channels: crop found at \(origins)")
            #expect(item.blurred.channels == item.sharp.channels)
            let noiseless = try blur(item.sharp, psf: item.psf, boundary: .circular)
            var residuals = [[Float]]()
            for c in 0..<item.sharp.channels {
                let plane = try blur(item.sharp.channel(c), psf: item.psf, boundary: .circular)
                #expect(plane.pixels == noiseless.channel(c).pixels)
                let residual = zip(item.blurred.channel(c).pixels, plane.pixels).map { $0 - $1 }
                let rms = (residual.map { Double($0 * $0) }.reduce(0, +) / Double(residual.count)).squareRoot()
                #expect(abs(rms - 0.02) < 0.004, "channel \(c): noise RMS \(rms)")
                residuals.append(residual)
            }
            if residuals.count == 3 { #expect(residuals[0] != residuals[1] && residuals[1] != residuals[2]) }
        }
    }

    /// A named pipe among the images (named like one) used to be listed, and reading it waited
    /// for a writer forever; a link to an image is still listed.
    @Test func imageFolderPassesOverPipesAndKeepsLinks() throws {
        let folder = temporaryDirectory("sources-fifo")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/sub.png", withIntermediateDirectories: true)
        try ImageIO.write(randomImage(height: 40, width: 50, seed: 1), to: folder + "/a.png", depth: .uint8)
        try FileManager.default.createSymbolicLink(atPath: folder + "/c.png", withDestinationPath: folder + "/a.png")
        try FileManager.default.createSymbolicLink(atPath: folder + "/d.png", withDestinationPath: folder + "/missing.png")
        #expect(mkfifo(folder + "/b.png", 0o600) == 0)
        var s = settings()
        s.sharpSource = .images
        s.imagesDirectory = folder
        let generator = try DatasetGenerator(settings: s)
        #expect(generator.imageFiles == [folder + "/a.png", folder + "/c.png"])
        #expect(generator.skipped.isEmpty)
    }

    /// A folder of `count` photographs told apart by their height (30, 31, …; 26 wide), for
    /// `--whole-images` items whose sharp image shows which photograph they used.
    func photoFolder(_ name: String, count: Int) throws -> String {
        let folder = temporaryDirectory(name)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for k in 0..<count {
            try ImageIO.write(randomImage(height: 30 + k, width: 26, seed: UInt64(k)), to: folder + "/photo-\(k).png", depth: .uint8)
        }
        return folder
    }

    func photoSettings(_ folder: String, count: Int) -> SynthesisSettings {
        var s = settings()
        s.count = count
        s.sharpSource = .images
        s.imagesDirectory = folder
        s.wholeImages = true
        return s
    }

    /// The photograph item `index` used: its sharp image is the valid part of the whole photo,
    /// 7 − 1 rows shorter (the trajectories are 7 × 7).
    func photoUsed(_ generator: DatasetGenerator, _ index: Int) throws -> Int {
        try generator.makeItem(index: index).sharp.height + 6 - 30
    }

    /// The default draws each item's photograph with replacement from the item's own stream:
    /// pinned, so that adding other orders leaves existing datasets as they were.
    @Test func photosAreDrawnWithReplacementByDefaultAsBefore() throws {
        let folder = try photoFolder("photos-random", count: 4)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let generator = try DatasetGenerator(settings: photoSettings(folder, count: 12))
        let used = try (0..<12).map { try photoUsed(generator, $0) }
        #expect(used == [2, 0, 1, 3, 0, 0, 2, 2, 1, 3, 3, 0], "\(used)")
    }

    /// `cycle` passes over the photos, each pass a permutation of its own: with count = 2N each
    /// photo is used exactly twice, and with count = 10 of 4 photos two or three times. Only the
    /// photo changes: the kernel and the noise are those of the same item in `random` order.
    @Test func cycleUsesEveryPhotoCountOverNTimes() throws {
        let folder = try photoFolder("photos-cycle", count: 4)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var s = photoSettings(folder, count: 24)
        s.imageOrder = .cycle
        let generator = try DatasetGenerator(settings: s)
        let used = try (0..<24).map { try photoUsed(generator, $0) }
        let passes = stride(from: 0, to: 24, by: 4).map { Array(used[$0..<$0 + 4]) }
        for pass in passes { #expect(pass.sorted() == [0, 1, 2, 3], "\(used)") }
        // Reshuffled for each pass, not one order repeated.
        #expect(Set(passes).count > 1, "\(used)")
        s.count = 8
        let twice = try DatasetGenerator(settings: s)
        let usedTwice = try (0..<8).map { try photoUsed(twice, $0) }
        #expect((0..<4).map { k in usedTwice.filter { $0 == k }.count } == [2, 2, 2, 2], "\(usedTwice)")
        // The photo of an item depends on the seed and the index, not on the count.
        #expect(usedTwice == Array(used.prefix(8)))
        s.count = 10
        let ten = try DatasetGenerator(settings: s)
        let usedTen = try (0..<10).map { try photoUsed(ten, $0) }
        let counts = (0..<4).map { k in usedTen.filter { $0 == k }.count }
        #expect(counts.sorted() == [2, 2, 3, 3], "\(counts)")
        var random = s
        random.imageOrder = .random
        let other = try DatasetGenerator(settings: random)
        for index in [0, 5, 9] {
            let a = try ten.makeItem(index: index), b = try other.makeItem(index: index)
            #expect(a.psf == b.psf && a.kernelName == b.kernelName && a.noise == b.noise)
            // The same item lines but for the photograph each names, the one it used.
            var (x, y) = (ten.manifestEntry(index: index), other.manifestEntry(index: index))
            let otherPhoto = try photoUsed(other, index)
            #expect(x.source == "photo-\(usedTen[index]).png" && y.source == "photo-\(otherPhoto).png")
            (x.source, y.source) = (nil, nil)
            #expect(x == y)
        }
    }

    /// `SynthesisSettings` has a hand-written `Codable` (to leave `image_order: random` out): a
    /// field added to the struct but not to it would be missing from `dataset.json`, and a
    /// directory made with other settings would resume as if it were this one. Every stored
    /// property is written, and read back.
    @Test func everySettingIsRecordedInTheDatasetDescription() throws {
        var s = settings()
        s.sharpSource = .images
        s.imagesDirectory = "photos"
        s.imageOrder = .cycle
        s.kernelSource = .folder
        s.kernelDirectory = "kernels"
        s.poissonPeak = 100
        s.quantizeBits = 8
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let object = try #require(try JSONSerialization.jsonObject(with: try encoder.encode(s)) as? [String: Any])
        let snake = { (name: String) in name.replacing(#/[A-Z]/#) { "_" + $0.output.lowercased() } }
        let stored = Mirror(reflecting: s).children.compactMap { $0.label.map(snake) }
        #expect(stored.count >= 19)
        #expect(Set(object.keys) == Set(stored), "written: \(object.keys.sorted()), stored: \(stored.sorted())")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        #expect(try decoder.decode(SynthesisSettings.self, from: try encoder.encode(s)) == s)
    }

    /// `dataset.json` records `image_order` only when it is not `random`: the default settings
    /// write the file they wrote before the option existed (so such datasets resume), and a
    /// directory made in one order is refused in the other.
    @Test func imageOrderIsRecordedWhenItIsNotTheDefault() throws {
        let folder = try photoFolder("photos-recorded", count: 3), out = temporaryDirectory("recorded")
        defer { for d in [folder, out] { try? FileManager.default.removeItem(atPath: d) } }
        var s = photoSettings(folder, count: 3)
        let random = try DatasetGenerator(settings: s).datasetJSON()
        #expect(random["image_order"] == nil && random["whole_images"] == .bool(true))
        s.imageOrder = .cycle
        let cycle = try DatasetGenerator(settings: s)
        #expect(try cycle.datasetJSON()["image_order"] == .string("cycle"))
        var decoded = try JSONDecoder().decode(SynthesisSettings.self, from: try JSONEncoder().encode(s))
        #expect(decoded == s)
        s.imageOrder = .random
        decoded = try JSONDecoder().decode(SynthesisSettings.self, from: try JSONEncoder().encode(s))
        #expect(decoded == s)
        _ = try DatasetGenerator(settings: s).write(to: out, threads: 1)
        do { _ = try cycle.write(to: out, threads: 1); Issue.record("a random-order directory resumed in cycle order") } catch {
            #expect("\(error)".contains("image_order: absent there, \"cycle\" now"), "\(error)")
        }
        // An order means nothing without photographs.
        var leaves = settings()
        leaves.imageOrder = .cycle
        #expect(throws: DatasetsError.invalidSetting(name: "image order", value: "cycle", expected: "random with dead leaves (an order applies to a folder of images)")) {
            try DatasetGenerator(settings: leaves)
        }
    }

    @Test func kernelFolderSourceDrawsKernelsFromTheFiles() throws {
        let folder = temporaryDirectory("kernels")
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try ImageIO.writePSF(try PSF.motion(length: 5, angleDegrees: 0), to: folder + "/line.tif")
        try ImageIO.writePSF(try PSF.disk(radius: 2), to: folder + "/disk.tif")
        var s = settings()
        s.kernelSource = .folder
        s.kernelDirectory = folder
        let generator = try DatasetGenerator(settings: s)
        #expect(generator.kernels.map(\.name) == ["disk", "line"])
        let names = Set((0..<5).map { generator.manifestEntry(index: $0).kernel! })
        #expect(names.isSubset(of: ["disk", "line"]))
        let item = try generator.makeItem(index: 1)
        #expect(item.psf == generator.kernels.first { $0.name == item.kernelName }!.psf)
        // An invalid PSF file is a clear error naming it.
        // "bank" means the shipped bank, recorded as such.
        s.kernelDirectory = "bank"
        let bank = try DatasetGenerator(settings: s, bankDirectory: KernelBank.directory.appendingPathComponent("tif").path)
        #expect(bank.kernels.count == 40)
        #expect(try bank.datasetJSON()["kernel_directory"] == .string("bank"))
        #expect(throws: DatasetsError.self) { try DatasetGenerator(settings: s) }
        s.kernelDirectory = folder
        try ImageIO.write(Image(height: 4, width: 4, value: 1), to: folder + "/even.tif", depth: .float32)
        #expect(throws: DatasetsError.self) { try DatasetGenerator(settings: s) }
    }
}
