import DeblurCore
import Foundation

/// One item of a dataset directory (a line of `items.jsonl`; see Docs/FileFormats.md).
/// Paths are relative to the dataset directory.
public struct DatasetItem: Codable, Sendable, Equatable {
    public var id: String
    public var sharp: String
    public var blurred: String
    public var psf: String
    /// Gaussian noise σ on the [0, 1] scale (0 when none).
    public var noiseSigma: Double
    /// `circular`, `reflect`, `replicate` or `valid`.
    public var boundary: String
    public var seed: UInt64?
    /// The kernel's name (bank entry or `trajectory-<seed>`), for grouping results by kernel.
    public var kernel: String?
    /// Poisson peak photon count, when Poisson noise was added.
    public var poissonPeak: Double?

    enum CodingKeys: String, CodingKey {
        case id, sharp, blurred, psf, boundary, seed, kernel
        case noiseSigma = "noise_sigma"
        case poissonPeak = "poisson_peak"
    }

    public init(id: String, sharp: String, blurred: String, psf: String, noiseSigma: Double, boundary: String,
                seed: UInt64? = nil, kernel: String? = nil, poissonPeak: Double? = nil) {
        self.id = id; self.sharp = sharp; self.blurred = blurred; self.psf = psf; self.noiseSigma = noiseSigma
        self.boundary = boundary; self.seed = seed; self.kernel = kernel; self.poissonPeak = poissonPeak
    }
}

/// A dataset directory: `dataset.json` plus `items.jsonl` and/or shard files
/// `items-K-of-N.jsonl`, which readers merge (sorted by id).
public struct Dataset: Sendable {
    public let directory: String
    /// `dataset.json` as a JSON object (format, version, generator settings).
    public let settings: [String: JSONValue]
    public let items: [DatasetItem]

    /// Loads a dataset directory; a missing `dataset.json` is allowed for datasets made by other tools.
    public static func load(_ directory: String) throws -> Dataset {
        throw IOError.unsupported(path: directory, reason: "not implemented yet")
    }

    /// The absolute path of a file named in an item.
    public func path(_ relative: String) -> String { (directory as NSString).appendingPathComponent(relative) }
}

/// A small JSON value type for settings that cross module lines.
public enum JSONValue: Sendable, Equatable, Codable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }
}
