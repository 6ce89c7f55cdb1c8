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

    @Test func scaledMultipliesEverySample() {
        #expect(Image(height: 1, width: 3, pixels: [0, 0.5, 1]).scaled(by: 255).pixels == [0, 127.5, 255])
    }
}
