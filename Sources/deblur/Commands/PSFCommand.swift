import ArgumentParser
import DeblurKit
import Foundation

struct PSFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "psf", abstract: "Synthesize point-spread functions, import kernels made elsewhere, and the kernel bank.",
        discussion: "Writes a 32-bit float TIFF (.tif), or an 8-bit PNG scaled to its maximum for viewing (.png). See Docs/Synthesis.md.",
        subcommands: [Motion.self, Trajectory.self, Disk.self, Gaussian.self, Import.self, Bank.self])
}

/// Output options shared by the kernel subcommands.
struct PSFOutput: ParsableArguments {
    @Option(name: .shortAndLong, help: "Output file (.tif float, or .png for viewing).")
    var output: String
    @Flag(help: "Print the kernel's description as JSON on stdout.")
    var json = false

    /// Writes `psf`, zero-padded to `size × size` when given.
    func write(_ psf: PSF, kind: String, padTo size: Int? = nil) throws {
        var psf = psf
        if let size {
            // 4095 as for Gaussian kernels: padding beyond that only makes files too large to read back.
            let largest = max(4095, psf.height, psf.width)
            guard size % 2 == 1, size >= psf.height, size >= psf.width, size <= largest else {
                throw CLIError("invalid --size \(size): expected an odd size from \(max(psf.height, psf.width)) to \(largest) (the kernel is \(psf.height)×\(psf.width))")
            }
            let top = (size - psf.height) / 2, left = (size - psf.width) / 2
            psf = try PSF(psf.image.padded(top: top, bottom: size - psf.height - top, left: left, right: size - psf.width - left, mode: .zero))
        }
        try ImageIO.writePSF(psf, to: output)
        if json {
            print("{\"kind\": \"\(kind)\", \"height\": \(psf.height), \"width\": \(psf.width), \"file\": \(jsonQuoted(output))}")
        } else {
            print("\(kind) PSF \(psf.height)×\(psf.width) → \(output)")
        }
    }
}

