internal import CFFTW
import DeblurCore
import Foundation

/// Circular convolution of one real plane by a PSF, `out = k ⊛ in` (or the correlation
/// `out = kᵀ ⊛ in` with the conjugate OTF), with the pointwise passes fused into the FFT's own
/// passes so the plane crosses memory as few times as possible:
///
///     1. row r2c transforms               in  → S   (chunks of rows on all cores)
///     2. per block of B spectrum columns:  S ← F⁻¹_col( K · F_col(S) )   gathered into a
///                                          contiguous per-worker scratch, in cache throughout
///     3. row c2r transforms + epilogue    S   → out (chunks of rows; the caller's
///                                                    `epilogue(rows)` runs on them while hot,
///                                                    optionally followed by stage 1 of the
///                                                    next convolution on the same rows)
///
/// Mathematically this is `ifft2(fft2(in) .* K)` (MATLAB `real(ifft2(fft2(x) .* psf2otf(k, size(x))))`,
/// `imfilter(x, k, 'circular', 'conv')`), with the scale `1 / (height · width)` folded into
/// `K`. A plain `FFTPlan2D` round trip with a separate multiply pass reads and writes the
/// spectrum three more times; in Richardson–Lucy the ratio and update passes add two more
/// full sweeps, which the epilogue removes.
///
/// Layout: the spectrum is `height` rows of `rowStride ≥ width / 2 + 1` interleaved complex
/// values (the row stride is padded to whole, odd-numbered 64-byte lines so gathered column
/// blocks start aligned and their rows do not collide in cache sets), followed by one
/// `height × blockWidth` scratch block per worker. OTFs for this primitive come from `otf(_:)`
/// (block-major, scaled) and are only valid for an engine of the same size and block width.
///
/// Parallelism: FFTW's plans here are single-threaded and executed concurrently on new arrays
/// (`fftwf_execute_dft_r2c/_c2r/_dft` are thread-safe); the row chunks and column blocks are
/// spread over `FFT.threads` cores with `parallelFor`. Nothing is allocated per call.
///
/// Reference: the row–column decomposition of the 2-D DFT (e.g. Frigo & Johnson, "The design and
/// implementation of FFTW3", Proc. IEEE 93, 2005); fusing the filter into the column pass is the
/// usual cache-blocking of a convolution by FFT.
final class FusedConvolution: @unchecked Sendable {
    let height: Int
    let width: Int
    /// Complex values of the half spectrum per row, `width / 2 + 1`.
    let spectrumWidth: Int
    /// Complex values per spectrum row in memory (`≥ spectrumWidth`).
    let rowStride: Int
    /// Spectrum columns transformed together in the fused column pass.
    let blockWidth: Int
    /// Rows per row-transform call (FFTW vectorizes across them) and per epilogue call.
    let rowsPerChunk: Int

    /// Column blocks, `⌈spectrumWidth / blockWidth⌉`.
    let blocks: Int
    /// Workers the column pass can use at most (each needs its own block scratch).
    let maximumWorkers = ProcessorInfo.cores
    /// Floats of the spectrum proper, `2 · height · rowStride`.
    var planeSpectrumCount: Int { 2 * height * rowStride }
    /// Floats in a spectrum buffer: the spectrum plus one contiguous `height × blockWidth`
    /// complex block per worker, where the column pass gathers its block.
    var spectrumCount: Int { planeSpectrumCount + maximumWorkers * 2 * height * blockWidth }
    /// Floats in an OTF of this engine: block-major, each block `height × blockWidth` complex
    /// (the last block's unused columns are 0), so the filter step streams it contiguously.
    var otfCount: Int { 2 * blocks * height * blockWidth }
    /// Floats in a real plane, `height · width`.
    var realCount: Int { height * width }

