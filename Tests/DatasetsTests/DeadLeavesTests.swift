import Testing
import Foundation
import DeblurCore
import _TestSupport
@testable import Datasets

@Suite struct DeadLeavesTests {
    @Test func sameSeedGivesTheSameImageAndValuesStayInTheUnitInterval() {
        let model = DeadLeaves(minRadius: 2, maxRadius: 40)
        let a = model.generate(height: 64, width: 48, seed: 1)
        let b = model.generate(height: 64, width: 48, seed: 1)
        let c = model.generate(height: 64, width: 48, seed: 2)
        #expect(a == b)
        #expect(a != c)
        #expect(a.height == 64 && a.width == 48 && a.channels == 1)
        #expect(a.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
    }

    @Test func radiiFollowTheInverseCubeDensity() {
        // F(r) = (rmin⁻² − r⁻²) / (rmin⁻² − rmax⁻²): compare the empirical CDF at a few radii.
        let rmin = 1.0, rmax = 100.0, a = 1 / (rmin * rmin), b = 1 / (rmax * rmax)
        var rng = SeededRandom(seed: 3)
        let radii = (0..<100_000).map { _ in DeadLeaves.radius(quantile: rng.uniform(), a: a, b: b) }
        #expect(radii.allSatisfy { $0 >= rmin && $0 <= rmax })
        for r in [1.2, 2.0, 5.0, 20.0] {
            let empirical = Double(radii.filter { $0 <= r }.count) / Double(radii.count)
            let expected = (a - 1 / (r * r)) / (a - b)
            #expect(abs(empirical - expected) < 0.005)
        }
    }

    @Test func imagesArePiecewiseConstantWithManyOccludingDisks() {
        // Flat disks: most horizontal neighbours are equal (inside a disk), and many distinct
        // grey levels appear (many disks); nothing is left at the 0.5 background.
        let image = DeadLeaves(minRadius: 2, maxRadius: 30).generate(height: 96, width: 96, seed: 4)
        var equal = 0
        for y in 0..<96 { for x in 1..<96 where image[y, x] == image[y, x - 1] { equal += 1 } }
        #expect(Double(equal) / Double(96 * 95) > 0.7)
        #expect(Set(image.pixels).count > 30)
        #expect(!image.pixels.contains(0.5))
    }

    @Test func rgbTextureAndDefocusOptionsChangeTheImageButStayDeterministic() {
        let plain = DeadLeaves(minRadius: 2, maxRadius: 30, channels: 3)
        var textured = plain
        textured.textureAmplitude = 0.2
        var defocused = plain
        defocused.defocusSigma = 2
        let p = plain.generate(height: 40, width: 40, seed: 5)
        let t = textured.generate(height: 40, width: 40, seed: 5)
        let d = defocused.generate(height: 40, width: 40, seed: 5)
        #expect(p.channels == 3 && t.channels == 3 && d.channels == 3)
        #expect(t != p && d != p)
        #expect(d == defocused.generate(height: 40, width: 40, seed: 5))
        #expect(t.pixels.allSatisfy { $0 >= 0 && $0 <= 1 } && d.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
        // Texture breaks the flat disks: far fewer equal neighbours.
        func flatFraction(_ image: Image) -> Double {
            var equal = 0
            for y in 0..<40 { for x in 1..<40 where image[0, y, x] == image[0, y, x - 1] { equal += 1 } }
            return Double(equal) / Double(40 * 39)
        }
        #expect(flatFraction(t) < flatFraction(p) / 2)
        // The in-focus foreground stays exactly as in the plain image where it covers pixels.
        let same = zip(p.pixels, d.pixels).filter { $0 == $1 }.count
        #expect(Double(same) / Double(p.count) >= 0.45)
    }

    @Test func pixelsArePinnedSoReleasesReproduceOldDatasets() {
        // SHA-256 of the Float32 samples, recorded when the generator was written; a change
        // here breaks the promise that a seed reproduces a dataset across releases.
        let cases: [(DeadLeaves, String)] = [
            (DeadLeaves(minRadius: 1, maxRadius: 100), "6daf773386477dc5df39727119a58f48c2baed15db5a76f0da2dfee707903cce"),
            (DeadLeaves(minRadius: 2, maxRadius: 30, channels: 3, textureAmplitude: 0.2, defocusSigma: 2),
             "7f2ebb03df98401534fc207e2180298a1b49a5391c0ae17f8cb11273bc53b344"),
        ]
        for (model, expected) in cases {
            let image = model.generate(height: 100, width: 90, seed: 42)
            #expect(SHA256.hex(image.pixels.withUnsafeBufferPointer { Data(buffer: $0) }) == expected)
        }
    }

    @Test func invalidSettingsAreTypedErrors() {
        #expect(throws: DatasetsError.self) { try DeadLeaves(minRadius: 0).validate() }
        #expect(throws: DatasetsError.self) { try DeadLeaves(minRadius: 5, maxRadius: 2).validate() }
        #expect(throws: DatasetsError.self) { try DeadLeaves(channels: 2).validate() }
        #expect(throws: DatasetsError.self) { try DeadLeaves(textureAmplitude: 0.6).validate() }
        #expect(throws: DatasetsError.self) { try DeadLeaves(foregroundCoverage: 0).validate() }
    }
}
