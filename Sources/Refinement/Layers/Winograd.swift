import DeblurCore

/// Winograd's minimal filtering for 3 × 3, stride 1, padding 1 convolutions (Lavin & Gray
/// 2016, "Fast Algorithms for Convolutional Neural Networks"), here F(4×4, 3×3).
///
/// Each 4 × 4 block of outputs ("tile") is `Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A` for its 6 × 6
/// input patch `d` and a 3 × 3 kernel `g` (the matrices are in `WinogradF4`). Summed over
/// input channels, the 36 element-wise products become 36 independent matrix products
/// `M[ξ] = U[ξ] · V[ξ]` (`U[ξ]` is `outChannels × inChannels`, `V[ξ]` is
/// `inChannels × tiles`): 2.25 multiply–adds per output and channel pair instead of the 9
/// that im2col + `sgemm` does, and no 9 × column copy of the input. The backward pass gets
/// the same cut: `∂L/∂x` is this convolution with the kernel rotated by 180° and its channel
/// axes swapped, and `∂L/∂g = Gᵀ [Σ_tiles (A ∂Y Aᵀ) ⊙ (Bᵀ d B)] G`.
///
/// Measured on the 2-core VM (`deblur bench --cases train,infer`): im2col 587 ms per training
/// step and 483 ms per 512² inference; F(2×2, 3×3) 384–414 and 405–458 ms; F(4×4, 3×3)
/// 277–298 and 272–311 ms. The price is rounding: a 128-channel sum of unit-range inputs is
/// off by a few 10⁻⁶ (against ~10⁻⁷ for im2col), which tests bound at 10⁻⁵ of the largest
/// value.
///
/// Tiles are numbered row-major over `⌈H/4⌉ × ⌈W/4⌉`; outputs of a last, part-outside tile
/// are dropped and inputs outside the image are zero (the padding). Work is done on ranges
/// of tiles ("chunks") so the transformed chunk stays in cache between the transform and
/// `sgemm`; transformed chunks hold, for each position ξ, a `rows × count` block (row `c`,
/// column `t − first`), blocks `blockStride(rows, count)` floats apart.
enum Winograd {
    /// True for the geometry this algorithm computes: 3 × 3, stride 1, padding 1.
    @inlinable static func applies(to g: ConvGeometry) -> Bool { g.kernel == 3 && g.stride == 1 && g.padding == 1 }

    /// Tiles per chunk: the chunk's transformed input and product (`positions · (in + out)`
    /// floats per tile) stay within `chunkBudget` floats, about half of one core's L2 cache.
    static func chunkTiles(positions: Int, inChannels: Int, outChannels: Int, tiles: Int) -> Int {
        max(1, min(tiles, chunkBudget / (positions * (inChannels + outChannels))))
    }

    static let chunkBudget = 1 << 17

    /// Distance in floats between the blocks of two positions ξ holding `rows × count`
    /// values: one cache line more than the block, so the 36 streams a transform reads or
    /// writes at once do not fall into the same cache set (at the U-Net's power-of-two
    /// sizes they did, and the output transform ran 3 × slower).
    @inline(__always) static func blockStride(_ rows: Int, _ count: Int) -> Int { rows * count + 16 }

    /// Fewest input channels for which Winograd beats im2col + `sgemm` here: below it the
    /// per-position products have too short an inner dimension (`deblur bench --cases train,infer`).
    static let minimumChannels = 8
}

// Four-lane vector helpers for the transforms (SSE on any x86-64; unaligned access is fine).

@inline(__always) func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
}

@inline(__always) func load4(_ p: UnsafeMutablePointer<Float>) -> SIMD4<Float> { load4(UnsafePointer(p)) }

@inline(__always) func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always) func storeLanes(_ v: SIMD4<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD4<Float>.self)
}

/// `v > 0 ? v : slope · v` per lane (the identity for slope 1).
@inline(__always) func leakyLanes(_ v: SIMD4<Float>, _ slope: Float) -> SIMD4<Float> {
    v.replacing(with: slope * v, where: .!(v .> 0))
}

/// The channel planes of one image, read from one tensor or two concatenated ones.
struct ChannelPlanes {
    let first: UnsafePointer<Float>
    let firstChannels: Int
    let second: UnsafePointer<Float>?
    let planeSize: Int

    @inline(__always) func plane(_ c: Int) -> UnsafePointer<Float> {
        c < firstChannels ? first + c * planeSize : second! + (c - firstChannels) * planeSize
    }
}

extension WinogradF4 {
    static func tiles(height: Int, width: Int) -> Int { ((height + tile - 1) / tile) * ((width + tile - 1) / tile) }

    static func chunk(inChannels: Int, outChannels: Int, height: Int, width: Int) -> Int {
        Winograd.chunkTiles(positions: positions, inChannels: inChannels, outChannels: outChannels, tiles: tiles(height: height, width: width))
    }

    static func workerFloats(_ inChannels: Int, _ outChannels: Int, _ chunk: Int, _ width: Int) -> Int {
        positions * (Winograd.blockStride(inChannels, chunk) + Winograd.blockStride(outChannels, chunk)) + rowScratch(width: width)
    }

