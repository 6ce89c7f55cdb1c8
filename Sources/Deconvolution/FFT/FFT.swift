internal import CFFTW
import Foundation
import DeblurCore

/// How hard FFTW searches for a fast plan. Tests use `.estimate` (instant, deterministic);
/// the CLI uses `.measure` (a few ms per new size, faster transforms).
public enum FFTRigor: Sendable, Hashable {
    case estimate, measure

    var flags: UInt32 { self == .estimate ? UInt32(FFTW_ESTIMATE) : UInt32(FFTW_MEASURE) }
}

/// Global FFT settings and the plan cache.
///
/// FFTW's planner is not thread-safe: planning is serialized behind one lock and FFTW's
/// own `fftwf_make_planner_thread_safe` guard; executing a plan on new arrays is safe
/// from any thread, so one cached plan serves every caller of its size.
public enum FFT {
    /// Planning rigor for plans made from now on (default `.estimate`).
    public static var rigor: FFTRigor {
        get { configuredRigor.current }
        set { configuredRigor.current = newValue }
    }
    /// Threads FFTW uses inside one transform (default: all cores). Set it to 1 when the
    /// caller parallelizes over images itself (one component owns parallelism at a time), or
    /// run that work in `serially`. Inside a `serially` region (on any thread) it reads 1.
    public static var threads: Int {
        get { threadCount.effective }
        set { threadCount.configured = newValue }
    }

    /// The thread count set, whatever `serially` regions are open (`ThreadCount.configured`).
    package static var configuredThreads: Int {
        get { threadCount.configured }
        set { threadCount.configured = newValue }
    }

    /// Runs `body` with `threads` reading 1, for callers that spread items over the cores
    /// themselves (each item's FFTs on its own thread). Overlapping callers on other threads
    /// are counted, so the last to leave gives `threads` back (`ThreadCount`).
    public static func serially<R>(_ body: () throws -> R) rethrows -> R { try threadCount.serially(body) }

    // Behind locks: a setting changed on one thread (training's single-threaded item loops,
    // `BLAS.withThreads`) while restorations on others made plans was a data race
    // (ThreadSanitizer, the test suite).
    private static let configuredRigor = Locked(FFTRigor.estimate)
    private static let threadCount = ThreadCount(ProcessorInfo.cores)

    private static let lock = NSLock()
    /// Plans by size, read and written only under `lock`.
    private final class PlanCache<Plan>: @unchecked Sendable { var plans: [PlanKey: Plan] = [:] }
    private static let plans = PlanCache<FFTPlan2D>(), inPlacePlans = PlanCache<InPlaceFFTPlan2D>()
    nonisolated(unsafe) private static var initialized = false

    struct PlanKey: Hashable { let height: Int, width: Int, threads: Int, rigor: FFTRigor }

    /// The cached real-to-complex / complex-to-real plan pair for `height × width`,
    /// made on first use with the current `rigor` and `threads`.
    public static func plan(height: Int, width: Int) -> FFTPlan2D {
        plan(height: height, width: width, threads: threads)
    }

    /// The cached plan pair for `height × width` with an explicit FFTW thread count.
    public static func plan(height: Int, width: Int, threads: Int) -> FFTPlan2D {
        cached(plans, height: height, width: width, threads: threads) {
            FFTPlan2D(height: $0.height, width: $0.width, threads: $0.threads, flags: $0.rigor.flags)
        }
    }

    /// The cached in-place transform pair for `height × width` (current `rigor` and `threads`).
    static func inPlacePlan(height: Int, width: Int) -> InPlaceFFTPlan2D {
        cached(inPlacePlans, height: height, width: width, threads: threads) {
            InPlaceFFTPlan2D(height: $0.height, width: $0.width, threads: $0.threads, flags: $0.rigor.flags)
        }
    }

