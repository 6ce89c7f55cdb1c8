import DeblurCore

/// The classical methods by name, for the CLI and the comparison runner. Every method's
/// default boundary is `masked` (the exact model of `valid`-protocol data).
///
/// | name | type | keys (besides `boundary=circular|reflect|taper|masked`) |
/// | --- | --- | --- |
/// | `wiener` | `Wiener` | `nsr=<x>|auto`, `noise-sigma=<σ>`, `iterations` (CG steps of `masked`, 30; refused with another boundary) |
/// | `tikhonov` | `Tikhonov` | `lambda=<λ>`, `regularizer=laplacian|gradient|identity`, `iterations` (as wiener's) |
/// | `rl` | `RichardsonLucy` | `iterations`, `acceleration=true|false`, `damping`, `init=observed|constant`, `clip`, `tolerance` |
/// | `rl-tv` | `RLTV` | `iterations`, `lambda`, `init`, `clip`, `tolerance` |
/// | `hyper-laplacian` | `HyperLaplacian` | `alpha=2/3|1|<x>`, `lambda=<λ>|auto`, `beta-max`, `inner-iterations` |
public enum ClassicalMethods {
    /// The most iterations (RL and RL-TV steps, masked CG steps, hyper-Laplacian inner
    /// iterations) a method accepts: 2^31 ran for days, and 2^63 overflowed the CLI's progress
    /// count and trapped. 100 000 RL iterations take 7 s on a 32² image.
    public static let maximumIterations = 100_000

    /// `wiener`, `tikhonov`, `rl`, `rl-tv`, `hyper-laplacian`.
    public static let names: [String] = ["wiener", "tikhonov", "rl", "rl-tv", "hyper-laplacian"]

    /// The keys each method accepts.
    public static let keys: [String: [String]] = [
        "wiener": ["nsr", "noise-sigma", "boundary", "iterations"],
        "tikhonov": ["lambda", "regularizer", "boundary", "iterations"],
        "rl": ["iterations", "acceleration", "damping", "init", "clip", "tolerance", "boundary"],
        "rl-tv": ["iterations", "lambda", "init", "clip", "tolerance", "boundary"],
        "hyper-laplacian": ["alpha", "lambda", "beta-max", "inner-iterations", "boundary"],
    ]

    /// Every key's default, as `make` applies it (`hyper-laplacian`'s `inner-iterations`
    /// depends on the boundary and `lambda=auto` on the image, so they stay symbolic).
    public static let defaults: [String: [String: String]] = [
        "wiener": ["nsr": "0.01", "boundary": "masked", "iterations": "30"],
        "tikhonov": ["lambda": "0.002", "regularizer": "laplacian", "boundary": "masked", "iterations": "30"],
        "rl": ["iterations": "30", "acceleration": "false", "damping": "0", "init": "observed", "clip": "false",
               "tolerance": "0", "boundary": "masked"],
        "rl-tv": ["iterations": "30", "lambda": "0.002", "init": "observed", "clip": "false", "tolerance": "0", "boundary": "masked"],
        "hyper-laplacian": ["alpha": "2/3", "lambda": "auto", "beta-max": "256", "boundary": "masked"],
    ]

    /// `parameters` completed with the defaults of every unset key, so that a record of them
    /// (a model file's base method) keeps meaning the same method if a default changes later.
    /// - Throws: as `make`, for an unknown method, key or value.
    public static func resolvedParameters(_ name: String, parameters: [String: String]) throws -> [String: String] {
        _ = try make(name, parameters: parameters)
        let parameters = ParameterKeys.canonical(parameters, known: keys[name] ?? []).parameters
        var resolved = defaults[name] ?? [:]
        if name == "wiener" && parameters["noise-sigma"] != nil { resolved["nsr"] = nil }
        for (key, value) in parameters { resolved[key] = value }
        // The CG steps' default belongs to the masked boundary only: recorded beside another,
        // the record would be refused when read back.
        return withoutUnusedKeys(name, parameters: resolved)
    }

    /// `parameters` less the keys the other keys make useless, which `make` refuses: wiener's
    /// and tikhonov's `iterations` beside a boundary other than `masked`. Model headers written
    /// before 2026-11-27 recorded the default steps there (`resolvedParameters` did), and are
    /// read through this.
    public static func withoutUnusedKeys(_ name: String, parameters: [String: String]) -> [String: String] {
        guard usesIterationsOnlyWhenMasked(name), let boundary = parameters["boundary"],
              boundary != BoundaryHandling.masked.rawValue else { return parameters }
        return parameters.filter { $0.key != "iterations" }
    }

