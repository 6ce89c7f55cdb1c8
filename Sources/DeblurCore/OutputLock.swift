import Foundation

/// An exclusive lock a run holds on an output and the files that go with it (a model, its
/// checkpoint and its log) for as long as it writes them. Two runs writing the same outputs at
/// once (a job array, a shell loop with `&`) left a model of one run beside the checkpoint of
/// the other and a log with both runs' epochs interleaved; the second run is now refused at
/// once, naming the run that holds the lock.
///
/// The lock is `flock` on the file `path` (created, holding "process PID on HOST"), taken
/// without waiting and released, the file removed, by `release()`, at exit, or when the process
/// is killed (a file left by `kill -9` holds no lock and is taken over). A file system that
/// does not support locks (NFS mounted with `nolock`) leaves the run unlocked, as synth's lock.
public final class OutputLock {
    /// The lock file.
    public let path: String
    private var descriptor: Int32
    private var cleanup: Int?

    /// Takes the lock of `output` at `path`; nil when `output` is not a regular file's path
    /// (`/dev/null`, a pipe), which has no file beside it to hold a lock in, or when the file
    /// system cannot lock.
    /// - Throws: `CoreError.outputInUse` naming `output`, the lock and its holder when another
    ///   process holds it; `CoreError.writeFailed` when the lock file cannot be created.
    public static func take(_ path: String, for output: String) throws -> OutputLock? {
        if writeDestination(of: output).inPlace { return nil }
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw CoreError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let busy = errno == EWOULDBLOCK
                let holder = busy ? Self.holder(fd) : ""
                close(fd)
                if busy { throw CoreError.outputInUse(output: output, lock: path, holder: holder) }
                return nil
            }
            // A finishing holder removes the file after we opened it: the lock taken is then on a
            // file no other run will open, so take the one at the path instead.
            var opened = stat(), named = stat()
            if fstat(fd, &opened) == 0, stat(path, &named) == 0, opened.st_dev == named.st_dev, opened.st_ino == named.st_ino {
                let lock = OutputLock(path: path, descriptor: fd)
                var host = [CChar](repeating: 0, count: 256)
                let name = gethostname(&host, host.count - 1) == 0 ? String(cString: host) : "this host"
                let text = Array("process \(getpid()) on \(name)\n".utf8)
                if ftruncate(fd, 0) == 0 { _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } }
                return lock
            }
            close(fd)
        }
    }

    private init(path: String, descriptor: Int32) {
        self.path = path; self.descriptor = descriptor
        // Ctrl-C or a scheduler's SIGTERM would leave the file (no lock: harmless, but litter).
        cleanup = InterruptCleanup.register(path)
    }

    /// What the holder wrote into the lock file ("process 4242 on node7"); empty while it has
    /// not written it yet.
    private static func holder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return "" }
        return String(decoding: buffer[..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Removes the lock file and releases the lock (removed first, so a run that opens the
    /// file meanwhile sees it gone and takes a new one).
    public func release() {
        guard descriptor >= 0 else { return }
        unlink(path)
        close(descriptor)
        descriptor = -1
        if let cleanup { InterruptCleanup.unregister(cleanup) }
    }

    deinit { release() }
}
