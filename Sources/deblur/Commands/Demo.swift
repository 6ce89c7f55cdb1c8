import ArgumentParser
import DeblurKit
import Foundation

/// The README's main job: the whole loop on built-in data, with no download.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the main job on built-in data: synthesize, restore, compare, report.",
        discussion: """
        Synthesizes a small dataset (dead-leaves images blurred by the bank's camera-shake kernels, 1 % noise, \
        valid boundaries), restores it with Wiener, Richardson–Lucy, hyper-Laplacian and the CNN (plug-and-play with the shipped denoiser, when a \
        model is shipped), prints the comparison table and writes report.md, report.html, report.csv, report.json, \
        the restored images and side-by-side pictures into the output folder. Build in release first \
        (swift build -c release): numerics in a debug build are slow.
        """)

    @Option(help: "Output folder (created; its dataset is reused when the settings match, and refused when they differ).")
    var out = "deblur-demo"

    @Option(help: "Number of dataset items.")
    var items = 16

    @Option(help: "Side of each item in pixels.")
    var size = 256

    @Option(help: "Gaussian noise σ on the [0, 1] scale.")
    var noiseSigma = 0.01

    @Option(help: "Dataset seed.")
    var seed: UInt64 = 0

    @Option(help: "Items shown as side-by-side pictures.")
    var pictures = 3

    @Flag(help: "No progress bars.")
    var quiet = false

    func validate() throws {
        // An empty --out standardized to "" and the demo wrote dataset/, kernels/, restored/
        // and its reports at the root of the file system.
        guard !out.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("Please give an --out folder (got an empty name).") }
        // synth's bounds, checked before the output folder is made: a refusal by synth left
        // the folder and its copied kernels behind.
        guard (1...SynthesisSettings.maximumCount).contains(items) else {
            throw ValidationError("Please give --items from 1 to \(SynthesisSettings.maximumCount) (got \(items)).")
        }
        guard (64...4096).contains(size) else { throw ValidationError("Please give a --size from 64 to 4096 (got \(size)).") }
        guard noiseSigma >= 0, noiseSigma <= NoiseModel.maximumGaussianSigma else {
            throw ValidationError("Please give --noise-sigma from 0 to \(Int(NoiseModel.maximumGaussianSigma)) (got \(noiseSigma)).")
        }
        guard pictures >= 0 else { throw ValidationError("Please give --pictures ≥ 0 (got \(pictures)).") }
    }

    func run() throws {
        let start = monotonicSeconds()
        let root = (out as NSString).standardizingPath
        let kernels = root + "/kernels", dataset = root + "/dataset", restored = root + "/restored"
        try FileManager.default.createDirectory(atPath: kernels, withIntermediateDirectories: true)

        // The bank's camera-shake kernels are the demo's blur; copying them makes the dataset self-contained.
        let trajectories = try KernelBank.copy(kind: "trajectory", to: kernels)
        log("demo: \(items) dead-leaves items of \(size)×\(size), \(trajectories.count) bank trajectory kernels, noise σ \(noiseSigma), valid boundaries → \(dataset)")
        let synth = try Synth.parse(["--out", dataset, "--dead-leaves", String(items), "--size", String(size),
                                     "--kernels", kernels, "--noise-sigma=\(noiseSigma)", "--seed", String(seed)]
                                    + (quiet ? ["--quiet"] : []))
        do {
            try synth.run()
        } catch let DatasetsError.settingsMismatch(path, differences) {
            // synth's own advice, --force, is no demo option; the dataset there is kept, not replaced.
            throw CLIError("\(path) was generated with different settings (\(differences.joined(separator: "; "))): "
                           + "give another --out, or delete \(path) to make it afresh")
        }

        var methods = ["blurred", "wiener:nsr=auto", "rl:iterations=30", "hyper-laplacian"]
        if try RefinerMethod.defaultModelPath != nil {
            methods.append("cnn")
        } else {
            log("demo: this build ships no CNN model, so the cnn row is left out (train one: make denoiser, then copy denoiser.model to Sources/Refinement/Resources/default.model)")
        }
        log("demo: comparing \(methods.joined(separator: ", "))")
        print("")
        let compare = try Compare.parse([dataset, "--methods", methods.joined(separator: ","),
                                         "--report", root + "/report.md", "--html", root + "/report.html",
                                         "--csv", root + "/report.csv", "--json", root + "/report.json",
                                         "--save-restored", restored] + (quiet ? ["--quiet"] : []))
        try compare.run()

        let pictures = try writePictures(dataset: dataset, restored: restored, root: root)
        print("")
        print(String(format: "demo: done in %.1f s. Open %@/report.html; reports %@/report.{md,csv,json}; side by side: %@",
                     monotonicSeconds() - start, root, root, pictures.isEmpty ? "(none)" : pictures.joined(separator: ", ")))
    }

    /// Writes `side-by-side-<id>.png`: sharp | blurred | each method, for the first items.
    private func writePictures(dataset: String, restored: String, root: String) throws -> [String] {
        let data = try Dataset.load(dataset)
        let methodFolders = (try? FileManager.default.contentsOfDirectory(atPath: restored))?.sorted() ?? []
        let order = ["blurred", "wiener", "rl", "hyper-laplacian", "cnn"]
        let folders = methodFolders.sorted { a, b in
            (order.firstIndex { a.hasPrefix($0) } ?? order.count, a) < (order.firstIndex { b.hasPrefix($0) } ?? order.count, b)
        }.filter { !$0.hasPrefix("blurred") }
        var written: [String] = []
        for item in data.items.prefix(pictures) {
            var panels = [try ImageIO.read(data.path(item.sharp)), try ImageIO.read(data.path(item.blurred))]
            for folder in folders {
                let path = restored + "/" + folder + "/" + SavedRestorations.fileName(item.id) + ".tif"
                if FileManager.default.fileExists(atPath: path) { panels.append(try ImageIO.read(path)) }
            }
            let path = root + "/side-by-side-\(item.id).png"
            try ImageIO.write(Image.montage(panels, gap: 6).clamped(), to: path)
            written.append(path)
        }
        if !written.isEmpty {
            log("demo: pictures show sharp | blurred | \(folders.joined(separator: " | "))")
        }
        return written
    }

    private func log(_ message: String) {
        if !quiet { writeStandardError(message + "\n") }
    }
}
