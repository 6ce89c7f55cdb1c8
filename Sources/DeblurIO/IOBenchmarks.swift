import DeblurCore
import Foundation

/// DeblurIO's cases for `deblur bench`: reading and writing a large RGB image, with the time
/// spent converting samples (integer/float file samples ↔ planar Float32) measured inside the
/// same reads and writes, so that its share next to the codec's time is visible.
/// `codec_ms` is everything else: libpng/libtiff, zlib, file I/O. `first_touch_ms` is the
/// floor under any reader's conversion on this machine: first writes to a fresh buffer the
/// size of the decoded image (the kernel's page faults), on one thread.
///
/// - `png-io`: 16-bit RGB PNG (libpng + zlib at its default level).
/// - `tiff-io`: 32-bit float RGB TIFF (uncompressed strips).
///
/// Default size 4096 × 4096 (`--sizes` overrides). MB/s counts the image's raw sample bytes
/// (width · height · 3 · bytes per sample), not the file size.
public enum IOBenchmarks {
    /// `png-io` and `tiff-io`, run by `deblur bench` (`deblur bench --cases png-io,tiff-io`).
    public static let cases: [BenchCase] = [
        BenchCase(name: "png-io", summary: "read/write a 16-bit RGB PNG (default 4096²); sample conversion timed apart") { options, report in
            try run(name: "png-io", extension: "png", depth: .uint16, options: options, report: report)
        },
        BenchCase(name: "tiff-io", summary: "read/write a 32-bit float RGB TIFF (default 4096²); sample conversion timed apart") { options, report in
            try run(name: "tiff-io", extension: "tif", depth: .float32, options: options, report: report)
        },
    ]

    /// A photograph-like test image: smooth structure plus a little seeded noise, so that the
    /// PNG compressor works on realistic data rather than incompressible random samples.
    static func testImage(size: Int) -> Image {
        var image = Image(channels: 3, height: size, width: size)
        let plane = size * size
        image.withUnsafeMutableBufferPointer { pixels in
            let pixels = pixels.baseAddress!
            parallelFor(size) { y in
                var rng = SeededRandom(seed: 2026, stream: UInt64(y))
                let fy = Float(y) / Float(size)
                for x in 0..<size {
                    let fx = Float(x) / Float(size)
                    let base = 0.5 + 0.25 * sinf(9 * fx + 4 * fy) * cosf(7 * fy - 2 * fx)
                    for c in 0..<3 {
                        pixels[c * plane + y * size + x] = base + 0.1 * Float(c) * fx + 0.01 * rng.uniformFloat()
                    }
                }
            }
        }
        return image
    }

    static func run(name: String, extension ext: String, depth: SampleDepth, options: BenchOptions,
                    report: (BenchRecord) -> Void) throws {
        let prefix = "deblur-bench-io-"
        let directory = NSTemporaryDirectory() + prefix + "\(getpid())"
        // A run killed by SIGKILL (or the OOM killer) cannot remove its folder, and nothing else
        // did: each left up to 400 MB in the temporary folder. Those of processes that no longer
        // exist are removed now.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? [] where name.hasPrefix(prefix) {
            guard let pid = pid_t(name.dropFirst(prefix.count)), pid > 0, pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: NSTemporaryDirectory() + name)
        }
        // The files are hundreds of MB: an interrupted run must not leave them in the temporary folder.
        let registration = InterruptCleanup.register(directory)
        defer { InterruptCleanup.unregister(registration) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let type = SampleType(depth)
        for size in options.sizes ?? [4096] {
            let image = testImage(size: size)
            let path = "\(directory)/bench.\(ext)"
            let megabytes = Double(image.count * type.bytes) / 1e6

            // Conversion is timed inside the real read and write (SampleConversion's clock),
            // for the fastest of the repeats.
            SampleConversion.timing = true
            defer { SampleConversion.timing = false }
            func best(_ body: () throws -> Void) rethrows -> (total: Double, conversion: Double) {
                var result = (total: Double.infinity, conversion: 0.0)
                for _ in 0..<max(1, options.repeats) {
                    SampleConversion.elapsed = 0
                    let start = monotonicSeconds()
                    try body()
                    let total = monotonicSeconds() - start
                    if total < result.total { result = (total, SampleConversion.elapsed) }
                }
                return result
            }
            let write = try best { try ImageIO.write(image, to: path, depth: depth) }
            let fileMegabytes = Double((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) / 1e6
            var decoded = Image(channels: 1, height: 0, width: 0)
            let read = try best { decoded = try ImageIO.read(path) }
            guard decoded.count == image.count else {
                throw IOError.corrupt(path: path, reason: "benchmark read back \(decoded.count) samples, wrote \(image.count)")
            }
            // The floor under any reader's conversion: writing a fresh image-sized buffer for the
            // first time (page faults and zeroing by the kernel), on one thread.
            let touchSeconds = bestTime(repeats: options.repeats) { touchNewBuffer(count: image.count) }
            let writeSeconds = write.total, encodeSeconds = write.conversion
            let readSeconds = read.total, decodeSeconds = read.conversion
            for (operation, total, conversion) in [("write", writeSeconds, encodeSeconds), ("read", readSeconds, decodeSeconds)] {
                report(BenchRecord(name, [
                    ("op", .string(operation)), ("size", .int(size)), ("depth", .int(depth.rawValue)),
                    ("ms", .double(total * 1e3)), ("mb_per_s", .double(megabytes / total)),
                    ("convert_ms", .double(conversion * 1e3)), ("codec_ms", .double((total - conversion) * 1e3)),
                    ("convert_share", .double(conversion / total)),
                    ("image_mb", .double(megabytes)), ("file_mb", .double(fileMegabytes)),
                ] + (operation == "read" ? [("first_touch_ms", .double(touchSeconds * 1e3))] : [])))
            }
        }
    }

    @inline(never)
    static func touchNewBuffer(count: Int) {
        let buffer = [Float](unsafeUninitializedCapacity: count) { out, initialized in
            for i in stride(from: 0, to: count, by: 1024) { out[i] = 1 }
            initialized = count
        }
        precondition(buffer[0] == 1)
    }
}
