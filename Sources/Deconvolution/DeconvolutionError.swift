/// Errors of the Deconvolution module: bad parameters or data from flags and files.
public enum DeconvolutionError: Error, CustomStringConvertible, Equatable {
    /// A parameter outside its domain: `name` was `value`, expected `expected`.
    case invalidParameter(name: String, value: String, expected: String)
    /// Input data the method cannot work on (NaN pixels, a PSF larger than the image, ...).
    case invalidInput(String)

    public var description: String {
        switch self {
        case let .invalidParameter(name, value, expected): return "invalid \(name) \(value): expected \(expected)"
        case let .invalidInput(message): return message
        }
    }
}
