/// Errors of the Datasets module: bad settings, unusable source files, dataset directories
/// that do not match. Each names the value or file and what was expected.
public enum DatasetsError: Error, CustomStringConvertible, Equatable {
    /// A setting outside its domain.
    case invalidSetting(name: String, value: String, expected: String)
    /// A source image or kernel file that cannot be used.
    case badSource(path: String, reason: String)
    /// A folder with no usable files.
    case emptyFolder(path: String, expected: String)
    /// The directory holds a dataset generated with other settings.
    case settingsMismatch(path: String, differences: [String])
    /// A file of the dataset could not be read or written.
    case fileError(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidSetting(name, value, expected):
            return "invalid \(name) \(value): expected \(expected)"
        case let .badSource(path, reason):
            return "cannot use \(path): \(reason)"
        case let .emptyFolder(path, expected):
            return "no usable files in \(path): expected \(expected)"
        case let .settingsMismatch(path, differences):
            return "\(path) was generated with different settings (\(differences.joined(separator: "; "))): use another directory, or --force to regenerate it"
        case let .fileError(path, reason):
            return "\(path): \(reason)"
        }
    }
}
