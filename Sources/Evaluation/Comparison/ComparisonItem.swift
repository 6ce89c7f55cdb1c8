import DeblurCore

/// The three images of one dataset item, once loaded.
public struct LoadedItem: Sendable {
    public var sharp: Image
    public var blurred: Image
    public var psf: PSF
    public init(sharp: Image, blurred: Image, psf: PSF) { self.sharp = sharp; self.blurred = blurred; self.psf = psf }
}

/// One item to score: its metadata and a loader.
///
/// The loader runs inside the runner's worker, so only as many items as there are workers
/// are in memory at once; whatever it throws (missing file, invalid PSF) is recorded as
/// the item's failure and the run goes on.
public struct ComparisonItem: Sendable {
    /// The item's id (`000017`), the row label in reports.
    public var id: String
    /// The kernel's name, for results grouped by kernel (nil: "unknown").
    public var kernel: String?
    /// The Gaussian noise σ on the [0, 1] scale, for results grouped by noise level.
    public var noiseSigma: Double?
    /// The photograph the item was cut from, for results grouped by source (nil: none known).
    public var source: String?
    public var load: @Sendable () throws -> LoadedItem

    public init(id: String, kernel: String? = nil, noiseSigma: Double? = nil, source: String? = nil,
                load: @escaping @Sendable () throws -> LoadedItem) {
        self.id = id; self.kernel = kernel; self.noiseSigma = noiseSigma; self.source = source; self.load = load
    }

    /// An item already in memory.
    public init(id: String, kernel: String? = nil, noiseSigma: Double? = nil, source: String? = nil, sharp: Image, blurred: Image, psf: PSF) {
        let loaded = LoadedItem(sharp: sharp, blurred: blurred, psf: psf)
        self.init(id: id, kernel: kernel, noiseSigma: noiseSigma, source: source) { loaded }
    }
}

/// A method whose output depends on which item it restores, not only on the blurred image:
/// restorations made elsewhere and read by the item's id (`saved:dir=DIR`). The runner calls
/// `restore(item:blurred:psf:)` instead of `restore(_:psf:observer:)` and records no time for
/// it (whatever made the images was timed elsewhere, if at all).
public protocol ItemRestorer: Restorer {
    func restore(item id: String, blurred: Image, psf: PSF) throws -> Image
}

/// A method in a comparison: its column label and the restorer that runs it.
public struct ComparisonMethod: Sendable {
    /// The column label (usually the spec as written, `rl:iterations=30`).
    public var label: String
    public var restorer: any Restorer
    public init(label: String, restorer: any Restorer) { self.label = label; self.restorer = restorer }
    /// A method labelled by its restorer's `name`.
    public init(_ restorer: any Restorer) { self.init(label: restorer.name, restorer: restorer) }
}

/// Turns specs into restorers: the CLI maps names to the method modules; tests and
/// Examples/CustomMethod supply their own.
public struct MethodFactory: Sendable {
    /// Makes the restorer for a spec; throws for an unknown name or bad parameter.
    public var make: @Sendable (MethodSpec) throws -> any Restorer
    /// The free parameter of a method and the candidate values `--tune` tries, or nil.
    public var tuningGrid: @Sendable (String) -> (parameter: String, values: [String])?

    public init(make: @escaping @Sendable (MethodSpec) throws -> any Restorer,
                tuningGrid: @escaping @Sendable (String) -> (parameter: String, values: [String])? = { _ in nil }) {
        self.make = make; self.tuningGrid = tuningGrid
    }
}
