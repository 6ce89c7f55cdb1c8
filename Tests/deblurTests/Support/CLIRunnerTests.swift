import Foundation
import Testing

/// The helpers the other tests rely on to see leftovers.
@Suite struct CLIRunnerTests {
    /// Temporary files of `writeAtomically` are dot-files: the listing must show them, or the
    /// "no temporary file left" checks could not fail.
    @Test func listingIncludesHiddenFilesAndSubfolders() throws {
        try withScratch { dir in
            try FileManager.default.createDirectory(at: dir.file("sub"), withIntermediateDirectories: false)
            try Data().write(to: dir.file(".out.tif.tmp-1-2"))
            try Data().write(to: dir.file("sub/x"))
            #expect(dir.listing() == [".out.tif.tmp-1-2", "sub", "sub/x"])
        }
    }

    @Test func executableIsFound() throws {
        let url = try CLI.executable.get()
        #expect(url.lastPathComponent == "deblur")
        #expect(FileManager.default.isExecutableFile(atPath: url.path))
    }
}
