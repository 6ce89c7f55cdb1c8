import DeblurCore

/// The Deconvolution module's cases for `deblur bench`.
///
/// Every record carries `case`, `size`, `psf`, `padded` (the FFT size the method works at),
/// `ms` (per iteration for iterative methods), and `floor_ms`: in the same run, two forward
/// plus two inverse real transforms of that padded size (one RL iteration's transforms), with
/// `ratio = ms / floor_ms`. Wiener and Tikhonov also report `pair_otf_ms` (one forward + one
/// inverse + the OTF's forward transform) and `ratio_to_pair_otf`.
///
/// Images are seeded uniform noise in [0.1, 1.1) (content does not change FFT timings; the
/// hyper-Laplacian, whose shrinkage step depends on the data, gets piecewise-constant blocks), PSFs
/// are boxes of 15 × 15 and 31 × 31; default sizes 512, 1024, 2048.
public enum DeconvolutionBenchmarks {
    static let defaultSizes = [512, 1024, 2048]
    static let psfSizes = [15, 31]

    public static let cases: [BenchCase] = [
        BenchCase(name: "fft-floor", summary: "two forward + two inverse real FFTs of the RL padded size (the RL iteration floor)", minimumSize: psfSizes[0]) { options, emit in
            try forEachSetting(options) { size, psfSize, _, _ in
                let padded = FFT.preferredSize(size + psfSize - 1)
                let floor = floorTime(padded: padded, repeats: options.repeats)
                emit(BenchRecord("fft-floor", [("size", .int(size)), ("psf", .int(psfSize)), ("padded", .int(padded)),
                                               ("ms", .double(floor * 1e3)), ("floor_ms", .double(floor * 1e3))]))
            }
        },
        BenchCase(name: "fft-sizes", summary: "the floor at exactly the --sizes given (no padding), to compare FFT sizes") { options, emit in
            for size in options.sizes ?? [1024, 1040, 1050, 1080, 2048, 2080, 2100, 2160] {
                let floor = floorTime(padded: size, repeats: max(options.repeats, 5))
                emit(BenchRecord("fft-sizes", [("size", .int(size)), ("padded", .int(size)), ("ms", .double(floor * 1e3)),
                                               ("floor_ms", .double(floor * 1e3))]))
            }
        },
        BenchCase(name: "fused-convolution", summary: "one fused convolution (row r2c, fused column pass, row c2r) and its stages at the RL padded size for several block/row-chunk sizes, vs one forward + inverse pair") { options, emit in
            for size in options.sizes ?? defaultSizes {
                let padded = FFT.preferredSize(size + 14)
                let psf = try PSF(Image(height: 15, width: 15, value: 1), source: "bench box")
                for (blockWidth, rowsPerChunk, threads) in [(8, 8, 2), (16, 8, 2), (32, 8, 2), (16, 16, 2), (32, 16, 2), (64, 8, 2), (16, 8, 1)] {
                    let saved = FFT.configuredThreads
                    FFT.configuredThreads = threads
                    defer { FFT.configuredThreads = saved }
                    let engine = FusedConvolution.engine(height: padded, width: padded, blockWidth: blockWidth, rowsPerChunk: rowsPerChunk)
                    let otf = engine.otf(psf), spectrum = engine.makeSpectrumBuffer()
                    let plane = FFTBuffer(count: engine.realCount)
                    for i in 0..<engine.realCount { plane.pointer[i] = Float(i % 97) / 97 }
                    let repeats = max(options.repeats, 5)
                    let whole = bestTime(repeats: repeats) {
                        engine.convolve(plane.pointer, into: plane.pointer, otf: otf, conjugate: false, spectrum: spectrum)
                    }
                    let rows = bestTime(repeats: repeats) { engine.rowTransforms(plane.pointer, spectrum.pointer) }
                    let columns = bestTime(repeats: repeats) { engine.columnPass(spectrum.pointer, otf: otf.pointer, conjugate: false) }
                    let inverse = bestTime(repeats: repeats) {
                        engine.rowTransforms(plane.pointer, spectrum.pointer)
                        engine.inverseRows(spectrum.pointer, into: plane.pointer) { _ in }
                    } - rows
                    let floor = floorTime(padded: padded, repeats: repeats)
                    emit(BenchRecord("fused-convolution", [("size", .int(size)), ("padded", .int(padded)), ("block", .int(blockWidth)), ("rows", .int(rowsPerChunk)), ("threads", .int(threads)),
                                                           ("ms", .double(whole * 1e3)), ("rows_forward_ms", .double(rows * 1e3)),
                                                           ("columns_ms", .double(columns * 1e3)), ("rows_inverse_ms", .double(inverse * 1e3)),
                                                           ("floor_ms", .double(floor * 1e3)), ("ratio_to_pair", .double(2 * whole / floor))]))
                }
            }
        },
        BenchCase(name: "rl", summary: "Richardson–Lucy, ms per iteration (masked boundary), vs the FFT floor", minimumSize: psfSizes[0]) { options, emit in
            try forEachSetting(options) { size, psfSize, image, psf in
                let padded = FFT.preferredSize(size + psfSize - 1)
                try iterative("rl", size: size, psfSize: psfSize, padded: padded, options: options, emit: emit) { n in
                    _ = try RichardsonLucy(iterations: n).restore(image, psf: psf)
                }
            }
        },
        BenchCase(name: "rl-memory", summary: "one 10-iteration RL run with the 31×31 PSF per size, for peak memory (/usr/bin/time -v)", minimumSize: 31) { options, emit in
            for size in options.sizes ?? [2048] {
                var rng = SeededRandom(seed: UInt64(size))
                let image = Image(height: size, width: size) { _, _, _ in 0.1 + rng.uniformFloat() }
                let psf = try PSF(Image(height: 31, width: 31, value: 1), source: "bench box")
                let start = monotonicSeconds()
                _ = try RichardsonLucy(iterations: 10).restore(image, psf: psf)
                emit(BenchRecord("rl-memory", [("size", .int(size)), ("psf", .int(31)),
                                               ("padded", .int(FFT.preferredSize(size + 30))),
                                               ("ms", .double((monotonicSeconds() - start) * 100))]))
            }
        },
        BenchCase(name: "rl-tv", summary: "RL with total variation, ms per iteration (masked boundary), vs the FFT floor", minimumSize: psfSizes[0]) { options, emit in
            try forEachSetting(options) { size, psfSize, image, psf in
                let padded = FFT.preferredSize(size + psfSize - 1)
                try iterative("rl-tv", size: size, psfSize: psfSize, padded: padded, options: options, emit: emit) { n in
                    _ = try RLTV(iterations: n).restore(image, psf: psf)
                }
            }
        },
        BenchCase(name: "wiener", summary: "Wiener (scalar NSR, reflect boundary), ms per image, vs one FFT pair + the OTF", minimumSize: psfSizes[0]) { options, emit in
            try forEachSetting(options) { size, psfSize, image, psf in
                try oneShot("wiener", size: size, psfSize: psfSize, options: options, emit: emit) {
                    _ = try Wiener(nsr: 0.01, boundary: .reflect).restore(image, psf: psf)
                }
            }
        },
        BenchCase(name: "tikhonov", summary: "Tikhonov / Laplacian (reflect boundary), ms per image, vs one FFT pair + the OTF", minimumSize: psfSizes[0]) { options, emit in
            try forEachSetting(options) { size, psfSize, image, psf in
                try oneShot("tikhonov", size: size, psfSize: psfSize, options: options, emit: emit) {
                    _ = try Tikhonov(lambda: 0.002, boundary: .reflect).restore(image, psf: psf)
                }
            }
        },
        BenchCase(name: "wiener-masked", summary: "Wiener, masked boundary (CG on the masked normal equations), ms per CG iteration, vs the FFT floor", minimumSize: psfSizes[0]) { options, emit in
            try forEachSetting(options) { size, psfSize, image, psf in
                let padded = FFT.preferredSize(size + psfSize - 1)
                try iterative("wiener-masked", size: size, psfSize: psfSize, padded: padded, options: options, emit: emit) { n in
                    _ = try Wiener(nsr: 0.01, boundary: .masked, iterations: n).restore(image, psf: psf)
                }
            }
        },
        BenchCase(name: "hyper-laplacian-masked", summary: "hyper-Laplacian α = 2/3, masked boundary (ADMM), ms per inner iteration, vs the FFT floor", minimumSize: psfSizes[0]) { options, emit in
            try forEachSetting(options) { size, psfSize, _, psf in
                let image = Image(height: size, width: size) { _, y, x in
                    Float(((y / 37) &* 2_654_435_761 ^ (x / 53) &* 40_503) % 97) / 120 + 0.1
                }
                let padded = FFT.preferredSize(size + psfSize - 1)
                try iterative("hyper-laplacian-masked", size: size, psfSize: psfSize, padded: padded, options: options, emit: emit) { n in
                    let betaMax = powf(2 * Float(2).squareRoot(), Float(n) - 0.5)
                    _ = try HyperLaplacian(lambda: 2000, betaMax: betaMax, innerIterations: 1, boundary: .masked).restore(image, psf: psf)
                }
            }
        },
        BenchCase(name: "hyper-laplacian", summary: "hyper-Laplacian α = 2/3 (reflect boundary), ms per outer iteration, vs the FFT floor", minimumSize: psfSizes[0]) { options, emit in
            try forEachSetting(options) { size, psfSize, _, psf in
                // Its shrinkage is data-dependent (tabulated for gradients up to 2, solved exactly
                // beyond): timed on piecewise-constant blocks, not on white noise.
                let image = Image(height: size, width: size) { _, y, x in
                    Float(((y / 37) &* 2_654_435_761 ^ (x / 53) &* 40_503) % 97) / 120 + 0.1
                }
                let padded = FFT.preferredSize(size + 2 * psfSize)
                try iterative("hyper-laplacian", size: size, psfSize: psfSize, padded: padded, options: options, emit: emit) { n in
                    // β grows by 2√2 per outer iteration: betaMax sets their number.
                    let betaMax = powf(2 * Float(2).squareRoot(), Float(n) - 0.5)
                    _ = try HyperLaplacian(lambda: 2000, betaMax: betaMax, boundary: .reflect).restore(image, psf: psf)
                }
            }
        },
        BenchCase(name: "collaborative-wiener", summary: "BM3D's collaborative Wiener stage (the plug-and-play's last steps), ms per image on 1 and on all cores, µs per reference block", minimumSize: 8) { options, emit in
            for size in options.sizes ?? [256, 512] {
                // Content sets the group sizes: a textured scene where blocks repeat, as photographs.
                var rng = SeededRandom(seed: UInt64(size))
                let pilot = Image(height: size, width: size) { _, y, x in
                    Float(0.5 + 0.25 * sin(Double(x) * 0.31 + Double(y) * 0.17) + 0.15 * sin(Double(x * y) * 0.001))
                }
                let noisy = Image(height: size, width: size) { _, y, x in pilot[y, x] + Float(rng.gaussian(mean: 0, sigma: 0.02)) }
                let references = Double(((size - 8) / 3 + 2) * ((size - 8) / 3 + 2))
                for threads in Set([1, ProcessorInfo.cores]).sorted() {
                    var filter = CollaborativeWiener()
                    filter.threads = threads
                    let t = try bestTime(repeats: max(options.repeats, 2)) { _ = try filter.filter(noisy, pilot: pilot, sigma: 0.02) }
                    emit(BenchRecord("collaborative-wiener", [("size", .int(size)), ("threads", .int(threads)), ("ms", .double(t * 1e3)),
                                                              ("us_per_reference", .double(t * 1e6 / references))]))
                }
            }
        },
    ]

