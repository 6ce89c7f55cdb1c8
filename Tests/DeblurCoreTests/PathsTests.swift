import DeblurCore
import Foundation
import Testing

@Suite struct PathsTests {
    /// The cases NSString.deletingLastPathComponent answers, plus the one-character paths it
    /// traps on (checked against it here only where it does not).
    @Test(arguments: [("x", ""), ("-", ""), ("x/", ""), ("/", "/"), ("", ""), ("/x", "/"), ("//x", "/"),
                      ("a/b", "a"), ("a//b", "a"), ("a/b/", "a"), ("/tmp/r.csv", "/tmp"), ("../x", ".."),
                      ("a/b/c.tif", "a/b"), ("ab", ""), ("./-", ".")])
    func parentPathMatchesFoundationWithoutTrapping(path: String, parent: String) {
        #expect(parentPath(of: path) == parent)
        if path.count > 1, path != "x/" {
            #expect(parentPath(of: path) == (path as NSString).deletingLastPathComponent, "\(path)")
        }
    }

    /// A file and a pipe give all their bytes (more than one read's worth); what cannot be read
    /// is named with the system's reason, a socket as what it is.
    @Test func readWholeReadsFilesAndPipesAndNamesWhatItCannotRead() throws {
        let directory = NSTemporaryDirectory() + "deblurkit-paths-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bytes = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        try bytes.write(to: URL(fileURLWithPath: directory + "/file"))
        #expect(try readWhole(directory + "/file") == bytes)

        let pipe = directory + "/pipe"
        #expect(mkfifo(pipe, 0o600) == 0)
        let writer = Thread { if let handle = FileHandle(forWritingAtPath: pipe) { handle.write(bytes); try? handle.close() } }
        writer.start()
        #expect(try readWhole(pipe) == bytes)

        let socketPath = directory + "/socket"
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(socketPath.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(bound == 0)
        #expect(throws: CoreError.readFailed(path: socketPath, reason: "a socket, not a file")) { try readWhole(socketPath) }
        #expect(throws: CoreError.readFailed(path: directory, reason: "is a directory")) { try readWhole(directory) }
        #expect(throws: CoreError.readFailed(path: directory + "/none", reason: "no such file or directory")) { try readWhole(directory + "/none") }
    }
}
