import DeblurCore

// API CONTRACT (stub): the classical-methods helper replaces these bodies.

/// The classical methods by name, for the CLI and the comparison runner.
public enum ClassicalMethods {
    /// `wiener`, `tikhonov`, `rl`, `rl-tv`, `hyper-laplacian`.
    public static let names: [String] = ["wiener", "tikhonov", "rl", "rl-tv", "hyper-laplacian"]

    /// A method from its name and `key=value` parameters (`rl` with `["iterations": "30",
    /// "boundary": "masked"]`). Throws `DeconvolutionError.invalidParameter` naming a bad key or value.
    public static func make(_ name: String, parameters: [String: String] = [:]) throws -> any Restorer {
        throw DeconvolutionError.invalidInput("classical method \(name) not implemented yet")
    }

    /// The method's free parameter and the candidate values `compare --tune` searches, or nil.
    public static func tuningGrid(_ name: String) -> (parameter: String, values: [String])? { nil }
}
