import DeblurCore
import DeblurIO
import Foundation

/// The shipped bank of blur kernels (this folder), as package resources: 32-bit float TIFFs
/// in `tif/` indexed by `kernels.json`. `deblur psf bank` regenerates it; see `Kernels/README.md`.
///
/// ```swift
/// for entry in try KernelBank.entries() where entry.kind == "motion" {
///     let psf = try KernelBank.psf(entry)
/// }
/// ```
public enum KernelBank {
    /// The folder holding `kernels.json` and `tif/`: the build's `DeblurKit_KernelBank.resources`,
    /// found by `ResourceFolders` (beside the executable, in an install's `share/deblurkit`, or
    /// under `DEBLURKIT_RESOURCES`).
    /// - Throws: `CoreError.missingResource` when it is in none of them.
    public static var directory: URL {
        get throws { try ResourceFolders.url(of: "DeblurKit_KernelBank.resources") }
    }

    /// One kernel listed in `kernels.json`.
    public struct Entry: Sendable, Equatable, Decodable {
        public var name: String
        /// `motion`, `trajectory`, `disk` or `gaussian`.
        public var kind: String
        /// The construction's parameters (`length`, `angle_degrees`, `size`, `exposure`, `radius`, `sigma`).
        public var parameters: [String: Double]
        /// The trajectory seed (`deblur psf trajectory --seed`), nil for deterministic kinds.
        public var seed: UInt64?
        public var height: Int
        public var width: Int
        /// The TIFF file, relative to the bank folder.
        public var file: String
        /// SHA-256 of the TIFF file, lowercase hexadecimal.
        public var sha256: String
    }

    private struct Index: Decodable {
        var format: String
        var version: Int
        var kernels: [Entry]
    }

    /// The kernels listed in `kernels.json` of `directory` (default: the shipped bank), in order.
    /// - Throws: `IOError.corrupt` when the index cannot be read or parsed.
    public static func entries(in directory: URL? = nil) throws -> [Entry] {
        let directory = try directory ?? Self.directory
        let url = directory.appendingPathComponent("kernels.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw IOError.cannotOpen(path: url.path, reason: "the kernel index cannot be read")
        }
        do {
            let index = try JSONDecoder().decode(Index.self, from: data)
            guard index.format == "deblurkit-kernels" else {
                throw IOError.corrupt(path: url.path, reason: "format is \(index.format), expected deblurkit-kernels")
            }
            return index.kernels
        } catch let error as IOError {
            throw error
        } catch {
            throw IOError.corrupt(path: url.path, reason: "not a kernel index: \(error)")
        }
    }

    /// Copies the bank's kernels of `kind` (`trajectory`, say) into `folder` as `<name>.tif`,
    /// each written atomically, and returns their entries. A file already there is kept when
    /// it holds the bank's bytes and replaced otherwise: a copy that a full disk or a kill cut
    /// short would else be taken for a kernel at every later run.
    /// - Throws: `IOError.cannotOpen` for an unreadable bank file, `CoreError.writeFailed`
    ///   naming the copy that could not be written.
    public static func copy(kind: String, to folder: String, from directory: URL? = nil) throws -> [Entry] {
        let directory = try directory ?? Self.directory
        let chosen = try entries(in: directory).filter { $0.kind == kind }
        for entry in chosen {
            let source = directory.appendingPathComponent(entry.file).path
            guard let bytes = FileManager.default.contents(atPath: source) else {
                throw IOError.cannotOpen(path: source, reason: "the bank's kernel cannot be read")
            }
            let target = (folder as NSString).appendingPathComponent(entry.name + ".tif")
            if FileManager.default.contents(atPath: target) != bytes { try writeAtomically(bytes, to: target) }
        }
        return chosen
    }

    /// Reads and validates one kernel of the bank.
    public static func psf(_ entry: Entry, in directory: URL? = nil) throws -> PSF {
        let directory = try directory ?? Self.directory
        return try ImageIO.readPSF(directory.appendingPathComponent(entry.file).path)
    }

    /// Reads the kernel called `name`.
    /// - Throws: `IOError.cannotOpen` naming the kernel when the bank has none of that name.
    public static func psf(named name: String, in directory: URL? = nil) throws -> PSF {
        let directory = try directory ?? Self.directory
        guard let entry = try entries(in: directory).first(where: { $0.name == name }) else {
            throw IOError.cannotOpen(path: directory.appendingPathComponent("tif/\(name).tif").path, reason: "no kernel named \(name) in the bank")
        }
        return try psf(entry, in: directory)
    }
}