    /// r2c and c2r plans for `rowsPerChunk` rows, and for the last `height % rowsPerChunk`.
    private let rowForward: fftwf_plan
    private let rowInverse: fftwf_plan
    private let tailRowForward: fftwf_plan?
    private let tailRowInverse: fftwf_plan?
    /// Whether the row plans assume FFTW-aligned chunks (true unless `rowsPerChunk · width`
    /// floats is not a multiple of FFTW's alignment); otherwise they are made with FFTW_UNALIGNED.
    private let rowsAligned: Bool
    private let columnForward: fftwf_plan
    private let columnInverse: fftwf_plan
    /// Plans for the last block when `blockWidth` does not divide `spectrumWidth`.
    private let tailForward: fftwf_plan?
    private let tailInverse: fftwf_plan?

    private static let cacheLock = NSLock()
    nonisolated(unsafe) private static var engines: [Key: FusedConvolution] = [:]
    private struct Key: Hashable { let height: Int, width: Int, blockWidth: Int, rowsPerChunk: Int, rigor: FFTRigor }

    /// The cached engine for `height × width` (plans made on first use with `FFT.rigor`).
    ///
    /// - Parameter blockWidth: complex columns per fused column block (default 32: 256 bytes a
    ///   row, a ~280 KB block at 1080 rows, inside the 1 MB L2 of the development machine; 8, 16,
    ///   32 and 64 were within noise of each other there, 32 the most consistent in
    ///   `deblur bench --cases fused-convolution`). Multiples of 8 keep the blocks aligned for
    ///   FFTW's SIMD codelets; other values work with unaligned plans.
    /// - Parameter rowsPerChunk: rows per row-transform call and per epilogue call (default 16;
    ///   FFTW vectorizes across them, and 16 rows of 1080 floats stay in L1/L2 for the epilogue).
    static func engine(height: Int, width: Int, blockWidth: Int = 32, rowsPerChunk: Int = 16) -> FusedConvolution {
        precondition(height > 0 && width > 0, "fused convolution size must be positive, got \(height)×\(width)")
        precondition(blockWidth > 0 && rowsPerChunk > 0, "block width and rows per chunk must be positive, got \(blockWidth) and \(rowsPerChunk)")
        let key = Key(height: height, width: width, blockWidth: blockWidth, rowsPerChunk: rowsPerChunk, rigor: FFT.rigor)
        cacheLock.lock(); defer { cacheLock.unlock() }
        if let engine = engines[key] { return engine }
        let engine = FusedConvolution(height: height, width: width, blockWidth: blockWidth, rowsPerChunk: rowsPerChunk, rigor: FFT.rigor)
        engines[key] = engine
        return engine
    }

