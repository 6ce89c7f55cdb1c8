import Testing
@testable import deblur

@Suite struct ProgressBarTests {
    /// compare --tune spends minutes on the validation split before its first item: the
    /// estimate counted that time against every item (100 s of tuning, then 1 s items: 101 s
    /// per item left, then ~10 s) and now uses the rate since the first item was done.
    @Test func timeLeftExcludesWhatRanBeforeTheFirstUnit() {
        let first = (seconds: 101.0, done: 1)
        #expect(ProgressBar.remaining(now: 101, done: 1, total: 100, first: first) == 9999.0)
        #expect(ProgressBar.remaining(now: 111, done: 11, total: 100, first: first) == 89.0)
        #expect(ProgressBar.remaining(now: 111, done: 0, total: 100, first: nil) == nil)
        #expect(ProgressBar.remaining(now: 200, done: 100, total: 100, first: first) == nil)
    }
}
