import DeblurCore
import Foundation

/// The SSIM conventions users meet in papers. They differ in the window, the covariance
/// normalization and how the border is treated, which moves the numbers by up to a few
/// hundredths: pick the one the paper you compare against used.
///
/// | preset | window | covariance | border | mean over | reference |
/// | --- | --- | --- | --- | --- | --- |
/// | `wang2004` | 11 × 11 Gaussian, σ = 1.5 | population | — | valid region | Wang et al. 2004; scikit-image `gaussian_weights=True, sigma=1.5, use_sample_covariance=False` |
/// | `matlab` | 11 × 11 Gaussian, σ = 1.5 | population | replicate padding | whole map | MATLAB `ssim(A, ref)` |
/// | `skimage-default` | 7 × 7 uniform | sample (N / (N − 1)) | — | valid region | scikit-image `structural_similarity` defaults |
///
/// All use K1 = 0.01, K2 = 0.03, C1 = (K1·R)², C2 = (K2·R)² with the data range R.
public enum SSIMPreset: String, Sendable, CaseIterable, Codable {
    case wang2004
    case matlab
    case skimageDefault = "skimage-default"

    /// The separable 1-D window weights, summing to 1.
    public var weights: [Double] {
        switch self {
        case .wang2004, .matlab: return gaussianWindow(sigma: 1.5, radius: 5)
        case .skimageDefault: return [Double](repeating: 1.0 / 7, count: 7)
        }
    }

    /// The factor applied to the window variances and covariance: 1 for the population
    /// estimate, `N / (N − 1)` (N = window samples) for the sample estimate.
    public var covarianceNormalization: Double {
        switch self {
        case .wang2004, .matlab: return 1
        case .skimageDefault: return 49.0 / 48.0
        }
    }

    /// How the image is extended where a window crosses the border. `matlab` averages the
    /// whole padded map; the others average only the valid region and use this padding for
    /// the border of `--ssim-map` (scipy's `reflect`, as scikit-image's `full=True`).
    public var padding: PaddingMode {
        self == .matlab ? .replicate : .reflect
    }

    /// True when the mean runs over the whole (padded) map rather than the valid region.
    public var averagesWholeMap: Bool { self == .matlab }
}

/// The normalized Gaussian window `wᵢ ∝ exp(−i² / 2σ²)`, `i = −radius … radius`
/// (scipy's `_gaussian_kernel1d`, MATLAB's `fspecial('gaussian')` row). σ ≤ 0 (or NaN) and a
/// negative radius are a precondition failure.
public func gaussianWindow(sigma: Double, radius: Int) -> [Double] {
    precondition(sigma > 0 && radius >= 0, "gaussianWindow needs sigma > 0 and radius ≥ 0, got \(sigma), \(radius)")
    let raw = (-radius...radius).map { exp(-0.5 * Double($0 * $0) / (sigma * sigma)) }
    let sum = raw.reduce(0, +)
    return raw.map { $0 / sum }
}

/// The result of an SSIM computation.
public struct SSIMResult: Sendable {
    /// The mean SSIM: the average over channels of each channel's mean.
    public var mean: Double
    /// Each channel's mean SSIM.
    public var channelMeans: [Double]
    /// The SSIM map (same geometry as the inputs), when asked for.
    public var map: Image?
}

/// Mean structural similarity index of `image` against `reference`.
///
/// Per window: `SSIM = (2 μx μy + C1)(2 σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2))`,
/// where μ, σ², σxy are the window-weighted means, variances and covariance,
/// `C1 = (0.01 R)²`, `C2 = (0.03 R)²`. Color images: the mean over channels.
/// Window statistics are accumulated in Float64, so `wang2004` matches scikit-image
/// to ~1e-12.
///
/// - Parameters:
///   - reference: the ground truth.
///   - image: the image scored; same geometry.
///   - preset: the convention (default `.wang2004`), see `SSIMPreset`.
///   - dataRange: R (default 1 for [0, 1] data); explicit, never estimated from the data.
///   - threads: cores used (default all); pass 1 when the caller already runs in parallel.
/// - Throws: `EvaluationError.sizeMismatch`, `.imageTooSmall` (smaller than the window for
///   the valid-region presets), `.invalidValue` for a bad data range or for NaN or infinite
///   samples (naming the image and their count).
///
/// scikit-image `structural_similarity(x, y, data_range=R, gaussian_weights=True, sigma=1.5,
/// use_sample_covariance=False, channel_axis=-1)`; MATLAB `ssim(A, ref)` for `.matlab`.
/// Reference: Wang, Bovik, Sheikh & Simoncelli, "Image quality assessment: from error
/// visibility to structural similarity", IEEE TIP 13(4), 2004.
public func ssim(_ reference: Image, _ image: Image, preset: SSIMPreset = .wang2004,
                 dataRange: Double = 1, threads: Int = ProcessorInfo.cores) throws -> Double {
    try structuralSimilarity(reference, image, preset: preset, dataRange: dataRange, map: false, threads: threads).mean
}