    /// The plan of `cache` for this size, thread count and the current `rigor`, made by `make`
    /// under the planner lock on first use.
    private static func cached<Plan>(_ cache: PlanCache<Plan>, height: Int, width: Int, threads: Int,
                                     make: (PlanKey) -> Plan) -> Plan {
        precondition(height > 0 && width > 0, "FFT size must be positive, got \(height)×\(width)")
        let key = PlanKey(height: height, width: width, threads: max(1, threads), rigor: rigor)
        lock.lock()
        defer { lock.unlock() }
        if let plan = cache.plans[key] { return plan }
        initializeLocked()
        let plan = make(key)
        cache.plans[key] = plan
        return plan
    }

    /// Runs `body` with the planner lock held and FFTW initialized: for plans made outside
    /// `FFTPlan2D` (the fused convolution's 1-D plans), since `fftwf_plan_with_nthreads` is
    /// global planner state that must not change while another plan is being made.
    static func withPlanner<T>(_ body: () -> T) -> T {
        lock.lock(); defer { lock.unlock() }
        initializeLocked()
        return body()
    }

    /// FFTW's threads must be initialized before any other FFTW call, wisdom import included
    /// (threaded plans in the wisdom are otherwise not matched). Call with `lock` held.
    private static func initializeLocked() {
        if initialized { return }
        fftwf_make_planner_thread_safe()
        _ = fftwf_init_threads()
        initialized = true
    }

    /// The smallest `n' ≥ n` of the form 2^a·3^b·5^c·7^d, sizes FFTW transforms fastest.
    public static func fastSize(_ n: Int) -> Int {
        precondition(n > 0, "fastSize needs a positive size, got \(n)")
        var candidate = n
        while true {
            var m = candidate
            for p in [2, 3, 5, 7] { while m % p == 0 { m /= p } }
            if m == 1 { return candidate }
            candidate += 1
        }
    }

    /// The padded size the restorers use for at least `n` samples: among the 2^a·3^b·5^c·7^d
    /// sizes in `n … n + n/16`, the one with the most factors of 2 (the smallest on a tie).
    ///
    /// Why: FFTW's r2c transforms are markedly faster on sizes rich in 2s; on the development
    /// machine 1050 = 2·3·5²·7 was repeatedly 30–60 % slower than 1080 = 2³·3³·5
    /// (`deblur bench --cases fft-sizes`), so a few percent more pixels pay off.
    public static func preferredSize(_ n: Int) -> Int {
        let first = fastSize(n)
        let limit = n + n / 16
        var best = first, bestTwos = first.trailingZeroBitCount
        var candidate = first + 1
        while candidate <= limit {
            let m = fastSize(candidate)
            if m > limit { break }
            if m.trailingZeroBitCount > bestTwos { best = m; bestTwos = m.trailingZeroBitCount }
            candidate = m + 1
        }
        return best
    }

    /// Loads FFTW wisdom from `path` (default: `~/.cache/deblurkit/fftw-wisdom`); returns
    /// whether it was read. Wisdom only speeds up `.measure` planning.
    @discardableResult
    public static func importWisdom(from path: String = defaultWisdomPath) -> Bool {
        lock.lock(); defer { lock.unlock() }
        initializeLocked()
        return fftwf_import_wisdom_from_filename(path) != 0
    }

    /// Saves the wisdom gathered so far to `path` (default under the user's cache directory),
    /// atomically; returns whether it was written.
    @discardableResult
    public static func exportWisdom(to path: String = defaultWisdomPath) -> Bool {
        lock.lock(); defer { lock.unlock() }
        initializeLocked()
        // Not fftwf_export_wisdom_to_filename: it truncates the file first, so a full disk left
        // an empty or cut file in place of the wisdom gathered so far (and another process
        // could read it half-written).
        guard let text = fftwf_export_wisdom_to_string() else { return false }
        defer { free(text) }
        let directory = parentPath(of: path)
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return (try? writeAtomically(Data(bytes: text, count: strlen(text)), to: path)) != nil
    }

    /// `$XDG_CACHE_HOME/deblurkit/fftw-wisdom`, or `~/.cache/deblurkit/fftw-wisdom`.
    public static var defaultWisdomPath: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"] ?? ((env["HOME"] ?? NSTemporaryDirectory()) + "/.cache")
        return base + "/deblurkit/fftw-wisdom"
    }
}

