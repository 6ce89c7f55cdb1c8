import Foundation

/// A method as the user writes it: `name` or `name:key=value,key=value`
/// (`wiener:nsr=auto`, `rl:iterations=30,boundary=masked`, `cnn:model=refiner.dbk`).
///
/// The spec only carries text; turning it into a `Restorer` is the caller's job (the CLI
/// maps `blurred`, the classical names and `cnn` to their modules), so Evaluation stays
/// independent of the method implementations.
public struct MethodSpec: Sendable, Hashable, Codable, CustomStringConvertible {
    /// One `key=value` pair, in the order written.
    public struct Parameter: Sendable, Hashable, Codable {
        public var key: String
        public var value: String
        public init(key: String, value: String) { self.key = key; self.value = value }
    }

    /// The method's name, e.g. `rl`.
    public var name: String
    /// The parameters in the order written.
    public var parameters: [Parameter]

    public init(name: String, parameters: [Parameter] = []) {
        self.name = name
        self.parameters = parameters
    }

    /// The parameters as a dictionary, for `ClassicalMethods.make(_:parameters:)`.
    public var parameterDictionary: [String: String] {
        Dictionary(parameters.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    /// The value of `key`, if set.
    public subscript(key: String) -> String? { parameters.first { $0.key == key }?.value }

    /// A copy with `key` set to `value` (replacing it in place, or appended).
    public func setting(_ key: String, to value: String) -> MethodSpec {
        var copy = self
        if let i = copy.parameters.firstIndex(where: { $0.key == key }) { copy.parameters[i].value = value }
        else { copy.parameters.append(Parameter(key: key, value: value)) }
        return copy
    }

    /// The spec as written: `name` or `name:key=value,...` (the column label in reports).
    public var description: String {
        parameters.isEmpty ? name : name + ":" + parameters.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// Parses one spec, `name[:key=value[,key=value…]]`.
    /// - Throws: `EvaluationError.invalidMethodSpec` for an empty name, a parameter without
    ///   `=`, an empty key or value, or a key given twice.
    public static func parse(_ text: String) throws -> MethodSpec {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0]).trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw EvaluationError.invalidMethodSpec(spec: text, reason: "expected a method name of letters, digits, '-' or '_' before ':'")
        }
        var spec = MethodSpec(name: name)
        if parts.count == 2 {
            for item in parts[1].split(separator: ",", omittingEmptySubsequences: false) {
                try spec.append(parameter: String(item), in: text)
            }
            if spec.parameters.isEmpty {
                throw EvaluationError.invalidMethodSpec(spec: text, reason: "expected key=value after ':'")
            }
        }
        return spec
    }

    /// Parses a comma-separated list: `blurred,wiener:nsr=auto,rl:iterations=30,boundary=masked`.
    /// An entry `key=value` with no `:` continues the previous method's parameters, so commas
    /// serve both levels as users naturally write them.
    /// - Throws: `EvaluationError.invalidMethodSpec` (also for a list that names the same
    ///   spec twice, which would make two identical report columns).
    public static func parseList(_ text: String) throws -> [MethodSpec] {
        var specs = [MethodSpec]()
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {
            let entry = raw.trimmingCharacters(in: .whitespaces)
            guard !entry.isEmpty else {
                throw EvaluationError.invalidMethodSpec(spec: text, reason: "empty entry in the method list")
            }
            if !entry.contains(":") && entry.contains("=") {
                guard !specs.isEmpty else {
                    throw EvaluationError.invalidMethodSpec(spec: entry, reason: "a parameter needs a method before it (name:key=value)")
                }
                try specs[specs.count - 1].append(parameter: entry, in: text)
            } else {
                specs.append(try parse(entry))
            }
        }
        guard !specs.isEmpty else { throw EvaluationError.invalidMethodSpec(spec: text, reason: "no methods given") }
        var seen = Set<String>()
        for spec in specs where !seen.insert(spec.description).inserted {
            throw EvaluationError.invalidMethodSpec(spec: spec.description, reason: "listed twice")
        }
        return specs
    }

    private mutating func append(parameter: String, in text: String) throws {
        let pair = parameter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard pair.count == 2 else {
            throw EvaluationError.invalidMethodSpec(spec: text, reason: "parameter '\(parameter)' is not key=value")
        }
        let key = pair[0].trimmingCharacters(in: .whitespaces), value = pair[1].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, !value.isEmpty else {
            throw EvaluationError.invalidMethodSpec(spec: text, reason: "parameter '\(parameter)' needs a non-empty key and value")
        }
        guard self[key] == nil else {
            throw EvaluationError.invalidMethodSpec(spec: text, reason: "parameter '\(key)' given twice")
        }
        parameters.append(Parameter(key: key, value: value))
    }
}