    /// A method from its name and `key=value` parameters (`rl` with `["iterations": "30",
    /// "boundary": "masked"]`). Unset keys take the method's defaults. A key may be spelled with
    /// `_` for `-` (`noise_sigma`, as the CNN's keys are).
    /// - Throws: `DeconvolutionError.invalidParameter` naming an unknown method, key (or one given
    ///   in both spellings) or a bad value.
    public static func make(_ name: String, parameters: [String: String] = [:]) throws -> any Restorer {
        // Values are checked now, not at the first image: compare refuses a bad spec up front.
        let method = try build(name, parameters: parameters)
        try method.checkSettings()
        return method
    }

    private static func build(_ name: String, parameters: [String: String]) throws -> any Restorer {
        guard let allowed = keys[name] else {
            throw DeconvolutionError.invalidParameter(name: "method", value: name, expected: "one of \(names.joined(separator: ", "))")
        }
        let (parameters, repeated) = ParameterKeys.canonical(parameters, known: allowed)
        if let repeated {
            throw DeconvolutionError.invalidParameter(name: "\(name) parameter", value: repeated, expected: "one value: it is given as both \(repeated) and \(repeated.replacingOccurrences(of: "-", with: "_"))")
        }
        for key in parameters.keys.sorted() where !allowed.contains(key) {
            throw DeconvolutionError.invalidParameter(name: "\(name) parameter", value: key, expected: "one of \(allowed.joined(separator: ", "))")
        }
        let p = Parameters(values: parameters)
        // Wiener and Tikhonov count CG steps only in the masked solve; the other boundaries are
        // one-shot filters, where `iterations=` was accepted and silently did nothing.
        if usesIterationsOnlyWhenMasked(name), parameters["iterations"] != nil {
            let boundary = try p.choice("boundary", default: BoundaryHandling.masked)
            guard boundary == .masked else {
                throw DeconvolutionError.invalidParameter(
                    name: "\(name) parameter", value: "iterations",
                    expected: "it only with boundary=masked (the CG steps of its solve; boundary=\(boundary.rawValue) is a one-shot filter)")
            }
        }
        switch name {
        case "wiener":
            let boundary = try p.choice("boundary", default: BoundaryHandling.masked)
            let iterations = try p.int("iterations") ?? 30
            if let sigma = try p.float("noise-sigma") {
                guard parameters["nsr"] == nil else {
                    throw DeconvolutionError.invalidParameter(name: "wiener parameters", value: "nsr and noise-sigma", expected: "only one of them")
                }
                return Wiener(noiseToSignal: .noiseSigma(sigma), boundary: boundary, iterations: iterations)
            }
            if parameters["nsr"] == "auto" { return Wiener(noiseToSignal: .automatic, boundary: boundary, iterations: iterations) }
            return Wiener(nsr: try p.float("nsr") ?? 0.01, boundary: boundary, iterations: iterations)
        case "tikhonov":
            return Tikhonov(lambda: try p.float("lambda") ?? 0.002,
                            regularizer: try p.choice("regularizer", default: Tikhonov.Regularizer.laplacian),
                            boundary: try p.choice("boundary", default: BoundaryHandling.masked),
                            iterations: try p.int("iterations") ?? 30)
        case "rl":
            return RichardsonLucy(iterations: try p.int("iterations") ?? 30, acceleration: try p.bool("acceleration") ?? false,
                                  damping: try p.float("damping") ?? 0,
                                  boundary: try p.choice("boundary", default: BoundaryHandling.masked),
                                  initialization: try p.choice("init", default: RichardsonLucy.Initialization.observed),
                                  clip: try p.bool("clip") ?? false, tolerance: Double(try p.float("tolerance") ?? 0))
        case "rl-tv":
            return RLTV(iterations: try p.int("iterations") ?? 30, lambda: try p.float("lambda") ?? 0.002,
                        boundary: try p.choice("boundary", default: BoundaryHandling.masked),
                        initialization: try p.choice("init", default: RichardsonLucy.Initialization.observed),
                        clip: try p.bool("clip") ?? false, tolerance: Double(try p.float("tolerance") ?? 0))
        default:
            var alpha: Float = 2.0 / 3.0
            if let text = parameters["alpha"], text != "2/3" {
                guard let value = Float(text) else {
                    throw DeconvolutionError.invalidParameter(name: "alpha", value: text, expected: "2/3, 1 or a number in (0, 1]")
                }
                alpha = value
            }
            let lambda = parameters["lambda"] == "auto" ? nil : try p.float("lambda")
            return HyperLaplacian(alpha: alpha, lambda: lambda, betaMax: try p.float("beta-max") ?? 256,
                                  innerIterations: try p.int("inner-iterations"),
                                  boundary: try p.choice("boundary", default: BoundaryHandling.masked))
        }
    }