/// Memory aligned for FFTW's SIMD code (allocated with `fftwf_malloc`), holding `count` Floats.
/// Complex spectra are stored interleaved (re, im) in the half-spectrum layout
/// `height × (width / 2 + 1)`.
public final class FFTBuffer: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<Float>

    public init(count: Int) {
        precondition(count >= 0, "FFTBuffer count must be ≥ 0, got \(count)")
        self.count = count
        pointer = fftwf_alloc_real(max(1, count))!
        pointer.initialize(repeating: 0, count: max(1, count))
    }
    deinit { fftwf_free(pointer) }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }
}

/// An in-place real-to-complex / complex-to-real 2-D transform pair: the real image lives
/// in a spectrum-sized buffer with rows `rowStride = 2 · (width / 2 + 1)` floats apart (the
/// last one or two floats of each row are padding), and is replaced by its spectrum.
///
/// For solvers whose buffers dominate memory (the masked CG on a 4096² image): it saves the
/// separate real buffer of `FFTPlan2D`. Cached per size like those (`FFT.inPlacePlan`);
/// unnormalized like FFTW; thread-safe on different buffers.
final class InPlaceFFTPlan2D: @unchecked Sendable {
    let height: Int, width: Int
    var spectrumWidth: Int { width / 2 + 1 }
    /// Floats between two rows of the real image inside the buffer.
    var rowStride: Int { 2 * spectrumWidth }
    /// Floats in a buffer, `height · rowStride`.
    var count: Int { height * rowStride }
    private let forwardPlan: fftwf_plan
    private let inversePlan: fftwf_plan

    /// Call with the planner lock held (`FFT.inPlacePlan`).
    init(height: Int, width: Int, threads: Int, flags: UInt32) {
        self.height = height; self.width = width
        // Plan on a scratch array: FFTW_MEASURE overwrites it.
        let buffer = FFTBuffer(count: height * 2 * (width / 2 + 1))
        let complexPointer = UnsafeMutableRawPointer(buffer.pointer).bindMemory(to: fftwf_complex.self, capacity: height * (width / 2 + 1))
        fftwf_plan_with_nthreads(Int32(threads))
        forwardPlan = fftwf_plan_dft_r2c_2d(Int32(height), Int32(width), buffer.pointer, complexPointer, flags)!
        inversePlan = fftwf_plan_dft_c2r_2d(Int32(height), Int32(width), complexPointer, buffer.pointer, flags)!
    }

    deinit {
        fftwf_destroy_plan(forwardPlan)
        fftwf_destroy_plan(inversePlan)
    }

    /// A zeroed buffer for this size (FFTW-aligned).
    func makeBuffer() -> FFTBuffer { FFTBuffer(count: count) }

    /// The real image in `buffer` (padded rows) → its spectrum, in place.
    func forward(_ buffer: FFTBuffer) {
        precondition(buffer.count >= count, "in-place forward \(height)×\(width) needs \(count) floats, got \(buffer.count)")
        fftwf_execute_dft_r2c(forwardPlan, buffer.pointer, complex(buffer.pointer))
    }

    /// The spectrum in `buffer` → the real image (padded rows), in place, unnormalized.
    func inverse(_ buffer: FFTBuffer) {
        precondition(buffer.count >= count, "in-place inverse \(height)×\(width) needs \(count) floats, got \(buffer.count)")
        fftwf_execute_dft_c2r(inversePlan, complex(buffer.pointer), buffer.pointer)
    }

    private func complex(_ p: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<fftwf_complex> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: fftwf_complex.self)
    }
}

/// A real-to-complex / complex-to-real 2-D transform pair of one size.
///
/// Unnormalized like FFTW: `inverse(forward(x)) = height · width · x`.
/// The spectrum has `height × (width / 2 + 1)` complex values, interleaved (re, im).
/// Thread-safe: `forward` / `inverse` may run concurrently on different buffers.
public final class FFTPlan2D: @unchecked Sendable {
    public let height: Int
    public let width: Int
    /// Complex values per spectrum row, `width / 2 + 1`.
    public var spectrumWidth: Int { width / 2 + 1 }
    /// Floats in a spectrum buffer, `2 · height · (width / 2 + 1)`.
    public var spectrumCount: Int { 2 * height * spectrumWidth }
    /// Floats in a real buffer, `height · width`.
    public var realCount: Int { height * width }

