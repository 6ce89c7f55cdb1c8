import ArgumentParser
import DeblurKit
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time the methods against their floors (FFTW transforms, OpenBLAS sgemm) in one run.",
        discussion: "Run it on a release build (swift build -c release). Each line is one measurement; with --json one JSON object per line.")

    @Flag(help: "Print one JSON object per line on stdout.")
    var json = false

    @Option(help: "Comma-separated cases to run (default: all). See --list.")
    var cases: String?

    @Option(help: "Comma-separated square image sizes, e.g. 512,1024 (default: each case's own).")
    var sizes: String?

    @Option(help: "Repetitions per measurement, 1…1000; the best is reported (default 3).")
    var repeats: Int?

    @Flag(help: "List the available cases and exit.")
    var list = false

    static var allCases: [BenchCase] {
        DeconvolutionBenchmarks.cases + EvaluationBenchmarks.cases + RefinementBenchmarks.cases + IOBenchmarks.cases
    }

    func validate() throws {
        // --list prints the names and runs nothing: the options of a run were dropped, exit 0.
        if list {
            try refuseUnused([("--cases", cases != nil), ("--sizes", sizes != nil), ("--repeats", repeats != nil), ("--json", json)],
                             "with --list: it prints the case names and measures nothing")
        }
        // Best of 1000 is as good as best of more; 2^31 repeats ran for months.
        let repeats = self.repeats ?? 3
        guard (1...1000).contains(repeats) else { throw ValidationError("Please give --repeats from 1 to 1000 (got \(repeats)).") }
    }

    func run() throws {
        if list {
            for c in Self.allCases { print("\(c.name)\t\(c.summary)") }
            return
        }
        let known = Set(Self.allCases.map(\.name))
        // Empty entries kept, as for --sizes, so that 'a,,b' is refused rather than read as 'a,b'.
        let wanted = cases.map { $0.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) } }
        // An empty list ran nothing and exited 0, a blank entry was skipped.
        if let wanted, wanted.contains("") {
            throw CLIError("invalid --cases '\(cases!)': expected case names, comma-separated (deblur bench --list)")
        }
        if let wanted {
            for name in wanted where !known.contains(name) {
                throw CLIError("unknown bench case '\(name)': expected one of \(known.sorted().joined(separator: ", "))")
            }
        }
        var sizeList: [Int]?
        if let sizes {
            // Empty entries kept, so that '' and 512,,1024 are refused rather than read as none or two.
            sizeList = try sizes.split(separator: ",", omittingEmptySubsequences: false).map {
                // Up to the readers' largest square image: 46341 and more crashed FFTW's
                // allocation (a 2^31 side asks for 2^64 bytes), and no image that large is read.
                guard let n = Int($0.trimmingCharacters(in: .whitespaces)), n > 0, n <= 16384 else {
                    throw CLIError("invalid --sizes entry '\($0)': expected integers from 1 to 16384 like 512,1024")
                }
                return n
            }
        }
        let chosen = Self.allCases.filter { wanted?.contains($0.name) ?? true }
        // A case of one fixed problem measured it whatever --sizes said: named with --cases, the
        // sizes were dropped for it, exit 0. (Without --cases, --sizes is for the cases that take one.)
        if sizes != nil, wanted != nil {
            let fixed = chosen.filter { !$0.takesSizes }.map(\.name)
            if !fixed.isEmpty {
                throw CLIError("--sizes does not apply to bench case\(fixed.count == 1 ? "" : "s") \(fixed.joined(separator: ", ")) (one fixed problem): run \(fixed.count == 1 ? "it" : "them") without --sizes")
            }
        }
        // Below its PSF, window or block a case printed nothing (fft-floor, rl, wiener at
        // --sizes 8) or an infinite rate, under exit status 0.
        if let sizeList, let smallest = sizeList.min() {
            for benchCase in chosen where smallest < benchCase.minimumSize {
                throw CLIError("invalid --sizes entry '\(smallest)' for bench case '\(benchCase.name)': it measures sizes from \(benchCase.minimumSize)")
            }
        }
        FFT.rigor = .measure
        let options = BenchOptions(sizes: sizeList, repeats: repeats ?? 3)
        for benchCase in chosen {
            try benchCase.run(options) { record in
                print(json ? record.json : record.text)
                fflush(stdout)
            }
        }
    }
}
