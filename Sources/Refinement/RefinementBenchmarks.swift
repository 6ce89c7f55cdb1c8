import DeblurCore
import Deconvolution
import Foundation

/// The Refinement module's cases for `deblur bench`:
///
/// - `sgemm`: OpenBLAS `sgemm` on 1024 × 1024 × 1024, the floor every convolution is measured against;
/// - `train`: optimizer steps of the shipped model's network on batches of 16 patches of 64 × 64
///   (`patches_per_s`, achieved `gflops` counting forward + backward as 3 × the forward
///   multiply–adds × 2, and `sgemm_fraction`);
/// - `infer`: one forward pass of the shipped model's network on a 512 × 512 image (`ms`, plus
///   the tiled path `deblur refine` uses as `tiled_ms`);
/// - `pnp`: one plug-and-play restoration (what `cnn` runs) of a 256 × 256 image blurred by a
///   31-pixel trajectory PSF (`ms`), against its network passes alone (`network_ms`).
///
/// The network is the shipped model's architecture (the standard refiner's when no model is
/// shipped), with seeded random weights: the time does not depend on their values.
public enum RefinementBenchmarks {
    public static let cases: [BenchCase] = [
        BenchCase(name: "sgemm", summary: "OpenBLAS sgemm 1024³, the floor of the CNN's convolutions", takesSizes: false) { options, emit in
            let g = sgemmRate(repeats: options.repeats)
            emit(BenchRecord("sgemm", [("m", .int(1024)), ("n", .int(1024)), ("k", .int(1024)), ("threads", .int(BLAS.threads)), ("gflops", .double(g))]))
        },
        BenchCase(name: "train", summary: "training steps of the shipped network, batch 16 × 64², patches/s and GFLOP/s", takesSizes: false) { options, emit in
            let batch = 16, patch = 64
            var rng = SeededRandom(seed: 2)
            var net = benchNetwork(shippedArchitecture, rng: &rng)
            let input = randomTensor(batch, net.architecture.inputs.count, patch, patch, rng: &rng)
            let target = randomTensor(batch, 1, patch, patch, rng: &rng)
            var adam = Adam(parameterCount: net.parameterCount)
            let loss = CharbonnierLoss.l1
            let ws = UNetWorkspace()
            var gradient = Tensor(batch: 0, channels: 0, height: 0, width: 0)
            var gradients = [Float](repeating: 0, count: net.parameterCount)
            func step() {
                _ = loss.evaluate(prediction: net.forward(input, workspace: ws), target: target, gradient: &gradient)
                gradients.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                net.backward(gradient, workspace: ws, gradients: &gradients)
                adam.update(&net, along: gradients)
            }
            step()  // allocate the workspace
            let steps = 5
            let t = bestTime(repeats: options.repeats) { for _ in 0..<steps { step() } } / Double(steps)
            let flops = 3 * 2 * net.multiplyAddsPerPixel * Double(batch * patch * patch)
            let gflops = flops / t * 1e-9
            let floor = sgemmRate(repeats: options.repeats)
            emit(BenchRecord("train", [("inputs", .int(net.architecture.inputs.count)), ("batch", .int(batch)), ("patch", .int(patch)),
                                       ("patches_per_s", .double(Double(batch) / t)),
                                       ("ms_per_step", .double(t * 1e3)), ("gflops", .double(gflops)),
                                       ("sgemm_gflops", .double(floor)), ("sgemm_fraction", .double(gflops / floor)),
                                       ("threads", .int(BLAS.threads))]))
        },
        BenchCase(name: "infer", summary: "one forward pass of the shipped network on 512² (whole image and tiled)") { options, emit in
            for size in options.sizes ?? [512] {
                var rng = SeededRandom(seed: 3)
                let net = benchNetwork(shippedArchitecture, rng: &rng)
                let m = net.architecture.sizeMultiple
                let side = (size + m - 1) / m * m
                let input = randomTensor(1, net.architecture.inputs.count, side, side, rng: &rng)
                let ws = UNetWorkspace()
                net.forward(input, workspace: ws)
                let t = bestTime(repeats: options.repeats) { net.forward(input, workspace: ws) }
                let planes = (0..<net.architecture.inputs.count).map { input.image(0).channel($0) }
                let tiledWorkspace = UNetWorkspace()
                let tiling = TiledInference()
                _ = tiling.run(net, planes: planes, workspace: tiledWorkspace)
                let tiled = bestTime(repeats: options.repeats) { _ = tiling.run(net, planes: planes, workspace: tiledWorkspace) }
                let gflops = 2 * net.multiplyAddsPerPixel * Double(side * side) / t * 1e-9
                emit(BenchRecord("infer", [("inputs", .int(net.architecture.inputs.count)), ("size", .int(side)), ("ms", .double(t * 1e3)),
                                           ("tiled_ms", .double(tiled * 1e3)),
                                           ("gflops", .double(gflops)), ("threads", .int(BLAS.threads))]))
            }
        },
        BenchCase(name: "pnp", summary: "one plug-and-play restoration (cnn) of 256² with a 31-px trajectory PSF, against its network passes alone", minimumSize: 31) { options, emit in
            for size in options.sizes ?? [256] {
                try emit(plugAndPlayRecord(size: size, repeats: options.repeats))
            }
        },
    ]

