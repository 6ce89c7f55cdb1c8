import DeblurKit
import Foundation
import Testing
import _TestSupport

@Suite struct InfoTests {
    @Test(arguments: [(1, "png"), (3, "png"), (1, "tif")])
    func jsonReportsTheWrittenSize(channels: Int, ext: String) throws {
        try withScratch { dir in
            let image = randomImage(channels: channels, height: 7, width: 11, seed: 3)
            try ImageIO.write(image, to: dir.file("a.\(ext)").path)
            let result = try dir.deblur("info", "a.\(ext)", "--json")
            #expect(result.status == 0, "\(result)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(object["width"] as? Int == 11)
            #expect(object["height"] as? Int == 7)
            #expect(object["channels"] as? Int == channels)
            #expect(object["format"] as? String == (ext == "png" ? "png" : "tiff"))
            let stats = image.statistics()
            // 8-bit PNG quantization moves the extremes by at most half a step.
            let tolerance: Double = ext == "png" ? 0.5 / 255 + 1e-6 : 1e-6
            #expect(abs((object["min"] as? Double ?? .nan) - Double(stats.min)) <= tolerance)
            #expect(abs((object["max"] as? Double ?? .nan) - Double(stats.max)) <= tolerance)
            #expect(object["non_finite"] as? Int == 0)
        }
    }

