import Foundation

/// A small, thread-safe pool of `FFTBuffer`s by size, so one-shot filters called repeatedly
/// (compare, tuning, the bench) reuse FFTW-aligned memory instead of allocating and
/// first-touching ~12 MB per call at 1080². Buffers come back with stale contents: callers
/// overwrite them fully before reading.
enum BufferPool {
    /// Buffers kept per size; more are released when given back.
    static let perSize = 2
    /// Buffers larger than this (floats) are never pooled, keeping idle memory bounded (~64 MB per buffer).
    static let maximumCount = 16 << 20

    private static let lock = NSLock()
    nonisolated(unsafe) private static var free: [Int: [FFTBuffer]] = [:]

    /// A buffer of `count` floats, reused when one is free (its contents are then arbitrary).
    static func take(_ count: Int) -> FFTBuffer {
        lock.lock()
        if let buffer = free[count]?.popLast() { lock.unlock(); return buffer }
        lock.unlock()
        return FFTBuffer(count: count)
    }

    /// Returns `buffer` to the pool; the caller must not use it afterwards.
    static func give(_ buffer: FFTBuffer) {
        guard buffer.count <= maximumCount else { return }
        lock.lock(); defer { lock.unlock() }
        if free[buffer.count, default: []].count < perSize { free[buffer.count, default: []].append(buffer) }
    }

    /// Releases every pooled buffer.
    static func removeAll() {
        lock.lock(); defer { lock.unlock() }
        free = [:]
    }
}
