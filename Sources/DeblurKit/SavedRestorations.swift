import Foundation

/// Restorations made elsewhere (a PyTorch model, MATLAB's `deconvwnr`, an earlier run's
/// `compare --save-restored`), scored beside the built-in methods: `compare --methods
/// "wiener:nsr=auto,saved:dir=torch-out"` reads item `000017`'s restoration from
/// `torch-out/000017.tif` (or `.tiff`, `.png`). It must have the sharp image's size and
/// channels; the samples are read as everywhere (8/16-bit to [0, 1], float TIFF as stored). An
/// item without its file, or with two (`000017.tif` and `000017.png`), fails alone, with the
/// reason; a folder that does not exist refuses the method before any item runs. Not timed:
/// the reports show "–" for its seconds.
public struct SavedRestorations: ItemRestorer {
    /// The folder holding `<item id>.tif|.tiff|.png`.
    public var directory: String
    /// The value of white of float restorations written in other units than [0, 1] (0–255 from
    /// a network trained so): their samples are divided by it. Integer files are read on
    /// [0, 1] as always. Nil: float samples as stored, and one whose median sample is outside [−0.5, 1.5] fails its item.
    public var dataRange: Double?
    /// The extensions looked for, in this order.
    public static let extensions = ["tif", "tiff", "png"]
    /// The ids of every item of the dataset (`deblur compare` gives them; empty: unknown). An
    /// item whose own file is missing is read under the name `--save-restored` gives it
    /// (`fileName(_:)`) only when no other item has that name: beside an item `a_b`, `a_b.tif`
    /// is that item's restoration, not `a b`'s.
    public var itemIDs: [String] = [] { didSet { sharedNames = Self.sharedNames(itemIDs) } }
    /// The file names of more than one of `itemIDs`, with those ids.
    private var sharedNames: [String: [String]] = [:]

    public init(directory: String, dataRange: Double? = nil, itemIDs: [String] = []) {
        self.directory = directory; self.dataRange = dataRange
        self.itemIDs = itemIDs
        sharedNames = Self.sharedNames(itemIDs)
    }

    private static func sharedNames(_ ids: [String]) -> [String: [String]] {
        Dictionary(grouping: Set(ids), by: { fileName($0) }).filter { $0.value.count > 1 }.mapValues { $0.sorted() }
    }

    /// From a spec's parameters: `dir` and nothing else.
    /// - Throws: `EvaluationError.invalidValue` for another key or a missing `dir`.
    public static func make(parameters: [String: String]) throws -> SavedRestorations {
        if let other = parameters.keys.sorted().first(where: { $0 != "dir" && $0 != "range" }) {
            throw EvaluationError.invalidValue(name: "saved parameter", value: "'\(other)'", expected: "dir=FOLDER and range=W")
        }
        var dataRange: Double?
        if let text = parameters["range"] {
            // The bounds of every data range: dividing by 1e308 made every sample 0.
            guard let value = Double(text), dataRangeLimits.contains(value) else {
                throw EvaluationError.invalidValue(name: "saved parameter range", value: text, expected: "the value of white of float restorations, a number from \(dataRangeLimitsText)")
            }
            dataRange = value
        }
        guard let directory = parameters["dir"] else {
            throw EvaluationError.invalidValue(name: "saved method", value: "without dir", expected: "saved:dir=FOLDER (a folder of <item id>.tif or .png)")
        }
        let method = SavedRestorations(directory: directory, dataRange: dataRange)
        try method.checkSettings()
        return method
    }

    public var name: String { "saved(dir=\(directory)\(dataRange.map { ",range=\($0)" } ?? ""))" }

