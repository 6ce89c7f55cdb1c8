import DeblurCore
import Deconvolution
import Foundation

/// The CNN refiner as a `Restorer`: the model's classical base method, then the network,
/// channel by channel, in tiles.
///
/// `x̂ = x_base + f_θ(x_base, y, σ)` where `x_base` is the base method's estimate from the
/// blurred image `y`, and `σ` the noise level (given, or estimated from `y` by
/// `estimatePatchNoiseSigma`). Used by `deblur refine` and `compare --methods cnn`.
public struct Refiner: Restorer {
    public let model: RefinerModel
    public let base: any Restorer
    /// Gaussian noise σ on the [0, 1] scale for the noise-level plane; nil estimates it per channel.
    public var noiseSigma: Double?
    public var tiling: TiledInference

    /// - Throws: the base method's construction error (unknown name or parameter).
    public init(model: RefinerModel, noiseSigma: Double? = nil, tiling: TiledInference = TiledInference()) throws {
        guard model.header.resolvedTask == .refine else {
            throw RefinementError.invalidSetting(name: "model task", value: model.header.resolvedTask.rawValue, expected: "refine (a denoiser runs as PlugAndPlayRestorer)")
        }
        self.model = model
        let base = model.header.base
        self.base = try ClassicalMethods.make(base.name, parameters: ClassicalMethods.withoutUnusedKeys(base.name, parameters: base.parameters))
        self.noiseSigma = noiseSigma
        self.tiling = tiling
    }

    /// A refiner over an explicit base restorer (tests, custom pipelines).
    public init(model: RefinerModel, base: any Restorer, noiseSigma: Double? = nil, tiling: TiledInference = TiledInference()) {
        self.model = model; self.base = base; self.noiseSigma = noiseSigma; self.tiling = tiling
    }

    public var name: String { "cnn(\(base.name))" }

    /// Throws `RefinementError.invalidSetting` for a noise level outside [0, 1] (NaN or ∞ gave an
    /// all-NaN image; a negative one ran) or a tiling `TiledInference.checkSettings` refuses.
    public func checkSettings() throws {
        if let noiseSigma, !(0...1).contains(noiseSigma) {
            throw RefinementError.invalidSetting(name: "noise_sigma", value: "\(noiseSigma)", expected: "a number in [0, 1] (the image's scale)")
        }
        try tiling.checkSettings()
    }

    public func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image {
        try checkSettings()
        let workspace = UNetWorkspace()
        return try blurred.mapChannels { channel in
            let estimate = try base.restore(channel, psf: psf)
            guard estimate.height == channel.height && estimate.width == channel.width && estimate.channels == 1 else {
                throw RefinementError.invalidData("base method \(base.name) returned \(estimate.channels)×\(estimate.height)×\(estimate.width) for a \(channel.height)×\(channel.width) image")
            }
            let sigma = noiseSigma ?? estimatePatchNoiseSigma(channel)
            let planes = RefinerInputs.planes(model.network.architecture.inputs, estimate: estimate, blurred: channel, noiseSigma: sigma)
            return tiling.run(model.network, planes: planes, workspace: workspace)
        }
    }
}

/// Building the network's input planes.
public enum RefinerInputs {
    /// The planes in `inputs` order; the noise plane is the constant σ as a 1 × 1 image, which
    /// `TiledInference` broadcasts (a full-size constant plane would only cost memory).
    public static func planes(_ inputs: [RefinerInput], estimate: Image, blurred: Image, noiseSigma: Double) -> [Image] {
        inputs.map { input in
            switch input {
            case .estimate: return estimate
            case .blurred: return blurred
            case .noise: return Image(height: 1, width: 1, value: Float(noiseSigma))
            }
        }
    }
}

/// The CNN refiner by parameters, for `compare --methods cnn:model=FILE` and `deblur refine`.
public enum RefinerMethod {
    /// The shipped default model in the build's `DeblurKit_Refinement.resources` (found by
    /// `ResourceFolders`), or nil when the build ships none.
    /// - Throws: `CoreError.missingResource` when the resource folder itself cannot be found.
    public static var defaultModelPath: String? {
        get throws {
            let root = try ResourceFolders.url(of: "DeblurKit_Refinement.resources")
            // `.copy("Resources")` keeps the folder's name inside the bundle.
            for url in [root.appendingPathComponent("Resources/default.model"), root.appendingPathComponent("default.model")]
            where FileManager.default.fileExists(atPath: url.path) {
                return url.path
            }
            return nil
        }
    }