    /// Floats of work memory `convolve` needs besides the transformed weights: per worker a
    /// transformed input chunk, its product and row scratch.
    static func convolveWork(inChannels: Int, outChannels: Int, height: Int, width: Int, workers: Int) -> Int {
        let chunk = chunk(inChannels: inChannels, outChannels: outChannels, height: height, width: width)
        return workers * workerFloats(inChannels, outChannels, chunk, width)
    }

    /// `y[n] = f(conv₃ₓ₃(x[n]) + bias)` for every image, `u` the weights from `transformWeights`
    /// (`positions · outChannels · inChannels` floats), `work` the per-worker chunks
    /// (`convolveWork` without the weights).
    ///
    /// Chunks of tiles are spread over `workers` threads, each running single-threaded
    /// `sgemm`s; a chunk's result does not depend on which worker runs it, so the output is
    /// the same bit for bit for any worker count.
    static func convolve(_ planes: (Int) -> ChannelPlanes, inChannels: Int, outChannels: Int, batch: Int,
                         height: Int, width: Int, bias: UnsafePointer<Float>?, slope: Float?, weights u: UnsafePointer<Float>,
                         into y: UnsafeMutablePointer<Float>, work slab: UnsafeMutablePointer<Float>, workers: Int) {
        let chunk = chunk(inChannels: inChannels, outChannels: outChannels, height: height, width: width)
        let perWorker = workerFloats(inChannels, outChannels, chunk, width)
        let outputSize = outChannels * height * width
        let inStride = Winograd.blockStride(inChannels, chunk), outStride = Winograd.blockStride(outChannels, chunk)
        forEachChunk(batch: batch, height: height, width: width, chunk: chunk, workers: workers) { worker, n, first, count in
            let v = slab + worker * perWorker
            let m = v + positions * inStride, rows = m + positions * outStride
            transformInput(planes(n), channels: inChannels, height: height, width: width,
                           first: first, count: count, into: v, rows: rows)
            for xi in 0..<positions {
                sgemm(transposeA: false, transposeB: false, m: outChannels, n: count, k: inChannels,
                      u + xi * outChannels * inChannels, lda: inChannels, v + xi * Winograd.blockStride(inChannels, count),
                      ldb: count, beta: 0, m + xi * Winograd.blockStride(outChannels, count), ldc: count)
            }
            transformOutput(m, channels: outChannels, height: height, width: width, first: first, count: count,
                            bias: bias, slope: slope, into: y + n * outputSize, rows: rows)
        }
    }

    /// Calls `body(worker, image, first, count)` for every chunk of `chunk` tiles (the last
    /// one shorter) of every image, chunks interleaved over `workers` threads (neighbouring
    /// chunks run at once, sharing input rows in the L3 cache) with single-threaded `sgemm`.
    static func forEachChunk(batch: Int, height: Int, width: Int, chunk: Int, workers: Int,
                             _ body: (_ worker: Int, _ image: Int, _ first: Int, _ count: Int) -> Void) {
        let tiles = tiles(height: height, width: width)
        let chunksPerImage = (tiles + chunk - 1) / chunk, tasks = batch * chunksPerImage
        let workers = max(1, min(workers, tasks))
        BLAS.serially {
            parallelFor(workers, threads: workers) { worker in
                var task = worker
                while task < tasks {
                    let n = task / chunksPerImage, first = (task - n * chunksPerImage) * chunk
                    body(worker, n, first, min(chunk, tiles - first))
                    task += workers
                }
            }
        }
    }

    /// Floats of work memory `accumulateWeightGradient(planes:…)` needs.
    static func weightGradientWork(inChannels: Int, outChannels: Int, height: Int, width: Int, workers: Int) -> Int {
        let chunk = chunk(inChannels: inChannels, outChannels: outChannels, height: height, width: width)
        return workers * (positions * outChannels * inChannels + workerFloats(inChannels, outChannels, chunk, width))
    }

