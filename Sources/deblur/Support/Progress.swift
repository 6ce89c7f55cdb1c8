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

    init(total: Int, label: String, quiet: Bool = false) {
        self.total = max(1, total)
        self.label = label
        self.enabled = !quiet && isatty(STDERR_FILENO) != 0
    }

    /// Marks `count` more units done, with an optional status text after the bar.
    func advance(_ count: Int = 1, status: String? = nil) {
        lock.lock(); defer { lock.unlock() }
        done += count
        if let status { suffix = status }
        draw(force: done >= total)
    }

    /// Replaces the status text.
    func setStatus(_ status: String) {
        lock.lock(); defer { lock.unlock() }
        suffix = status
        draw(force: false)
    }

    /// Ends the bar's line.
    func finish() {
        lock.lock(); defer { lock.unlock() }
        guard enabled else { return }
        draw(force: true)
        FileHandle.standardError.write(Data("\n".utf8))
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
        let eta = done > 0 && fraction < 1 ? String(format: " eta %.0fs", now / fraction - now) : ""
        let line = String(format: "\r%@ %@ %d/%d %.0fs%@ %@\u{1B}[K", label, bar, done, total, now, eta, suffix)
        FileHandle.standardError.write(Data(line.utf8))
    }
}
