import DeblurCore

/// Errors of the Evaluation module: inputs a file, a flag or a dataset can make wrong.
public enum EvaluationError: Error, CustomStringConvertible, Equatable {
    /// Two images that must have the same geometry do not (`what` names them).
    case sizeMismatch(what: String, expected: String, actual: String)
    /// An image too small for the requested window or border crop.
    case imageTooSmall(what: String, size: String, needed: String)
    /// A setting outside its domain: `name` was `value`, expected `expected`.
    case invalidValue(name: String, value: String, expected: String)
    /// A method specification that does not parse (`name:key=value,...`).
    case invalidMethodSpec(spec: String, reason: String)
    /// The dataset gave nothing to score (e.g. every item went to the validation split).
    case noItems(reason: String)

    public var description: String {
        switch self {
        case let .sizeMismatch(what, expected, actual):
            return "size mismatch for \(what): expected \(expected), got \(actual)"
        case let .imageTooSmall(what, size, needed):
            return "\(what) is \(size), too small: needs at least \(needed)"
        case let .invalidValue(name, value, expected):
            return "invalid \(name) \(value): expected \(expected)"
        case let .invalidMethodSpec(spec, reason):
            return "invalid method '\(spec)': \(reason)"
        case let .noItems(reason):
            return "nothing to evaluate: \(reason)"
        }
    }
}

/// The geometry of an image as `channels×height×width`, for error messages.
func geometry(_ image: Image) -> String { "\(image.channels)×\(image.height)×\(image.width)" }
