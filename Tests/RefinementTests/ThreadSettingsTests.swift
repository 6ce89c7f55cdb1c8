import Testing
import DeblurCore
import DeblurIO
import Deconvolution
import Refinement
import _TestSupport

/// The process-wide thread counts that a region overrides (`FFT.serially` for training sets
/// made item by item, `ImageIO.serially` for the dataset writer), under two callers whose
/// regions overlap. Each runs inside `BLAS.withThreads(BLAS.threads)`, which keeps other
/// tests from setting the counts meanwhile.
@Suite struct ThreadSettingsTests {
    @Test func overlappingFFTRegionsReadOneAndLeaveTheSettingAsItWas() {
        BLAS.withThreads(BLAS.threads) {
            let configured = FFT.configuredThreads
            let seen = Locked([Int]())
            overlappingRegions({ FFT.serially($0) },
                               inside: { _ in seen.locked { $0.append(FFT.threads) } },
                               afterFirst: { seen.locked { $0.append(FFT.threads) } })
            #expect(seen.current == [1, 1, 1])
            #expect(FFT.configuredThreads == configured)
        }
    }

    @Test func overlappingConversionRegionsReadOneAndLeaveTheSettingAsItWas() {
        let configured = ImageIO.configuredConversionThreads
        let seen = Locked([Int]())
        overlappingRegions({ ImageIO.serially($0) },
                           inside: { _ in seen.locked { $0.append(ImageIO.conversionThreads) } },
                           afterFirst: { seen.locked { $0.append(ImageIO.conversionThreads) } })
        #expect(seen.current == [1, 1, 1])
        #expect(ImageIO.configuredConversionThreads == configured)
    }

    /// Why the regions are counted, and a check that the two calls do overlap as the tests
    /// above need: the save-and-restore override the regions replace, run the same way, leaves
    /// the count at 1 for good (the second caller saves the first one's 1).
    @Test func aSavedAndRestoredOverrideLeavesOne() {
        let count = Locked(4)
        overlappingRegions({ body in
            let saved = count.current
            count.current = 1
            body()
            count.current = saved
        })
        #expect(count.current == 1)
    }
}
