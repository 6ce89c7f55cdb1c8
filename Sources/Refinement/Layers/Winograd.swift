import DeblurCore

/// Winograd's minimal filtering F(2×2, 3×3) for 3 × 3, stride 1, padding 1 convolutions
/// (Lavin & Gray 2016, "Fast Algorithms for Convolutional Neural Networks").
///
/// Each 2 × 2 block of outputs ("tile") is `Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A` for its 4 × 4
/// input patch `d` and a 3 × 3 kernel `g`. Summed over input channels, the 16 element-wise
/// products become 16 independent matrix products `M[ξ] = U[ξ] · V[ξ]` (`U[ξ]` is
/// `outChannels × inChannels`, `V[ξ]` is `inChannels × tiles`): 16 multiply–adds per tile
/// and channel pair instead of 36, a 2.25 × cut in the arithmetic that im2col + `sgemm`
/// does, and no 9 × column copy of the input. The backward pass gets the same cut:
/// `∂L/∂x` is this convolution with the kernel rotated by 180° and its channel axes
/// swapped, and `∂L/∂g = Gᵀ [Σ_tiles (A ∂Y Aᵀ) ⊙ (Bᵀ d B)] G`.
///
/// Rounding differs from the direct sum by a few units in the last place (the transforms
/// add at most four terms with coefficients ±1, ±½), far below the 10⁻⁵ the tests hold the
/// convolution to.
///
/// Tiles are numbered row-major over `⌈H/2⌉ × ⌈W/2⌉`; outputs of a last, half-outside tile
/// are dropped and inputs outside the image are zero (the padding). Work is done on ranges
/// of tiles so the transformed chunk stays in cache between the transform and `sgemm`.
enum Winograd {
    /// True for the geometry this algorithm computes: 3 × 3, stride 1, padding 1.
    @inlinable static func applies(to g: ConvGeometry) -> Bool { g.kernel == 3 && g.stride == 1 && g.padding == 1 }

    /// Tiles per chunk: the chunk's transformed input and product (`positions · (in + out)`
    /// floats per tile) stay within `chunkBudget` floats, about half of one core's L2 cache.
    static func chunkTiles<T: WinogradTiling>(_: T.Type, inChannels: Int, outChannels: Int, tiles: Int) -> Int {
        max(1, min(tiles, chunkBudget / (T.positions * (inChannels + outChannels))))
    }

    static let chunkBudget = 1 << 17

    /// Distance in floats between the blocks of two positions ξ holding `rows × count`
    /// values: one cache line more than the block, so the 16 streams a transform reads or
    /// writes at once do not fall into the same cache set (at the U-Net's power-of-two
    /// sizes they did, and the output transform ran 3 × slower).
    @inline(__always) static func blockStride(_ rows: Int, _ count: Int) -> Int { rows * count + 16 }

}

// Four-lane vector helpers for the transforms (SSE on any x86-64; unaligned access is fine).

@inline(__always) func load4(_ p: UnsafePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD4<Float>.self)
}

@inline(__always) func load4(_ p: UnsafeMutablePointer<Float>) -> SIMD4<Float> { load4(UnsafePointer(p)) }

@inline(__always) func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

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

/// `out[2k] = a[k]`, `out[2k + 1] = b[k]` for `k < count`.
@inline(__always) func interleave(_ a: UnsafeMutablePointer<Float>, _ b: UnsafeMutablePointer<Float>, count: Int,
                                          into out: UnsafeMutablePointer<Float>) {
    var k = 0
    while k + 4 <= count {
        let x = load4(a + k), y = load4(b + k)
        let pairs = SIMD8<Float>(x[0], y[0], x[1], y[1], x[2], y[2], x[3], y[3])
        UnsafeMutableRawPointer(out + 2 * k).storeBytes(of: pairs, as: SIMD8<Float>.self)
        k += 4
    }
    while k < count { out[2 * k] = a[k]; out[2 * k + 1] = b[k]; k += 1 }
}

