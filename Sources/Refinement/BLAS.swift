internal import CBLAS
import DeblurCore
import Deconvolution
import Foundation

/// OpenBLAS and the CNN's thread count.
///
/// Every convolution is a set of `sgemm`s. The layers split their work (output chunks,
/// Winograd tiles, or images in backward passes) over `threads` workers, each running
/// single-threaded products (`serially`), so OpenBLAS's own threads stay parked; a caller
/// outside the CNN still gets `threads`-way OpenBLAS products.
public enum BLAS {
    /// OpenBLAS's thread count (default: all cores). Results are deterministic for a fixed count.
    public static var threads: Int {
        get { _ = configured; return state.locked { $0.threads } }
        set {
            _ = configured
            state.locked { s in
                // OpenBLAS takes an Int32; no machine has more cores than this.
                s.threads = min(max(1, newValue), 4096)
                if s.serialCallers == 0 { openblas_set_num_threads(Int32(s.threads)) }
            }
        }
    }

    /// Runs `body` with `threads` and `FFT.threads` set to `count`, then restores both: for work
    /// spread over the cores item by item, each item single-threaded (end-to-end training,
    /// unrolled samples). Overrides hold one process-wide lock for their whole duration, so two
    /// never interleave, and code that needs the counts to hold still (a test measuring a
    /// workspace) takes it too with `withThreads(BLAS.threads)`. Not reentrant from other threads.
    public static func withThreads<R>(_ count: Int, _ body: () throws -> R) rethrows -> R {
        overrides.lock()
        defer { overrides.unlock() }
        let saved = (blas: threads, fft: FFT.configuredThreads)
        threads = count; FFT.configuredThreads = max(1, count)
        defer { threads = saved.blas; FFT.configuredThreads = saved.fft }
        return try body()
    }

    private static let overrides = NSRecursiveLock()

    /// Sets the thread count to all cores once, before the first product (idempotent).
    static let configured: Void = { openblas_set_num_threads(Int32(ProcessorInfo.cores)) }()

    /// Runs `body` with OpenBLAS single-threaded, for callers that split the work over the
    /// cores themselves (one `sgemm` per core at a time), then restores `threads`.
    ///
    /// Counted rather than save-and-restore, so overlapping callers (two workspaces in two
    /// threads) cannot leave OpenBLAS stuck at one thread.
    static func serially<R>(_ body: () -> R) -> R {
        _ = configured
        state.locked { s in
            if s.serialCallers == 0 { openblas_set_num_threads(1) }
            s.serialCallers += 1
        }
        defer {
            state.locked { s in
                s.serialCallers -= 1
                if s.serialCallers == 0 { openblas_set_num_threads(Int32(s.threads)) }
            }
        }
        return body()
    }

    struct State { var threads = ProcessorInfo.cores; var serialCallers = 0 }
    static let state = Locked(State())
}

/// The input of a convolution: one NCHW tensor, or two whose channels are read as
/// concatenated (`first`'s channels, then `second`'s) without copying them together.
struct ConvSource {
    let first: UnsafePointer<Float>
    let channels: Int
    let second: UnsafePointer<Float>?
    let secondChannels: Int

    init(_ first: UnsafePointer<Float>, channels: Int, second: UnsafePointer<Float>? = nil, secondChannels: Int = 0) {
        self.first = first; self.channels = channels; self.second = second; self.secondChannels = secondChannels
    }
}


/// `C ← α·op(A)·op(B) + β·C`, row-major (`cblas_sgemm`). `op(A)` is `m × k`, `op(B)` is `k × n`.
@inline(__always)
func sgemm(transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
           _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
           beta: Float, _ c: UnsafeMutablePointer<Float>, ldc: Int) {
    _ = BLAS.configured
    cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}

/// Grow-only scratch memory reused across layers and steps (im2col columns, Winograd tiles), so no
/// iteration allocates.
public final class Scratch: @unchecked Sendable {
    private var buffer: UnsafeMutablePointer<Float>
    private var capacity: Int

    public init() {
        capacity = 1
        buffer = .allocate(capacity: 1)
    }

    deinit {
        buffer.deallocate()
        for cached in transformedWeights.values { cached.source.deallocate(); cached.transformed.deallocate() }
    }

