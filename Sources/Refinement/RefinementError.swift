/// Errors of the Refinement module: bad settings, model files and training data.
public enum RefinementError: Error, CustomStringConvertible, Equatable {
    /// A setting (flag, header field) outside its domain.
    case invalidSetting(name: String, value: String, expected: String)
    /// A model or checkpoint file that cannot be used; `reason` says why.
    case invalidModelFile(path: String, reason: String)
    /// Training or inference data that does not fit (sizes, channels, missing files).
    case invalidData(String)

    public var description: String {
        switch self {
        case let .invalidSetting(name, value, expected): return "invalid \(name) '\(value)': expected \(expected)"
        case let .invalidModelFile(path, reason): return "invalid model file \(path): \(reason)"
        case let .invalidData(message): return message
        }
    }
}