    private let forwardPlan: fftwf_plan
    private let inversePlan: fftwf_plan

    init(height: Int, width: Int, threads: Int, flags: UInt32) {
        self.height = height
        self.width = width
        fftwf_plan_with_nthreads(Int32(threads))
        // Plan on scratch arrays: FFTW_MEASURE overwrites them. Both are fftwf_malloc'd,
        // so every FFTBuffer matches the plans' alignment.
        let real = FFTBuffer(count: height * width)
        let spectrum = FFTBuffer(count: 2 * height * (width / 2 + 1))
        let complexPointer = UnsafeMutableRawPointer(spectrum.pointer).bindMemory(to: fftwf_complex.self, capacity: height * (width / 2 + 1))
        forwardPlan = fftwf_plan_dft_r2c_2d(Int32(height), Int32(width), real.pointer, complexPointer, flags)!
        // Multi-dimensional c2r may overwrite its input (FFTW_PRESERVE_INPUT is not supported
        // for it), so `inverse` documents that it destroys the spectrum: callers keep OTFs apart.
        inversePlan = fftwf_plan_dft_c2r_2d(Int32(height), Int32(width), complexPointer, real.pointer, flags)!
    }

    deinit {
        fftwf_destroy_plan(forwardPlan)
        fftwf_destroy_plan(inversePlan)
    }

    /// Forward transform of `realCount` floats into `spectrumCount` floats.
    /// Both pointers should come from `FFTBuffer` (FFTW-aligned); others are copied through aligned scratch.
    public func forward(_ input: UnsafeMutablePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
        if fftwf_alignment_of(input) == 0 && fftwf_alignment_of(output) == 0 {
            fftwf_execute_dft_r2c(forwardPlan, input, complex(output))
        } else {
            let i = FFTBuffer(count: realCount), o = FFTBuffer(count: spectrumCount)
            i.pointer.update(from: input, count: realCount)
            fftwf_execute_dft_r2c(forwardPlan, i.pointer, complex(o.pointer))
            output.update(from: o.pointer, count: spectrumCount)
        }
    }

    /// Inverse transform of `spectrumCount` floats into `realCount` floats, unnormalized.
    /// **Destroys `input`** (FFTW's multi-dimensional c2r overwrites its input).
    public func inverse(_ input: UnsafeMutablePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
        if fftwf_alignment_of(input) == 0 && fftwf_alignment_of(output) == 0 {
            fftwf_execute_dft_c2r(inversePlan, complex(input), output)
        } else {
            let i = FFTBuffer(count: spectrumCount), o = FFTBuffer(count: realCount)
            i.pointer.update(from: input, count: spectrumCount)
            fftwf_execute_dft_c2r(inversePlan, complex(i.pointer), o.pointer)
            output.update(from: o.pointer, count: realCount)
        }
    }

    /// Forward transform between buffers.
    public func forward(_ input: FFTBuffer, _ output: FFTBuffer) {
        precondition(input.count >= realCount && output.count >= spectrumCount,
                     "forward \(height)×\(width) needs \(realCount) → \(spectrumCount) floats, got \(input.count) → \(output.count)")
        forward(input.pointer, output.pointer)
    }

    /// Inverse transform between buffers (destroys `input`), unnormalized.
    public func inverse(_ input: FFTBuffer, _ output: FFTBuffer) {
        precondition(input.count >= spectrumCount && output.count >= realCount,
                     "inverse \(height)×\(width) needs \(spectrumCount) → \(realCount) floats, got \(input.count) → \(output.count)")
        inverse(input.pointer, output.pointer)
    }

    /// A new real buffer of this size.
    public func makeRealBuffer() -> FFTBuffer { FFTBuffer(count: realCount) }
    /// A new spectrum buffer of this size.
    public func makeSpectrumBuffer() -> FFTBuffer { FFTBuffer(count: spectrumCount) }

    private func complex(_ p: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<fftwf_complex> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: fftwf_complex.self)
    }
}
