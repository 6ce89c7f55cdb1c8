import Foundation

/// One value in a benchmark record.
public enum BenchValue: Sendable, Equatable, CustomStringConvertible {
    case int(Int), double(Double), string(String)
    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return String(format: "%.4g", v)
        case .string(let s): return s
        }
    }
    /// The value as a JSON literal.
    public var json: String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return v.isFinite ? String(format: "%.6g", v) : "null"
        case .string(let s): return "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
    }
}

/// One line of `deblur bench` output: a case name and ordered fields
/// (`{"case": "rl", "size": 1024, "psf": 15, "ms": 3.1, "floor_ms": 2.8}`).
public struct BenchRecord: Sendable {
    public var fields: [(String, BenchValue)]
    public init(_ caseName: String, _ fields: [(String, BenchValue)]) {
        self.fields = [("case", .string(caseName))] + fields
    }
    /// The record as one JSON object on one line.
    public var json: String { "{" + fields.map { "\"\($0.0)\": \($0.1.json)" }.joined(separator: ", ") + "}" }
    /// The record as one human-readable line.
    public var text: String { fields.map { "\($0.0)=\($0.1)" }.joined(separator: "  ") }
}

/// Settings every benchmark case receives from `deblur bench`.
public struct BenchOptions: Sendable {
    /// Image sizes (square) to run, or nil for the case's defaults.
    public var sizes: [Int]?
    /// Repetitions; the best time is reported.
    public var repeats: Int
    public init(sizes: [Int]? = nil, repeats: Int = 3) { self.sizes = sizes; self.repeats = repeats }
}

/// A named benchmark case, provided by a library module and run by `deblur bench`.
public struct BenchCase: Sendable {
    public let name: String
    public let summary: String
    /// The smallest square side the case measures anything at (its PSF, window or block):
    /// below it the case would print nothing, or a meaningless rate.
    public let minimumSize: Int
    /// Whether `BenchOptions.sizes` changes what the case measures (false: one fixed problem,
    /// such as sgemm 1024³), so that `deblur bench` can refuse sizes it would drop.
    public let takesSizes: Bool
    public let run: @Sendable (BenchOptions, (BenchRecord) -> Void) throws -> Void
    public init(name: String, summary: String, minimumSize: Int = 1, takesSizes: Bool = true,
                run: @escaping @Sendable (BenchOptions, (BenchRecord) -> Void) throws -> Void) {
        self.name = name; self.summary = summary; self.minimumSize = minimumSize; self.takesSizes = takesSizes; self.run = run
    }
}

/// Wall-clock seconds of the best of `repeats` runs of `body`.
public func bestTime(repeats: Int, _ body: () throws -> Void) rethrows -> Double {
    var best = Double.infinity
    for _ in 0..<max(1, repeats) {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9)
    }
    return best
}

/// Monotonic seconds, for timing.
public func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }
