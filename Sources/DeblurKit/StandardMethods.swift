/// The method language of `deblur compare --methods`, for scripts that run comparisons from
/// Swift: the same names, parameters and tuning grids as the command line.
extension MethodFactory {
    /// `blurred` (the input itself), the classical methods (`ClassicalMethods.names`), `cnn`
    /// (`RefinerMethod`), each with its `--tune` grid, and `saved:dir=DIR` (`SavedRestorations`).
    /// - Throws: `EvaluationError.invalidMethodSpec` for an unknown name or parameters on
    ///   `blurred`; the method modules' errors for a bad parameter.
    public static let standard = MethodFactory(make: { spec in
        switch spec.name {
        case "blurred":
            guard spec.parameters.isEmpty else { throw EvaluationError.invalidMethodSpec(spec: spec.description, reason: "blurred takes no parameters") }
            return Passthrough()
        case "cnn":
            return try RefinerMethod.make(parameters: spec.parameterDictionary)
        case "saved":
            return try SavedRestorations.make(parameters: spec.parameterDictionary)
        case let name where ClassicalMethods.names.contains(name):
            return try ClassicalMethods.make(name, parameters: spec.parameterDictionary)
        default:
            throw EvaluationError.invalidMethodSpec(spec: spec.description,
                                                    reason: "expected blurred, \(ClassicalMethods.names.joined(separator: ", ")), cnn or saved")
        }
    }, tuningGrid: { ClassicalMethods.tuningGrid($0) })

    /// `standard` for the items of one dataset, as `deblur compare` scores them: `saved:dir=`
    /// knows every item id (`SavedRestorations.itemIDs`), so an item whose file is missing is
    /// never scored with another item's restoration.
    public static func standard(itemIDs: [String]) -> MethodFactory {
        MethodFactory(make: { spec in
            let method = try standard.make(spec)
            guard var saved = method as? SavedRestorations else { return method }
            saved.itemIDs = itemIDs
            return saved
        }, tuningGrid: standard.tuningGrid)
    }
}

extension ComparisonItem {
    /// A dataset's items (`deblur synth`'s layout) as `deblur compare` scores them: each reads
    /// its sharp and blurred images and its PSF only when a worker reaches it, so memory holds
    /// one item per worker.
    public static func items(of dataset: Dataset, _ entries: [DatasetItem]? = nil) -> [ComparisonItem] {
        (entries ?? dataset.items).map { entry in
            ComparisonItem(id: entry.id, kernel: entry.kernel, noiseSigma: entry.noiseSigma, source: entry.source) {
                LoadedItem(sharp: try readFinite(dataset.path(entry.sharp)), blurred: try readFinite(dataset.path(entry.blurred)),
                           psf: try ImageIO.readPSF(dataset.path(entry.psf)))
            }
        }
    }

    /// The image at `path`, refused naming the file when it holds NaN or ±∞ (a float TIFF can):
    /// the item then fails once, as for a missing file. Each method failed instead, with "invalid
    /// reference with 1 NaN or infinite sample" or "invalid output of blurred", naming no file.
    private static func readFinite(_ path: String) throws -> Image {
        let image = try ImageIO.read(path)
        try checkFinite(image, named: "image \(path)")
        return image
    }
}