/// The SSIM map (one value per pixel and channel, same geometry as the inputs).
/// Border values use the preset's padding; see `ssim(_:_:preset:dataRange:threads:)`.
public func ssimMap(_ reference: Image, _ image: Image, preset: SSIMPreset = .wang2004,
                    dataRange: Double = 1, threads: Int = ProcessorInfo.cores) throws -> Image {
    try structuralSimilarity(reference, image, preset: preset, dataRange: dataRange, map: true, threads: threads).map!
}

/// SSIM mean, per-channel means and optionally the map, in one pass.
/// See `ssim(_:_:preset:dataRange:threads:)` for the definition and errors.
public func structuralSimilarity(_ reference: Image, _ image: Image, preset: SSIMPreset = .wang2004,
                                 dataRange: Double = 1, map wantMap: Bool = false,
                                 threads: Int = ProcessorInfo.cores) throws -> SSIMResult {
    try checkSameGeometry(reference, image)
    try checkDataRange(dataRange)
    // One NaN made the mean NaN and a patch of the map; one ∞, −NaN. The scan costs little
    // beside the filtering (4·taps multiply-adds per pixel in Float64).
    try checkFinite(reference, image)
    let weights = preset.weights
    let taps = weights.count, radius = taps / 2
    let h = reference.height, w = reference.width
    let padded = wantMap || preset.averagesWholeMap
    if !padded && (h < taps || w < taps) {
        throw EvaluationError.imageTooSmall(what: "image for SSIM (\(preset.rawValue))", size: "\(h)×\(w)",
                                            needed: "\(taps)×\(taps), the window size")
    }
    let kernel = SSIMKernel(weights: weights, c1: pow(0.01 * dataRange, 2), c2: pow(0.03 * dataRange, 2),
                            covarianceNormalization: preset.covarianceNormalization)
    var channelMeans = [Double]()
    var mapPixels = wantMap ? [Float](repeating: 0, count: reference.count) : []
    for c in 0..<reference.channels {
        var x = reference.channel(c), y = image.channel(c)
        if padded {
            x = x.padded(radius, mode: preset.padding)
            y = y.padded(radius, mode: preset.padding)
        }
        // Outputs are in the coordinates of the valid filtering of x and y.
        let sumRows, sumColumns: Range<Int>
        if !padded {
            (sumRows, sumColumns) = (0 ..< h - taps + 1, 0 ..< w - taps + 1)
        } else if preset.averagesWholeMap {
            (sumRows, sumColumns) = (0 ..< h, 0 ..< w)
        } else {
            // The valid region inside the padded map: the same values as unpadded filtering.
            (sumRows, sumColumns) = (radius ..< max(radius, h - radius), radius ..< max(radius, w - radius))
        }
        if sumRows.isEmpty || sumColumns.isEmpty {
            throw EvaluationError.imageTooSmall(what: "image for SSIM (\(preset.rawValue))", size: "\(h)×\(w)",
                                                needed: "\(taps)×\(taps), the window size")
        }
        let sum: Double = x.withUnsafeBufferPointer { px in
            y.withUnsafeBufferPointer { py in
                if wantMap {
                    return mapPixels.withUnsafeMutableBufferPointer { m in
                        kernel.run(px.baseAddress!, py.baseAddress!, height: x.height, width: x.width,
                                   map: m.baseAddress! + c * h * w, sumRows: sumRows, sumColumns: sumColumns, threads: threads)
                    }
                }
                return kernel.run(px.baseAddress!, py.baseAddress!, height: x.height, width: x.width,
                                  map: nil, sumRows: sumRows, sumColumns: sumColumns, threads: threads)
            }
        }
        channelMeans.append(sum / Double(sumRows.count * sumColumns.count))
    }
    let mean = channelMeans.reduce(0, +) / Double(channelMeans.count)
    let map = wantMap ? Image(channels: reference.channels, height: h, width: w, pixels: mapPixels) : nil
    return SSIMResult(mean: mean, channelMeans: channelMeans, map: map)
}

/// The separable SSIM filter bank: window means of x, y, x² + y² and xy, then the index.
///
/// Each block of output rows filters its input rows horizontally once into a ring of
/// `taps + 1` rows, then combines the ring vertically, two output rows at a time: about
/// 2·4·taps multiply-adds per pixel in Float64 instead of the 5·taps² of a direct 2-D window. Blocks have a fixed height, and
/// their partial sums are added in block order, so the result does not depend on `threads`.
struct SSIMKernel {
    let weights: [Double]
    let c1: Double, c2: Double
    let covarianceNormalization: Double
    static let blockRows = 96