    /// NaN samples are counted and said plainly (an all-NaN image read "min inf max -inf"); the
    /// mean is of the finite samples, as the range is (it read "mean nan"), and the noise σ is
    /// not defined (it read "noise σ ≈ nan").
    @Test func nonFiniteSamplesAreCounted() throws {
        try withScratch { dir in
            var image = Image(height: 4, width: 5, value: 0.25)
            image[1, 2] = .nan; image[3, 4] = .infinity; image[0, 0] = -.infinity; image[2, 2] = 0.5
            try ImageIO.write(image, to: dir.file("n.tif").path)
            let json = try dir.deblur("info", "n.tif", "--json")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            // ±∞ are left out of the range as NaN is (min read -inf, max inf).
            #expect(object["non_finite"] as? Int == 3 && object["min"] as? Double == 0.25 && object["max"] as? Double == 0.5, "\(json)")
            // 16 samples of 0.25 and one of 0.5.
            #expect(abs((object["mean"] as? Double ?? .nan) - 4.5 / 17) < 1e-12 && object["noise_sigma"] as? String == "nan", "\(json)")
            let text = try dir.deblur("info", "n.tif")
            #expect(text.status == 0 && text.stdout.contains("min 0.25  max 0.5  mean 0.264706  noise σ not defined\n"), "\(text)")
            #expect(text.stdout.contains("3 of 20 samples are NaN or infinite: min, max and mean are of the others, the noise σ is not defined"), "\(text)")
            // With every sample NaN or ±∞ there are no others to take the range of.
            try ImageIO.write(Image(height: 2, width: 2, pixels: [.nan, .infinity, -.infinity, .nan]), to: dir.file("all.tif").path)
            let all = try dir.deblur("info", "all.tif")
            #expect(all.status == 0 && all.stdout.hasSuffix("min nan  max nan  mean nan  noise σ not defined\n"
                                                          + "all 4 samples are NaN or infinite: there is no min, max or mean, and the noise σ is not defined; "
                                                          + "no method will restore this image\n"), "\(all)")
        }
    }

    /// A TIFF tagged bottom-right (Orientation 3) is read in stored order, as tifffile and
    /// Pillow read it, and info says the tag is there and not applied.
    @Test func orientationTagIsReportedAsNotApplied() throws {
        try withScratch { dir in
            try ImageIO.write(Image(height: 2, width: 3, pixels: [0, 0.25, 0.5, 0.75, 1, 0.125]), to: dir.file("o.tif").path)
            // The writer's Orientation entry (tag 274, SHORT, count 1, value 1, little-endian) set to 3.
            var bytes = [UInt8](try Data(contentsOf: dir.file("o.tif")))
            let entry: [UInt8] = [0x12, 0x01, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00]
            let at = try #require((0...bytes.count - entry.count).first { Array(bytes[$0..<$0 + entry.count]) == entry })
            bytes[at + 8] = 3
            try Data(bytes).write(to: dir.file("o.tif"))
            let text = try dir.deblur("info", "o.tif")
            #expect(text.status == 0 && text.stdout.hasPrefix("o.tif: TIFF 2×3, gray (1 channel), 32-bit float, orientation 3 (not applied)\n"),
                    "\(text)")
            let json = try dir.deblur("info", "o.tif", "--json")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
            #expect(object["orientation"] as? Int == 3 && object["extra_samples"] as? Int == 0 && object["min"] as? Double == 0, "\(json)")
            #expect(try ImageIO.read(dir.file("o.tif").path).pixels == [0, 0.25, 0.5, 0.75, 1, 0.125])
        }
    }

    @Test func jsonReportsTheNoiseLevelTheCNNEstimates() throws {
        try withScratch { dir in
            // A smooth scene plus σ = 0.02 of white Gaussian noise, stored as float TIFF.
            var rng = SeededRandom(seed: 12)
            let image = Image(height: 64, width: 64) { _, y, x in
                let smooth = 0.5 + 0.2 * sin(Double(x) * 0.15) * cos(Double(y) * 0.1)
                return Float(smooth + rng.gaussian(mean: 0, sigma: 0.02))
            }
            try ImageIO.write(image, to: dir.file("n.tif").path)
            let result = try dir.deblur("info", "n.tif", "--json")
            #expect(result.status == 0, "\(result)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let sigma = try #require(object["noise_sigma"] as? Double)
            #expect(abs(sigma - estimatePatchNoiseSigma(image)) < 1e-9)
            #expect(abs(sigma - 0.02) < 0.002, "σ 0.02 estimated as \(sigma)")
            let text = try dir.deblur("info", "n.tif")
            #expect(text.stdout.contains(String(format: "noise σ ≈ %.3g", sigma)), "\(text.stdout)")
        }
    }

    /// A color image is restored channel by channel, each with its own noise estimate; `info`
    /// printed only their mean (0.0231 for channels at 0.01, 0.02 and 0.04), which the docs called
    /// the level `lambda=auto` uses: it now gives each channel's, the one that channel's λ comes from.
    @Test func colorImageReportsEachChannelsNoiseLevel() throws {
        try withScratch { dir in
            var rng = SeededRandom(seed: 21)
            let levels = [0.01, 0.02, 0.04]
            let image = Image(channels: 3, height: 64, width: 64) { c, y, x in
                let smooth = 0.5 + 0.2 * sin(Double(x) * 0.15 + Double(c)) * cos(Double(y) * 0.1)
                return Float(smooth + rng.gaussian(mean: 0, sigma: levels[c]))
            }
            try ImageIO.write(image, to: dir.file("c.tif").path)
            let result = try dir.deblur("info", "c.tif", "--json")
            #expect(result.status == 0, "\(result)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let channels = try #require(object["noise_sigma_channels"] as? [Double], "\(result.stdout)")
            #expect(channels.count == 3)
            for c in 0..<3 where channels.count == 3 {
                #expect(abs(channels[c] - estimatePatchNoiseSigma(image.channel(c))) < 1e-12)
                #expect(abs(channels[c] - levels[c]) < 0.1 * levels[c], "channel \(c): σ \(levels[c]) estimated as \(channels[c])")
                // The channel's own estimate is the one its automatic λ = 1 / (τ σ̂²) comes from.
                let lambda = HyperLaplacian().effectiveLambda(for: image.channel(c))
                #expect(abs(Double(lambda) * HyperLaplacian.priorWeight(alpha: HyperLaplacian().alpha) * channels[c] * channels[c] - 1) < 1e-5)
            }
            let mean = try #require(object["noise_sigma"] as? Double)
            #expect(abs(mean - channels.reduce(0, +) / 3) < 1e-12 && abs(mean - estimatePatchNoiseSigma(image)) < 1e-12)
            let text = try dir.deblur("info", "c.tif")
            let expected = String(format: "noise σ ≈ %.3g (R %.3g  G %.3g  B %.3g)\n", mean, channels[0], channels[1], channels[2])
            #expect(text.stdout.hasSuffix(expected), "\(text.stdout)")
            // A gray image: one channel, its estimate the mean itself; its line is unchanged.
            try ImageIO.write(image.channel(1), to: dir.file("g.tif").path)
            let gray = try #require(try JSONSerialization.jsonObject(with: Data(try dir.deblur("info", "g.tif", "--json").stdout.utf8)) as? [String: Any])
            #expect(gray["noise_sigma_channels"] as? [Double] == [try #require(gray["noise_sigma"] as? Double)])
            #expect(try dir.deblur("info", "g.tif").stdout.hasSuffix(String(format: "noise σ ≈ %.3g\n", channels[1])))
        }
    }

    /// A model file: its header as the file stores it (and what reading it found: the weight
    /// count, no optimizer state); one flipped byte fails the checksum, naming the file.
    @Test func modelFileHeaderIsPrintedAndCheckedWhole() throws {
        try withScratch { dir in
            try TrainedModel.copy(to: dir, as: "m.model")
            let stored = try ModelFile.read(dir.file("m.model").path).model
            let result = try dir.deblur("info", "m.model", "--json")
            #expect(result.status == 0, "\(result)")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(report["format"] as? String == "model" && report["checkpoint"] as? Bool == false)
            #expect(report["parameters"] as? Int == stored.network.parameterCount)
            let header = try JSONSerialization.data(withJSONObject: try #require(report["header"]))
            #expect(try JSONDecoder().decode(ModelHeader.self, from: header) == stored.header)

            let text = try dir.deblur("info", "m.model")
            #expect(text.status == 0 && text.stdout.split(separator: "\n").first == "m.model: DeblurKit model, refiner, \(stored.network.parameterCount) parameters", "\(text)")
            #expect(text.stdout.contains("base: wiener (") && text.stdout.contains("seed=0") && text.stdout.contains("steps=1"), "\(text)")

            var bytes = try Data(contentsOf: dir.file("m.model"))
            bytes[bytes.count - 100] ^= 0xFF
            try bytes.write(to: dir.file("bad.model"))
            let before = dir.listing()
            expectCleanFailure(try dir.deblur("info", "bad.model"), naming: "bad.model", directory: dir, before: before)
        }
    }

    @Test func garbageFileExitsOneNamingIt() throws {
        try withScratch { dir in
            try Data("this is not an image".utf8).write(to: dir.file("junk.png"))
            let before = dir.listing()
            expectCleanFailure(try dir.deblur("info", "junk.png"), naming: "junk.png", directory: dir, before: before)
        }
    }

    @Test func emptyFileExitsOneNamingIt() throws {
        try withScratch { dir in
            try Data().write(to: dir.file("empty.png"))
            expectCleanFailure(try dir.deblur("info", "empty.png"), naming: "empty.png", directory: dir, before: ["empty.png"])
        }
    }

    @Test func missingFileExitsOneNamingIt() throws {
        try withScratch { dir in
            expectCleanFailure(try dir.deblur("info", "absent.tif"), naming: "absent.tif", directory: dir, before: [])
        }
    }

    /// A BMP (an unsupported format with its own extension) is refused by name.
    @Test func unsupportedFormatWithUnknownExtensionExitsOneNamingTheFile() throws {
        try withScratch { dir in
            try Data([0x42, 0x4D, 0x46, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0] + [UInt8](repeating: 0, count: 56)).write(to: dir.file("a.bmp"))
            let before = dir.listing()
            expectCleanFailure(try dir.deblur("info", "a.bmp"), naming: "a.bmp", directory: dir, before: before)
        }
    }

    /// Docs/FileFormats.md: the type on reading comes from the first bytes, not the name.
    @Test func pngUnderAnUnknownExtensionIsReadByItsContent() throws {
        try withScratch { dir in
            try ImageIO.write(randomImage(height: 4, width: 6, seed: 1), to: dir.file("a.png").path)
            try FileManager.default.moveItem(at: dir.file("a.png"), to: dir.file("a.dat"))
            let result = try dir.deblur("info", "a.dat", "--json")
            #expect(result.status == 0, "\(result)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            #expect(object["format"] as? String == "png" && object["width"] as? Int == 6 && object["height"] as? Int == 4)
        }
    }
}
