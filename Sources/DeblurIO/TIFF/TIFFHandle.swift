internal import CTIFF
import DeblurCore
import Foundation

/// Messages libtiff reported on one handle, collected instead of printed.
final class TIFFMessages {
    private(set) var errors: [String] = []
    private(set) var warnings: [String] = []
    /// Warnings since the last `takeWarnings()`: the reader asks after each strip or tile.
    private var recentWarnings: [String] = []

    /// The temporary file's path and the path users know it by, swapped in messages.
    var alias: (temporary: String, shown: String)?

    func add(_ text: String, isError: Bool) {
        var text = text
        if let alias { text = text.replacingOccurrences(of: alias.temporary, with: alias.shown) }
        // A damaged file can make libtiff warn once per strip: keep the first few.
        if isError { if errors.count < 4 { errors.append(text) } } else {
            if warnings.count < 4 { warnings.append(text) }
            if recentWarnings.count < 4 { recentWarnings.append(text) }
        }
    }

    /// The warnings reported since the previous call, then forgets them.
    func takeWarnings() -> [String] {
        defer { recentWarnings = [] }
        return recentWarnings
    }

    /// "libtiff: <errors>" (or the warnings when there are no errors), for error messages.
    var summary: String? {
        let lines = errors.isEmpty ? warnings : errors
        return lines.isEmpty ? nil : "libtiff: " + lines.joined(separator: "; ")
    }
}

/// An open libtiff handle whose errors and warnings go to a `TIFFMessages` (libtiff 4.5's
/// per-handle handlers), closed on deinit. Variadic `TIFFGetField`/`TIFFSetField` are reached
/// through `TIFFVGetField`/`TIFFVSetField` and `withVaList`.
final class TIFFHandle {
    let tiff: OpaquePointer
    let path: String
    let messages: TIFFMessages
    private var closed = false

    /// Silences libtiff's process-wide handlers, which would print to stderr; every handle
    /// installs its own. Only DeblurIO uses libtiff, so nobody else relies on them.
    private static let silenceGlobalHandlers: Void = {
        TIFFSetErrorHandler(nil)
        TIFFSetWarningHandler(nil)
    }()

    private init(tiff: OpaquePointer, path: String, messages: TIFFMessages) {
        self.tiff = tiff; self.path = path; self.messages = messages
    }

    /// Opens `path` with `mode` ("r", "w"). Failures throw `IOError.cannotOpen`/`.corrupt`.
    static func open(_ path: String, mode: String, reportedPath: String? = nil) throws -> TIFFHandle {
        _ = silenceGlobalHandlers
        let shownPath = reportedPath ?? path
        let messages = TIFFMessages()
        if shownPath != path { messages.alias = (path, shownPath) }
        let context = Unmanaged.passUnretained(messages).toOpaque()
        guard let options = TIFFOpenOptionsAlloc() else {
            throw IOError.cannotOpen(path: shownPath, reason: "libtiff could not allocate its options")
        }
        defer { TIFFOpenOptionsFree(options) }
        TIFFOpenOptionsSetErrorHandlerExtR(options, { _, context, module, format, arguments in
            TIFFHandle.record(context, module, format, arguments, isError: true)
        }, context)
        TIFFOpenOptionsSetWarningHandlerExtR(options, { _, context, module, format, arguments in
            TIFFHandle.record(context, module, format, arguments, isError: false)
        }, context)
        // Bounds libtiff's own buffers (strip/tile decoders) for hostile headers.
        TIFFOpenOptionsSetMaxSingleMemAlloc(options, tmsize_t(max(1 << 30, ImageIO.maximumPixels * 16)))
        // "m": no memory map for reading. libtiff maps the whole file and copies each strip out
        // of the map, so the file's pages stayed resident beside the decoded image until the
        // handle closed (`deblur info` of a 4096² RGB float TIFF peaked at twice its size).
        guard let tiff = TIFFOpenExt(path, mode == "r" ? "rm" : mode, options) else {
            let reason = messages.summary ?? "libtiff could not open it"
            if mode == "r" && !FileManager.default.isReadableFile(atPath: path) {
                throw IOError.cannotOpen(path: shownPath, reason: reason)
            }
            if mode == "r" { throw IOError.corrupt(path: shownPath, reason: reason) }
            throw IOError.writeFailed(path: shownPath, reason: reason)
        }
        return TIFFHandle(tiff: tiff, path: shownPath, messages: messages)
    }

