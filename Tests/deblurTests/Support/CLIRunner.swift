import DeblurKit
import Foundation
import Testing

/// What one run of the `deblur` binary produced.
struct CLIResult: CustomStringConvertible {
    var status: Int32
    var stdout: String
    var stderr: String
    /// The non-empty lines of stderr.
    var stderrLines: [String] { stderr.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
    var description: String { "exit \(status)\n--- stdout ---\n\(stdout)\n--- stderr ---\n\(stderr)" }
}

/// Locates and runs the built `deblur` executable in a scratch directory.
///
/// SwiftPM builds the executable because this test target depends on it, and puts it in the
/// same `.build/<triple>/<config>` folder as the test bundle. The test process's own location
/// is tried first (it is that folder, or the bundle inside it); walking up from this source
/// file to Package.swift and looking in `.build/{debug,release}` covers runners that start the
/// tests from elsewhere. `DEBLUR_EXECUTABLE` overrides both.
enum CLI {
    struct NotFound: Error, CustomStringConvertible {
        var tried: [String]
        var description: String {
            "the deblur executable was not found (build it with `swift build --product deblur`, or set DEBLUR_EXECUTABLE); tried:\n  "
                + tried.joined(separator: "\n  ")
        }
    }

    /// False under `make tsan`: a ThreadSanitizer build dies of SIGBUS at start under a
    /// `ulimit -f` file-size limit (its runtime, not the tool), so the tests that run the tool
    /// under one are left out there.
    static let fileSizeLimitsWork = ProcessInfo.processInfo.environment["DEBLUR_SANITIZER"] != "thread"

    static let executable: Result<URL, NotFound> = {
        var candidates: [URL] = []
        // An explicit choice is the only candidate: silently testing another binary would hide a typo.
        if let path = ProcessInfo.processInfo.environment["DEBLUR_EXECUTABLE"], !path.isEmpty {
            let url = URL(fileURLWithPath: path)
            return FileManager.default.isExecutableFile(atPath: url.path) ? .success(url) : .failure(NotFound(tried: [url.path]))
        }
        var folders: [URL] = []
        if let url = Bundle.main.executableURL { folders.append(url.deletingLastPathComponent()) }
        folders.append(Bundle.main.bundleURL)
        folders.append(Bundle.main.bundleURL.deletingLastPathComponent())
        if let first = CommandLine.arguments.first {
            folders.append(URL(fileURLWithPath: first).deletingLastPathComponent())
        }
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
        }
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) {
                let build = directory.appendingPathComponent(".build")
                folders.append(build.appendingPathComponent("debug"))
                folders.append(build.appendingPathComponent("release"))
                break
            }
            directory.deleteLastPathComponent()
        }
        candidates += folders.map { $0.appendingPathComponent("deblur") }
        for url in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
               FileManager.default.isExecutableFile(atPath: url.path) {
                return .success(url.resolvingSymlinksInPath())
            }
        }
        return .failure(NotFound(tried: candidates.map(\.path)))
    }()

    /// Runs `deblur arguments…` with `directory` as the working directory; `binary` replaces
    /// the built executable (a copy of it elsewhere), `environment` the inherited one, and
    /// `standardOutput` the captured stdout (then `stdout` is empty).
    static func run(_ arguments: [String], in directory: URL, binary: URL? = nil,
                    environment: [String: String]? = nil, standardOutput: FileHandle? = nil) throws -> CLIResult {
        let binary = try binary ?? executable.get()
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        if let environment { process.environment = environment }
        // Output goes to files rather than pipes: a full stderr pipe could block the child
        // while the test waits on stdout.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("deblur-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("stdout"), err = scratch.appendingPathComponent("stderr")
        try Data().write(to: out)
        try Data().write(to: err)
        let outHandle = try FileHandle(forWritingTo: out), errHandle = try FileHandle(forWritingTo: err)
        process.standardOutput = standardOutput ?? outHandle
        process.standardError = errHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try outHandle.close(); try errHandle.close()
        return CLIResult(status: process.terminationStatus,
                         stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                         stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }
}

/// Runs `body` with a fresh temporary directory, removed afterwards.
func withScratch<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("deblurTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

extension URL {
    /// Runs `deblur` with this directory as the working directory.
    func deblur(_ arguments: String...) throws -> CLIResult { try CLI.run(arguments, in: self) }
    func deblur(_ arguments: [String]) throws -> CLIResult { try CLI.run(arguments, in: self) }
    func file(_ name: String) -> URL { appendingPathComponent(name) }
    /// The names in this directory, recursively, sorted.
    func listing() -> [String] {
        let names = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String]) ?? []
        return names.sorted()
    }
    var exists: Bool { FileManager.default.fileExists(atPath: path) }
}

/// Checks the CLI's contract for a failure caused by user input: exit status 1, the reason on
/// the first stderr line naming `culprit`, one line in all unless `usageFollows` (argument
/// parser validation errors keep their usage text), and the directory unchanged (no output,
/// no temporary file left behind).
func expectCleanFailure(_ result: CLIResult, naming culprit: String, directory: URL, before: [String],
                        usageFollows: Bool = false, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(result.status == 1, "\(result)", sourceLocation: sourceLocation)
    let lines = result.stderrLines
    #expect(!lines.isEmpty, "no error message on stderr", sourceLocation: sourceLocation)
    if let first = lines.first {
        #expect(first.contains(culprit), "first stderr line does not name '\(culprit)': \(first)", sourceLocation: sourceLocation)
        #expect(!first.lowercased().contains("fatal error"), sourceLocation: sourceLocation)
    }
    if !usageFollows {
        #expect(lines.count == 1, "expected one stderr line, got:\n\(result.stderr)", sourceLocation: sourceLocation)
    }
    #expect(directory.listing() == before, "the failed run changed the directory", sourceLocation: sourceLocation)
}
