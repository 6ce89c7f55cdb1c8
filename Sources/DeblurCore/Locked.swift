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