    private static func record(_ context: UnsafeMutableRawPointer?, _ module: UnsafePointer<CChar>?,
                               _ format: UnsafePointer<CChar>?, _ arguments: CVaListPointer?, isError: Bool) -> Int32 {
        // libtiff reports a failed write() as "Write error at scanline 0" without its cause: the
        // cause is still in errno when the handler is called, before anything else runs.
        let cause = errno
        guard let context, let format, let arguments else { return 1 }
        var buffer = [CChar](repeating: 0, count: 512)
        _ = vsnprintf(&buffer, buffer.count, format, arguments)
        var text = String(cString: buffer)
        if let module, module.pointee != 0 { text = String(cString: module) + ": " + text }
        if isError, [ENOSPC, EDQUOT, EFBIG, EIO].contains(cause) { text += " (\(String(cString: strerror(cause))))" }
        Unmanaged<TIFFMessages>.fromOpaque(context).takeUnretainedValue().add(text, isError: isError)
        return 1  // handled: libtiff must not call the global handler as well
    }

    /// Closes the file; for writers this flushes, so its errors matter.
    func close() throws {
        guard !closed else { return }
        closed = true
        TIFFClose(tiff)
        if !messages.errors.isEmpty { throw IOError.writeFailed(path: path, reason: messages.summary ?? "") }
    }

    deinit { if !closed { TIFFClose(tiff) } }

    /// A tag's value (`TIFFGetField`), or nil when absent; `defaulted` applies the TIFF defaults.
    func get<T: FixedWidthInteger>(_ tag: Int32, as _: T.Type = T.self, defaulted: Bool = true) -> T? {
        var value: T = 0
        let found = withUnsafeMutablePointer(to: &value) { pointer in
            withVaList([pointer]) { arguments in
                defaulted ? TIFFVGetFieldDefaulted(tiff, UInt32(tag), arguments) : TIFFVGetField(tiff, UInt32(tag), arguments)
            }
        }
        return found == 1 ? value : nil
    }

    /// An ASCII tag's text (`ImageDescription`), or nil when absent.
    func string(_ tag: Int32) -> String? {
        var text: UnsafeMutablePointer<CChar>?
        let found = withUnsafeMutablePointer(to: &text) { pointer in
            withVaList([pointer]) { TIFFVGetField(tiff, UInt32(tag), $0) }
        }
        guard found == 1, let text else { return nil }
        return String(cString: text)
    }

    /// The EXTRASAMPLES tag's list (empty when absent).
    func extraSamples() -> [UInt16] {
        var count: UInt16 = 0
        var list: UnsafeMutablePointer<UInt16>?
        let found = withUnsafeMutablePointer(to: &count) { countPointer in
            withUnsafeMutablePointer(to: &list) { listPointer in
                withVaList([countPointer, listPointer]) { TIFFVGetField(tiff, UInt32(TIFFTAG_EXTRASAMPLES), $0) }
            }
        }
        guard found == 1, let list else { return [] }
        return Array(UnsafeBufferPointer(start: list, count: Int(count)))
    }

    /// The COLORMAP tag's red, green and blue tables of `2^bits` entries each (nil when absent).
    func colormap(bits: Int) -> [[UInt16]]? {
        var red: UnsafeMutablePointer<UInt16>?, green: UnsafeMutablePointer<UInt16>?, blue: UnsafeMutablePointer<UInt16>?
        let found = withUnsafeMutablePointer(to: &red) { r in
            withUnsafeMutablePointer(to: &green) { g in
                withUnsafeMutablePointer(to: &blue) { b in
                    withVaList([r, g, b]) { TIFFVGetField(tiff, UInt32(TIFFTAG_COLORMAP), $0) }
                }
            }
        }
        guard found == 1, let red, let green, let blue else { return nil }
        return [red, green, blue].map { (table: UnsafeMutablePointer<UInt16>) in Array(UnsafeBufferPointer(start: table, count: 1 << bits)) }
    }

    /// Sets an integer tag (`TIFFSetField`); libtiff reads 16- and 32-bit tags as C ints here.
    func set(_ tag: Int32, _ value: Int) throws {
        let ok = withVaList([Int32(truncatingIfNeeded: value)]) { TIFFVSetField(tiff, UInt32(tag), $0) }
        guard ok == 1 else { throw IOError.writeFailed(path: path, reason: messages.summary ?? "cannot set TIFF tag \(tag) to \(value)") }
    }

    /// Sets the EXTRASAMPLES tag.
    func setExtraSamples(_ values: [UInt16]) throws {
        let ok = values.withUnsafeBufferPointer { buffer in
            withVaList([Int32(values.count), buffer.baseAddress!]) { TIFFVSetField(tiff, UInt32(TIFFTAG_EXTRASAMPLES), $0) }
        }
        guard ok == 1 else { throw IOError.writeFailed(path: path, reason: messages.summary ?? "cannot set extra samples") }
    }
}