    /// `parameters["model"]` is a model file path; absent means the shipped default model.
    /// `noise_sigma` fixes the noise level (default: estimated), `tile` the tile side (default
    /// 256; a denoiser runs images up to 512² whole).
    /// A denoiser model (`--task denoise`) runs as `PlugAndPlayRestorer`, which also takes
    /// `iterations`, `sigma_start`, `lambda`, `transforms` (`on`/`off`: cycle the eight
    /// flips and rotations over the steps), `ensemble` (1…8 symmetries averaged at the last step)
    /// `collaborative` (0…iterations: the last steps that filter with BM3D's collaborative
    /// Wiener stage, the network's output as its pilot; default 4) and `collaborative_check`
    /// (`on`/`off`: drop the filter when SURE says the network alone does better; default on).
    /// - Throws: `RefinementError` for a missing or bad model file or parameter.
    public static func make(parameters: [String: String] = [:]) throws -> any Restorer {
        let splitting: Set<String> = ["iterations", "sigma_start", "lambda", "transforms", "ensemble", "collaborative", "collaborative_check"]
        let known = Set(["model", "noise_sigma", "tile"]).union(splitting)
        // `noise-sigma` is also read, as the classical methods spell their keys.
        let (parameters, repeated) = ParameterKeys.canonical(parameters, known: known)
        if let repeated {
            throw RefinementError.invalidSetting(name: "cnn parameter", value: repeated, expected: "one value: it is given as both \(repeated) and \(repeated.replacingOccurrences(of: "_", with: "-"))")
        }
        for key in parameters.keys.sorted() where !known.contains(key) {
            throw RefinementError.invalidSetting(name: "cnn parameter", value: key, expected: "one of \(known.sorted().joined(separator: ", "))")
        }
        guard let path = try parameters["model"] ?? defaultModelPath else {
            throw RefinementError.invalidSetting(name: "cnn model", value: "(default)", expected: "model=FILE: no default model is shipped in this build (train one with deblur train)")
        }
        var sigma: Double?
        if let s = parameters["noise_sigma"] {
            guard let v = Double(s), (0...1).contains(v) else { throw RefinementError.invalidSetting(name: "noise_sigma", value: s, expected: "a number in [0, 1] (the image's scale)") }
            sigma = v
        }
        let model = try ModelFile.read(path).model
        let denoiser = model.header.resolvedTask == .denoise
        var tiling = TiledInference()
        if let t = parameters["tile"] {
            guard let v = Int(t), v >= 16 else { throw RefinementError.invalidSetting(name: "tile", value: t, expected: "an integer ≥ 16") }
            tiling.tile = v
        }
        guard denoiser else {
            // Sorted: a Dictionary's order changes from process to process, and so would the key named.
            if let key = parameters.keys.sorted().first(where: splitting.contains) {
                throw RefinementError.invalidSetting(name: "cnn parameter", value: key, expected: "model, noise_sigma or tile: \(path) is a refiner, not a denoiser")
            }
            // A refiner trained without the noise plane (--inputs estimate,blurred) never reads a
            // level: the value was accepted and dropped, and the output was the same with any.
            if let s = parameters["noise_sigma"], !model.network.architecture.inputs.contains(.noise) {
                throw RefinementError.invalidSetting(name: "noise_sigma", value: s, expected: "none: \(path) is a refiner without a noise input (inputs \(model.network.architecture.inputs.map(\.rawValue).joined(separator: ","))), which reads no noise level")
            }
            // The base comes from the file's header: a bad one is the file's fault, not a flag's.
            do {
                return try Refiner(model: model, noiseSigma: sigma, tiling: tiling)
            } catch {
                throw RefinementError.invalidModelFile(path: path, reason: "its base method: \(error)")
            }
        }
        var pnp = try PlugAndPlayRestorer(model: model, noiseSigma: sigma, tiling: tiling)
        if let t = parameters["iterations"] {
            guard let v = Int(t), (1...100).contains(v) else { throw RefinementError.invalidSetting(name: "iterations", value: t, expected: "an integer in 1…100") }
            pnp.iterations = v
        }
        if let t = parameters["ensemble"] {
            guard let v = Int(t), (1...8).contains(v) else { throw RefinementError.invalidSetting(name: "ensemble", value: t, expected: "an integer in 1…8") }
            pnp.finalEnsemble = v
        }
        if let t = parameters["collaborative"] {
            guard let v = Int(t), (0...pnp.iterations).contains(v) else {
                throw RefinementError.invalidSetting(name: "collaborative", value: t, expected: "an integer in 0…\(pnp.iterations) (the steps)")
            }
            pnp.collaborativeSteps = v
        }
        for (key, keyPath) in [("transforms", \PlugAndPlayRestorer.cycleTransforms), ("collaborative_check", \PlugAndPlayRestorer.checkCollaborative)] {
            guard let t = parameters[key] else { continue }
            guard let v = ["on": true, "off": false, "true": true, "false": false][t] else {
                throw RefinementError.invalidSetting(name: key, value: t, expected: "on or off")
            }
            pnp[keyPath: keyPath] = v
        }
        for (key, keyPath) in [("sigma_start", \PlugAndPlayRestorer.sigmaStart), ("lambda", \PlugAndPlayRestorer.lambda)] {
            guard let t = parameters[key] else { continue }
            guard let v = Double(t), v > 0, v.isFinite else { throw RefinementError.invalidSetting(name: key, value: t, expected: "a number > 0") }
            pnp[keyPath: keyPath] = v
        }
        try pnp.checkSettings()
        return pnp
    }
}
