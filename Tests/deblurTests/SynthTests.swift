import DeblurKit
import Foundation
import Testing
import _TestSupport

@Suite struct SynthTests {
    static let arguments = ["synth", "--out", "ds", "--count", "3", "--size", "32", "--trajectories", "7", "--quiet"]

    /// Every file under `root` with its bytes.
    static func contents(_ root: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in root.listing() {
            var isDirectory: ObjCBool = false
            let url = root.file(name)
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[name] = try Data(contentsOf: url)
            }
        }
        return files
    }

    @Test func threeItemsMakeTheManifestAndThreeItemLines() throws {
        try withScratch { dir in
            let result = try dir.deblur(Self.arguments)
            #expect(result.status == 0, "\(result)")
            let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.file("ds/dataset.json")))
            #expect(manifest is [String: Any])
            let lines = try String(contentsOf: dir.file("ds/items.jsonl"), encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: true)
            #expect(lines.count == 3)
            for line in lines {
                let item = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                for key in ["sharp", "blurred", "psf"] {
                    let path = try #require(item[key] as? String, "item has no \(key): \(line)")
                    #expect(dir.file("ds").file(path).exists, "\(path) missing")
                }
                let sharp = try ImageIO.read(dir.file("ds").file(item["sharp"] as! String).path)
                #expect(sharp.height == 32 && sharp.width == 32)
                let psf = try ImageIO.readPSF(dir.file("ds").file(item["psf"] as! String).path)
                #expect(psf.height == 7 && psf.width == 7)
            }
        }
    }

    @Test func rerunningIsIdempotentByteForByte() throws {
        try withScratch { dir in
            #expect(try dir.deblur(Self.arguments).status == 0)
            let first = try Self.contents(dir.file("ds"))
            #expect(try dir.deblur(Self.arguments).status == 0)
            #expect(try Self.contents(dir.file("ds")) == first)
            // --force regenerates every item; being deterministic, it writes the same bytes too.
            #expect(try dir.deblur(Self.arguments + ["--force"]).status == 0)
            #expect(try Self.contents(dir.file("ds")) == first)
        }
    }

    /// Three photographs 40 to 42 rows high (36 wide) in `dir/photos`: a `--whole-images` item's
    /// sharp image shows which one it used.
    static func photos(in dir: URL) throws {
        try FileManager.default.createDirectory(at: dir.file("photos"), withIntermediateDirectories: true)
        for k in 0..<3 {
            try ImageIO.write(randomImage(height: 40 + k, width: 36, seed: UInt64(k)), to: dir.file("photos/photo-\(k).png").path)
        }
    }

    /// Items depend on (settings, seed, index) alone: shards 1/2 and 2/2 split items.jsonl and
    /// write the same image files as one run; so do photographs in `cycle` order, whose passes
    /// over the 3 photos straddle the shards.
    @Test(arguments: [[], ["--images", "photos", "--whole-images", "--image-order", "cycle", "--count", "7"]])
    func twoShardsTogetherEqualOneRun(extra: [String]) throws {
        try withScratch { dir in
            try Self.photos(in: dir)
            var arguments = Self.arguments + extra
            // Whole photographs keep their own size: --size is refused beside --whole-images.
            if extra.contains("--whole-images"), let i = arguments.firstIndex(of: "--size") { arguments.removeSubrange(i...(i + 1)) }
            #expect(try dir.deblur(arguments).status == 0)
            let whole = try Self.contents(dir.file("ds"))
            try FileManager.default.removeItem(at: dir.file("ds"))
            for k in 1...2 {
                let result = try dir.deblur(arguments + ["--shard", "\(k)/2"])
                #expect(result.status == 0, "\(result)")
            }
            let sharded = try Self.contents(dir.file("ds"))
            func lines(_ data: Data?) -> [String] {
                String(decoding: data ?? Data(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
            }
            let shardLines = lines(sharded["items-1-of-2.jsonl"]) + lines(sharded["items-2-of-2.jsonl"])
            #expect(shardLines.count == (extra.isEmpty ? 3 : 7))
            #expect(shardLines.sorted() == lines(whole["items.jsonl"]).sorted())
            for (name, data) in whole where name.hasSuffix(".png") || name.hasSuffix(".tif") {
                #expect(sharded[name] == data, "\(name) differs between the sharded and the whole run")
            }
            #expect(sharded["dataset.json"] == whole["dataset.json"])
        }
    }

    /// `--image-order cycle` with `--count` = 2N uses each of the N photographs exactly twice
    /// (by default items draw them with replacement: some are used more often) and records
    /// the order in dataset.json.
    @Test func cycleOrderUsesEachPhotoExactlyTwiceForTwiceAsManyItems() throws {
        try withScratch { dir in
            try Self.photos(in: dir)
            let result = try dir.deblur("synth", "--out", "ds", "--images", "photos", "--whole-images", "--image-order", "cycle",
                                        "--count", "6", "--trajectories", "7", "--quiet")
            #expect(result.status == 0, "\(result)")
            // The valid part of a whole photo 40 + k rows high is 40 + k − 6 rows high.
            let used = try (0..<6).map { try ImageIO.read(dir.file("ds/sharp/00000\($0).png").path).height - 34 }
            #expect((0..<3).map { k in used.filter { $0 == k }.count } == [2, 2, 2], "\(used)")
            let manifest = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.file("ds/dataset.json"))) as? [String: Any])
            #expect(manifest["image_order"] as? String == "cycle")

            let refused = try dir.deblur("synth", "--out", "leaves", "--image-order", "cycle", "--quiet")
            #expect(refused.status == 1 && refused.stderr.contains("--image-order needs --images DIR"), "\(refused)")
        }
    }

    @Test(arguments: ["3/2", "0/2", "a/b"])
    func invalidShardExitsOneNamingItWithoutOutput(shard: String) throws {
        try withScratch { dir in
            let result = try dir.deblur(Self.arguments + ["--shard", shard])
            expectCleanFailure(result, naming: shard, directory: dir, before: [])
        }
    }

    @Test(arguments: [("--count", "0"), ("--trajectories", "8"), ("--noise-sigma", "-1"), ("--quantize", "7"), ("--radii", "5:x")])
    func invalidSettingExitsOneNamingTheValueWithoutOutput(option: String, value: String) throws {
        try withScratch { dir in
            let result = try dir.deblur(["synth", "--out", "ds", "--count", "2", "--size", "32", "--trajectories", "7", "--quiet", "\(option)=\(value)"])
            expectCleanFailure(result, naming: value, directory: dir, before: [])
        }
    }

    /// Noise and trajectory values are checked by the Deconvolution module; synth reports its
    /// message once, as blur does, not wrapped in a second "invalid noise : expected …".
    @Test(arguments: [(["--quantize", "12"], "invalid quantization 12 bits: expected 8 or 16 bits"),
                      (["--poisson", "0"], "invalid Poisson peak 0.0: expected a photon count in (0, 1e9]"),
                      (["--exposure", "2"], "invalid trajectory exposure 2.0: expected a fraction in (0, 1]"),
                      (["--anxiety", "2"], "invalid trajectory anxiety 2.0: expected a value in [0, 1]")])
    func noiseAndTrajectoryErrorsPrintOneCleanMessage(option: [String], message: String) throws {
        try withScratch { dir in
            let result = try dir.deblur(["synth", "--out", "g", "--count", "1", "--quiet"] + option)
            expectCleanFailure(result, naming: message, directory: dir, before: [])
            #expect(result.stderrLines.first == "Error: " + message, "\(result)")
        }
    }

    @Test(arguments: ["0x32", "8x", "x8", "4x6x", "x", "4xx6"])
    func invalidSizeExitsOneNamingIt(size: String) throws {
        try withScratch { dir in
            let result = try dir.deblur(["synth", "--out", "ds", "--count", "1", "--size", size, "--trajectories", "7", "--quiet"])
            expectCleanFailure(result, naming: "invalid --size '\(size)'", directory: dir, before: [])
        }
    }

    /// A folder of photographs with one unusable file (too small for the crop; or a float TIFF
    /// with NaN and ∞ samples, which used to be clipped silently into black and white): refused
    /// with the file named and `--skip-bad` suggested; with it, the file is listed and the rest is used.
    @Test(arguments: [("small.png", "--skip-bad"), ("bad.tif", "128 NaN or infinite samples")])
    func anUnusableImageIsNamedAndSkipBadLeavesItOut(bad: String, message: String) throws {
        try withScratch { dir in
            try FileManager.default.createDirectory(at: dir.file("photos"), withIntermediateDirectories: true)
            try ImageIO.write(randomImage(height: 96, width: 96, seed: 1), to: dir.file("photos/big.png").path)
            var image = randomImage(height: bad == "small.png" ? 12 : 64, width: bad == "small.png" ? 40 : 64, seed: 2)
            if bad == "bad.tif" { for x in 0..<64 { image[20, x] = .nan; image[40, x] = .infinity } }
            try ImageIO.write(image, to: dir.file("photos/\(bad)").path)
            let arguments = ["synth", "--out", "ds", "--images", "photos", "--count", "2", "--size", "24", "--kernels", "bank", "--quiet"]
            let before = dir.listing()
            let refused = try dir.deblur(arguments)
            expectCleanFailure(refused, naming: bad, directory: dir, before: before)
            #expect(refused.stderr.contains("--skip-bad") && refused.stderr.contains(message), "\(refused)")
            let skipped = try dir.deblur(arguments + ["--skip-bad"])
            #expect(skipped.status == 0, "\(skipped)")
            #expect(skipped.stderr.contains("skipped") && skipped.stderr.contains(bad), "\(skipped)")
            let lines = try String(contentsOf: dir.file("ds/items.jsonl"), encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 2)
        }
    }

    /// `synth --out new --images new/sharp` replaced the photographs with the items' crops
    /// (exit 0); a kernel folder that is the items' psf folder alike.
    @Test func aSourceFolderThatIsAnItemFolderIsRefusedAndItsFilesKept() throws {
        try withScratch { dir in
            try FileManager.default.createDirectory(at: dir.file("new/sharp"), withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: dir.file("kernels/psf"), withIntermediateDirectories: true)
            var photo = Image(height: 48, width: 48)
            for i in 0..<photo.pixels.count { photo.pixels[i] = Float(i % 13) / 13 }
            try ImageIO.write(photo, to: dir.file("new/sharp/000000.png").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1), to: dir.file("kernels/psf/000000.tif").path)
            let before = try Self.contents(dir)
            for (source, out) in [(["--images", "new/sharp"], "new"), (["--kernels", "./kernels//psf/"], "kernels")] {
                // --kernels takes no trajectory options.
                let trajectories = source[0] == "--kernels" ? [] : ["--trajectories", "7"]
                let result = try dir.deblur(["synth", "--out", out, "--count", "2", "--size", "16", "--quiet"] + trajectories + source)
                #expect(result.status == 1 && result.stderrLines.count == 1, "\(result)")
                #expect(result.stderrLines.first?.contains("\(source[1]): expected a folder other than \(out)/") == true, "\(result)")
                #expect(try Self.contents(dir) == before)
            }
        }
    }

    /// Options that shape what the run does not make were accepted and dropped, exit 0, and
    /// dataset.json recorded them as if used: dead-leaves options beside --images, --size beside
    /// --whole-images, trajectory options beside --kernels, --skip-bad with neither folder.
    /// Refused before anything is read or written, naming them.
    @Test(arguments: [(["--images", "photos", "--rgb", "--texture", "0.2"], "Please leave out --rgb and --texture with --images"),
                      (["--images", "photos", "--grain-octaves", "2", "--radii", "2:50"], "Please leave out --radii and --grain-octaves with --images"),
                      (["--images", "photos", "--whole-images", "--size", "32"], "Please leave out --size with --whole-images"),
                      (["--kernels", "bank", "--trajectories", "7", "--exposure", "0.5"], "Please leave out --trajectories and --exposure with --kernels"),
                      (["--kernels", "bank", "--canvas", "32"], "Please leave out --canvas with --kernels"),
                      (["--skip-bad"], "Please leave out --skip-bad without --images or --kernels"),
                      (["--strands", "0.5"], "Please leave out --strands without --grain"),
                      (["--images", "photos", "--strands", "0.5"], "Please leave out --strands with --images")])
    func optionsTheRunWouldNotReadAreRefused(extra: [String], message: String) throws {
        try withScratch { dir in
            let result = try dir.deblur(["synth", "--out", "ds", "--count", "2", "--quiet"] + extra)
            expectCleanFailure(result, naming: message, directory: dir, before: [], usageFollows: true)
        }
    }
}