    /// The architecture of the shipped model (read once from its header), or the standard
    /// refiner's when none is shipped or it cannot be read.
    static let shippedArchitecture: RefinerArchitecture = {
        guard let path = try? RefinerMethod.defaultModelPath, let model = try? ModelFile.read(path).model else { return .standard }
        return model.network.architecture
    }()

    /// A network of `architecture` whose parameters initialized to zero (those that make an
    /// untrained network the identity) are small random values instead, so every layer works.
    static func benchNetwork(_ architecture: RefinerArchitecture, rng: inout SeededRandom) -> UNet {
        var net = UNet(architecture: architecture, seed: 1)
        for i in net.parameters.indices where net.parameters[i] == 0 { net.parameters[i] = Float(rng.gaussian() * 0.01) }
        return net
    }

    /// Times `PlugAndPlayRestorer` (8 steps, σ = 1 %) on a `size`² smooth sinusoidal pattern
    /// (the time depends on the size, not the content), and the same 8 network passes on its extended domain, so `network_fraction`
    /// says how much of a `cnn` restoration the data steps' CG leaves to the network.
    static func plugAndPlayRecord(size: Int, repeats: Int) throws -> BenchRecord {
        var architecture = shippedArchitecture
        if architecture.inputs.contains(.blurred) { architecture.inputs = [.estimate, .noise] }
        var rng = SeededRandom(seed: 5)
        let net = benchNetwork(architecture, rng: &rng)
        let header = ModelHeader(architecture: architecture, base: BaseMethod(name: "none"), task: .denoise)
        let restorer = try PlugAndPlayRestorer(model: RefinerModel(header: header, network: net), noiseSigma: 0.01)
        let psf = try PSF.trajectory(size: 31, seed: 3)
        let sharp = Image(height: size + 30, width: size + 30) { _, y, x in Float(0.5 + 0.25 * sin(Double(x) * 0.11) * cos(Double(y) * 0.07)) }
        let blurred = try blur(sharp, psf: psf, boundary: .valid)
        _ = try restorer.restore(blurred, psf: psf, observer: nil)
        let t = try bestTime(repeats: repeats) { _ = try restorer.restore(blurred, psf: psf, observer: nil) }
        // The same passes the restorer makes: one whole-image pass per step on the extended domain.
        let data = try MaskedDataProximal(observation: blurred, psf: psf)
        let planes = architecture.inputs.map { $0 == .noise ? Image(height: 1, width: 1, value: 0.05) : data.start() }
        let tiling = restorer.tiling(forPaddedHeight: data.paddedHeight, width: data.paddedWidth)
        let ws = UNetWorkspace()
        _ = tiling.run(net, planes: planes, workspace: ws)
        let pass = bestTime(repeats: repeats) { _ = tiling.run(net, planes: planes, workspace: ws) }
        let network = pass * Double(restorer.iterations)
        return BenchRecord("pnp", [("size", .int(size)), ("psf", .int(psf.height)), ("padded", .int(data.paddedHeight)),
                                   ("iterations", .int(restorer.iterations)), ("ms", .double(t * 1e3)),
                                   ("network_ms", .double(network * 1e3)), ("network_fraction", .double(network / t)),
                                   ("threads", .int(BLAS.threads))])
    }

    /// Best GFLOP/s of a 1024³ `sgemm` (computed once per process).
    static func sgemmRate(repeats: Int) -> Double {
        if let cached = cachedRate.value { return cached }
        let n = 1024
        var rng = SeededRandom(seed: 4)
        let a = (0..<(n * n)).map { _ in rng.uniformFloat() }, b = (0..<(n * n)).map { _ in rng.uniformFloat() }
        var c = [Float](repeating: 0, count: n * n)
        func run() {
            a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
                sgemm(transposeA: false, transposeB: false, m: n, n: n, k: n, pa.baseAddress!, lda: n, pb.baseAddress!, ldb: n,
                      beta: 0, pc.baseAddress!, ldc: n)
            } } }
        }
        run()
        let t = bestTime(repeats: max(3, repeats)) { run() }
        let rate = 2 * Double(n * n * n) / t * 1e-9
        cachedRate.value = rate
        return rate
    }

    static let cachedRate = Box()
    final class Box: @unchecked Sendable { var value: Double? }

    static func randomTensor(_ n: Int, _ c: Int, _ h: Int, _ w: Int, rng: inout SeededRandom) -> Tensor {
        Tensor(batch: n, channels: c, height: h, width: w, data: (0..<(n * c * h * w)).map { _ in rng.uniformFloat() })
    }
}
