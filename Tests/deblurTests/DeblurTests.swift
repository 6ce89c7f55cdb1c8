import DeblurKit
import Foundation
import Testing

@Suite struct DeblurRootTests {
    @Test func versionPrintsTheLibraryVersionAndExitsZero() throws {
        try withScratch { dir in
            let result = try dir.deblur("--version")
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == DeblurKitVersion.string)
        }
    }

    @Test func helpListsEverySubcommandAndExitsZero() throws {
        try withScratch { dir in
            let result = try dir.deblur("--help")
            #expect(result.status == 0, "\(result)")
            for command in ["info", "convert", "psf", "blur", "deconvolve", "refine", "train", "synth", "compare", "metrics", "export-onnx"] {
                #expect(result.stdout.contains(command), "--help does not mention \(command)")
            }
        }
    }

    /// A `--threads` default is "all cores", which depends on the machine and the process's
    /// CPU affinity: help must say so, not print the count of the machine it runs on.
    /// `compare --help` printed "(default: all cores; …). (default: 2)".
    @Test func threadsDefaultsAreNotPrintedAsThisMachinesCoreCount() throws {
        try withScratch { dir in
            for command in ["compare", "synth", "train", "refine", "bench"] {
                let result = try dir.deblur(command, "--help")
                #expect(result.status == 0, "\(result)")
                let flat = result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                guard let start = flat.range(of: "--threads <threads>") else { continue }
                let rest = flat[start.upperBound...]
                let entry = rest[..<(rest.range(of: " --")?.lowerBound ?? rest.endIndex)]
                #expect(!entry.contains("(default: \(ProcessorInfo.cores))"), "\(command): \(entry)")
            }
        }
    }

    /// The one-line `--json` summaries quote their paths as JSON strings: a `"` or `\` in a file
    /// name once made them unparseable.
    @Test func jsonSummariesStayJSONForPathsWithQuotesAndBackslashes() throws {
        try withScratch { dir in
            let folder = #"q"u\o"#
            try FileManager.default.createDirectory(at: dir.file(folder), withIntermediateDirectories: true)
            let runs: [(arguments: [String], key: String, value: String)] = [
                (["psf", "disk", "--radius", "2", "-o", folder + "/k.tif"], "file", folder + "/k.tif"),
                (["blur", folder + "/k.tif", "--psf", folder + "/k.tif", "--boundary", "circular", "-o", folder + "/b.tif"], "output", folder + "/b.tif"),
                (["deconvolve", folder + "/b.tif", "--psf", folder + "/k.tif", "--method", "rl", "--iterations", "2", "--quiet",
                  "-o", folder + "/r.tif"], "output", folder + "/r.tif"),
                (["synth", "--out", folder + "/ds", "--count", "1", "--size", "32", "--quiet"], "directory", folder + "/ds"),
            ]
            for run in runs {
                let result = try dir.deblur(run.arguments + ["--json"])
                #expect(result.status == 0, "\(result)")
                let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
                #expect(object?[run.key] as? String == run.value, "\(run.arguments[0]): \(result.stdout)")
            }
        }
    }

    @Test func unknownSubcommandExitsOneNamingIt() throws {
        try withScratch { dir in
            let result = try dir.deblur("frobnicate")
            expectCleanFailure(result, naming: "frobnicate", directory: dir, before: [], usageFollows: true)
        }
    }

    /// A thread count past 1024 (one past Int32 once trapped in OpenBLAS's setter) or below 1
    /// exits 1 naming it, for every command that takes one, before any work.
    @Test(arguments: ["3000000000", "0"])
    func threadCountsOutOfRangeExitOne(count: String) throws {
        try withScratch { dir in
            for command in [["refine", "b.tif", "--psf", "k.tif", "-o", "r.tif"], ["train", "--synthetic", "-o", "t.model"],
                            ["synth", "--out", "s", "--count", "1"], ["compare", "ds", "--methods", "blurred"]] {
                let result = try dir.deblur(command + ["--threads", count])
                expectCleanFailure(result, naming: count, directory: dir, before: [], usageFollows: true)
            }
        }
    }

    /// An output that is one of the inputs (even through another path) is refused before
    /// anything runs, and the input keeps its bytes.
    @Test func anOutputThatIsAnInputIsRefusedAndTheInputKept() throws {
        try withScratch { dir in
            try ImageIO.write(Image(height: 24, width: 24, value: 0.5), to: dir.file("a.tif").path)
            try ImageIO.writePSF(try PSF.gaussian(sigma: 1, size: 5), to: dir.file("k.tif").path)
            try TrainedModel.copy(to: dir, as: "m.model")
            let kept = try ["a.tif", "k.tif", "m.model"].map { try Data(contentsOf: dir.file($0)) }
            for command in [["blur", "a.tif", "--psf", "k.tif", "-o", "./a.tif"], ["deconvolve", "a.tif", "--psf", "k.tif", "--method", "wiener", "-o", "k.tif"],
                            ["refine", "a.tif", "--psf", "k.tif", "-o", "a.tif"], ["convert", "a.tif", "a.tif"],
                            ["metrics", "a.tif", "a.tif", "--ssim-map", "a.tif"], ["psf", "import", "k.tif", "-o", "k.tif"],
                            ["export-onnx", "m.model", "-o", "m.model"]] {
                let before = dir.listing()
                let result = try dir.deblur(command)
                expectCleanFailure(result, naming: "choose another name", directory: dir, before: before, usageFollows: true)
            }
            #expect(try ["a.tif", "k.tif", "m.model"].map { try Data(contentsOf: dir.file($0)) } == kept)
        }
    }

    /// A file where a directory is wanted: one line naming it, not Foundation's error dump.
    @Test func aFileInPlaceOfADirectoryIsNamedPlainly() throws {
        try withScratch { dir in
            try Data().write(to: dir.file("afile"))
            try TrainedModel.copy(to: dir, as: "m.model")
            let before = dir.listing()
            for command in [["export-onnx", "m.model", "-o", "x.onnx", "--samples", "afile"], ["psf", "bank", "--out", "afile"]] {
                let result = try dir.deblur(command)
                expectCleanFailure(result, naming: "afile", directory: dir, before: before)
                #expect(!result.stderr.contains("NSCocoaErrorDomain"), "\(result)")
                // Every other error starts so (ArgumentParser's prefix).
                #expect(result.stderr.hasPrefix("Error: "), "\(result)")
            }
        }
    }

    /// A process pinned to one CPU (as `taskset`, a SLURM allocation or a container's cpuset
    /// pin it) defaults to one thread, not to the machine's cores: `bench` reports the default.
    @Test func theDefaultThreadCountFollowsTheAffinity() throws {
        let taskset = URL(fileURLWithPath: "/usr/bin/taskset")
        guard FileManager.default.isExecutableFile(atPath: taskset.path) else { return }
        try withScratch { dir in
            let deblur = try CLI.executable.get().path
            let result = try CLI.run(["-c", "0", deblur, "bench", "--cases", "ssim", "--sizes", "16", "--repeats", "1", "--json"],
                                     in: dir, binary: taskset)
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout.contains("\"threads\": 1}"), "\(result)")
        }
    }
}
