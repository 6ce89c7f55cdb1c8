import DeblurCore
import DeblurIO
import Deconvolution
import Foundation

/// The recipe of the shipped kernel bank (`Kernels/`), and the code that writes it.
///
/// 40 kernels: 8 linear motions (lengths 5–35 at angles spread over 180°), 24 camera-shake
/// trajectories (sizes 13–41, three seeds each with anxiety 0.005, 0.02 and 0.01, the third
/// with exposure 1/2; drawn on a canvas the size of the kernel with a path length of
/// size − 4, so no walk is shrunk; the walks curl, so their blur support, `PSF.support`, is
/// 3–19 px), 4 defocus disks and 4 Gaussians. `deblur psf bank` regenerates the committed files bit for bit; a
/// test checks it, so changing a recipe or a kernel construction means regenerating the bank.
public enum KernelBankBuilder {
    /// One kernel of the bank.
    public struct Entry: Sendable, Equatable {
        public var name: String
        /// `motion`, `trajectory`, `disk` or `gaussian`.
        public var kind: String
        /// Parameter name and value pairs, in a fixed order, as written to `kernels.json`.
        public var parameters: [(String, Double)]
        public var seed: UInt64?

        public static func == (a: Self, b: Self) -> Bool {
            a.name == b.name && a.kind == b.kind && a.seed == b.seed
                && a.parameters.map(\.0) == b.parameters.map(\.0) && a.parameters.map(\.1) == b.parameters.map(\.1)
        }

        /// Builds the kernel.
        public func make() throws -> PSF {
            let p = Dictionary(uniqueKeysWithValues: parameters)
            switch kind {
            case "motion": return try PSF.motion(length: p["length"]!, angleDegrees: p["angle_degrees"]!)
            case "trajectory":
                let parameters = TrajectoryParameters(canvas: Int(p["canvas"]!), maxLength: p["max_length"]!,
                                                      anxiety: p["anxiety"]!, exposure: p["exposure"]!)
                return try PSF.trajectory(size: Int(p["size"]!), seed: seed!, parameters: parameters)
            case "disk": return try PSF.disk(radius: p["radius"]!)
            default: return try PSF.gaussian(sigma: p["sigma"]!)
            }
        }
    }

    /// The bank's recipe, in file order.
    public static let entries: [Entry] = {
        var list = [Entry]()
        let lengths: [Double] = [5, 9, 13, 17, 21, 25, 29, 35]
        for (i, length) in lengths.enumerated() {
            let angle = Double(i) * 22.5
            list.append(Entry(name: String(format: "motion-%02d-%05.1f", Int(length), angle), kind: "motion",
                              parameters: [("length", length), ("angle_degrees", angle)], seed: nil))
        }
        var seed: UInt64 = 1
        for size in stride(from: 13, through: 41, by: 4) {
            for variant in 0..<3 {
                // Anxieties below the model's 0.1·U(0, 1) draw, which mostly gives compact
                // blobs: 0.005 is Boracchi & Foi's own demo value (long smooth paths).
                let anxiety = [0.005, 0.02, 0.01][variant]
                let exposure = variant == 2 ? 0.5 : 1
                list.append(Entry(name: String(format: "trajectory-%02d-%d", size, variant + 1), kind: "trajectory",
                                  parameters: [("size", Double(size)), ("canvas", Double(size)), ("max_length", Double(size - 4)),
                                               ("anxiety", anxiety), ("exposure", exposure)], seed: seed))
                seed += 1
            }
        }
        for radius in [2.0, 4, 6, 8] {
            list.append(Entry(name: "disk-\(Int(radius))", kind: "disk", parameters: [("radius", radius)], seed: nil))
        }
        for sigma in [1.0, 2, 3, 4] {
            list.append(Entry(name: "gaussian-\(Int(sigma))", kind: "gaussian", parameters: [("sigma", sigma)], seed: nil))
        }
        return list
    }()

    /// Writes the bank into `directory`: `tif/<name>.tif` (32-bit float), `kernels.json`
    /// (name, kind, parameters, seed, size, file, SHA-256 of the file) and `bank.png`
    /// (a contact sheet, each kernel scaled to its maximum). Every file is written atomically.
    /// - Returns: the kernels in file order.
    @discardableResult
    public static func write(to directory: String) throws -> [(entry: Entry, psf: PSF)] {
        let tif = (directory as NSString).appendingPathComponent("tif")
        do { try FileManager.default.createDirectory(atPath: tif, withIntermediateDirectories: true) } catch {
            throw DatasetsError.fileError(path: tif, reason: "cannot create the directory: \(fileErrorReason(error, path: tif))")
        }
        var kernels = [(entry: Entry, psf: PSF)]()
        var json = "{\n  \"format\": \"deblurkit-kernels\",\n  \"version\": 1,\n  \"generator\": \"deblur psf bank\",\n  \"kernels\": [\n"
        for (i, entry) in entries.enumerated() {
            let psf = try entry.make()
            let file = "tif/\(entry.name).tif"
            let path = (directory as NSString).appendingPathComponent(file)
            try ImageIO.writePSF(psf, to: path)
            let checksum = try SHA256.hex(ofFile: path)
            let parameters = entry.parameters.map { "\"\($0.0)\": \(formatNumber($0.1))" }.joined(separator: ", ")
            let seed = entry.seed.map { String($0) } ?? "null"
            json += "    {\"name\": \"\(entry.name)\", \"kind\": \"\(entry.kind)\", \"parameters\": {\(parameters)}, \"seed\": \(seed), "
            json += "\"height\": \(psf.height), \"width\": \(psf.width), \"file\": \"\(file)\", \"sha256\": \"\(checksum)\"}"
            json += i == entries.count - 1 ? "\n" : ",\n"
            kernels.append((entry, psf))
        }
        json += "  ]\n}\n"
        try writeAtomically(Data(json.utf8), to: (directory as NSString).appendingPathComponent("kernels.json"))
        try ImageIO.write(contactSheet(kernels.map(\.psf)), to: (directory as NSString).appendingPathComponent("bank.png"), depth: .uint8)
        return kernels
    }

    /// Shortest decimal that reads back as the same Double (`35`, `22.5`).
    static func formatNumber(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// A grid of kernels, 8 per row, each scaled to its own maximum (for viewing only) and
    /// magnified 2× in a 45 × 45 cell on a dark gray background.
    public static func contactSheet(_ psfs: [PSF]) -> Image {
        let cell = 45, magnify = 2, gap = 4, columns = 8
        let rows = (psfs.count + columns - 1) / columns
        let side = cell * magnify + gap
        var sheet = Image(height: rows * side + gap, width: columns * side + gap, value: 0.15)
        for (i, psf) in psfs.enumerated() {
            let peak = psf.image.pixels.max() ?? 1
            let top = gap + (i / columns) * side + (cell - psf.height) * magnify / 2
            let left = gap + (i % columns) * side + (cell - psf.width) * magnify / 2
            for y in 0..<(psf.height * magnify) {
                for x in 0..<(psf.width * magnify) {
                    sheet[top + y, left + x] = psf[y / magnify, x / magnify] / peak
                }
            }
        }
        return sheet
    }
}
