import Testing
@testable import DeblurCore

@Suite struct MontageTests {
    @Test func imagesSitSideBySideTopAlignedWithGapsOfBackground() {
        // A 2 × 3 gray image and a 3 × 2 color one, one column apart: 3 × 6, three channels.
        let gray = Image(height: 2, width: 3) { _, y, x in Float(10 * y + x) / 100 }
        let color = Image(channels: 3, height: 3, width: 2) { c, y, x in 0.5 + Float(c) / 10 + Float(2 * y + x) / 100 }
        let sheet = Image.montage([gray, color], gap: 1, background: -1)
        #expect(sheet.channels == 3 && sheet.height == 3 && sheet.width == 6)
        for c in 0..<3 {
            for y in 0..<3 {
                for x in 0..<6 {
                    let expected: Float
                    switch x {
                    case 0..<3: expected = y < 2 ? gray[0, y, x] : -1   // gray repeated; below it, background
                    case 3: expected = -1                               // the gap
                    default: expected = color[c, y, x - 4]
                    }
                    #expect(sheet[c, y, x] == expected, "channel \(c), row \(y), column \(x)")
                }
            }
        }
        // One image: itself; no gap after the last image.
        #expect(Image.montage([gray]) == gray)
        #expect(Image.montage([gray, gray], gap: 0).width == 6)
    }
}
