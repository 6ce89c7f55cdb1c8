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
