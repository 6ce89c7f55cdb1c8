import Foundation

/// A value behind a lock: for the process-wide settings (`FFT.threads`, `ImageIO.maximumPixels`…)
/// that a caller may change while other threads read them, and for shared counters.
package final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    package init(_ value: Value) { self.value = value }

    package func locked<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock(); defer { lock.unlock() }
        return try body(&value)
    }

    /// The value now (a copy).
    package var current: Value {
        get { locked { $0 } }
        set { locked { $0 = newValue } }
    }
}

/// A process-wide thread count (`FFT.threads`, `ImageIO.conversionThreads`) that a region of
/// work spread over the cores item by item holds at 1 while it runs.
///
/// Regions are counted rather than saved and restored: two callers whose regions overlap on
/// two threads left a saved-and-restored count at 1 after both had returned (the second had
/// saved the first one's 1).
package final class ThreadCount: Sendable {
    private let state: Locked<(configured: Int, regions: Int)>

    package init(_ count: Int) { state = Locked((configured: count, regions: 0)) }

    /// The count to use now: 1 while any region is open, on any thread.
    package var effective: Int { state.locked { $0.regions > 0 ? 1 : $0.configured } }

    /// The count set, whatever regions are open: what an override that saves and restores the
    /// count must save, or it would restore a region's 1 for good.
    package var configured: Int {
        get { state.locked { $0.configured } }
        set { state.locked { $0.configured = newValue } }
    }

    /// Runs `body` with `effective` reading 1.
    package func serially<R>(_ body: () throws -> R) rethrows -> R {
        state.locked { $0.regions += 1 }
        defer { state.locked { $0.regions -= 1 } }
        return try body()
    }
}