    private init(height: Int, width: Int, blockWidth: Int, rowsPerChunk: Int, rigor: FFTRigor) {
        self.height = height
        let chunk = min(rowsPerChunk, height)
        self.rowsPerChunk = chunk
        self.width = width
        spectrumWidth = width / 2 + 1
        // Whole 64-byte lines (8 complex floats), an odd number of them: power-of-two-like
        // strides would map a column block's rows onto few cache sets.
        var stride = (spectrumWidth + 7) / 8 * 8
        if (stride / 8) % 2 == 0 { stride += 8 }
        rowStride = stride
        let block = min(blockWidth, width / 2 + 1)
        self.blockWidth = block
        let flags = rigor.flags
        let unaligned = flags | UInt32(FFTW_UNALIGNED)
        let tail = (width / 2 + 1) % block
        blocks = (width / 2 + 1 + block - 1) / block

        // Planned on scratch arrays (FFTW_MEASURE overwrites them); both are fftwf_malloc'd.
        let real = FFTBuffer(count: 2 * chunk * width)
        // Every chunk starts a multiple of `chunk · width` floats into an FFTW-aligned plane: with
        // 8 or 16 rows that is 32-byte aligned for any width, so the SIMD codelets stay usable
        // (FFTW_UNALIGNED disables them: the row passes took twice as long).
        let aligned = fftwf_alignment_of(real.pointer + chunk * width) == 0
        rowsAligned = aligned
        let spectrum = FFTBuffer(count: 2 * height * stride)
        let scratch = FFTBuffer(count: 4 * height * block)
        // Worker blocks sit `2 · height · block` floats apart after a 64-byte multiple.
        let columnFlags = fftwf_alignment_of(scratch.pointer + 2 * height * block) == 0 ? flags : unaligned
        let h = Int32(height), w = Int32(width), s = Int32(stride)
        let c = complex(spectrum.pointer), b = complex(scratch.pointer)
        let rowFlags = aligned ? flags : unaligned
        let tailRows = height % chunk
        (rowForward, rowInverse, tailRowForward, tailRowInverse,
         columnForward, columnInverse, tailForward, tailInverse) = FFT.withPlanner {
            fftwf_plan_with_nthreads(1)
            // Rows: `count` consecutive rows, real rows `width` apart, spectrum rows `stride` apart.
            func rows(_ count: Int) -> (fftwf_plan, fftwf_plan) {
                var n = w
                let f = fftwf_plan_many_dft_r2c(1, &n, Int32(count), real.pointer, nil, 1, w, c, nil, 1, s, rowFlags)!
                let i = fftwf_plan_many_dft_c2r(1, &n, Int32(count), c, nil, 1, s, real.pointer, nil, 1, w, rowFlags)!
                return (f, i)
            }
            let (rf, ri) = rows(chunk)
            let tailPlans = tailRows > 0 ? rows(tailRows) : nil
            // Columns of a gathered block: `count` adjacent columns of a contiguous
            // `height × block` complex array, in place (no FFTW buffering needed).
            func column(_ count: Int, _ sign: Int32, _ f: UInt32) -> fftwf_plan {
                var n = h
                return fftwf_plan_many_dft(1, &n, Int32(count), b, nil, Int32(block), 1, b, nil, Int32(block), 1, sign, f)!
            }
            let cf = column(block, FFTW_FORWARD, columnFlags)
            let ci = column(block, FFTW_BACKWARD, columnFlags)
            let tf = tail > 0 ? column(tail, FFTW_FORWARD, columnFlags) : nil
            let ti = tail > 0 ? column(tail, FFTW_BACKWARD, columnFlags) : nil
            return (rf, ri, tailPlans?.0, tailPlans?.1, cf, ci, tf, ti)
        }
    }

    deinit {
        for plan in [rowForward, rowInverse, tailRowForward, tailRowInverse, columnForward, columnInverse, tailForward, tailInverse] {
            if let plan { fftwf_destroy_plan(plan) }
        }
    }

    /// A new spectrum buffer in this engine's layout.
    func makeSpectrumBuffer() -> FFTBuffer { FFTBuffer(count: spectrumCount) }

    /// The OTF of `psf` in this engine's layout, scaled by `1 / (height · width)` so `convolve`
    /// needs no normalization pass; cached per PSF and size (shared, read-only).
    func otf(_ psf: PSF) -> FFTBuffer {
        precondition(psf.height <= height && psf.width <= width,
                     "PSF \(psf.height)×\(psf.width) does not fit in \(height)×\(width)")
        return OTFCache.cached(psf, height: height, width: width, scale: 1 / Float(realCount), layout: blockWidth) {
            let placed = FFTBuffer(count: realCount)
            let cy = psf.centerY, cx = psf.centerX
            psf.image.withUnsafeBufferPointer { k in
                for y in 0..<psf.height {
                    let ty = (y - cy + height) % height
                    for x in 0..<psf.width {
                        placed.pointer[ty * width + (x - cx + width) % width] += k[y * psf.width + x]
                    }
                }
            }
            let spectrum = makeSpectrumBuffer()
            forward(placed.pointer, into: spectrum)
            // Rearranged block-major, scaled: the filter step reads it as one contiguous stream.
            let otf = FFTBuffer(count: otfCount)
            let scale = 1 / Float(realCount), rowFloats = 2 * rowStride, blockFloats = 2 * blockWidth
            for block in 0..<blocks {
                let first = block * blockWidth, columns = min(blockWidth, spectrumWidth - first)
                for row in 0..<height {
                    let from = spectrum.pointer + row * rowFloats + 2 * first
                    let to = otf.pointer + (block * height + row) * blockFloats
                    for i in 0..<(2 * columns) { to[i] = from[i] * scale }
                }
            }
            return otf
        }
    }