    /// Runs `body(size, psfSize, image, psf)` for every requested size and both PSF sizes.
    static func forEachSetting(_ options: BenchOptions, _ body: (Int, Int, Image, PSF) throws -> Void) throws {
        for size in options.sizes ?? defaultSizes {
            var rng = SeededRandom(seed: UInt64(size))
            let image = Image(height: size, width: size) { _, _, _ in 0.1 + rng.uniformFloat() }
            for psfSize in psfSizes where psfSize <= size {
                let psf = try PSF(Image(height: psfSize, width: psfSize, value: 1), source: "bench box")
                try body(size, psfSize, image, psf)
            }
        }
    }

    /// Best seconds of `forward, inverse, forward, inverse` at `padded × padded`.
    static func floorTime(padded: Int, repeats: Int) -> Double {
        bestTransformTime(padded: padded, repeats: repeats) { plan, real, spectrum in
            plan.forward(real, spectrum); plan.inverse(spectrum, real)
            plan.forward(real, spectrum); plan.inverse(spectrum, real)
        }
    }

    /// Best seconds of `forward, inverse` plus one more forward (the OTF's) at `padded`.
    static func pairAndOTFTime(padded: Int, repeats: Int) -> Double {
        bestTransformTime(padded: padded, repeats: repeats) { plan, real, spectrum in
            plan.forward(real, spectrum); plan.forward(real, spectrum); plan.inverse(spectrum, real)
        }
    }

