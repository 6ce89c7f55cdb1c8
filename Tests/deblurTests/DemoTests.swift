import DeblurKit
import Foundation
import Testing

@Suite struct DemoTests {
    /// A demo folder whose dataset was made with other settings (an earlier `demo --seed 1`)
    /// is refused with advice the demo can follow, and the dataset keeps its files. The message
    /// was synth's, "or --force to regenerate it", and `demo --force` is no option.
    @Test func aDatasetMadeWithOtherSettingsIsRefusedWithAdviceTheDemoTakes() throws {
        try withScratch { dir in
            let made = try dir.deblur("synth", "--out", "demo/dataset", "--count", "1", "--size", "64", "--seed", "1", "--quiet")
            #expect(made.status == 0, "\(made)")
            let before = try SynthTests.contents(dir.file("demo/dataset"))
            let result = try dir.deblur("demo", "--out", "demo", "--items", "1", "--size", "64", "--quiet")
            #expect(result.status == 1, "\(result)")
            #expect(result.stderrLines.count == 1, "\(result)")
            let message = result.stderrLines.first ?? ""
            #expect(message.contains("demo/dataset was generated with different settings"), "\(message)")
            #expect(message.contains("give another --out"), "\(message)")
            #expect(!message.contains("--force"), "\(message)")
            #expect(try SynthTests.contents(dir.file("demo/dataset")) == before)
        }
    }
}