    /// The unnormalized 2-D DFT of a real plane of `realCount` floats, in this engine's layout
    /// (the padding columns of each row are left as they were).
    func forward(_ input: UnsafeMutablePointer<Float>, into spectrum: FFTBuffer) {
        precondition(spectrum.count >= spectrumCount, "spectrum needs \(spectrumCount) floats, got \(spectrum.count)")
        rowTransforms(input, spectrum.pointer)
        columnPass(spectrum.pointer, otf: nil, conjugate: false)
    }

    /// `output ← k ⊛ input` (or `kᵀ ⊛ input` when `conjugate`), circular, where `otf` came from
    /// `otf(_:)`; `input` may equal `output`, and is not modified otherwise.
    ///
    /// - Parameters:
    ///   - spectrum: scratch of `spectrumCount` floats (its contents are overwritten).
    ///   - epilogue: called once per chunk of output rows, right after they are written, from
    ///     any worker thread (chunks are disjoint and every row is covered exactly once).
    ///
    /// `input` and `output` must be FFTW-aligned (`FFTBuffer` memory).
    func convolve(_ input: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>,
                  otf: FFTBuffer, conjugate: Bool, spectrum: FFTBuffer,
                  epilogue: (Range<Int>) -> Void = { _ in }) {
        precondition(otf.count >= otfCount && spectrum.count >= spectrumCount,
                     "fused convolution \(height)×\(width) needs an OTF of \(otfCount) and a spectrum of \(spectrumCount) floats, got \(otf.count) and \(spectrum.count)")
        rowTransforms(input, spectrum.pointer)
        columnPass(spectrum.pointer, otf: otf.pointer, conjugate: conjugate)
        inverseRows(spectrum.pointer, into: output, epilogue: epilogue)
    }

    /// The column pass. Each worker gathers one block of columns into its contiguous scratch,
    /// transforms it forward, and (with an `otf`) multiplies by the (conjugate) OTF block and
    /// transforms back, then scatters it: one read and one write of the spectrum in all, with
    /// the transforms and the product running in cache. Without `otf` it is the forward half.
    func columnPass(_ s: UnsafeMutablePointer<Float>, otf: UnsafeMutablePointer<Float>?, conjugate: Bool) {
        let workers = max(1, min(FFT.threads, maximumWorkers, blocks))
        let rowFloats = 2 * rowStride, blockFloats = 2 * blockWidth
        let sign: Float = conjugate ? -1 : 1
        parallelFor(workers, threads: workers) { [height, blocks, blockWidth, spectrumWidth, planeSpectrumCount] worker in
            let b = s + planeSpectrumCount + worker * height * blockFloats
            for block in blocks * worker / workers ..< blocks * (worker + 1) / workers {
                let first = block * blockWidth, columns = min(blockWidth, spectrumWidth - first)
                let full = columns == blockWidth
                for row in 0..<height {
                    (b + row * blockFloats).update(from: s + row * rowFloats + 2 * first, count: 2 * columns)
                }
                fftwf_execute_dft(full ? columnForward : tailForward!, complex(b), complex(b))
                if let otf {
                    let k = UnsafePointer(otf + block * height * blockFloats)
                    // A partial last block's unused columns hold stale finite values that are never
                    // scattered back: multiplying them too keeps the loop branch-free.
                    var i = 0
                    let end = height * blockFloats
                    while i < end {
                        let ar = b[i], ai = b[i + 1], kr = k[i], ki = sign * k[i + 1]
                        b[i] = ar * kr - ai * ki
                        b[i + 1] = ar * ki + ai * kr
                        i += 2
                    }
                    fftwf_execute_dft(full ? columnInverse : tailInverse!, complex(b), complex(b))
                }
                for row in 0..<height {
                    (s + row * rowFloats + 2 * first).update(from: b + row * blockFloats, count: 2 * columns)
                }
            }
        }
    }

