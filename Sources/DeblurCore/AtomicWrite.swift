import Foundation

/// Writes a file so that readers never see a partial one: `body` writes to a temporary
/// file beside `path`, which is renamed over `path` only when `body` returns normally.
/// On a thrown error the temporary file is removed and `path` is untouched; an interrupt
/// removes it too, once the process installed `InterruptCleanup`'s handlers.
///
/// A symbolic link is followed: the file it points to is replaced and the link kept. A path
/// that is not a regular file (`/dev/null`, `/dev/stdout`, a named pipe) or that leads into
/// `/proc` is written in place: renaming over it would replace the device node or the link
/// itself. (`/dev/stdout` redirected to a file leads to that file, which an image replaces;
/// `writeAtomically(_:to:)` writes its data to the descriptor.)
public func writeAtomically(to path: String, _ body: (_ temporaryPath: String) throws -> Void) throws {
    let (path, inPlace) = writeDestination(of: path)
    if inPlace { return try body(path) }
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path
    let temporary = directory + "/." + url.lastPathComponent + temporaryMarker + "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    let registration = InterruptCleanup.register(temporary)
    defer { InterruptCleanup.unregister(registration) }
    do {
        try body(temporary)
    } catch {
        try? FileManager.default.removeItem(atPath: temporary)
        throw error
    }
    if InterruptCleanup.finishing(registration, { rename(temporary, path) }) != 0 {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(atPath: temporary)
        throw CoreError.writeFailed(path: path, reason: reason)
    }
}

/// Where `writeAtomically` writes `path`, and whether in place (no temporary file): a
/// missing path or a regular file is replaced by rename (through a symbolic link, the file
/// it points to); a device, pipe or socket, or a link into `/proc`, is written in place.
public func writeDestination(of path: String) -> (path: String, inPlace: Bool) {
    var target = stat()
    // A missing file, or a link to nothing: created by rename as usual, unless the link leads
    // into /proc (`/dev/stdout` with stdout closed), which a rename would replace.
    guard stat(path, &target) == 0 else { return (path, linkLeadsIntoProc(path)) }
    let type = target.st_mode & S_IFMT
    if type != S_IFREG { return (path, type != S_IFDIR) }
    var link = stat()
    guard lstat(path, &link) == 0, link.st_mode & S_IFMT == S_IFLNK, let resolved = realpath(path, nil) else { return (path, false) }
    defer { free(resolved) }
    let real = String(cString: resolved)
    return real.hasPrefix("/proc/") ? (path, true) : (real, false)
}

/// Whether a link of the chain from `path` is in, or points into, `/proc` (`/dev/stdout`,
/// `/dev/fd/1`, `/proc/self/fd/1`); realpath follows them to the file itself, so the links are
/// walked one by one.
private func linkLeadsIntoProc(_ path: String) -> Bool {
    func inProc(_ p: String) -> Bool { p == "/proc" || p.hasPrefix("/proc/") }
    var current = path
    for _ in 0..<40 {
        let parent = parentPath(of: current)
        guard let resolved = realpath(parent.isEmpty ? "." : parent, nil) else { return false }
        let directory = String(cString: resolved)
        free(resolved)
        if inProc(directory) { return true }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink(current, &buffer, buffer.count - 1)
        guard count > 0 else { return false }
        let target = String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        current = target.hasPrefix("/") ? target : directory + "/" + target
        if inProc(current) { return true }
    }
    return false
}

/// What follows the final name in a temporary file's name: `.NAME.tmp-PID-RANDOM`.
private let temporaryMarker = ".tmp-"

/// The file name a temporary file of `writeAtomically` was to become (`000017.tif` for
/// `.000017.tif.tmp-81-2291`), or nil for any other name: what a killed write left behind.
public func atomicWriteTarget(ofTemporary name: String) -> String? {
    guard name.hasPrefix("."), let marker = name.range(of: temporaryMarker, options: .backwards),
          marker.lowerBound > name.index(after: name.startIndex) else { return nil }
    return String(name[name.index(after: name.startIndex)..<marker.lowerBound])
}

/// Writes `data` to `path` atomically (temporary file, then rename).
public func writeAtomically(_ data: Data, to path: String) throws {
    if let descriptor = standardStream(named: path) {
        // Opened again by name, stdout redirected to a file would be written from its start,
        // over (or under) what the process prints there: the data goes to the descriptor
        // itself, after what stdio has buffered.
        fflush(descriptor == STDOUT_FILENO ? stdout : stderr)
        if let failure = writeAll(data, to: descriptor) { throw CoreError.writeFailed(path: path, reason: failure) }
        return
    }
    try writeAtomically(to: path) { temporary in try writeFile(data, to: temporary, reportedAs: path) }
}

