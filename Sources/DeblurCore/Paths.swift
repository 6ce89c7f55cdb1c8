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
