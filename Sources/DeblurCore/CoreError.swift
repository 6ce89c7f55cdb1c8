/// Errors of DeblurCore: bad values that come from files, flags or data.
public enum CoreError: Error, CustomStringConvertible, Equatable {
    /// A PSF that breaks the conventions (odd size, non-negative, finite, positive sum).
    case invalidPSF(source: String, reason: String)
    /// A parameter outside its domain: `name` was `value`, expected `expected`.
    case invalidValue(name: String, value: String, expected: String)
    /// Two images whose sizes must agree do not.
    case sizeMismatch(String)
    /// A file could not be written or renamed into place.
    case writeFailed(path: String, reason: String)
    /// A file or pipe could not be read (`readWhole`); `reason` is the system's, in lower case.
    case readFailed(path: String, reason: String)
    /// A resource folder of the package (the kernel bank, the shipped model) is not where the
    /// executable can find it; `searched` lists the places looked in.
    case missingResource(name: String, searched: [String])
    /// Another run holds `lock`, the lock on `output` and the files written with it;
    /// `holder` names it ("process 4242 on node7"), or is empty when it could not be read.
    case outputInUse(output: String, lock: String, holder: String)

    public var description: String {
        switch self {
        case let .invalidPSF(source, reason): return "invalid PSF \(source): it \(reason)"
        case let .invalidValue(name, value, expected): return "invalid \(name) \(value): expected \(expected)"
        case let .sizeMismatch(message): return message
        case let .writeFailed(path, reason): return "cannot write \(path): \(reason)"
        case let .readFailed(path, reason): return "cannot read \(path): \(reason)"
        case let .missingResource(name, searched):
            return "cannot find the resource folder \(name) (looked in \(searched.joined(separator: ", "))): "
                + "keep the .resources folders of the build beside the executable, install with `make install PREFIX=…`, "
                + "or set \(ResourceFolders.environmentVariable) to the folder that holds them"
        case let .outputInUse(output, lock, holder):
            return "\(output) is being written by another run (\(holder.isEmpty ? "" : holder + ", ")holding \(lock)): "
                + "wait for it to end, or write elsewhere"
        }
    }
}
