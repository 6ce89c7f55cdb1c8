import Foundation

/// Writes a file so that readers never see a partial one: `body` writes to a temporary
/// file beside `path`, which is renamed over `path` only when `body` returns normally.
/// On a thrown error the temporary file is removed and `path` is untouched.
public func writeAtomically(to path: String, _ body: (_ temporaryPath: String) throws -> Void) throws {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent().path
    let temporary = directory + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    do {
        try body(temporary)
    } catch {
        try? FileManager.default.removeItem(atPath: temporary)
        throw error
    }
    if rename(temporary, path) != 0 {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(atPath: temporary)
        throw CoreError.writeFailed(path: path, reason: reason)
    }
}

/// Writes `data` to `path` atomically (temporary file, then rename).
public func writeAtomically(_ data: Data, to path: String) throws {
    try writeAtomically(to: path) { temporary in
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
        } catch {
            throw CoreError.writeFailed(path: path, reason: fileErrorReason(error, path: path))
        }
    }
}

/// Why a file operation on `path` failed, in words: Foundation on Linux describes most of its
/// file errors only as "(NSCocoaErrorDomain error 512.)".
public func fileErrorReason(_ error: Error, path: String) -> String {
    let manager = FileManager.default
    var isDirectory: ObjCBool = false
    let parent = (path as NSString).deletingLastPathComponent
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
