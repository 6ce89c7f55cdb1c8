import Foundation
import Testing
@testable import DeblurCore

@Suite struct AtomicWriteTests {
    /// The bytes land whole under the final name, and nothing else is left in the directory
    /// (Foundation's writers leave a `.dat.nosync…` file of their own when killed mid-write).
    @Test func writesTheBytesAndLeavesNoOtherFile() throws {
        let directory = NSTemporaryDirectory() + "deblurkit-atomic-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let data = Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try writeAtomically(data, to: directory + "/a.bin")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/a.bin")) == data)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["a.bin"])
        // Rewriting replaces, never appends.
        try writeAtomically(Data([1, 2, 3]), to: directory + "/a.bin")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/a.bin")) == Data([1, 2, 3]))
    }

    /// A temporary file of `writeAtomically` names the file it was to become (what
    /// `synth --force` removes of a killed run); other names name nothing.
    @Test func aTemporaryFileNamesItsTarget() throws {
        let directory = NSTemporaryDirectory() + "deblurkit-atomic-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var temporary = ""
        try writeAtomically(to: directory + "/000017.tif") { path in
            temporary = path
            try writeFile(Data([1]), to: path)
        }
        #expect(atomicWriteTarget(ofTemporary: (temporary as NSString).lastPathComponent) == "000017.tif")
        #expect(atomicWriteTarget(ofTemporary: "000017.tif") == nil)
        #expect(atomicWriteTarget(ofTemporary: ".hidden") == nil)
        #expect(atomicWriteTarget(ofTemporary: ".tmp-1-2") == nil)
    }

    /// A writer that fails part-way leaves neither the temporary file nor the destination,
    /// and its own error reaches the caller.
    @Test func aFailingWriterLeavesNothingBehind() throws {
        let directory = NSTemporaryDirectory() + "deblurkit-atomic-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        struct Interrupted: Error {}
        #expect(throws: Interrupted.self) {
            try writeAtomically(to: directory + "/half.tif") { path in
                try writeFile(Data(repeating: 7, count: 4096), to: path)
                throw Interrupted()
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    /// A destination in a missing directory: the error names the destination and the reason.
    @Test func aMissingDirectoryIsNamed() {
        let path = NSTemporaryDirectory() + "deblurkit-no-such-dir-" + UUID().uuidString + "/a.bin"
        #expect {
            try writeAtomically(Data([1]), to: path)
        } throws: { error in
            guard case let CoreError.writeFailed(failed, reason) = error else { return false }
            return failed == path && reason.contains("No such file")
        }
    }

    /// A link is followed: the file it points to gets the bytes and the link stays a link
    /// (renaming over it replaced the link by a regular file).
    @Test func aLinkIsKeptAndItsFileReplaced() throws {
        let directory = NSTemporaryDirectory() + "deblurkit-atomic-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/results", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try writeAtomically(Data([1]), to: directory + "/results/report.md")
        try FileManager.default.createSymbolicLink(atPath: directory + "/latest.md", withDestinationPath: "results/report.md")
        try writeAtomically(Data([2, 3]), to: directory + "/latest.md")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: directory + "/latest.md") == "results/report.md")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/results/report.md")) == Data([2, 3]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/results") == ["report.md"])
    }

    /// A link to a device (`/dev/null`) and a named pipe are written in place: a rename put a
    /// regular file in their place (as root, `--json /dev/null` replaced the system's /dev/null).
    @Test func aDeviceOrPipeIsWrittenInPlace() throws {
        let directory = NSTemporaryDirectory() + "deblurkit-atomic-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createSymbolicLink(atPath: directory + "/null", withDestinationPath: "/dev/null")
        try writeAtomically(Data([1, 2, 3]), to: directory + "/null")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: directory + "/null") == "/dev/null")

        let fifo = directory + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
        // The read end opened first, without waiting for a writer; less than a pipe's buffer
        // is written, so the writer never waits for the reads.
        let reader = open(fifo, O_RDONLY | O_NONBLOCK)
        #expect(reader >= 0)
        defer { close(reader) }
        let data = Data((0..<10_000).map { UInt8(truncatingIfNeeded: $0) })
        try writeAtomically(data, to: fifo)
        var status = stat()
        #expect(lstat(fifo, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
        var received = [UInt8](repeating: 0, count: 20_000)
        let count = read(reader, &received, received.count)
        #expect(count == data.count)
        #expect(Data(received.prefix(max(0, count))) == data)
    }

    /// The temporary file is what an interrupt would remove while it is being written, and
    /// nothing of it is registered once it has become the file.
    @Test func theTemporaryFileIsRegisteredForInterruptsWhileWritten() throws {
        let directory = NSTemporaryDirectory() + "deblurkit-atomic-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var temporary = ""
        try writeAtomically(to: directory + "/a.bin") { path in
            temporary = path
            #expect(InterruptCleanup.registered.contains(path))
            try writeFile(Data([1]), to: path)
        }
        #expect(!InterruptCleanup.registered.contains(temporary))
        #expect(throws: CoreError.self) {
            try writeAtomically(to: directory + "/b.bin") { path in
                temporary = path
                throw CoreError.writeFailed(path: path, reason: "test")
            }
        }
        #expect(!InterruptCleanup.registered.contains(temporary))
    }

    /// The rename that makes a temporary final runs with the path still registered and drops it
    /// in the same step: the cleanup, which takes the same lock, sees either the temporary
    /// before the rename or nothing.
    @Test func finishingRunsTheRenameWhileRegisteredThenUnregisters() {
        let path = "/nonexistent/deblurkit-finishing-\(UUID().uuidString)"
        let token = InterruptCleanup.register(path)
        var seen = false
        let result = InterruptCleanup.finishing(token) {
            // The lock is held here; `registered` would wait for it, so only the result is kept.
            seen = true
            return 7
        }
        #expect(seen && result == 7)
        #expect(!InterruptCleanup.registered.contains(path))
    }
}
