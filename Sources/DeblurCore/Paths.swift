import Foundation

/// The folder part of `path`, as `NSString.deletingLastPathComponent` gives it: `""` for a bare
/// name, `"/"` for a name in the root, trailing and repeated separators dropped
/// (`"a//b/"` → `"a"`). swift-corelibs-foundation's own version traps on a one-character path
/// (`"x"`, `"-"`, `"x/"`), so every output named by one character crashed the command.
public func parentPath(of path: String) -> String {
    var end = path.endIndex
    while end > path.startIndex, path[path.index(before: end)] == "/" { end = path.index(before: end) }
    if end == path.startIndex { return path.isEmpty ? "" : "/" }
    guard let slash = path[..<end].lastIndex(of: "/") else { return "" }
    var parentEnd = slash
    while parentEnd > path.startIndex, path[path.index(before: parentEnd)] == "/" { parentEnd = path.index(before: parentEnd) }
    return parentEnd == path.startIndex ? "/" : String(path[..<parentEnd])
}

/// The device and inode of an existing file or folder (one key for every name it has, links
/// followed); nil when nothing is there. Two paths name the same file exactly when their keys
/// are equal, however they are spelled (`a//b/`, `./a/b`, a link).
public func existingFileIdentity(_ path: String) -> String? {
    var s = stat()
    return stat(path, &s) == 0 ? "\(s.st_dev):\(s.st_ino)" : nil
}

/// What `path` is when it is a pipe or a socket ("a pipe", "a socket"), found without opening it;
/// nil for a regular file, a device, a directory or a missing path. Readers that open a file
/// twice (its magic first, then the decoder) or seek in it cannot read a pipe: the second open
/// of a named pipe waits for a new writer forever, and a shell's `<(…)` loses the bytes read first.
public func streamKind(of path: String) -> String? {
    var status = stat()
    guard stat(path, &status) == 0 else { return nil }
    switch status.st_mode & S_IFMT {
    case S_IFIFO: return "a pipe"
    case S_IFSOCK: return "a socket"
    default: return nil
    }
}

/// The system's words for `errno` value `code`, first letter lowered to follow a colon or open
/// a parenthesis ("no such file or directory", "permission denied").
public func systemErrorReason(_ code: Int32) -> String {
    let reason = String(cString: strerror(code))
    return reason.prefix(1).lowercased() + reason.dropFirst()
}

/// The whole contents of `path`, opened once and read to its end: a file, or everything written
/// into a pipe (a shell's `<(…)`, a named pipe) until its writer closes it. A pipe gives its bytes
/// only once, so a reader that needs them twice (a file's magic, then its decoder) takes them from here.
/// - Throws: `CoreError.readFailed` naming `path`, with the system's reason ("no such file or
///   directory", "is a directory", "permission denied"), or "a socket, not a file".
public func readWhole(_ path: String) throws -> Data {
    func failure(_ code: Int32) -> CoreError { .readFailed(path: path, reason: systemErrorReason(code)) }
    // Opening a socket fails as "no such device or address".
    if streamKind(of: path) == "a socket" { throw CoreError.readFailed(path: path, reason: "a socket, not a file") }
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw failure(errno) }
    defer { close(descriptor) }
    var data = Data()
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count > 0 { data.append(chunk, count: count) }
        else if count == 0 { return data }
        else if errno != EINTR { throw failure(errno) }
    }
}
