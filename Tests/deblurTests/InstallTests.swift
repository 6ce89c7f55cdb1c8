import DeblurKit
import Foundation
import Testing

/// A `deblur` copied out of its build folder (into PATH, a container, a cluster node) looks for
/// its resource folders beside itself, in `PREFIX/share/deblurkit` (`make install`), or under
/// `DEBLURKIT_RESOURCES`, and says where it looked when they are in none of them. SwiftPM's
/// own lookup stopped the process with a fatal error there.
@Suite struct InstallTests {
    /// A copy of the built executable in `prefix/bin`, and the environment without the override.
    private func install(in directory: URL, withResources: Bool) throws -> (binary: URL, environment: [String: String]) {
        let files = FileManager.default
        let built = try CLI.executable.get()
        let bin = directory.appendingPathComponent("prefix/bin")
        try files.createDirectory(at: bin, withIntermediateDirectories: true)
        let binary = bin.appendingPathComponent("deblur")
        try files.copyItem(at: built, to: binary)
        if withResources {
            let share = directory.appendingPathComponent("prefix/share/deblurkit")
            try files.createDirectory(at: share, withIntermediateDirectories: true)
            for name in ["DeblurKit_KernelBank.resources", "DeblurKit_Refinement.resources"] {
                try files.copyItem(at: built.deletingLastPathComponent().appendingPathComponent(name),
                                   to: share.appendingPathComponent(name))
            }
        }
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: ResourceFolders.environmentVariable)
        return (binary, environment)
    }

    @Test func aLoneCopySaysWhereItLookedForTheBankAndTheModel() throws {
        try withScratch { dir in
            let (binary, environment) = try install(in: dir, withResources: false)
            let work = dir.appendingPathComponent("work")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            #expect(try CLI.run(["psf", "gaussian", "--sigma", "1", "--size", "5", "-o", "k.tif"], in: work,
                                binary: binary, environment: environment).status == 0)
            #expect(try CLI.run(["psf", "gaussian", "--sigma", "3", "--size", "21", "-o", "image.tif"], in: work,
                                binary: binary, environment: environment).status == 0)
            let before = work.listing()

            let bank = try CLI.run(["psf", "bank", "--list"], in: work, binary: binary, environment: environment)
            expectCleanFailure(bank, naming: "DeblurKit_KernelBank.resources", directory: work, before: before)
            #expect(bank.stderr.contains(dir.appendingPathComponent("prefix/bin").path))
            #expect(bank.stderr.contains("make install"))

            let named = try CLI.run(["blur", "image.tif", "--psf", "trajectory-25-3", "-o", "b.tif"], in: work,
                                    binary: binary, environment: environment)
            expectCleanFailure(named, naming: "DeblurKit_KernelBank.resources", directory: work, before: before)

            let model = try CLI.run(["refine", "image.tif", "--psf", "k.tif", "-o", "r.tif"], in: work,
                                    binary: binary, environment: environment)
            expectCleanFailure(model, naming: "DeblurKit_Refinement.resources", directory: work, before: before)

            // What needs no resource still works.
            #expect(try CLI.run(["blur", "image.tif", "--psf", "k.tif", "-o", "b.tif"], in: work,
                                binary: binary, environment: environment).status == 0)
        }
    }

    @Test func theInstallLayoutAndTheOverrideAreFound() throws {
        try withScratch { dir in
            let (binary, environment) = try install(in: dir, withResources: true)
            let listed = try CLI.run(["psf", "bank", "--list"], in: dir, binary: binary, environment: environment)
            #expect(listed.status == 0, "\(listed)")
            #expect(listed.stdout.split(separator: "\n").first?.hasPrefix("motion-05-000.0") == true)

            // A lone copy elsewhere, pointed at the installed folders.
            let other = dir.appendingPathComponent("elsewhere")
            try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
            let lone = other.appendingPathComponent("deblur")
            try FileManager.default.copyItem(at: binary, to: lone)
            var pointed = environment
            pointed[ResourceFolders.environmentVariable] = dir.appendingPathComponent("prefix/share/deblurkit").path
            let viaVariable = try CLI.run(["psf", "bank", "--list"], in: dir, binary: lone, environment: pointed)
            #expect(viaVariable.stdout == listed.stdout, "\(viaVariable)")

            // The override is the only place looked in: a wrong one is named, not silently passed over.
            var wrong = environment
            wrong[ResourceFolders.environmentVariable] = dir.appendingPathComponent("nowhere").path
            let before = dir.listing()
            let failed = try CLI.run(["psf", "bank", "--list"], in: dir, binary: binary, environment: wrong)
            expectCleanFailure(failed, naming: dir.appendingPathComponent("nowhere/DeblurKit_KernelBank.resources").path,
                               directory: dir, before: before)
        }
    }
}