    public func checkSettings() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else {
            throw IOError.cannotOpen(path: directory, reason: "no such folder (saved:dir= names a folder of <item id>.tif or .png)")
        }
        guard isDirectory.boolValue else {
            throw IOError.cannotOpen(path: directory, reason: "not a folder (saved:dir= names a folder of <item id>.tif or .png)")
        }
    }

    /// The name `deblur compare --save-restored` gives an item id or a method label on disk:
    /// every character but letters, digits, `.`, `_`, `=` and `-` becomes `_` (`img 01` →
    /// `img_01`, `wiener:nsr=auto` → `wiener_nsr=auto`).
    public static func fileName(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || "._=-".contains($0) ? $0 : "_" })
    }

    /// The file of item `id`: `<id>.tif|.tiff|.png`, or, when there is none and the id holds
    /// other characters, the name `--save-restored` wrote it under (`fileName(_:)`), unless
    /// another of `itemIDs` has that name too.
    /// - Throws: `IOError.cannotOpen` when there is none or more than one, or when the only name
    ///   left is another item's.
    public func path(of id: String) throws -> String {
        func files(_ name: String) -> [String] {
            // A name with a separator would read outside the folder.
            guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else { return [] }
            let base = directory.hasSuffix("/") ? directory + name : directory + "/" + name
            return Self.extensions.map { base + "." + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
        }
        let safe = Self.fileName(id)
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        func names(_ name: String) -> String { "\(name).\(Self.extensions.joined(separator: "|."))" }
        var found = files(id)
        if found.isEmpty && safe != id {
            // The file there may be the other item's own restoration, which this item would then
            // be scored with.
            if let others = sharedNames[safe]?.filter({ $0 != id }), !others.isEmpty {
                throw IOError.cannotOpen(path: base + names(id),
                                         reason: "no such file (the restoration of item '\(id)'); \(names(safe)) is not read in its place: "
                                               + "item\(others.count == 1 ? "" : "s") \(others.map { "'\($0)'" }.joined(separator: ", ")) "
                                               + "of the dataset \(others.count == 1 ? "has" : "have") that file name too")
            }
            found = files(safe)
        }
        guard found.count == 1 else {
            let names = (safe == id ? [id] : [id, safe]).map(names)
            throw IOError.cannotOpen(path: base + names.joined(separator: " or "),
                                     reason: found.isEmpty ? "no such file (the restoration of item \(id))"
                                                           : "more than one (\(found.joined(separator: ", "))): keep one")
        }
        return found[0]
    }

    /// - Throws: as `path(of:)`, the file's read errors, `EvaluationError.invalidValue` naming the
    ///   file when it holds NaN or ±∞ samples, and `EvaluationError.sizeMismatch` naming the file
    ///   when its size or channels are not the item's.
    public func restore(item id: String, blurred: Image, psf: PSF) throws -> Image {
        let file = try path(of: id)
        var (image, info) = try ImageIO.readWithInfo(file)
        // The runner refuses them too, but as "invalid output of saved:dir=…": the file is what to look at.
        try checkFinite(image, named: "restoration \(file)")
        if info.isFloat, let dataRange {
            image = image.scaled(by: Float(1 / dataRange))
        } else if info.isFloat {
            // Scored as stored, a restoration in 0–255 units reads as a PSNR near −40 dB: a unit
            // slip, which the scores alone would not show. The median tells the units; the
            // extremes do not: a [0, 1] restoration may ring far past 1 at its edges (scikit-image's
            // richardson_lucy with clip=False on a valid blur reaches 4–18 there).
            if let middle = image.medianSample(outside: -0.5...1.5) {
                throw EvaluationError.invalidValue(name: "restoration \(file)", value: String(format: "with a median sample of %.4g", middle),
                                                   expected: "float samples on the [0, 1] scale of the sharp image (give saved:dir=…,range=W, W the value of white, for other units; range=1 scores them as stored)")
            }
        }
        // The runner checks the size too, but names the method: the file is what to look at.
        guard image.channels == blurred.channels, image.height == blurred.height, image.width == blurred.width else {
            throw EvaluationError.sizeMismatch(what: "\(file) (the restoration of item \(id))",
                                               expected: "the item's \(blurred.channels)×\(blurred.height)×\(blurred.width)",
                                               actual: "\(image.channels)×\(image.height)×\(image.width)")
        }
        return image
    }

    /// Without an item there is no file to read: this method works only inside a comparison.
    public func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image {
        throw EvaluationError.invalidValue(name: "method", value: "saved", expected: "a comparison, which names the item to read (deblur compare)")
    }
}
