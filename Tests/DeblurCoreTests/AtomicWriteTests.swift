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
}