    /// `∂L/∂w += Σₙ Σ_tiles Gᵀ [(A ∂Y Aᵀ) ⊙ (Bᵀ d B)] G` over every image: per worker, one
    /// product `∂U[ξ] += Z[ξ] · V[ξ]ᵀ` per position (output-gradient tiles against input
    /// tiles), summed over the workers in a fixed order, so the result depends only on the
    /// worker count.
    static func accumulateWeightGradient(_ planes: (Int) -> ChannelPlanes, inChannels: Int, outChannels: Int, batch: Int,
                                         height: Int, width: Int, outputGradient dy: UnsafePointer<Float>,
                                         into dw: UnsafeMutablePointer<Float>, work: UnsafeMutablePointer<Float>, workers: Int) {
        let chunk = chunk(inChannels: inChannels, outChannels: outChannels, height: height, width: width)
        let chunks = batch * ((tiles(height: height, width: width) + chunk - 1) / chunk)
        let workers = max(1, min(workers, chunks))
        let weights = positions * outChannels * inChannels
        let perWorker = weights + workerFloats(inChannels, outChannels, chunk, width)
        let outputSize = outChannels * height * width
        let inStride = Winograd.blockStride(inChannels, chunk), outStride = Winograd.blockStride(outChannels, chunk)
        for worker in 0..<workers { (work + worker * perWorker).update(repeating: 0, count: weights) }
        forEachChunk(batch: batch, height: height, width: width, chunk: chunk, workers: workers) { worker, n, first, count in
            let du = work + worker * perWorker
            let v = du + weights, z = v + positions * inStride, rows = z + positions * outStride
            transformInput(planes(n), channels: inChannels, height: height, width: width,
                           first: first, count: count, into: v, rows: rows)
            transformOutputGradient(dy + n * outputSize, channels: outChannels, height: height, width: width,
                                    first: first, count: count, into: z, rows: rows)
            for xi in 0..<positions {
                sgemm(transposeA: false, transposeB: true, m: outChannels, n: inChannels, k: count,
                      z + xi * Winograd.blockStride(outChannels, count), lda: count,
                      v + xi * Winograd.blockStride(inChannels, count), ldb: count,
                      beta: 1, du + xi * outChannels * inChannels, ldc: inChannels)
            }
        }
        for worker in 1..<workers {
            let from = work + worker * perWorker
            for i in 0..<weights { work[i] += from[i] }
        }
        accumulateWeightGradient(work, outChannels: outChannels, inChannels: inChannels, into: dw)
    }
}

extension Conv2D {
    /// True when this layer runs on Winograd F(4×4, 3×3) rather than im2col + `sgemm`: 3 × 3,
    /// stride 1, padding 1 convolutions with enough input channels for the small per-position
    /// products to run near `sgemm`'s rate (the U-Net's first layer, 3 input planes, stays
    /// on im2col).
    var usesWinograd: Bool { Winograd.applies(to: geometry) && inChannels >= Winograd.minimumChannels }

    func winogradForward(_ source: ConvSource, batch: Int, height: Int, width: Int, _ y: UnsafeMutablePointer<Float>,
                         parameters: UnsafePointer<Float>, scratch: Scratch, activation: LeakyReLU?, workers: Int) {
        let outChannels = outChannels, inChannels = inChannels
        let u = scratch.transformedWeights(key: offset, weights: parameters + offset, weightCount: weightCount,
                                           count: WinogradF4.positions * outChannels * inChannels) {
            WinogradF4.transformWeights(parameters + offset, outChannels: outChannels, inChannels: inChannels, transposed: false, into: $0)
        }
        let work = scratch.floats(WinogradF4.convolveWork(inChannels: inChannels, outChannels: outChannels,
                                                 height: height, width: width, workers: workers))
        WinogradF4.convolve({ source.planes(image: $0, size: height * width) }, inChannels: inChannels, outChannels: outChannels,
                   batch: batch, height: height, width: width, bias: parameters + biasOffset, slope: activation?.slope,
                   weights: u, into: y, work: work, workers: workers)
    }

    /// ∂L/∂w and ∂L/∂x (when `dx` is given) by Winograd; ∂L/∂b is the caller's.
    func winogradBackward(_ source: ConvSource, batch: Int, height: Int, width: Int, outputGradient dy: UnsafePointer<Float>,
                          inputGradient dx: UnsafeMutablePointer<Float>?, parameters: UnsafePointer<Float>,
                          gradients: UnsafeMutablePointer<Float>, scratch: Scratch, workers: Int) {
        let weightWork = WinogradF4.weightGradientWork(inChannels: inChannels, outChannels: outChannels,
                                              height: height, width: width, workers: workers)
        let weights = WinogradF4.positions * outChannels * inChannels
        let dataWork = weights + WinogradF4.convolveWork(inChannels: outChannels, outChannels: inChannels, height: height, width: width, workers: workers)
        let work = scratch.floats(max(weightWork, dataWork))
        WinogradF4.accumulateWeightGradient({ source.planes(image: $0, size: height * width) }, inChannels: inChannels,
                                   outChannels: outChannels, batch: batch, height: height, width: width,
                                   outputGradient: dy, into: gradients + offset, work: work, workers: workers)
        guard let dx else { return }
        // ∂L/∂x is the convolution of ∂L/∂y with the rotated, channel-transposed kernels.
        WinogradF4.transformWeights(parameters + offset, outChannels: outChannels, inChannels: inChannels, transposed: true, into: work)
        let plane = height * width, outChannels = outChannels
        WinogradF4.convolve({ ChannelPlanes(first: dy + $0 * outChannels * plane, firstChannels: outChannels, second: nil, planeSize: plane) },
                   inChannels: outChannels, outChannels: inChannels, batch: batch, height: height, width: width,
                   bias: nil, slope: nil, weights: work, into: dx, work: work + weights, workers: workers)
    }
}

extension ConvSource {
    /// Image `n`'s channel planes (`size` samples each).
    func planes(image n: Int, size: Int) -> ChannelPlanes {
        ChannelPlanes(first: first + n * channels * size, firstChannels: channels,
                      second: second.map { $0 + n * secondChannels * size }, planeSize: size)
    }
}
