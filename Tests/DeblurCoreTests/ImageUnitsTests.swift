import DeblurCore
import Testing

/// The helpers that tell an image in other units than [0, 1] (a float TIFF of 0–255 or counts).
@Suite struct ImageUnitsTests {
    @Test func farOutsideUnitRangeGivesTheFarthestSampleOnlyPastTheMargin() {
        #expect(Image(height: 1, width: 4, pixels: [0, 0.5, 1.4, -0.4]).farOutsideUnitRange() == nil)
        #expect(Image(height: 1, width: 4, pixels: [0, 0.5, 255, -3]).farOutsideUnitRange() == 255)
        #expect(Image(height: 1, width: 4, pixels: [0, 2, -80, .nan]).farOutsideUnitRange() == -80)
        #expect(Image(height: 1, width: 3, pixels: [.infinity, 0.2, 0.3]).farOutsideUnitRange() == nil)
        #expect(Image(height: 1, width: 2, pixels: [.nan, .nan]).farOutsideUnitRange() == nil)
    }

    @Test func medianSampleLeavesNonFiniteSamplesOut() {
        #expect(Image(height: 1, width: 5, pixels: [9, 1, 3, 200, -4]).medianSample() == 3)
        #expect(Image(height: 1, width: 4, pixels: [4, 1, 3, 2]).medianSample() == 2.5)
        #expect(Image(height: 1, width: 4, pixels: [.nan, 1, .infinity, 3]).medianSample() == 2)
        #expect(Image(height: 1, width: 1, pixels: [.nan]).medianSample() == 0)
        // The middle two of an even count near Float's largest: their sum overflowed to +∞.
        #expect(Image(height: 1, width: 2, pixels: [3e38, 3e38]).medianSample() == 3e38)
        #expect(Image(height: 1, width: 2, pixels: [.greatestFiniteMagnitude, -.greatestFiniteMagnitude]).medianSample() == 0)
    }

    @Test func medianSampleOutsideARangeIsTheMedianOnlyPastIt() {
        let range: ClosedRange<Float> = -0.5...1.5
        // Rings far past 1 at a few samples leave the median inside: nil.
        #expect(Image(height: 1, width: 5, pixels: [0.2, 0.4, 18, 0.6, -7]).medianSample(outside: range) == nil)
        // Units of 0–255: the median itself, as medianSample() gives it.
        #expect(Image(height: 1, width: 5, pixels: [9, 1, 3, 200, -4]).medianSample(outside: range) == 3)
        #expect(Image(height: 1, width: 3, pixels: [-80, -2, 0.5]).medianSample(outside: range) == -2)
        // An even count with exactly half the samples past the bound: the middle two are
        // averaged, 1 and 3 giving 2, past 1.5; with 1 and 1.9 the mean 1.45 stays inside.
        #expect(Image(height: 1, width: 4, pixels: [4, 1, 3, 0]).medianSample(outside: range) == 2)
        #expect(Image(height: 1, width: 4, pixels: [1.9, 1, 300, 0]).medianSample(outside: range) == nil)
        #expect(Image(height: 1, width: 4, pixels: [.nan, 1, .infinity, 3]).medianSample(outside: range) == 2)
        #expect(Image(height: 1, width: 1, pixels: [.nan]).medianSample(outside: range) == nil)
        // Against the sort, on random images in various units.
        var random = SeededRandom(seed: 7)
        for scale: Float in [1, 2, 4, 255] {
            for count in [1, 2, 7, 64] {
                let pixels = (0..<count).map { _ in scale * (random.uniformFloat() - 0.25) }
                let image = Image(height: 1, width: count, pixels: pixels)
                let median = image.medianSample()
                #expect(image.medianSample(outside: range) == (range.contains(median) ? nil : median))
            }
        }
    }

    @Test func statisticsAreOfTheFiniteSamplesAndNaNWithoutAny() {
        let stats = Image(height: 1, width: 5, pixels: [0.5, .nan, -2, .infinity, 4]).statistics()
        #expect(stats.min == -2 && stats.max == 4 && stats.mean == 2.5 / 3)
        // No finite sample, and no sample at all (an empty crop): the latter gave (0, 0, 0).
        for image in [Image(height: 1, width: 2, pixels: [.nan, -.infinity]), Image(height: 0, width: 7), Image(channels: 3, height: 4, width: 0)] {
            let none = image.statistics()
            #expect(none.min.isNaN && none.max.isNaN && none.mean.isNaN, "\(image.channels)×\(image.height)×\(image.width): \(none)")
        }
    }

    @Test func scaledMultipliesEverySample() {
        #expect(Image(height: 1, width: 3, pixels: [0, 0.5, 1]).scaled(by: 255).pixels == [0, 127.5, 255])
    }
}
