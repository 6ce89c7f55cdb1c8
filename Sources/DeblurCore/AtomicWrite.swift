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
            throw CoreError.writeFailed(path: path, reason: error.localizedDescription)
        }
    }
}
