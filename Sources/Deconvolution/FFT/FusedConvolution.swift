internal import CFFTW
import DeblurCore
import Foundation

/// Circular convolution of one real plane by a PSF, `out = k ⊛ in` (or the correlation
/// `out = kᵀ ⊛ in` with the conjugate OTF), with the pointwise passes fused into the FFT's own
/// passes so the plane crosses memory as few times as possible:
///
///     1. row r2c transforms               in  → S   (rows in parallel)
///     2. per block of B spectrum columns:  S ← F⁻¹_col( K · F_col(S) )   while the block is in cache
///     3. row c2r transforms + epilogue    S   → out (chunks of rows; the caller's
///                                                    `epilogue(rows)` runs on them while hot)
///
/// Mathematically this is `ifft2(fft2(in) .* K)` (MATLAB `real(ifft2(fft2(x) .* psf2otf(k, size(x))))`,
/// `imfilter(x, k, 'circular', 'conv')`), with the scale `1 / (height · width)` folded into
/// `K`. A plain `FFTPlan2D` round trip with a separate multiply pass reads and writes the
/// spectrum three more times; in Richardson–Lucy the ratio and update passes add two more
/// full sweeps, which the epilogue removes.
///
/// Layout: the spectrum is `height` rows of `rowStride ≥ width / 2 + 1` interleaved complex
/// values (the row stride is padded to whole, odd-numbered 64-byte lines so column blocks stay
/// aligned for FFTW's SIMD code and do not collide in cache sets). OTFs for this primitive come
/// from `otf(_:)` and are only valid for it.
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
    /// Rows handed to one epilogue call.
    let rowsPerChunk = 8

    /// Floats in a spectrum buffer, `2 · height · rowStride`.
    var spectrumCount: Int { 2 * height * rowStride }
    /// Floats in a real plane, `height · width`.
    var realCount: Int { height * width }

    private let rowForward: fftwf_plan
    private let rowInverse: fftwf_plan
    /// Row plans made without the alignment assumption, for widths whose rows are not 64-byte
    /// aligned or base pointers that are not FFTW-aligned.
    private let rowForwardUnaligned: fftwf_plan
    private let rowInverseUnaligned: fftwf_plan
    private let rowsAligned: Bool
    private let columnForward: fftwf_plan
    private let columnInverse: fftwf_plan
    /// Plans for the last block when `blockWidth` does not divide `spectrumWidth`.
    private let tailForward: fftwf_plan?
    private let tailInverse: fftwf_plan?

    private static let cacheLock = NSLock()
    nonisolated(unsafe) private static var engines: [Key: FusedConvolution] = [:]
    private struct Key: Hashable { let height: Int, width: Int, blockWidth: Int, rigor: FFTRigor }

    /// The cached engine for `height × width` (plans made on first use with `FFT.rigor`).
    ///
    /// - Parameter blockWidth: complex columns per fused column block (default 16: 128 bytes a
    ///   row, a ~140 KB block at 1080 rows, well inside the 1 MB L2). Multiples of 8 keep the
    ///   blocks 64-byte aligned; other values work with unaligned plans.
    static func engine(height: Int, width: Int, blockWidth: Int = 16) -> FusedConvolution {
        precondition(height > 0 && width > 0, "fused convolution size must be positive, got \(height)×\(width)")
        precondition(blockWidth > 0, "block width must be positive, got \(blockWidth)")
        let key = Key(height: height, width: width, blockWidth: blockWidth, rigor: FFT.rigor)
        cacheLock.lock(); defer { cacheLock.unlock() }
        if let engine = engines[key] { return engine }
        let engine = FusedConvolution(height: height, width: width, blockWidth: blockWidth, rigor: FFT.rigor)
        engines[key] = engine
        return engine
    }

    private init(height: Int, width: Int, blockWidth: Int, rigor: FFTRigor) {
        self.height = height
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
        let aligned = (width * MemoryLayout<Float>.size) % 64 == 0
        rowsAligned = aligned
        let unaligned = flags | UInt32(FFTW_UNALIGNED)
        let columnFlags = block % 8 == 0 ? flags : unaligned
        let tail = (width / 2 + 1) % block

        // Planned on scratch arrays (FFTW_MEASURE overwrites them); both are fftwf_malloc'd.
        let real = FFTBuffer(count: width)
        let spectrum = FFTBuffer(count: 2 * height * stride)
        let h = Int32(height), w = Int32(width), s = Int32(stride)
        let c = complex(spectrum.pointer)
        (rowForward, rowInverse, rowForwardUnaligned, rowInverseUnaligned,
         columnForward, columnInverse, tailForward, tailInverse) = FFT.withPlanner {
            fftwf_plan_with_nthreads(1)
            let rf = fftwf_plan_dft_r2c_1d(w, real.pointer, c, aligned ? flags : unaligned)!
            let ri = fftwf_plan_dft_c2r_1d(w, c, real.pointer, aligned ? flags : unaligned)!
            let rfu = fftwf_plan_dft_r2c_1d(w, real.pointer, c, unaligned)!
            let riu = fftwf_plan_dft_c2r_1d(w, c, real.pointer, unaligned)!
            // Columns: `howmany` adjacent columns, element stride one spectrum row, in place.
            func column(_ count: Int, _ sign: Int32, _ f: UInt32) -> fftwf_plan {
                var n = h
                return fftwf_plan_many_dft(1, &n, Int32(count), c, nil, s, 1, c, nil, s, 1, sign, f)!
            }
            let cf = column(block, FFTW_FORWARD, columnFlags)
            let ci = column(block, FFTW_BACKWARD, columnFlags)
            let tf = tail > 0 ? column(tail, FFTW_FORWARD, columnFlags) : nil
            let ti = tail > 0 ? column(tail, FFTW_BACKWARD, columnFlags) : nil
            return (rf, ri, rfu, riu, cf, ci, tf, ti)
        }
    }

    deinit {
        for plan in [rowForward, rowInverse, rowForwardUnaligned, rowInverseUnaligned, columnForward, columnInverse] {
            fftwf_destroy_plan(plan)
        }
        if let tailForward { fftwf_destroy_plan(tailForward) }
        if let tailInverse { fftwf_destroy_plan(tailInverse) }
    }

    /// A new spectrum buffer in this engine's layout.
    func makeSpectrumBuffer() -> FFTBuffer { FFTBuffer(count: spectrumCount) }

    /// The OTF of `psf` in this engine's layout, scaled by `1 / (height · width)` so `convolve`
    /// needs no normalization pass; cached per PSF and size (shared, read-only).
    func otf(_ psf: PSF) -> FFTBuffer {
        precondition(psf.height <= height && psf.width <= width,
                     "PSF \(psf.height)×\(psf.width) does not fit in \(height)×\(width)")
        return OTFCache.cached(psf, height: height, width: width, scale: 1 / Float(realCount), layout: 1) {
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
            forward(placed.pointer, into: spectrum.pointer)
            SpectralOps.scale(spectrum.pointer, count: spectrumCount, by: 1 / Float(realCount))
            return spectrum
        }
    }

    /// The unnormalized 2-D DFT of a real plane of `realCount` floats, in this engine's layout
    /// (the padding columns of each row are left as they were).
    func forward(_ input: UnsafeMutablePointer<Float>, into spectrum: UnsafeMutablePointer<Float>) {
        rowTransforms(input, spectrum)
        let blocks = (spectrumWidth + blockWidth - 1) / blockWidth
        parallelFor(blocks, threads: FFT.threads) { block in
            let (p, full) = blockStart(block, spectrum)
            fftwf_execute_dft(full ? columnForward : tailForward!, p, p)
        }
    }

    /// `output ← k ⊛ input` (or `kᵀ ⊛ input` when `conjugate`), circular, where `otf` came from
    /// `otf(_:)`; `input` may equal `output`, and is not modified otherwise.
    ///
    /// - Parameters:
    ///   - spectrum: scratch of `spectrumCount` floats (its contents are overwritten).
    ///   - epilogue: called once per chunk of output rows, right after they are written, from
    ///     any worker thread (chunks are disjoint and every row is covered exactly once).
    ///
    /// Pointers from `FFTBuffer` take FFTW's aligned code path; others work, more slowly.
    func convolve(_ input: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>,
                  otf: FFTBuffer, conjugate: Bool, spectrum: FFTBuffer,
                  epilogue: (Range<Int>) -> Void = { _ in }) {
        precondition(otf.count >= spectrumCount && spectrum.count >= spectrumCount,
                     "fused convolution \(height)×\(width) needs spectra of \(spectrumCount) floats, got \(otf.count) and \(spectrum.count)")
        let s = spectrum.pointer
        rowTransforms(input, s)

        // The column pass: forward, filter, inverse on one block while it is in cache.
        let blocks = (spectrumWidth + blockWidth - 1) / blockWidth
        let k = UnsafePointer(otf.pointer), sign: Float = conjugate ? -1 : 1
        let rowFloats = 2 * rowStride
        parallelFor(blocks, threads: FFT.threads) { block in
            let (p, full) = blockStart(block, s)
            fftwf_execute_dft(full ? columnForward : tailForward!, p, p)
            let lo = 2 * block * blockWidth, hi = 2 * min(spectrumWidth, (block + 1) * blockWidth)
            for row in 0..<height {
                let a = s + row * rowFloats, h = k + row * rowFloats
                var i = lo
                while i < hi {
                    let ar = a[i], ai = a[i + 1], kr = h[i], ki = sign * h[i + 1]
                    a[i] = ar * kr - ai * ki
                    a[i + 1] = ar * ki + ai * kr
                    i += 2
                }
            }
            fftwf_execute_dft(full ? columnInverse : tailInverse!, p, p)
        }

        // Inverse rows, each chunk finished by the caller's pointwise work while it is hot.
        let aligned = rowsAligned && fftwf_alignment_of(output) == 0 && fftwf_alignment_of(s) == 0
        let plan = aligned ? rowInverse : rowInverseUnaligned
        let chunks = (height + rowsPerChunk - 1) / rowsPerChunk
        parallelFor(chunks, threads: FFT.threads) { [width, rowsPerChunk, height] chunk in
            let rows = chunk * rowsPerChunk ..< min(height, (chunk + 1) * rowsPerChunk)
            for row in rows {
                fftwf_execute_dft_c2r(plan, complex(s + row * rowFloats), output + row * width)
            }
            epilogue(rows)
        }
    }

    /// Row r2c transforms of a real plane into the spectrum layout, rows in parallel.
    private func rowTransforms(_ input: UnsafeMutablePointer<Float>, _ s: UnsafeMutablePointer<Float>) {
        let aligned = rowsAligned && fftwf_alignment_of(input) == 0 && fftwf_alignment_of(s) == 0
        let plan = aligned ? rowForward : rowForwardUnaligned
        let rowFloats = 2 * rowStride
        parallelFor(height, threads: FFT.threads) { [width] row in
            fftwf_execute_dft_r2c(plan, input + row * width, complex(s + row * rowFloats))
        }
    }

    /// The first element of column block `block` and whether it is a full block.
    private func blockStart(_ block: Int, _ s: UnsafeMutablePointer<Float>) -> (UnsafeMutablePointer<fftwf_complex>, Bool) {
        (complex(s + 2 * block * blockWidth), (block + 1) * blockWidth <= spectrumWidth)
    }
}

private func complex(_ p: UnsafeMutablePointer<Float>) -> UnsafeMutablePointer<fftwf_complex> {
    UnsafeMutableRawPointer(p).assumingMemoryBound(to: fftwf_complex.self)
}
