import DeblurCore

// API CONTRACT (stub): the CNN helper replaces this body.

/// The CNN refiner as a `Restorer`, for `compare --methods cnn:model=FILE`.
public enum RefinerMethod {
    /// `parameters["model"]` is a model file path; absent means the shipped default model.
    public static func make(parameters: [String: String] = [:]) throws -> any Restorer {
        throw CoreError.invalidValue(name: "method", value: "cnn", expected: "a trained model (not implemented yet)")
    }
}