/// `even[k] = x[2k]`, `odd[k] = x[2k + 1]` for `k < count`.
@inline(__always) func deinterleave(_ x: UnsafePointer<Float>, count: Int, into even: UnsafeMutablePointer<Float>,
                                            _ odd: UnsafeMutablePointer<Float>) {
    var k = 0
    while k + 4 <= count {
        let v = load8(x + 2 * k)
        storeLanes(v.evenHalf, even + k); storeLanes(v.oddHalf, odd + k)
        k += 4
    }
    while k < count { even[k] = x[2 * k]; odd[k] = x[2 * k + 1]; k += 1 }
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

/// One Winograd algorithm F(m × m, 3 × 3): its tile size, transform positions and the
/// transforms of weights, input tiles, output tiles and output-gradient tiles.
///
/// Layouts shared by every tiling: tiles are numbered row-major over `⌈H/m⌉ × ⌈W/m⌉`;
/// transformed chunks hold, for each position ξ, a `rows × count` block (row `c`, column
/// `t − first`), blocks `Winograd.blockStride(rows, count)` floats apart; transformed weights
/// hold one `outChannels × inChannels` matrix per position, `U[ξ][o][c]`.
protocol WinogradTiling: Sendable {
    /// Outputs per tile side `m`.
    static var tile: Int { get }
    /// `(m + 2)²`.
    static var positions: Int { get }
    /// `U[ξ][o][c] = (G w[o][c] Gᵀ)[ξ]`; `transposed`: `U[ξ][c][o]` of the 180°-rotated kernels.
    static func transformWeights(_ w: UnsafePointer<Float>, outChannels: Int, inChannels: Int, transposed: Bool,
                                 into u: UnsafeMutablePointer<Float>)
    /// `∂L/∂w[o][c] += Gᵀ ∂U[·][o][c] G`.
    static func accumulateWeightGradient(_ du: UnsafePointer<Float>, outChannels: Int, inChannels: Int,
                                         into dw: UnsafeMutablePointer<Float>)
    /// `V[ξ][c][t − first] = (Bᵀ d B)[ξ]` over the image's channels `channels` (of `totalChannels` rows).
    static func transformInput(_ source: ChannelPlanes, channels: Range<Int>, totalChannels: Int, height: Int, width: Int,
                               first: Int, count: Int, into v: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>)
    /// `y[o] ← f(Aᵀ M[·][o][t] A + bias[o])`, dropping outputs outside the image.
    static func transformOutput(_ m: UnsafePointer<Float>, channels: Int, height: Int, width: Int, first: Int, count: Int,
                                bias: UnsafePointer<Float>?, slope: Float?, into y: UnsafeMutablePointer<Float>,
                                rows: UnsafeMutablePointer<Float>)
    /// `Z[ξ][o][t − first] = (A ∂Y Aᵀ)[ξ]`, with 0 for outputs outside the image.
    static func transformOutputGradient(_ dy: UnsafePointer<Float>, channels: Int, height: Int, width: Int,
                                        first: Int, count: Int, into z: UnsafeMutablePointer<Float>, rows: UnsafeMutablePointer<Float>)
    /// Floats of row scratch the transforms need for images `width` wide.
    static func rowScratch(width: Int) -> Int
}

extension WinogradTiling {
    static func tiles(height: Int, width: Int) -> Int { ((height + tile - 1) / tile) * ((width + tile - 1) / tile) }

    static func chunk(inChannels: Int, outChannels: Int, height: Int, width: Int) -> Int {
        Winograd.chunkTiles(Self.self, inChannels: inChannels, outChannels: outChannels, tiles: tiles(height: height, width: width))
    }

    static func workerFloats(_ inChannels: Int, _ outChannels: Int, _ chunk: Int, _ width: Int) -> Int {
        positions * (Winograd.blockStride(inChannels, chunk) + Winograd.blockStride(outChannels, chunk)) + rowScratch(width: width)
    }

    /// Floats of work memory `convolve` needs: the transformed weights, then per worker a
    /// transformed input chunk, its product and row scratch.
    static func convolveWork(inChannels: Int, outChannels: Int, height: Int, width: Int, workers: Int) -> Int {
        let chunk = chunk(inChannels: inChannels, outChannels: outChannels, height: height, width: width)
        return positions * outChannels * inChannels + workers * workerFloats(inChannels, outChannels, chunk, width)
    }

    /// `y[n] = f(conv₃ₓ₃(x[n]) + bias)` for every image, with `U` from `transformWeights`
    /// already at the start of `work` (`positions · outChannels · inChannels` floats).
    ///
    /// Chunks of tiles are spread over `workers` threads, each running single-threaded
    /// `sgemm`s; a chunk's result does not depend on which worker runs it, so the output is
    /// the same bit for bit for any worker count.
    static func convolve(_ planes: (Int) -> ChannelPlanes, inChannels: Int, outChannels: Int, batch: Int,
                         height: Int, width: Int, bias: UnsafePointer<Float>?, slope: Float?,
                         into y: UnsafeMutablePointer<Float>, work: UnsafeMutablePointer<Float>, workers: Int) {
        let tiles = tiles(height: height, width: width)
        let chunk = chunk(inChannels: inChannels, outChannels: outChannels, height: height, width: width)
        let chunksPerImage = (tiles + chunk - 1) / chunk, tasks = batch * chunksPerImage
        let workers = max(1, min(workers, tasks))
        let u = work, perWorker = workerFloats(inChannels, outChannels, chunk, width)
        let slab = work + positions * outChannels * inChannels
        let outputSize = outChannels * height * width
        let inStride = Winograd.blockStride(inChannels, chunk), outStride = Winograd.blockStride(outChannels, chunk)
        BLAS.serially {
            parallelFor(workers, threads: workers) { worker in
                let v = slab + worker * perWorker
                let m = v + positions * inStride, rows = m + positions * outStride
                var task = worker
                while task < tasks {
                    let n = task / chunksPerImage, first = (task - n * chunksPerImage) * chunk
                    let count = min(chunk, tiles - first)
                    transformInput(planes(n), channels: 0..<inChannels, totalChannels: inChannels, height: height, width: width,
                                   first: first, count: count, into: v, rows: rows)
                    for xi in 0..<positions {
                        sgemm(transposeA: false, transposeB: false, m: outChannels, n: count, k: inChannels,
                              u + xi * outChannels * inChannels, lda: inChannels, v + xi * Winograd.blockStride(inChannels, count),
                              ldb: count, beta: 0, m + xi * Winograd.blockStride(outChannels, count), ldc: count)
                    }
                    transformOutput(m, channels: outChannels, height: height, width: width, first: first, count: count,
                                    bias: bias, slope: slope, into: y + n * outputSize, rows: rows)
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
        let tiles = tiles(height: height, width: width)
        let chunk = chunk(inChannels: inChannels, outChannels: outChannels, height: height, width: width)
        let chunksPerImage = (tiles + chunk - 1) / chunk, tasks = batch * chunksPerImage
        let workers = max(1, min(workers, tasks))
        let weights = positions * outChannels * inChannels
        let perWorker = weights + workerFloats(inChannels, outChannels, chunk, width)
        let outputSize = outChannels * height * width
        let inStride = Winograd.blockStride(inChannels, chunk), outStride = Winograd.blockStride(outChannels, chunk)
        BLAS.serially {
            parallelFor(workers, threads: workers) { worker in
                let du = work + worker * perWorker
                let v = du + weights, z = v + positions * inStride, rows = z + positions * outStride
                du.update(repeating: 0, count: weights)
                var task = worker
                while task < tasks {
                    let n = task / chunksPerImage, first = (task - n * chunksPerImage) * chunk
                    let count = min(chunk, tiles - first)
                    transformInput(planes(n), channels: 0..<inChannels, totalChannels: inChannels, height: height, width: width,
                                   first: first, count: count, into: v, rows: rows)
                    transformOutputGradient(dy + n * outputSize, channels: outChannels, height: height, width: width,
                                            first: first, count: count, into: z, rows: rows)
                    for xi in 0..<positions {
                        sgemm(transposeA: false, transposeB: true, m: outChannels, n: inChannels, k: count,
                              z + xi * Winograd.blockStride(outChannels, count), lda: count,
                              v + xi * Winograd.blockStride(inChannels, count), ldb: count,
                              beta: 1, du + xi * outChannels * inChannels, ldc: inChannels)
                    }
                    task += workers
                }
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
    /// The Winograd tiling this layer runs on, or nil for im2col + `sgemm`: 3 × 3, stride 1,
    /// padding 1 convolutions with enough input channels for the small per-position
    /// products to run near `sgemm`'s rate (the U-Net's first layer, 3 input planes, stays
    /// on im2col).
    var winogradTiling: (any WinogradTiling.Type)? {
        Winograd.applies(to: geometry) && inChannels >= Winograd.minimumChannels ? Winograd.preferred : nil
    }

    var usesWinograd: Bool { winogradTiling != nil }

    func winogradForward<T: WinogradTiling>(_: T.Type, _ source: ConvSource, batch: Int, height: Int, width: Int,
                                            _ y: UnsafeMutablePointer<Float>, parameters: UnsafePointer<Float>,
                                            scratch: Scratch, activation: LeakyReLU?, workers: Int) {
        let work = scratch.floats(T.convolveWork(inChannels: inChannels, outChannels: outChannels,
                                                 height: height, width: width, workers: workers))
        T.transformWeights(parameters + offset, outChannels: outChannels, inChannels: inChannels, transposed: false, into: work)
        T.convolve({ source.planes(image: $0, size: height * width) }, inChannels: inChannels, outChannels: outChannels,
                   batch: batch, height: height, width: width, bias: parameters + biasOffset, slope: activation?.slope,
                   into: y, work: work, workers: workers)
    }

    /// ∂L/∂w and ∂L/∂x (when `dx` is given) by Winograd; ∂L/∂b is the caller's.
    func winogradBackward<T: WinogradTiling>(_: T.Type, _ source: ConvSource, batch: Int, height: Int, width: Int,
                                             outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>?,
                                             parameters: UnsafePointer<Float>, gradients: UnsafeMutablePointer<Float>,
                                             scratch: Scratch, workers: Int) {
        let weightWork = T.weightGradientWork(inChannels: inChannels, outChannels: outChannels,
                                              height: height, width: width, workers: workers)
        let dataWork = T.convolveWork(inChannels: outChannels, outChannels: inChannels, height: height, width: width, workers: workers)
        let work = scratch.floats(max(weightWork, dataWork))
        T.accumulateWeightGradient({ source.planes(image: $0, size: height * width) }, inChannels: inChannels,
                                   outChannels: outChannels, batch: batch, height: height, width: width,
                                   outputGradient: dy, into: gradients + offset, work: work, workers: workers)
        guard let dx else { return }
        // ∂L/∂x is the convolution of ∂L/∂y with the rotated, channel-transposed kernels.
        T.transformWeights(parameters + offset, outChannels: outChannels, inChannels: inChannels, transposed: true, into: work)
        let plane = height * width, outChannels = outChannels
        T.convolve({ ChannelPlanes(first: dy + $0 * outChannels * plane, firstChannels: outChannels, second: nil, planeSize: plane) },
                   inChannels: outChannels, outChannels: inChannels, batch: batch, height: height, width: width,
                   bias: nil, slope: nil, into: dx, work: work, workers: workers)
    }
}

extension Winograd {
    /// Fewest input channels for which Winograd beats im2col + `sgemm` here: below it the
    /// per-position products have too short an inner dimension (`deblur bench --cases train,infer`).
    static let minimumChannels = 8

    /// The tiling layers use.
    static let preferred: any WinogradTiling.Type = WinogradF4.self
}

extension ConvSource {
    /// Image `n`'s channel planes (`size` samples each).
    func planes(image n: Int, size: Int) -> ChannelPlanes {
        ChannelPlanes(first: first + n * channels * size, firstChannels: channels,
                      second: second.map { $0 + n * secondChannels * size }, planeSize: size)
    }
}