extension PSFCommand {
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Bring a kernel from elsewhere (a dataset, a blind estimate) under the conventions.",
            discussion: """
            Reads a PNG or TIFF kernel at any scale and writes it odd-sized, non-negative and summing to 1, as every \
            other command expects: a color kernel becomes its luma, negative samples become 0, and an even side gets a \
            zero row or column at the bottom or right, which keeps MATLAB's conv2 'same' centre (sample n/2 from 0). \
            --centroid pads it instead so that its centre of mass falls on the centre sample. Prints what it changed.
            """)
        @Argument(help: "The kernel file (PNG or TIFF).")
        var kernel: String
        @Flag(help: "Centre the kernel's centre of mass (rounded) instead of keeping its array centre.")
        var centroid = false
        @Option(name: .shortAndLong, help: "Output file (.tif float, or .png for viewing).")
        var output: String
        @Flag(help: "Print what was changed as JSON on stdout.")
        var json = false

        func validate() throws { try refuseOverwriting(kernel, with: output, option: "--output") }

        func run() throws {
            let imported = try PSF.importing(try readImage(kernel), centroid: centroid, source: kernel)
            let psf = imported.psf
            try ImageIO.writePSF(psf, to: output)
            if json {
                let object: [String: Any] = [
                    "kind": "import", "source": kernel, "file": output, "height": psf.height, "width": psf.width,
                    "padding": ["top": imported.top, "bottom": imported.bottom, "left": imported.left, "right": imported.right],
                    "clipped_negatives": imported.clippedNegatives, "clipped_fraction": imported.clippedFraction, "centroid": centroid,
                ]
                print(JSONWriter.write(object, indent: nil))
                return
            }
            var changes = [String]()
            let padding = [("top", imported.top), ("bottom", imported.bottom), ("left", imported.left), ("right", imported.right)].filter { $0.1 > 0 }
            if !padding.isEmpty { changes.append("zeros added: " + padding.map { "\($0.1) \($0.0)" }.joined(separator: ", ")) }
            if imported.clippedNegatives > 0 {
                let count = imported.clippedNegatives
                changes.append(String(format: "%d negative sample%@ set to 0 (%.3g %% of the mass)", count, count == 1 ? "" : "s", 100 * imported.clippedFraction))
            }
            print("imported PSF \(psf.height)×\(psf.width) from \(kernel)" + (changes.isEmpty ? "" : " (\(changes.joined(separator: "; ")))") + " → \(output)")
        }
    }

    struct Motion: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Linear motion: MATLAB's fspecial('motion', length, angle).")
        @Option(help: "Length of the motion in pixels (≥ 1).")
        var length: Double
        @Option(help: "Angle in degrees, counter-clockwise from the x axis.")
        var angle: Double = 0
        @Option(help: "Pad the kernel with zeros to SIZE×SIZE (odd, at least the kernel's size).")
        var size: Int?
        @OptionGroup var out: PSFOutput
        func run() throws { try out.write(try PSF.motion(length: length, angleDegrees: angle), kind: "motion", padTo: size) }
    }

    struct Trajectory: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A random camera-shake PSF (Boracchi & Foi 2012), deterministic for its seed.")
        @Option(help: "Side of the PSF in pixels (odd).")
        var size = 31
        @Option(help: "Seed of the trajectory (a dataset's kernel 'trajectory-S' has seed S).")
        var seed: UInt64 = 0
        @OptionGroup var trajectory: TrajectoryOptions
        @OptionGroup var out: PSFOutput
        func run() throws {
            try out.write(try PSF.trajectory(size: size, seed: seed, parameters: trajectory.parameters), kind: "trajectory")
        }
    }

    struct Disk: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Defocus disk: MATLAB's fspecial('disk', radius).")
        @Option(help: "Radius in pixels (> 0).")
        var radius: Double
        @Option(help: "Pad the kernel with zeros to SIZE×SIZE (odd, at least the kernel's size).")
        var size: Int?
        @OptionGroup var out: PSFOutput
        func run() throws { try out.write(try PSF.disk(radius: radius), kind: "disk", padTo: size) }
    }

    struct Gaussian: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Gaussian: MATLAB's fspecial('gaussian', 2·⌈3σ⌉+1, σ).")
        @Option(help: "Standard deviation in pixels (> 0).")
        var sigma: Double
        @Option(help: "Side of the kernel (odd; default 2·⌈3σ⌉+1), as fspecial's size: the Gaussian is sampled over it.")
        var size: Int?
        @OptionGroup var out: PSFOutput
        func run() throws { try out.write(try PSF.gaussian(sigma: sigma, size: size), kind: "gaussian") }
    }

    struct Bank: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the shipped kernel bank (--list), or regenerate it (tif/*.tif, kernels.json, bank.png) bit for bit.",
            discussion: "Every command's --psf also takes a bank kernel's name (deblur blur x.png --psf trajectory-21-2 ...).")
        @Flag(help: "Print the shipped kernels' names, kinds and sizes (height × width); write nothing.")
        var list = false
        @Option(help: "Output folder (default Kernels).")
        var out: String?
        @Flag(help: "Print one JSON object per kernel on stdout.")
        var json = false
        func validate() throws {
            // --list writes nothing: the folder was dropped, exit 0.
            if list { try refuseUnused([("--out", out != nil)], "with --list: it prints the shipped kernels and writes nothing") }
            // An empty --out wrote the bank into the working directory and reported it as /tif.
            if out?.trimmingCharacters(in: .whitespaces).isEmpty == true { throw ValidationError("Please give an --out folder (got an empty name).") }
        }
        func run() throws {
            if list {
                for entry in try KernelBank.entries() {
                    print(json ? Self.jsonLine(entry.name, entry.kind, entry.height, entry.width) : "\(entry.name)\t\(entry.kind)\t\(entry.height)×\(entry.width)")
                }
                return
            }
            let out = self.out ?? "Kernels"
            let kernels = try KernelBankBuilder.write(to: out)
            if json {
                for (entry, psf) in kernels { print(Self.jsonLine(entry.name, entry.kind, psf.height, psf.width)) }
            } else {
                print("wrote \(kernels.count) kernels to \(out)/tif, \(out)/kernels.json and \(out)/bank.png")
            }
        }

        static func jsonLine(_ name: String, _ kind: String, _ height: Int, _ width: Int) -> String {
            "{\"name\": \"\(name)\", \"kind\": \"\(kind)\", \"height\": \(height), \"width\": \(width)}"
        }
    }
}
