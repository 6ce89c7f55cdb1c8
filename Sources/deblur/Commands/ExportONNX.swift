import ArgumentParser
import DeblurKit
import Foundation

struct ExportONNX: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-onnx", abstract: "Export a model's network (refiner or denoiser) as an ONNX graph.",
        discussion: """
        Writes the network (not the classical base method) as an ONNX graph, opset 13: one input per plane \
        (estimate, blurred, noise; N×1×H×W, H and W multiples of 2^depth) and the output 'output'. \
        With --samples DIR it also writes a random input for each graph input (DIR/<name>.tif, a float TIFF with \
        one page per channel) and deblur's own output on them (DIR/output.tif), so the export can be checked with \
        onnxruntime in a few lines (Examples/onnx/verify.py).
        """)

    @Argument(help: "The model file.")
    var model: String
    @Option(name: [.short, .customLong("output")], help: "The ONNX file to write.")
    var output: String
    @Option(help: "Also write sample inputs and deblur's output on them into this directory.")
    var samples: String?
    @Option(help: "Side of the sample inputs, 1…1024 (rounded up to a multiple of 2^depth; default 64); needs --samples.")
    var sampleSize: Int?
    @Option(help: "Seed of the sample inputs (default 0); needs --samples.")
    var seed: UInt64?

    func validate() throws {
        // They shape the sample inputs alone: without --samples they were dropped, exit 0.
        if samples == nil {
            try refuseUnused([("--sample-size", sampleSize != nil), ("--seed", seed != nil)],
                             "without --samples DIR: the sample options shape the sample inputs, which only --samples writes")
        }
        let sampleSize = self.sampleSize ?? 64
        guard (1...1024).contains(sampleSize) else { throw ValidationError("Please give a --sample-size from 1 to 1024 (got \(sampleSize)).") }
        try refuseOverwriting(model, with: output, option: "--output")
    }

    func run() throws {
        let refiner = try ModelFile.read(model).model
        var files: [(path: String, plane: Image)] = []
        if let samples {
            let m = refiner.network.architecture.sizeMultiple
            let side = sampleSize ?? 64
            let size = max(m, (side + m - 1) / m * m)
            var rng = SeededRandom(seed: seed ?? 0)
            let planes = refiner.network.architecture.inputs.map { _ in Image(height: size, width: size) { _, _, _ in rng.uniformFloat() } }
            var x = Tensor(batch: 1, channels: planes.count, height: size, width: size)
            x.data = planes.flatMap(\.pixels)
            let y = refiner.network(x)
            for (name, plane) in zip(refiner.network.architecture.inputs.map(\.rawValue) + ["output"], planes + [y.image(0)]) {
                files.append(((samples as NSString).appendingPathComponent(name + ".tif"), plane))
            }
        }
        // All or nothing: each sample goes to a temporary file, renamed over its name only once
        // the ONNX file is written, so a failure (a full disk) leaves no sample without its graph
        // and the previous export's samples as they were. (Removing the new samples after a
        // failed ONNX write removed the files they had replaced.)
        func write(_ pending: ArraySlice<(path: String, plane: Image)>) throws {
            guard let (path, plane) = pending.first else { return try ONNXExport.write(refiner, to: output) }
            try writeAtomically(to: path) { temporary in
                try ImageIO.writeTIFFPages([plane], to: temporary, reportedAs: path)
                try write(pending.dropFirst())
            }
        }
        var createdFolder = false
        do {
            if let samples {
                createdFolder = !FileManager.default.fileExists(atPath: samples)
                try FileManager.default.createDirectory(atPath: samples, withIntermediateDirectories: true)
            }
            try write(files[...])
        } catch {
            if createdFolder, let samples, (try? FileManager.default.contentsOfDirectory(atPath: samples))?.isEmpty == true {
                try? FileManager.default.removeItem(atPath: samples)
            }
            throw error
        }
    }
}
