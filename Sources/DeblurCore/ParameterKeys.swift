/// Method parameter keys spelled either way.
///
/// The classical methods' keys are kebab-case (`noise-sigma`, `beta-max`) and the CNN's
/// snake-case (`noise_sigma`, `sigma_start`), for historical reasons that recorded model
/// headers and reports now carry. A user should not have to remember which: a key that differs
/// from a known one only by `-` against `_` means that one.
public enum ParameterKeys {
    /// `parameters` with every key respelled as the `known` key it matches up to `-`/`_`;
    /// unknown keys stay as they are, for the caller to refuse. `repeated` names a known key
    /// given in both spellings (the values would compete), or nil.
    public static func canonical(_ parameters: [String: String], known: some Sequence<String>) -> (parameters: [String: String], repeated: String?) {
        var byLoose: [String: String] = [:]
        for key in known { byLoose[loose(key)] = key }
        var result: [String: String] = [:]
        var repeated: String?
        for key in parameters.keys.sorted() {
            let name = byLoose[loose(key)] ?? key
            if result[name] != nil { repeated = repeated ?? name }
            result[name] = parameters[key]
        }
        return (result, repeated)
    }

    private static func loose(_ key: String) -> String { key.replacingOccurrences(of: "-", with: "_") }
}
