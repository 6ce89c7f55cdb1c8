import DeblurCore

/// A sample mean with a percentile-bootstrap confidence interval.
public struct BootstrapInterval: Sendable, Equatable {
    /// The mean of the sample (NaN for an empty one).
    public var mean: Double
    /// The interval's bounds, nil when there is none: fewer than 2 values, or a non-finite
    /// one (a +∞ PSNR), whose resample means would be ∞ too.
    public var low: Double?
    public var high: Double?
}

/// The seeded percentile bootstrap of a mean (Efron & Tibshirani 1993, §13.3).
///
/// Draw `resamples` = B resamples of the n values with replacement, n indices each from
/// `SeededRandom(seed:)` (`integer(below: n)`), take each resample's mean and sort the B
/// means m₍₁₎ ≤ … ≤ m₍B₎. The interval at level 1 − α is [m₍⌈B·α/2⌉₎, m₍⌈B·(1−α/2)⌉₎]: each
/// bound is the smallest resample mean with at least that fraction of the resamples at or
/// below it (the inverse of the empirical distribution function, Hyndman & Fan's type 1).
/// With the defaults, B = 10 000 and 95 %: the 250th and the 9 750th smallest mean.
///
/// The same seed gives the same draws, so the same values give the same bytes. Several
/// samples of one length (the PSNR and the SSIM differences of the same items) are
/// resampled together, with the same indices: a paired bootstrap of both.
/// Cost: B · n index draws and additions per sample, and sorting B means.
public enum Bootstrap {
    /// B, the resamples drawn (10 000).
    public static let resamples = 10_000
    /// The seed of the `SeededRandom` that draws them (0).
    public static let seed: UInt64 = 0
    /// The confidence level (0.95).
    public static let level = 0.95

    /// The mean and interval of each of `samples` (all of one length n), resampled together.
    /// Samples of different lengths, fewer than 1 resample or a level outside (0, 1) are a
    /// precondition failure.
    public static func intervals(_ samples: [[Double]], resamples: Int = Bootstrap.resamples, seed: UInt64 = Bootstrap.seed,
                                 level: Double = Bootstrap.level) -> [BootstrapInterval] {
        precondition(resamples >= 1 && level > 0 && level < 1, "a bootstrap needs ≥ 1 resample and a level in (0, 1), got \(resamples), \(level)")
        guard let n = samples.first?.count else { return [] }
        precondition(samples.allSatisfy { $0.count == n }, "samples resampled together need one length, got \(samples.map(\.count))")
        guard n > 0 else { return samples.map { _ in BootstrapInterval(mean: .nan) } }
        // Means are taken as s + Σ(vᵢ − s)/n with s the first value, so that constant values
        // give exactly that value (Σvᵢ/n would round n·c) and a degenerate interval at it.
        var out = [BootstrapInterval](), bootstrapped = [Int]()
        for (index, values) in samples.enumerated() {
            let finite = values.allSatisfy(\.isFinite)
            let shift: Double = finite ? values[0] : 0
            var sum = 0.0
            for v in values { sum += v - shift }
            out.append(BootstrapInterval(mean: shift + sum / Double(n)))
            if finite && n >= 2 { bootstrapped.append(index) }
        }
        guard !bootstrapped.isEmpty else { return out }
        // Sample c's centred values at c·n, its resample means at c·B.
        let shifts = bootstrapped.map { samples[$0][0] }
        let centred = bootstrapped.flatMap { s in samples[s].map { $0 - samples[s][0] } }
        var means = [Double](repeating: 0, count: bootstrapped.count * resamples)
        var indices = [Int](repeating: 0, count: n)
        var random = SeededRandom(seed: seed)
        centred.withUnsafeBufferPointer { values in
            means.withUnsafeMutableBufferPointer { means in
                indices.withUnsafeMutableBufferPointer { indices in
                    for b in 0..<resamples {
                        for i in 0..<n { indices[i] = random.integer(below: n) }
                        for c in shifts.indices {
                            var sum = 0.0
                            for i in 0..<n { sum += values[c * n + indices[i]] }
                            means[c * resamples + b] = shifts[c] + sum / Double(n)
                        }
                    }
                }
            }
        }
        let tail = (1 - level) / 2
        for (c, s) in bootstrapped.enumerated() {
            let sorted = means[(c * resamples)..<((c + 1) * resamples)].sorted()
            out[s].low = percentile(sorted, tail)
            out[s].high = percentile(sorted, 1 - tail)
        }
        return out
    }

    /// The smallest of `sorted` with at least a fraction `q` of the values at or below it:
    /// `sorted[⌈q·B⌉ − 1]` (the first value for q ≤ 1/B).
    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        // Less 10⁻⁹ so that a product that should be whole is: (1 − 0.95) / 2 · 10 000 is
        // 250.0000000000002 in Float64, and its ceiling would be rank 251.
        let rank = Int((q * Double(sorted.count) - 1e-9).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}

/// A method's mean paired difference to the baseline (method − baseline) in PSNR and SSIM,
/// over the items both scored, each with a 95 % percentile-bootstrap interval (`Bootstrap`):
/// whether a difference is larger than the item-to-item spread.
public struct PairedDifference: Sendable, Equatable {
    public var method: String
    public var baseline: String
    /// Items on which both were scored (an item either failed on is left out).
    public var count: Int
    /// PSNR difference in dB. Two +∞ PSNRs (both perfect) differ by 0, as they tie in the win
    /// counts; one +∞ makes the difference and the mean ∞, without an interval.
    public var psnr: BootstrapInterval
    public var ssim: BootstrapInterval

    static func differences(items: [ItemRecord], methods: [String], baseline: String) -> [PairedDifference] {
        guard let b = methods.firstIndex(of: baseline) else { return [] }
        var out = [PairedDifference]()
        for (index, method) in methods.enumerated() where index != b {
            var pairs = [Pair]()
            for record in items {
                guard let s = record.results[index].scores, let base = record.results[b].scores else { continue }
                pairs.append(Pair(psnr: difference(s.psnr, base.psnr), ssim: difference(s.ssim, base.ssim)))
            }
            // Resampled in order of value, not of item: the interval depends on the pairs alone,
            // so merged shards give a whole run's bounds whatever order their items came in.
            pairs.sort(by: Pair.precedes)
            let intervals = Bootstrap.intervals([pairs.map(\.psnr), pairs.map(\.ssim)])
            out.append(PairedDifference(method: method, baseline: baseline, count: pairs.count, psnr: intervals[0], ssim: intervals[1]))
        }
        return out
    }

    /// Equal scores (two +∞ PSNRs included) differ by 0.
    private static func difference(_ score: Double, _ baseline: Double) -> Double { score == baseline ? 0 : score - baseline }

    private struct Pair {
        var psnr: Double, ssim: Double
        /// IEEE total order by PSNR, then SSIM: a strict weak order even with NaN.
        static func precedes(_ a: Pair, _ b: Pair) -> Bool {
            func before(_ x: Double, _ y: Double) -> Bool { !y.isTotallyOrdered(belowOrEqualTo: x) }
            if before(a.psnr, b.psnr) { return true }
            if before(b.psnr, a.psnr) { return false }
            return before(a.ssim, b.ssim)
        }
    }
}
