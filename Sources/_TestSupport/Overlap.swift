import Dispatch

/// Runs `region` on two threads so that their calls overlap and leave in the order they came:
/// the first enters, the second enters, the first leaves, then the second. `inside(k)` runs in
/// region `k` (0 or 1) once both have entered and before either leaves; `afterFirst()` runs in
/// the second region once the first has left. For checking that settings overridden for a
/// region come back however two callers interleave.
public func overlappingRegions(_ region: @escaping @Sendable (() -> Void) -> Void,
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
