// Adds a deblurring method from Swift and scores it against the built-in ones through the
// same comparison runner `deblur compare` uses.
//
//     swift run CustomMethod [OUTPUT_DIRECTORY]
//
// prints the Markdown summary table and writes report.html, report.md and results.csv
// to OUTPUT_DIRECTORY (default: the current directory).

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

/// Landweber iteration (Landweber 1951), the plainest iterative deconvolution:
/// `x ← x + β Hᵀ(y − H x)`, starting from `x₀ = y`, with circular convolution `H`.
/// Any type conforming to `Restorer` can be compared; reporting each iteration to the
/// observer is what gives the HTML report its PSNR-versus-iteration curve.
struct Landweber: Restorer {
    var iterations = 25
    /// Step size; convergence needs 0 < β < 2 / ‖H‖², and ‖H‖ = 1 for a normalized PSF.
    var step: Float = 1.5

    var name: String { "landweber(iterations=\(iterations))" }

    func restore(_ blurred: Image, psf: PSF, observer: IterationObserver?) throws -> Image {
        let adjoint = try PSF(psf.image.rotated180(), source: "flipped PSF")
        var estimate = blurred
        let start = Date()
        for k in 1...iterations {
            let residual = try blur(estimate, psf: psf, boundary: .circular)
            var update = blurred
            update.withUnsafeMutableBufferPointer { u in
                residual.withUnsafeBufferPointer { r in for i in u.indices { u[i] -= r[i] } }
            }
            let correction = try blur(update, psf: adjoint, boundary: .circular)
            var change = 0.0, norm = 0.0
            estimate.withUnsafeMutableBufferPointer { x in
                correction.withUnsafeBufferPointer { c in
                    for i in x.indices {
                        let delta = step * c[i]
                        change += Double(delta * delta); norm += Double(x[i] * x[i])
                        x[i] += delta
                    }
                }
            }
            let state = IterationState(iteration: k, relativeChange: (change / max(norm, 1e-30)).squareRoot(),
                                       elapsed: Date().timeIntervalSince(start), estimate: estimate)
            if let observer, !observer(state) { break }
        }
        return estimate
    }
}

/// A small synthetic dataset in memory: dead-leaves images blurred by motion PSFs, with noise.
func syntheticItems(count: Int) throws -> [ComparisonItem] {
    var leaves = DeadLeaves()
    leaves.minRadius = 2
    leaves.maxRadius = 40
    return try (0..<count).map { index in
        let sharp = leaves.generate(height: 128, width: 128, seed: UInt64(index))
        let length = [7.0, 11, 15][index % 3]
        let psf = try PSF.motion(length: length, angleDegrees: Double(30 * index))
        var rng = SeededRandom(seed: 2024, stream: UInt64(index))
        let sigma = [0.005, 0.01][index % 2]
        let blurred = try addNoise(try blur(sharp, psf: psf, boundary: .circular), NoiseModel(gaussianSigma: sigma), rng: &rng)
        return ComparisonItem(id: String(format: "%03d", index), kernel: "motion-\(Int(length))", noiseSigma: sigma,
                              sharp: sharp, blurred: blurred, psf: psf)
    }
}

let output = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : FileManager.default.currentDirectoryPath
makeOutputFolder(output)
do {
    var methods = [ComparisonMethod(Passthrough()), ComparisonMethod(label: "landweber", restorer: Landweber())]
    // The built-in methods run through the same protocol.
    for spec in ["wiener:nsr=auto", "rl:iterations=25"] {
        let parsed = try MethodSpec.parse(spec)
        do {
            methods.append(ComparisonMethod(label: spec, restorer: try ClassicalMethods.make(parsed.name, parameters: parsed.parameterDictionary)))
        } catch {
            printError("skipping \(spec): \(error)")
        }
    }
    var runner = ComparisonRunner(settings: ComparisonSettings(dataset: "synthetic dead leaves (in memory)", metrics: MetricSettings(crop: 8)))
    runner.traceItems = 2
    runner.previewItems = 2
    runner.previewSize = 96
    // Items run on both cores; each FFT then uses one thread.
    FFT.threads = 1
    let result = runner.run(items: try syntheticItems(count: 6), methods: methods)

    print(MarkdownReport.headline(result) + "\n")
    print(MarkdownReport.summaryTable(result))
    try writeAtomically(Data(HTMLReport.render(result, encodePNG: { try ImageIO.encodePNG($0) }).utf8),
                        to: (output as NSString).appendingPathComponent("report.html"))
    try writeAtomically(Data(MarkdownReport.render(result).utf8), to: (output as NSString).appendingPathComponent("report.md"))
    try writeAtomically(Data(CSVReport.render(result).utf8), to: (output as NSString).appendingPathComponent("results.csv"))
    print("wrote report.html, report.md and results.csv to \(output)")
    if !result.failures.isEmpty { exit(1) }
} catch {
    printError("error: \(error)")
    exit(1)
}
