import DeblurCore

/// The Evaluation module's cases for `deblur bench`:
/// `{"case": "ssim", "size": 1024, "ms": …}` (gray pair, `wang2004`, all cores) and
/// `{"case": "psnr", "size": 1024, "ms": …, "gb_per_s": …}` (bytes of both images read per second).
/// Compare with `peers.py bench`, which times scikit-image's `structural_similarity` on the
/// same settings.
public enum EvaluationBenchmarks {
    public static let cases: [BenchCase] = [
        BenchCase(name: "ssim", summary: "SSIM (wang2004: 11×11 Gaussian, Float64) of a gray pair, all cores", minimumSize: 11) { options, emit in
            for size in options.sizes ?? [1024] {
                let (x, y) = pair(size: size)
                var sink = 0.0
                let seconds = try bestTime(repeats: options.repeats) { sink += try ssim(x, y) }
                let single = try bestTime(repeats: options.repeats) { sink += try ssim(x, y, threads: 1) }
                emit(BenchRecord("ssim", [("size", .int(size)), ("ms", .double(seconds * 1e3)),
                                          ("ms_1_thread", .double(single * 1e3)), ("threads", .int(ProcessorInfo.cores))]))
                _ = sink
            }
        },
        BenchCase(name: "psnr", summary: "PSNR (MSE in Float64) of a gray pair; the floor is memory bandwidth") { options, emit in
            for size in options.sizes ?? [1024] {
                let (x, y) = pair(size: size)
                var sink = 0.0
                let seconds = try bestTime(repeats: max(options.repeats, 5)) { sink += try psnr(x, y) }
                let bytes = Double(2 * 4 * size * size)
                emit(BenchRecord("psnr", [("size", .int(size)), ("ms", .double(seconds * 1e3)),
                                          ("gb_per_s", .double(bytes / seconds * 1e-9))]))
                _ = sink
            }
        },
    ]

    /// A random image and a noisy copy (as `peers.py bench` uses random data).
    static func pair(size: Int) -> (Image, Image) {
        var rng = SeededRandom(seed: 0)
        let x = Image(height: size, width: size) { _, _, _ in rng.uniformFloat() }
        var y = x
        y.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = 0.8 * p[i] + 0.2 * rng.uniformFloat() } }
        return (x, y)
    }
}