/// The descriptor (stdout or stderr) that `path` names as a device, pipe or link into `/proc`
/// (`/dev/stdout`, a link to it, with stdout a pipe or redirected to a file), or nil: where
/// `writeAtomically(_:to:)` writes as a stream.
public func standardStream(named path: String) -> Int32? {
    var file = stat()
    guard stat(path, &file) == 0, file.st_mode & S_IFMT != S_IFDIR else { return nil }
    guard file.st_mode & S_IFMT != S_IFREG || linkLeadsIntoProc(path) else { return nil }
    for descriptor in [STDOUT_FILENO, STDERR_FILENO] {
        var stream = stat()
        if fstat(descriptor, &stream) == 0, stream.st_dev == file.st_dev, stream.st_ino == file.st_ino { return descriptor }
    }
    return nil
}

/// Writes `data` to `path` in place with POSIX calls. Foundation's `Data.write` and
/// `FileManager.createFile` go through a temporary `.dat.nosync…` file of their own, which a
/// killed process leaves behind next to ours.
/// - Throws: `CoreError.writeFailed` naming `reportedAs` (the final destination).
public func writeFile(_ data: Data, to path: String, reportedAs name: String? = nil) throws {
    try writeFile(data, to: path, flags: O_TRUNC, reportedAs: name)
}

/// Appends `data` to `path` (created if missing) with POSIX calls, for logs written line by line.
/// - Throws: `CoreError.writeFailed` naming `path` (a full disk, a read-only file system…).
public func appendToFile(_ data: Data, at path: String) throws {
    try writeFile(data, to: path, flags: O_APPEND, reportedAs: nil)
}

private func writeFile(_ data: Data, to path: String, flags: Int32, reportedAs name: String?) throws {
    let fd = open(path, O_WRONLY | O_CREAT | flags, 0o644)
    guard fd >= 0 else {
        throw CoreError.writeFailed(path: name ?? path, reason: String(cString: strerror(errno)))
    }
    var failure = writeAll(data, to: fd)
    if close(fd) != 0, failure == nil { failure = String(cString: strerror(errno)) }
    if let failure { throw CoreError.writeFailed(path: name ?? path, reason: failure) }
}

/// Writes all of `data` to `fd`; the reason in words when a write fails.
private func writeAll(_ data: Data, to fd: Int32) -> String? {
    var failure: String?
    data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                failure = String(cString: strerror(errno)); return
            }
            offset += n
        }
    }
    return failure
}

/// Makes the folder `path` and any missing parents; an existing folder is fine.
/// - Throws: `CoreError.writeFailed` naming `path`: "a folder cannot be made there" and the reason
///   in words (`fileErrorReason`), e.g. "afile is a file, not a directory".
public func createFolder(_ path: String) throws {
    do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
        throw CoreError.writeFailed(path: path, reason: "a folder cannot be made there (\(fileErrorReason(error, path: path)))")
    }
}

/// Why a file operation on `path` failed, in words: Foundation on Linux describes most of its
/// file errors only as "(NSCocoaErrorDomain error 512.)".
public func fileErrorReason(_ error: Error, path: String) -> String {
    let manager = FileManager.default
    var isDirectory: ObjCBool = false
    let parent = parentPath(of: path)
    if let cocoa = error as? CocoaError {
        switch cocoa.code {
        case .fileWriteFileExists: return "a file of that name exists"
        case .fileNoSuchFile, .fileReadNoSuchFile: return "no such file or directory"
        case .fileWriteNoPermission, .fileReadNoPermission: return "permission denied"
        case .fileWriteOutOfSpace: return "no space left on the device"
        case .fileWriteVolumeReadOnly: return "read-only file system"
        default: break
        }
    }
    // Otherwise the likeliest causes, checked on the file system.
    if !parent.isEmpty {
        if !manager.fileExists(atPath: parent, isDirectory: &isDirectory) { return "its directory \(parent) does not exist" }
        if !isDirectory.boolValue { return "\(parent) is a file, not a directory" }
        if !manager.isWritableFile(atPath: parent) { return "the directory \(parent) is not writable" }
    }
    return (error as? LocalizedError)?.errorDescription ?? String(describing: error)
}