    /// Whether `iterations` counts the CG steps of the `masked` boundary alone (Wiener, Tikhonov).
    static func usesIterationsOnlyWhenMasked(_ name: String) -> Bool { name == "wiener" || name == "tikhonov" }

    /// A method from a spec `name[:key=value,key=value…]` (`rl:iterations=30,boundary=masked`).
    /// - Throws: `DeconvolutionError.invalidParameter` for a malformed pair or as `make`.
    public static func make(spec: String) throws -> any Restorer {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        guard let name = parts.first, !name.isEmpty else {
            throw DeconvolutionError.invalidParameter(name: "method spec", value: spec, expected: "name[:key=value,...]")
        }
        var parameters = [String: String]()
        if parts.count == 2 {
            for pair in parts[1].split(separator: ",") {
                let kv = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard kv.count == 2, !kv[0].isEmpty else {
                    throw DeconvolutionError.invalidParameter(name: "method spec", value: String(pair), expected: "key=value in \(spec)")
                }
                guard parameters.updateValue(kv[1], forKey: kv[0]) == nil else {
                    throw DeconvolutionError.invalidParameter(name: "method spec", value: kv[0], expected: "each key once in \(spec)")
                }
            }
        }
        return try make(name, parameters: parameters)
    }

    /// The method's free parameter and the candidate values `compare --tune` searches, or nil.
    public static func tuningGrid(_ name: String) -> (parameter: String, values: [String])? {
        switch name {
        // Wide enough that tuned values land inside the grid on 0.5–3 % noise (a flat NSR of
        // 0.1–0.3, a Tikhonov λ of 0.1 and 1–5 RL iterations are common there): an edge value would undersell a method.
        case "wiener": return ("nsr", ["0.0001", "0.0003", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1"])
        case "tikhonov": return ("lambda", ["0.0001", "0.0003", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3", "1"])
        case "rl": return ("iterations", ["1", "2", "3", "5", "10", "20", "30", "50", "100", "200"])
        case "rl-tv": return ("lambda", ["0.0005", "0.001", "0.002", "0.005", "0.01", "0.02", "0.05", "0.1"])
        case "hyper-laplacian": return ("lambda", ["100", "300", "1000", "3000", "10000", "30000", "100000"])
        default: return nil
        }
    }
}

/// Typed access to `key=value` strings, each failure naming the key and what was expected.
private struct Parameters {
    let values: [String: String]

    func float(_ key: String) throws -> Float? {
        guard let text = values[key] else { return nil }
        // A value that rounds to 0 or a subnormal in single precision is refused too: nsr=1e-320
        // became 0 and was refused as "invalid regularization 0", naming neither key nor value.
        guard let v = Float(text), v.isFinite, v.isNormal || Double(text) == 0 else {
            throw DeconvolutionError.invalidParameter(name: key, value: text, expected: "a finite number within single precision (0, or 1.2e-38 ≤ |x| < 3.4e38)")
        }
        return v
    }

    func int(_ key: String) throws -> Int? {
        guard let text = values[key] else { return nil }
        guard let v = Int(text) else { throw DeconvolutionError.invalidParameter(name: key, value: text, expected: "an integer") }
        return v
    }

    func bool(_ key: String) throws -> Bool? {
        guard let text = values[key] else { return nil }
        switch text.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw DeconvolutionError.invalidParameter(name: key, value: text, expected: "true or false")
        }
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, default value: T) throws -> T where T.RawValue == String {
        guard let text = values[key] else { return value }
        guard let v = T(rawValue: text) else {
            throw DeconvolutionError.invalidParameter(name: key, value: text, expected: "one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return v
    }
}

import Foundation
