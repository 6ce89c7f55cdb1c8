import DeblurCore
import Foundation

/// The Refinement module's cases for `deblur bench`:
///
/// - `sgemm`: OpenBLAS `sgemm` on 1024 × 1024 × 1024, the floor every convolution is measured against;
/// - `train`: optimizer steps of the default refiner on batches of 16 patches of 64 × 64
///   (`patches_per_s`, achieved `gflops` counting forward + backward as 3 × the forward
///   multiply–adds × 2, and `sgemm_fraction`);
/// - `infer`: one forward pass of the default refiner on a 512 × 512 image (`ms`, plus the
///   tiled path `deblur refine` uses as `tiled_ms`).
public enum RefinementBenchmarks {
    public static let cases: [BenchCase] = [
        BenchCase(name: "sgemm", summary: "OpenBLAS sgemm 1024³, the floor of the CNN's convolutions") { options, emit in
            let g = sgemmRate(repeats: options.repeats)
            emit(BenchRecord("sgemm", [("m", .int(1024)), ("n", .int(1024)), ("k", .int(1024)), ("threads", .int(BLAS.threads)), ("gflops", .double(g))]))
        },
        BenchCase(name: "train", summary: "training steps of the default refiner, batch 16 × 64², patches/s and GFLOP/s") { options, emit in
            let batch = 16, patch = 64
            var net = UNet(architecture: .standard, seed: 1)
            var rng = SeededRandom(seed: 2)
            for i in net.parameters.indices where net.parameters[i] == 0 { net.parameters[i] = Float(rng.gaussian() * 0.01) }
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
            emit(BenchRecord("train", [("batch", .int(batch)), ("patch", .int(patch)), ("patches_per_s", .double(Double(batch) / t)),
                                       ("ms_per_step", .double(t * 1e3)), ("gflops", .double(gflops)),
                                       ("sgemm_gflops", .double(floor)), ("sgemm_fraction", .double(gflops / floor)),
                                       ("threads", .int(BLAS.threads))]))
        },
        BenchCase(name: "infer", summary: "one forward pass of the default refiner on 512² (whole image and tiled)") { options, emit in
            for size in options.sizes ?? [512] {
                var net = UNet(architecture: .standard, seed: 1)
                var rng = SeededRandom(seed: 3)
                for i in net.parameters.indices where net.parameters[i] == 0 { net.parameters[i] = Float(rng.gaussian() * 0.01) }
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
                emit(BenchRecord("infer", [("size", .int(side)), ("ms", .double(t * 1e3)), ("tiled_ms", .double(tiled * 1e3)),
                                           ("gflops", .double(gflops)), ("threads", .int(BLAS.threads))]))
            }
        },
    ]

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
