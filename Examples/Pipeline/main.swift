// A custom research pipeline scripted with the library API: synthesize blurred images with
// the shipped camera-shake kernels, restore them with two classical methods and the CNN
// (the shipped plug-and-play denoiser, or any model file), score everything and write a report.
//
//     swift run -c release Pipeline [--model denoiser.model] [OUTPUT_DIRECTORY]
//
// Without --model the shipped default model is used when the build has one; otherwise the
// cnn row is left out.

import DeblurKit
import Foundation

/// Writes a line to stderr. `fputs`, not `FileHandle.standardError.write`: that traps when
/// stderr is closed (`2>&-`) or full, ending the program with status 132 instead of its own.
func printError(_ line: String) {
    fputs(line + "\n", stderr)
}

/// Makes the output folder before the run, so that one that cannot be made (under a file, in
/// /proc, without permission) fails at once with the reason, not after every item.
func makeOutputFolder(_ path: String) {
    do { try createFolder(path) } catch {
        printError("error: \(error)")
        exit(1)
    }
}

var arguments = Array(CommandLine.arguments.dropFirst())
var modelPath: String?
if let i = arguments.firstIndex(of: "--model") {
    // Without a value the flag would become the output folder and the shipped model be used.
    guard i + 1 < arguments.count else {
        printError("error: --model needs a model file (usage: Pipeline [--model FILE] [OUTPUT_DIRECTORY])")
        exit(1)
    }
    modelPath = arguments[i + 1]
    arguments.removeSubrange(i...(i + 1))
}
let output = arguments.first ?? FileManager.default.currentDirectoryPath
makeOutputFolder(output)

do {
    // 1. Synthesize: dead leaves, a bank kernel, the `valid` protocol (blur a larger crop and
    //    keep the fully covered part, so restoring needs real boundary handling), 1 % noise.
    let kernels = try KernelBank.entries().filter { $0.kind == "trajectory" }
    var items: [ComparisonItem] = []
    for index in 0..<6 {
        let entry = kernels[(5 * index) % kernels.count]
        let psf = try KernelBank.psf(entry)
        let margin = psf.height - 1
        let large = DeadLeaves().generate(height: 160 + margin, width: 160 + margin, seed: UInt64(index))
        var rng = SeededRandom(seed: 7, stream: UInt64(index))
        let blurred = try addNoise(try blur(large, psf: psf, boundary: .valid), NoiseModel(gaussianSigma: 0.01), rng: &rng)
        let sharp = large.centerCropped(height: blurred.height, width: blurred.width)
        items.append(ComparisonItem(id: String(format: "%02d", index), kernel: entry.name, noiseSigma: 0.01,
                                    sharp: sharp, blurred: blurred, psf: psf))
    }

    // 2. Methods: any `Restorer` — built-in by spec, built-in by type, or the CNN.
    var methods = [ComparisonMethod(Passthrough()),
                   ComparisonMethod(label: "wiener", restorer: try ClassicalMethods.make(spec: "wiener:nsr=auto")),
                   ComparisonMethod(label: "hyper-laplacian", restorer: try ClassicalMethods.make(spec: "hyper-laplacian"))]
    if try modelPath != nil || RefinerMethod.defaultModelPath != nil {
        let refiner = try RefinerMethod.make(parameters: modelPath.map { ["model": $0] } ?? [:])
        methods.append(ComparisonMethod(label: "cnn", restorer: refiner))
    } else {
        printError("no CNN model (pass --model FILE): the cnn row is left out")
    }

    // 3. Score in parallel and report. Items own the cores, so each FFT and each network pass
    //    is single-threaded: `BLAS.withThreads(1)` sets both, as `deblur compare` does.
    var runner = ComparisonRunner(settings: ComparisonSettings(dataset: "pipeline example (in memory)", metrics: MetricSettings(crop: 0)))
    runner.previewItems = 2
    let result = BLAS.withThreads(1) { runner.run(items: items, methods: methods) }
    print(MarkdownReport.summaryTable(result))

    let html = (output as NSString).appendingPathComponent("pipeline-report.html")
    try writeAtomically(Data(HTMLReport.render(result, encodePNG: { try ImageIO.encodePNG($0) }).utf8), to: html)
    print("wrote \(html)")
    if !result.failures.isEmpty { exit(1) }
} catch {
    printError("error: \(error)")
    exit(1)
}
