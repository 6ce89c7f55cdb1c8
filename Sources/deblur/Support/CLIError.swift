import ArgumentParser
import DeblurKit
import Foundation

/// A user-facing failure of the command-line tool, printed as one line.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// One `KEY=VALUE` argument of a repeatable option (`--param`, `--base-param`), both sides non-empty.
func keyValue(_ text: String, option: String) throws -> (key: String, value: String) {
    let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
    guard parts.count == 2 else { throw CLIError("invalid --\(option) '\(text)': expected key=value") }
    return (parts[0], parts[1])
}

/// `--threads`, when given, within 1…1024: OpenBLAS takes an `Int32`, and beyond a few hundred
/// threads a count is a typo rather than a machine.
func checkThreads(_ threads: Int?) throws {
    if let threads, !(1...1024).contains(threads) {
        throw ValidationError("Please give --threads between 1 and 1024 (got \(threads)).")
    }
}

/// Refuses an output that is one of the inputs (the same file under any name): the atomic
/// rename would replace the input before anyone noticed.
func refuseOverwriting(_ inputs: String..., with output: String, option: String) throws {
    try refuseClashes([(option, output)], inputs: inputs)
}

/// Refuses two outputs of one run that are the same file (the later would silently replace
/// the earlier: `--trace d.tif -o d.tif`) and an output that is one of `inputs` (`--trace
/// in.tif`, `--csv ds/items.jsonl`), before anything runs. Devices and pipes (`/dev/stdout`)
/// are streams and may take several outputs.
func refuseClashes(_ outputs: [(option: String, path: String?)], inputs: [String] = []) throws {
    /// The file a path names: its device and inode when it exists, else its absolute path.
    func identity(_ path: String) -> String? {
        let (resolved, inPlace) = writeDestination(of: path)
        if inPlace || standardStream(named: path) != nil { return nil }
        if let existing = existingFileIdentity(resolved) { return existing }
        let url = URL(fileURLWithPath: resolved).standardizedFileURL
        // The directory may be reached through a link: `ld/d.tif` and `real/d.tif` are one file.
        guard let directory = realpath(url.deletingLastPathComponent().path, nil) else { return url.path }
        defer { free(directory) }
        return String(cString: directory) + "/" + url.lastPathComponent
    }
    var seen: [String: (option: String, path: String)] = [:]
    // Each input is looked up once: compare passes every file of its dataset's items.
    var inputIdentities: [(path: String, id: String?)]?
    for case let (option, path?) in outputs {
        guard let id = identity(path) else { continue }
        if let earlier = seen[id] {
            throw ValidationError("\(option) \(path) is also \(earlier.option) \(earlier.path): give each output its own file.")
        }
        if inputIdentities == nil { inputIdentities = inputs.map { ($0, identity($0)) } }
        for input in inputIdentities! where input.id == id {
            throw ValidationError("\(option) \(path) is the input \(input.path): choose another name, the input would be replaced.")
        }
        seen[id] = (option, path)
    }
}

/// The files of the dataset in `directory` that a run reads, for `refuseClashes`: its
/// description, items lists, and every item's sharp, blurred and PSF files. A dataset that
/// cannot be loaded gives its description and lists alone; the run reports its fault.
func datasetInputFiles(_ directory: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    var files = names.filter { $0 == "dataset.json" || ($0.hasPrefix("items") && $0.hasSuffix(".jsonl")) }
        .map { (directory as NSString).appendingPathComponent($0) }
    if let data = try? Dataset.load(directory) {
        for item in data.items { files += [item.sharp, item.blurred, item.psf].map(data.path) }
    }
    return files
}

/// Refuses, before a long run, an output path that could not be written at its end: a
/// directory, or a file in a directory that does not exist or cannot be written (permissions,
/// a read-only file system). Outputs are written to a temporary file beside the path and
/// renamed, so it is the directory that must be writable (of the file a symbolic link points
/// to); a device or pipe (`/dev/stdout`) is written in place, so it must be writable itself.
func checkWritableOutput(_ given: String, option: String) throws {
    // An empty name passed the checks below (its parent is the working directory) and failed
    // only when written, after the run: `train -o ''` trained, then left `.checkpoint` behind.
    guard !given.isEmpty else { throw ValidationError("\(option) is an empty name: give a file name.") }
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: given, isDirectory: &isDirectory), isDirectory.boolValue {
        throw ValidationError("\(option) \(given) is a directory: give a file name.")
    }
    // A missing name ending in "/" passed (its parent is the working directory) and failed only
    // when written, after the run: "cannot write new.tif/: Not a directory".
    if given.hasSuffix("/") { throw ValidationError("\(option) \(given) ends in '/', as a directory's name does: give a file name.") }
    let (path, inPlace) = writeDestination(of: given)
    if inPlace || standardStream(named: given) != nil {
        if access(path, W_OK) != 0 {
            throw ValidationError("\(option) \(path) is not writable (\(String(cString: strerror(errno)))).")
        }
        return
    }
    let parent = parentPath(of: path)
    if !parent.isEmpty, !(FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory) && isDirectory.boolValue) {
        throw ValidationError("\(option) \(path): the directory \(parent) does not exist.")
    }
    if access(parent.isEmpty ? "." : parent, W_OK | X_OK) != 0 {
        throw ValidationError("\(option) \(path): the directory \(parent.isEmpty ? "." : parent) is not writable (\(String(cString: strerror(errno)))).")
    }
}

/// `checkWritableOutput`, and an image extension the writer takes (.png, .tif, .tiff): the
/// writer refused any other only once the run was done.
func checkImageOutput(_ given: String, option: String) throws {
    try checkWritableOutput(given, option: option)
    guard ImageFormat(path: given) != nil else {
        throw ValidationError("Please give \(option) a .png, .tif or .tiff extension (got '\(given)').")
    }
}

/// Where `image` sits inside `reference` when the reference is the sharp image of a `valid`
/// blur: the same channels, larger by an even, non-negative margin on each axis ((PSF size − 1)
/// / 2 on each side). Nil otherwise.
func validBlurOffset(reference: Image, image: Image) -> (top: Int, left: Int)? {
    let marginY = reference.height - image.height, marginX = reference.width - image.width
    guard reference.channels == image.channels, marginY >= 0, marginX >= 0, marginY % 2 == 0, marginX % 2 == 0 else { return nil }
    return (marginY / 2, marginX / 2)
}

/// Refuses options given on the command line that the run would not read: they were accepted
/// and dropped, exit 0, and whoever typed them believed they had taken effect. `options` pairs
/// each option's spelling with whether it was given; `reason` follows the list ("with --images:
/// …"), so that the message says what to leave out and why.
func refuseUnused(_ options: [(option: String, given: Bool)], _ reason: String) throws {
    let given = options.filter(\.given).map(\.option)
    guard let last = given.last else { return }
    let list = given.count == 1 ? last : given.dropLast().joined(separator: ", ") + " and " + last
    throw ValidationError("Please leave out \(list) \(reason).")
}
