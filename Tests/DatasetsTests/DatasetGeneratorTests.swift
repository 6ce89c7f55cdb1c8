import Testing
import Foundation
import DeblurCore
import Deconvolution
import _TestSupport
@testable import Datasets

@Suite struct DatasetGeneratorTests {
    func smallSettings() -> SynthesisSettings {
        var s = SynthesisSettings()
        s.count = 6
        s.height = 24
        s.width = 20
        s.seed = 99
        s.deadLeaves = DeadLeaves(minRadius: 1, maxRadius: 20)
        s.trajectorySize = 9
        s.noiseSigmaMin = 0
        s.noiseSigmaMax = 0
        return s
    }

    @Test func validItemIsTheValidBlurOfALargerCropAndSharpIsItsCentre() throws {
        let settings = smallSettings()
        let generator = try DatasetGenerator(settings: settings)
        let item = try generator.makeItem(index: 3)
        let plan = generator.plan(3)
        // Rebuild the larger crop independently: dead leaves on the 8-bit grid.
        var big = settings.deadLeaves.generate(height: 24 + 8, width: 20 + 8, seed: plan.sharpDraw)
        big.pixels = big.pixels.map { (min(max($0, 0), 1) * 255).rounded() / 255 }
        let psf = try PSF.trajectory(size: 9, seed: plan.kernelDraw)
        #expect(item.psf == psf)
        #expect(item.kernelName == "trajectory-\(plan.kernelDraw)")
        #expect(item.sharp == big.cropped(top: 4, left: 4, height: 24, width: 20))
        #expect(item.blurred.height == 24 && item.blurred.width == 20)
        // Naive valid convolution written out here.
        let expected = Image(height: 24, width: 20) { _, y, x in
            var s: Float = 0
            for i in 0..<9 { for j in 0..<9 { s += psf[i, j] * big[y + 8 - i, x + 8 - j] } }
            return s
        }
        #expect(maxAbsDifference(item.blurred, expected) < 1e-5)
    }

    @Test func itemsDependOnSeedAndIndexAloneWhateverTheOrder() throws {
        var settings = smallSettings()
        settings.noiseSigmaMin = 0.01
        settings.noiseSigmaMax = 0.05
        let generator = try DatasetGenerator(settings: settings)
        let forward = try (0..<4).map { try generator.makeItem(index: $0) }
        let backward = try (0..<4).reversed().map { try generator.makeItem(index: $0) }.reversed()
        for (a, b) in zip(forward, backward) {
            #expect(a.sharp == b.sharp && a.blurred == b.blurred && a.psf == b.psf && a.noise == b.noise)
        }
        #expect(forward[0].blurred != forward[1].blurred)
        #expect(forward.allSatisfy { $0.noise.gaussianSigma >= 0.01 && $0.noise.gaussianSigma < 0.05 })
        // Another seed gives other items.
        settings.seed = 100
        #expect(try DatasetGenerator(settings: settings).makeItem(index: 0).sharp != forward[0].sharp)
    }

    @Test func sameSizeBoundariesKeepTheSharpSize() throws {
        var settings = smallSettings()
        settings.boundary = .reflect
        let item = try DatasetGenerator(settings: settings).makeItem(index: 0)
        #expect(item.sharp.height == 24 && item.sharp.width == 20)
        #expect(maxAbsDifference(item.blurred, try blur(item.sharp, psf: item.psf, boundary: .reflect)) < 1e-6)
    }

    @Test func manifestEntryMatchesTheItemWithoutGeneratingIt() throws {
        var settings = smallSettings()
        settings.noiseSigmaMax = 0.03
        let generator = try DatasetGenerator(settings: settings)
        let entry = generator.manifestEntry(index: 5)
        let item = try generator.makeItem(index: 5)
        #expect(entry.id == "000005" && entry.sharp == "sharp/000005.png" && entry.blurred == "blurred/000005.tif" && entry.psf == "psf/000005.tif")
        #expect(entry.noiseSigma == item.noise.gaussianSigma && entry.kernel == item.kernelName && entry.boundary == "valid")
    }

    @Test func idsArePaddedSoTheySortInIndexOrder() {
        #expect(SyntheticItem.id(index: 17, count: 100) == "000017")
        #expect(SyntheticItem.id(index: 17, count: 2_000_000) == "0000017")
        #expect(SyntheticItem.id(index: 1_999_999, count: 2_000_000) == "1999999")
        let ids = [5, 999_999, 1_000_000].map { SyntheticItem.id(index: $0, count: 1_000_001) }
        #expect(ids == ids.sorted())
    }

    @Test func shardsPartitionTheItemsAndBadShardsAreErrors() throws {
        let shards = try (1...3).map { try Shard($0, of: 3) }
        for i in 0..<20 { #expect(shards.filter { $0.contains(i) }.count == 1) }
        #expect(try Shard(parsing: "2/3") == shards[1])
        #expect(shards[1].itemsFileName == "items-2-of-3.jsonl" && Shard.all.itemsFileName == "items.jsonl")
        for bad in ["3/2", "0/2", "1/0", "a/b", "2", "-1/3"] {
            #expect(throws: DatasetsError.self) { try Shard(parsing: bad) }
        }
    }

    @Test func invalidSettingsAreTypedErrors() throws {
        var s = smallSettings(); s.noiseSigmaMin = -0.1
        #expect(throws: DatasetsError.self) { try DatasetGenerator(settings: s) }
        s = smallSettings(); s.trajectorySize = 10
        #expect(throws: DatasetsError.self) { try DatasetGenerator(settings: s) }
        s = smallSettings(); s.count = 0
        #expect(throws: DatasetsError.self) { try DatasetGenerator(settings: s) }
        s = smallSettings(); s.sharpSource = .images; s.imagesDirectory = "/nonexistent/folder"
        #expect(throws: DatasetsError.self) { try DatasetGenerator(settings: s) }
        // A negative item index trapped ('item index must be ≥ 0').
        let generator = try DatasetGenerator(settings: smallSettings())
        for index in [-1, Int.min] {
            #expect(throws: DatasetsError.invalidSetting(name: "item index", value: "\(index)", expected: "an integer ≥ 0")) {
                try generator.makeItem(index: index)
            }
            #expect(throws: DatasetsError.invalidSetting(name: "item index", value: "\(index)", expected: "an integer ≥ 0")) {
                try generator.makeItem(index: index, convolver: DatasetGenerator.makeConvolver())
            }
        }
    }
}

@Suite struct DatasetGeneratorPinTests {
    @Test func itemBytesArePinnedSoReleasesReproduceOldDatasets() throws {
        // SHA-256 of item 4's Float32 samples under default settings at 40 × 32, recorded when
        // the generator was written: a change breaks "the same seed rewrites the same dataset".
        var settings = SynthesisSettings()
        settings.count = 10
        settings.height = 40
        settings.width = 32
        settings.seed = 2026
        settings.noiseSigmaMin = 0.005
        settings.noiseSigmaMax = 0.02
        let item = try DatasetGenerator(settings: settings).makeItem(index: 4)
        func hash(_ image: Image) -> String { SHA256.hex(image.pixels.withUnsafeBufferPointer { Data(buffer: $0) }) }
        #expect(hash(item.sharp) == "d2703ded96b0c6583b16d85b0c3453eeaf7ce581c888634696797512b6f13ab2")
        #expect(hash(item.blurred) == "fda4435f29b1e96ceeee83e1a9e446a2b62d227c4905b9fd4cc4ddcd8818016a")
        #expect(hash(item.psf.image) == "8114a1b73b96fab6cb8602d251a52e68708753ddd7c0204291668fbd07c57851")
    }
}
