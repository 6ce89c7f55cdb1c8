import Foundation

/// A progress bar on stderr, drawn only when stderr is a terminal and not `--quiet`.
final class ProgressBar: @unchecked Sendable {
    private let total: Int
    private let label: String
    private let enabled: Bool
    private var done = 0
    private var lastDraw = 0.0
    private let start = Date()
    private let lock = NSLock()
    private var suffix = ""
    /// When the first unit was done, and how many were done then: the rate after it excludes
    /// the time before any unit ran (compare's tuning, which is not among the units).
    private var first: (seconds: Double, done: Int)?

    /// Whether the bar is drawn (stderr is a terminal and not `--quiet`).
    var isDrawn: Bool { enabled }

    init(total: Int, label: String, quiet: Bool = false) {
        self.total = max(1, total)
        self.label = label
        self.enabled = !quiet && isatty(STDERR_FILENO) != 0
    }

    /// Marks `count` more units done, with an optional status text after the bar.
    func advance(_ count: Int = 1, status: String? = nil) {
        lock.lock(); defer { lock.unlock() }
        done += count
        if first == nil { first = (Date().timeIntervalSince(start), done) }
        if let status { suffix = status }
        draw(force: done >= total)
    }

    /// Replaces the status text.
    func setStatus(_ status: String) {
        lock.lock(); defer { lock.unlock() }
        suffix = status
        draw(force: false)
    }

    /// Writes `line` (ending in a newline) to stderr on a line of its own, the bar drawn again
    /// below it: written as is, it would continue the bar's line.
    func message(_ line: String) {
        lock.lock(); defer { lock.unlock() }
        guard enabled else { return writeStandardError(line) }
        writeStandardError("\r\u{1B}[K" + line)
        draw(force: true)
    }

    /// Ends the bar's line.
    func finish() {
        lock.lock(); defer { lock.unlock() }
        guard enabled else { return }
        draw(force: true)
        writeStandardError("\n")
    }

    /// Seconds left: at the rate since the first unit was done once a second one is, else at
    /// the whole run's rate; nil when nothing or everything is done.
    static func remaining(now: Double, done: Int, total: Int, first: (seconds: Double, done: Int)?) -> Double? {
        guard done > 0, done < total else { return nil }
        if let first, done > first.done, now > first.seconds {
            return Double(total - done) * (now - first.seconds) / Double(done - first.done)
        }
        return now / Double(done) * Double(total - done)
    }

    private func draw(force: Bool) {
        guard enabled else { return }
        let now = Date().timeIntervalSince(start)
        if !force && now - lastDraw < 0.1 { return }
        lastDraw = now
        let fraction = min(1, Double(done) / Double(total))
        let cells = 28
        let filled = Int(fraction * Double(cells))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: cells - filled)
        let eta = Self.remaining(now: now, done: done, total: total, first: first).map { String(format: " eta %.0fs", $0) } ?? ""
        let line = String(format: "\r%@ %@ %d/%d %.0fs%@ %@\u{1B}[K", label, bar, done, total, now, eta, suffix)
        writeStandardError(line)
    }
}