    /// Filters the `height × width` planes `a` and `b` (valid region only: output is
    /// `(height − taps + 1) × (width − taps + 1)`), writes the map when given, and returns
    /// the sum of the index over `sumRows × sumColumns` (output coordinates).
    func run(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, height: Int, width: Int,
             map: UnsafeMutablePointer<Float>?, sumRows: Range<Int>, sumColumns: Range<Int>, threads: Int) -> Double {
        let taps = weights.count
        let outHeight = height - taps + 1, outWidth = width - taps + 1
        precondition(outHeight > 0 && outWidth > 0, "SSIM kernel needs planes of at least \(taps)×\(taps), got \(height)×\(width)")
        let blocks = (outHeight + Self.blockRows - 1) / Self.blockRows
        var partial = [Double](repeating: 0, count: blocks)
        let workers = max(1, min(threads, blocks))
        weights.withUnsafeBufferPointer { wp in
            partial.withUnsafeMutableBufferPointer { partialSums in
                func run(_ block: Int) {
                    let rows = block * Self.blockRows ..< min(outHeight, (block + 1) * Self.blockRows)
                    partialSums[block] = runBlock(a, b, width: width, outWidth: outWidth, rows: rows, weights: wp.baseAddress!,
                                                  map: map, sumRows: sumRows, sumColumns: sumColumns)
                }
                if workers == 1 {
                    for block in 0..<blocks { run(block) }
                    return
                }
                // Workers take the next block as they finish (not fixed halves), so a core taken
                // away by another process delays the result by one block, not half the image.
                let lock = NSLock()
                var next = 0
                DispatchQueue.concurrentPerform(iterations: workers) { _ in
                    while true {
                        lock.lock(); let block = next; next += 1; lock.unlock()
                        guard block < blocks else { return }
                        run(block)
                    }
                }
            }
        }
        return partial.reduce(0, +)
    }

    private typealias Lanes = SIMD4<Double>

    @inline(__always)
    private static func load(_ p: UnsafePointer<Double>) -> Lanes {
        UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
    }

