import Dispatch
import Testing
@testable import DeblurCore

/// Runs `region` on two threads so that their calls overlap and leave in the order they came:
/// the first enters, the second enters, the first leaves, then the second. `inside(k)` runs in
/// region `k` (0 or 1) once both have entered (the first may leave while `inside(1)` runs);
/// `afterFirst()` runs in the second region once the first has left. For checking that settings overridden for a
/// region come back however two callers interleave.
func overlappingRegions(_ region: @escaping @Sendable (() -> Void) -> Void,
                        inside: @escaping @Sendable (Int) -> Void = { _ in },
                        afterFirst: @escaping @Sendable () -> Void = {}) {
    let firstIn = DispatchSemaphore(value: 0), secondIn = DispatchSemaphore(value: 0)
    let firstOut = DispatchSemaphore(value: 0), done = DispatchGroup()
    DispatchQueue.global().async(group: done) {
        region {
            firstIn.signal()
            secondIn.wait()
            inside(0)
        }
        firstOut.signal()
    }
    DispatchQueue.global().async(group: done) {
        firstIn.wait()
        region {
            secondIn.signal()
            inside(1)
            firstOut.wait()
            afterFirst()
        }
    }
    done.wait()
}

@Suite struct ThreadCountTests {
    /// Two regions overlapping on two threads: the count reads 1 in both and while the second
    /// is still open, and comes back once both have left.
    @Test func overlappingRegionsReadOneAndGiveTheCountBack() {
        let count = ThreadCount(4)
        let seen = Locked([Int]())
        overlappingRegions({ count.serially($0) },
                           inside: { _ in seen.locked { $0.append(count.effective) } },
                           afterFirst: { seen.locked { $0.append(count.effective) } })
        #expect(seen.current == [1, 1, 1])
        #expect(count.effective == 4 && count.configured == 4)
    }

    /// A count set inside a region holds once the region ends; meanwhile it reads 1.
    @Test func aCountSetInsideARegionTakesEffectAfterIt() {
        let count = ThreadCount(4)
        count.serially {
            count.configured = 3
            #expect(count.effective == 1 && count.configured == 3)
        }
        #expect(count.effective == 3)
    }

    /// Why the regions are counted, and a check that the two calls do overlap as the tests
    /// above need: the save-and-restore override the regions replaced, run the same way,
    /// leaves the count at 1 for good (the second caller saves the first one's 1).
    @Test func aSavedAndRestoredOverrideLeavesOne() {
        let count = ThreadCount(4)
        overlappingRegions({ body in
            let saved = count.configured
            count.configured = 1
            body()
            count.configured = saved
        })
        #expect(count.effective == 1)
    }
}
