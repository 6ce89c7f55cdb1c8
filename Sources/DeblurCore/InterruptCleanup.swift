import Foundation

/// Removes the process's temporary files and folders when it is stopped by SIGINT (Ctrl-C),
/// SIGTERM (`kill`, a job scheduler's time limit) or SIGHUP (a closed terminal), then lets the
/// signal end the process as it would have (exit status 128 + signal number in a shell).
///
/// `writeAtomically` registers every temporary file it writes, so an interrupted command
/// leaves its outputs complete and old, or absent, and no `.NAME.tmp-…` file beside them.
/// Only the command-line tool installs the handlers: a library does not take over the
/// signals of the program it is part of. SIGKILL cannot be caught; its leftovers are what
/// `atomicWriteTarget(ofTemporary:)` recognizes.
public enum InterruptCleanup {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: [Int: String] = [:]
    nonisolated(unsafe) private static var nextToken = 0
    nonisolated(unsafe) private static var installed = false

    /// Adds `path` (a file or a folder, removed with its contents) to what an interrupt
    /// removes; returns the token that `unregister` takes once the path is gone or final.
    public static func register(_ path: String) -> Int {
        lock.lock(); defer { lock.unlock() }
        nextToken += 1
        paths[nextToken] = path
        return nextToken
    }

    public static func unregister(_ token: Int) {
        lock.lock(); defer { lock.unlock() }
        paths[token] = nil
    }

    /// Runs `body` (the rename that makes a registered temporary final) under the lock the
    /// interrupt's cleanup takes, and unregisters `token` with it: the cleanup then removes the
    /// temporary before the rename or not at all. Without it, a temporary removed just before
    /// its rename made the command fail with "No such file" while the signal was on its way.
    public static func finishing(_ token: Int, _ body: () -> Int32) -> Int32 {
        lock.lock(); defer { lock.unlock() }
        let result = body()
        paths[token] = nil
        return result
    }

    /// The paths an interrupt would remove now.
    public static var registered: [String] {
        lock.lock(); defer { lock.unlock() }
        return paths.keys.sorted().compactMap { paths[$0] }
    }

    /// Installs the handlers for SIGINT, SIGTERM and SIGHUP, except for a signal the process
    /// was started ignoring (`nohup`, a background job of a script), which stays ignored.
    /// Call once, early, before other threads start.
    ///
    /// The handler itself only writes the signal's number to a pipe (`write` is
    /// async-signal-safe); a thread blocked reading the pipe removes the registered paths in
    /// ordinary code, then restores the default action and raises the signal again.
    public static func installHandlers() {
        lock.lock(); defer { lock.unlock() }
        guard !installed else { return }
        var pair: [Int32] = [-1, -1]
        guard pipe(&pair) == 0 else { return }
        // Above 2, and not inherited by programs the process starts: run with stdout or stderr
        // closed (`>&- 2>&-`), the pipe took their numbers, so the error messages (or a report
        // to /dev/stdout) went into the pipe and its first byte was taken for a signal.
        let ends = pair.map { end -> Int32 in
            let moved = fcntl(end, F_DUPFD_CLOEXEC, 3)
            close(end)
            return moved
        }
        guard ends.allSatisfy({ $0 >= 0 }) else { return }
        // A burst of signals that filled the pipe must not block the handler.
        _ = fcntl(ends[1], F_SETFL, O_NONBLOCK)
        // Set before any handler can run, so the handler only ever reads it.
        interruptPipeWriteEnd = ends[1]
        installed = true
        let readEnd = ends[0]
        let thread = Thread { removeAndRaise(readingFrom: readEnd) }
        thread.name = "deblur-interrupt-cleanup"
        thread.start()
        var handled = sigset_t()
        sigemptyset(&handled)
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            var current = sigaction()
            guard sigaction(signal, nil, &current) == 0 else { continue }
            if let handler = current.__sigaction_handler.sa_handler, unsafeBitCast(handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) {
                continue
            }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = forwardSignalToPipe
            sigemptyset(&action.sa_mask)
            // Other threads' reads and writes resume after the handler: much of Foundation
            // does not retry on EINTR.
            action.sa_flags = SA_RESTART
            sigaction(signal, &action, nil)
            sigaddset(&handled, signal)
        }
        // A mask is inherited across exec: started from a thread that blocks signals (a
        // Dispatch or Swift concurrency worker, say), the process would never receive them.
        pthread_sigmask(SIG_UNBLOCK, &handled, nil)
    }

    private static func removeAndRaise(readingFrom descriptor: Int32) {
        var number: UInt8 = 0
        while true {
            let count = read(descriptor, &number, 1)
            // The handler writes only these three; anything else did not come from it.
            if count == 1 { if [SIGINT, SIGTERM, SIGHUP].contains(Int32(number)) { break } else { continue } }
            if count < 0 && errno == EINTR { continue }
            return
        }
        let signal = Int32(number)
        // Held until the process ends: no temporary is registered, or left, after this.
        lock.lock()
        for path in paths.values {
            if unlink(path) != 0, errno != ENOENT { try? FileManager.default.removeItem(atPath: path) }
        }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = SIG_DFL
        sigemptyset(&action.sa_mask)
        sigaction(signal, &action, nil)
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, signal)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
        raise(signal)
        _exit(128 + signal)
    }
}

/// The write end of the pipe the signal handler writes to: set once, before the handlers.
nonisolated(unsafe) private var interruptPipeWriteEnd: Int32 = -1

/// The signal handler: async-signal-safe calls only (`write`; errno saved for the code it
/// interrupted).
private func forwardSignalToPipe(_ signal: Int32) {
    let saved = errno
    var number = UInt8(truncatingIfNeeded: signal)
    _ = write(interruptPipeWriteEnd, &number, 1)
    errno = saved
}