    @inline(__always)
    private static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Double>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
    }

    private func runBlock(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, width: Int, outWidth: Int,
                          rows: Range<Int>, weights: UnsafePointer<Double>,
                          map: UnsafeMutablePointer<Float>?, sumRows: Range<Int>, sumColumns: Range<Int>) -> Double {
        // A literal half-width lets the compiler unroll the tap loops for the presets' windows.
        switch self.weights.count / 2 {
        case 5: return runBlock(a, b, width: width, outWidth: outWidth, rows: rows, weights: weights, map: map,
                                sumRows: sumRows, sumColumns: sumColumns, half: 5)
        case 3: return runBlock(a, b, width: width, outWidth: outWidth, rows: rows, weights: weights, map: map,
                                sumRows: sumRows, sumColumns: sumColumns, half: 3)
        default: return runBlock(a, b, width: width, outWidth: outWidth, rows: rows, weights: weights, map: map,
                                 sumRows: sumRows, sumColumns: sumColumns, half: self.weights.count / 2)
        }
    }

    @inline(__always)
    private func runBlock(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, width: Int, outWidth: Int,
                          rows: Range<Int>, weights: UnsafePointer<Double>,
                          map: UnsafeMutablePointer<Float>?, sumRows: Range<Int>, sumColumns: Range<Int>, half: Int) -> Double {
        let taps = 2 * half + 1
        // Rows are processed 4 columns at a time; 4 spare zeros per row keep the last group in bounds.
        let groups = (outWidth + 3) / 4
        let inputStride = width + 4, ringStride = 4 * groups + 4
        // taps + 1 ring slots: output rows are made in pairs, which share taps − 1 input rows.
        let slots = taps + 1
        let scratchCount = 4 * inputStride + slots * 4 * ringStride + 2 * ringStride
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: scratchCount)
        scratch.initialize(repeating: 0, count: scratchCount)
        let rowPointers = UnsafeMutablePointer<UnsafeMutablePointer<Double>>.allocate(capacity: slots)
        defer { scratch.deallocate(); rowPointers.deallocate() }
        let input = scratch
        let ring = scratch + 4 * inputStride
        let indexRow = ring + slots * 4 * ringStride, nextIndexRow = indexRow + ringStride
        let c1 = Lanes(repeating: self.c1), c2 = Lanes(repeating: self.c2)
        let norm = Lanes(repeating: covarianceNormalization), two = Lanes(repeating: 2)
        // The windows are symmetric: w[t] (s[t] + s[taps − 1 − t]) halves the multiplies.
        let centre = Lanes(repeating: weights[half])
        var outer = [Lanes](); for t in 0..<half { outer.append(Lanes(repeating: weights[t])) }

        return outer.withUnsafeBufferPointer { outerWeights -> Double in
            // Horizontal pass of input row `r` (x, y, x² + y², xy) into ring slot `r % taps`.
            func filterRow(_ r: Int) {
                let pa = a + r * width, pb = b + r * width
                let ia = input, ib = input + inputStride, iq = input + 2 * inputStride, ip = input + 3 * inputStride
                for x in 0..<width {
                    let va = Double(pa[x]), vb = Double(pb[x])
                    ia[x] = va; ib[x] = vb; iq[x] = va * va + vb * vb; ip[x] = va * vb
                }
                let slot = ring + (r % slots) * 4 * ringStride
                for g in 0..<groups {
                    @inline(__always) func horizontal(_ q: Int) {
                        let s = UnsafePointer(input + q * inputStride + 4 * g)
                        var acc = centre * Self.load(s + half)
                        for t in 0..<half { acc += outerWeights[t] * (Self.load(s + t) + Self.load(s + taps - 1 - t)) }
                        Self.store(acc, slot + q * ringStride + 4 * g)
                    }
                    horizontal(0); horizontal(1); horizontal(2); horizontal(3)
                }
            }

            for r in rows.lowerBound ..< rows.lowerBound + taps - 1 { filterRow(r) }
            var total = 0.0
            @inline(__always) func finish(_ y: Int, _ values: UnsafeMutablePointer<Double>) {
                if let map {
                    let row = map + y * outWidth
                    for x in 0..<outWidth { row[x] = Float(values[x]) }
                }
                if sumRows.contains(y) {
                    var s0 = 0.0, s1 = 0.0
                    var x = sumColumns.lowerBound
                    while x + 2 <= sumColumns.upperBound { s0 += values[x]; s1 += values[x + 1]; x += 2 }
                    if x < sumColumns.upperBound { s0 += values[x] }
                    total += s0 + s1
                }
            }
            @inline(__always) func index(_ ux: Lanes, _ uy: Lanes, _ uq: Lanes, _ up: Lanes) -> Lanes {
                let uxuy = ux * uy, ux2uy2 = ux * ux + uy * uy
                let numerator = (two * uxuy + c1) * (two * norm * (up - uxuy) + c2)
                let denominator = (ux2uy2 + c1) * (norm * (uq - ux2uy2) + c2)
                return numerator / denominator
            }
            var y = rows.lowerBound
            while y < rows.upperBound {
                let pair = y + 1 < rows.upperBound
                filterRow(y + taps - 1)
                if pair { filterRow(y + taps) }
                for t in 0 ..< (pair ? slots : taps) { rowPointers[t] = ring + ((y + t) % slots) * 4 * ringStride }
                // Vertical pass fused with the index: the window means stay in registers. Rows
                // y and y + 1 read the same ring rows shifted by one, so the pair shares its loads.
                if pair {
                    for g in 0..<groups {
                        let o = 4 * g
                        @inline(__always) func vertical(_ q: Int) -> (Lanes, Lanes) {
                            let offset = q * ringStride + o
                            var first = centre * Self.load(rowPointers[half] + offset)
                            var second = centre * Self.load(rowPointers[half + 1] + offset)
                            for t in 0..<half {
                                let w = outerWeights[t]
                                first += w * (Self.load(rowPointers[t] + offset) + Self.load(rowPointers[taps - 1 - t] + offset))
                                second += w * (Self.load(rowPointers[t + 1] + offset) + Self.load(rowPointers[taps - t] + offset))
                            }
                            return (first, second)
                        }
                        let (ux0, ux1) = vertical(0), (uy0, uy1) = vertical(1), (uq0, uq1) = vertical(2), (up0, up1) = vertical(3)
                        Self.store(index(ux0, uy0, uq0, up0), indexRow + o)
                        Self.store(index(ux1, uy1, uq1, up1), nextIndexRow + o)
                    }
                    finish(y, indexRow)
                    finish(y + 1, nextIndexRow)
                    y += 2
                } else {
                    for g in 0..<groups {
                        let o = 4 * g
                        @inline(__always) func vertical(_ q: Int) -> Lanes {
                            let offset = q * ringStride + o
                            var acc = centre * Self.load(rowPointers[half] + offset)
                            for t in 0..<half {
                                acc += outerWeights[t] * (Self.load(rowPointers[t] + offset) + Self.load(rowPointers[taps - 1 - t] + offset))
                            }
                            return acc
                        }
                        Self.store(index(vertical(0), vertical(1), vertical(2), vertical(3)), indexRow + o)
                    }
                    finish(y, indexRow)
                    y += 1
                }
            }
            return total
        }
    }
}