    private static func bestTransformTime(padded: Int, repeats: Int,
                                          _ transforms: (FFTPlan2D, FFTBuffer, FFTBuffer) -> Void) -> Double {
        let plan = FFT.plan(height: padded, width: padded)
        let source = plan.makeRealBuffer(), real = plan.makeRealBuffer(), spectrum = plan.makeSpectrumBuffer()
        for i in 0..<plan.realCount { source.pointer[i] = Float(i % 97) / 97 }
        var best = Double.infinity
        for _ in 0..<max(1, repeats) {
            // Refilled untimed: round trips scale by the pixel count and would overflow.
            real.pointer.update(from: source.pointer, count: plan.realCount)
            let start = monotonicSeconds()
            transforms(plan, real, spectrum)
            best = min(best, monotonicSeconds() - start)
        }
        return best
    }

    /// Per-iteration time as the difference of a long and a short run (setup cancels out).
    static func iterative(_ name: String, size: Int, psfSize: Int, padded: Int, options: BenchOptions,
                          emit: (BenchRecord) -> Void, run: (Int) throws -> Void) throws {
        let short = 2, long = size >= 2048 ? 8 : 12
        try run(1)   // plans, page faults
        // Interleaved rounds, best of each: the machine's load hits the method and its floor alike.
        var tShort = Double.infinity, tLong = Double.infinity, floor = Double.infinity
        for _ in 0..<max(options.repeats, 3) {
            tShort = min(tShort, try bestTime(repeats: 1) { try run(short) })
            tLong = min(tLong, try bestTime(repeats: 1) { try run(long) })
            floor = min(floor, floorTime(padded: padded, repeats: 2))
        }
        let perIteration = max(0, tLong - tShort) / Double(long - short)
        emit(BenchRecord(name, [("size", .int(size)), ("psf", .int(psfSize)), ("padded", .int(padded)),
                                ("ms", .double(perIteration * 1e3)), ("floor_ms", .double(floor * 1e3)),
                                ("ratio", .double(perIteration / floor))]))
    }

    /// Whole-call time of a one-shot filter, against the floor and against one pair + OTF.
    static func oneShot(_ name: String, size: Int, psfSize: Int, options: BenchOptions,
                        emit: (BenchRecord) -> Void, run: () throws -> Void) throws {
        let padded = FFT.preferredSize(size + 2 * psfSize)
        try run()
        var t = Double.infinity, floor = Double.infinity, pair = Double.infinity
        for _ in 0..<max(options.repeats, 3) {
            t = min(t, try bestTime(repeats: 1, run))
            floor = min(floor, floorTime(padded: padded, repeats: 2))
            pair = min(pair, pairAndOTFTime(padded: padded, repeats: 2))
        }
        emit(BenchRecord(name, [("size", .int(size)), ("psf", .int(psfSize)), ("padded", .int(padded)),
                                ("ms", .double(t * 1e3)), ("floor_ms", .double(floor * 1e3)),
                                ("pair_otf_ms", .double(pair * 1e3)), ("ratio", .double(t / floor)),
                                ("ratio_to_pair_otf", .double(t / pair))]))
    }
}

import Foundation