    /// At least `count` floats; contents unspecified. Valid until the next call.
    func floats(_ count: Int) -> UnsafeMutablePointer<Float> {
        if count > capacity {
            buffer.deallocate()
            buffer = .allocate(capacity: count)
            capacity = count
        }
        return buffer
    }

    /// Winograd-transformed weights by layer offset, with the weights they were made from.
    private var transformedWeights: [Int: (source: UnsafeMutableBufferPointer<Float>, transformed: UnsafeMutableBufferPointer<Float>)] = [:]

    /// The `count` floats `transform` writes from the `weightCount` weights at `weights`, kept
    /// under `key` and made again only when those weights' bits change: a denoiser's splitting
    /// runs the same network eight or nine times, and each pass transformed every layer's
    /// weights anew (2 % of a restoration's instructions, on one core while the other waited).
    /// Bit for bit the floats `transform` writes. Valid until the next call with the same key.
    /// Training changes the weights every step: the buffers are then rewritten in place, so a
    /// step allocates nothing here after the first.
    func transformedWeights(key: Int, weights: UnsafePointer<Float>, weightCount: Int, count: Int,
                            _ transform: (UnsafeMutablePointer<Float>) -> Void) -> UnsafePointer<Float> {
        if let cached = transformedWeights[key], cached.transformed.count == count, cached.source.count == weightCount {
            // Compared as bits: −0 and +0, or two NaNs, would compare wrongly as floats.
            if memcmp(cached.source.baseAddress!, weights, weightCount * MemoryLayout<Float>.stride) != 0 {
                cached.source.baseAddress!.update(from: weights, count: weightCount)
                transform(cached.transformed.baseAddress!)
            }
            return UnsafePointer(cached.transformed.baseAddress!)
        }
        if let stale = transformedWeights.removeValue(forKey: key) { stale.source.deallocate(); stale.transformed.deallocate() }
        let source = UnsafeMutableBufferPointer<Float>.allocate(capacity: weightCount)
        _ = source.initialize(from: UnsafeBufferPointer(start: weights, count: weightCount))
        let transformed = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        transform(transformed.baseAddress!)
        transformedWeights[key] = (source, transformed)
        return UnsafePointer(transformed.baseAddress!)
    }

    /// Floats held, for memory accounting.
    public var allocatedFloats: Int {
        capacity + transformedWeights.values.reduce(0) { $0 + $1.source.count + $1.transformed.count }
    }
}

/// Runs `body(n, gradients, scratch)` for every image `n < batch`, the images split over
/// `workers` workers with single-threaded `sgemm`s (OpenBLAS's own threads then never wake to
/// spin against ours). Each worker adds its parameter gradients for `parameters` (indices into
/// the flat gradient vector) into its own copy, worker 0 straight into `gradients`; the copies
/// are added in worker order, so the sum depends only on the worker count. Each worker also
/// gets `scratchFloats` floats of its own scratch.
func backwardOverImages(batch: Int, workers: Int, parameters: Range<Int>, gradients: UnsafeMutablePointer<Float>,
                        scratch: Scratch, scratchFloats: Int,
                        _ body: (_ n: Int, _ gradients: UnsafeMutablePointer<Float>, _ scratch: UnsafeMutablePointer<Float>) -> Void) {
    let workers = max(1, min(workers, batch))
    let copy = parameters.count
    let perWorker = scratchFloats + copy
    let buffer = scratch.floats(workers * perWorker)
    // A worker's copy is addressed like the full vector: valid only at `parameters`.
    func copyBase(_ worker: Int) -> UnsafeMutablePointer<Float> {
        worker == 0 ? gradients : buffer + worker * perWorker + scratchFloats - parameters.lowerBound
    }
    for worker in 1..<workers { (copyBase(worker) + parameters.lowerBound).update(repeating: 0, count: copy) }
    BLAS.serially {
        parallelFor(workers, threads: workers) { worker in
            var n = worker
            while n < batch {
                body(n, copyBase(worker), buffer + worker * perWorker)
                n += workers
            }
        }
    }
    for worker in 1..<workers {
        let from = copyBase(worker)
        for i in parameters { gradients[i] += from[i] }
    }
}
