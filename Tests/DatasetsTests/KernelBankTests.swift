import Testing
import Foundation
import DeblurCore
import DeblurIO
import KernelBank
@testable import Datasets
import _TestSupport

/// The committed bank in the source tree (`Kernels/`), found from this file's path.
let committedBank = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Kernels")

@Suite struct KernelBankTests {
    @Test func regeneratingTheBankReproducesTheCommittedFilesBitForBit() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("deblurkit-bank-\(getpid())")
        defer { try? FileManager.default.removeItem(at: directory) }
        let kernels = try KernelBankBuilder.write(to: directory.path)
        #expect(kernels.count == 40)
        var files = ["kernels.json", "bank.png"]
        files += KernelBankBuilder.entries.map { "tif/\($0.name).tif" }
        for file in files {
            let fresh = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path)
            let committed = FileManager.default.contents(atPath: committedBank.appendingPathComponent(file).path)
            #expect(fresh != nil && fresh == committed, "\(file) differs from the committed bank: run deblur psf bank --out Kernels")
        }
    }

    /// The demo's copy of the bank: a copy a full disk cut short (an empty file) used to be
    /// kept, and every later run stopped on it as a corrupt kernel.
    @Test func copyingAKindReplacesACopyCutShortAndWritesTheBanksBytes() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("deblurkit-bank-copy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        _ = FileManager.default.createFile(atPath: folder + "/trajectory-13-1.tif", contents: Data())
        let copied = try KernelBank.copy(kind: "trajectory", to: folder, from: committedBank)
        let expected = try KernelBank.entries(in: committedBank).filter { $0.kind == "trajectory" }
        #expect(copied == expected && copied.count >= 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == expected.map { $0.name + ".tif" }.sorted())
        for entry in expected {
            #expect(FileManager.default.contents(atPath: folder + "/" + entry.name + ".tif")
                    == FileManager.default.contents(atPath: committedBank.appendingPathComponent(entry.file).path), "\(entry.name)")
        }
    }

    @Test func committedChecksumsMatchTheCommittedFiles() throws {
        let entries = try KernelBank.entries(in: committedBank)
        #expect(entries.count == KernelBankBuilder.entries.count)
        for entry in entries {
            #expect(try SHA256.hex(ofFile: committedBank.appendingPathComponent(entry.file).path) == entry.sha256, "\(entry.file)")
        }
        #expect(Set(entries.map(\.kind)) == ["motion", "trajectory", "disk", "gaussian"])
        #expect(entries.filter { $0.kind == "trajectory" }.allSatisfy { $0.seed != nil && (13...41).contains($0.height) })
    }

    @Test func bundledBankLoadsTheSameKernelsAsTheRecipe() throws {
        let entries = try KernelBank.entries()
        for name in ["motion-13-045.0", "trajectory-21-2", "disk-4", "gaussian-2"] {
            let recipe = try #require(KernelBankBuilder.entries.first { $0.name == name })
            // Reading renormalizes the stored samples, which may move the last bit.
            #expect(maxAbsDifference(try KernelBank.psf(named: name).image, try recipe.make().image) < 1e-7)
            #expect(entries.contains { $0.name == name })
        }
        #expect(throws: IOError.self) { try KernelBank.psf(named: "no-such-kernel") }
    }
}