    /// Inverse row transforms into `output`, each chunk of rows followed by `epilogue` and then,
    /// if `next` is given, by the forward row transforms of `next`'s same rows into the same
    /// spectrum rows (whose content the inverse has just consumed): the first stage of the
    /// following convolution, done while those rows are in cache. `next` may be `output`.
    func inverseRows(_ s: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>,
                     epilogue: (Range<Int>) -> Void, thenForward next: UnsafeMutablePointer<Float>? = nil) {
        requireAlignment(output, s)
        if let next { requireAlignment(next, s) }
        let rowFloats = 2 * rowStride
        let chunks = (height + rowsPerChunk - 1) / rowsPerChunk
        parallelFor(chunks, threads: FFT.threads) { [width, rowsPerChunk, height] chunk in
            let rows = chunk * rowsPerChunk ..< min(height, (chunk + 1) * rowsPerChunk)
            let full = rows.count == rowsPerChunk
            let spectrumRows = complex(s + rows.lowerBound * rowFloats)
            fftwf_execute_dft_c2r(full ? rowInverse : tailRowInverse!, spectrumRows, output + rows.lowerBound * width)
            epilogue(rows)
            if let next {
                fftwf_execute_dft_r2c(full ? rowForward : tailRowForward!, next + rows.lowerBound * width, spectrumRows)
            }
        }
    }

    /// The last two stages of `convolve` on a spectrum that already holds the row transforms of
    /// the input (from `rowTransforms` or a previous `inverseRows(…, thenForward:)`), optionally
    /// chaining the next convolution's row transforms of `next` (see `inverseRows`).
    func convolveRowSpectrum(_ spectrum: FFTBuffer, into output: UnsafeMutablePointer<Float>,
                             otf: FFTBuffer, conjugate: Bool,
                             epilogue: (Range<Int>) -> Void = { _ in }, thenForward next: UnsafeMutablePointer<Float>? = nil) {
        precondition(otf.count >= otfCount && spectrum.count >= spectrumCount,
                     "fused convolution \(height)×\(width) needs an OTF of \(otfCount) and a spectrum of \(spectrumCount) floats, got \(otf.count) and \(spectrum.count)")
        columnPass(spectrum.pointer, otf: otf.pointer, conjugate: conjugate)
        inverseRows(spectrum.pointer, into: output, epilogue: epilogue, thenForward: next)
    }

    /// Row r2c transforms of a real plane into the spectrum layout, rows in parallel.
    func rowTransforms(_ input: UnsafeMutablePointer<Float>, _ s: UnsafeMutablePointer<Float>) {
        requireAlignment(input, s)
        let rowFloats = 2 * rowStride
        let chunks = (height + rowsPerChunk - 1) / rowsPerChunk
        parallelFor(chunks, threads: FFT.threads) { [width, rowsPerChunk, height] chunk in
            let first = chunk * rowsPerChunk
            let plan = first + rowsPerChunk <= height ? rowForward : tailRowForward!
            fftwf_execute_dft_r2c(plan, input + first * width, complex(s + first * rowFloats))
        }
    }

    /// FFTW executes a plan on new arrays only with the alignment it was planned with: the
    /// real plane and the spectrum must start FFTW-aligned (`FFTBuffer` memory does).
    private func requireAlignment(_ real: UnsafeMutablePointer<Float>, _ spectrum: UnsafeMutablePointer<Float>) {
        precondition(fftwf_alignment_of(spectrum) == 0 && (!rowsAligned || fftwf_alignment_of(real) == 0),
                     "FusedConvolution needs FFTW-aligned buffers (FFTBuffer)")
    }

}

private func complex(_ p: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<fftwf_complex> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: fftwf_complex.self)
}
