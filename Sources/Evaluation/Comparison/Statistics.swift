import Foundation

/// Mean, median and standard deviation of a sample.
public struct Statistic: Sendable, Equatable {
    public var count: Int
    public var mean: Double
    public var median: Double
    /// Population standard deviation `√(Σ(v − mean)² / n)` (NumPy's `std` default, ddof 0).
    public var std: Double

    /// Statistics of `values` (all NaN for an empty sample). A +∞ PSNR (a perfect
    /// restoration) makes the mean +∞ and the std NaN, honestly.
    public init(_ values: [Double]) {
        count = values.count
        guard !values.isEmpty else { mean = .nan; median = .nan; std = .nan; return }
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        self.mean = mean
        let sorted = values.sorted()
        let mid = sorted.count / 2
        median = sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
        std = (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
    }
}

/// A method's statistics over a set of items.
public struct MethodSummary: Sendable {
    public var method: String
    /// Items scored successfully.
    public var count: Int
    /// Items on which the method (or the item) failed.
    public var failures: Int
    public var psnr: Statistic
    public var ssim: Statistic
    public var mse: Statistic
    /// Seconds per item of `restore`.
    public var seconds: Statistic

    static func summaries(of records: [ItemRecord], methods: [String]) -> [MethodSummary] {
        methods.enumerated().map { index, method in
            let results = records.map { $0.results[index] }
            let scored = results.compactMap(\.scores)
            return MethodSummary(method: method, count: scored.count, failures: results.count - scored.count,
                                 psnr: Statistic(scored.map(\.psnr)), ssim: Statistic(scored.map(\.ssim)),
                                 mse: Statistic(scored.map(\.mse)),
                                 seconds: Statistic(results.filter { $0.scores != nil }.compactMap(\.seconds)))
        }
    }
}

/// How often a method beat the baseline, item by item (items where both were scored).
public struct WinCount: Sendable, Equatable {
    public var method: String
    public var baseline: String
    public var psnrWins: Int, psnrTies: Int, psnrLosses: Int
    public var ssimWins: Int, ssimTies: Int, ssimLosses: Int

    static func counts(items: [ItemRecord], methods: [String], baseline: String) -> [WinCount] {
        guard let b = methods.firstIndex(of: baseline) else { return [] }
        return methods.enumerated().compactMap { index, method in
            guard index != b else { return nil }
            var count = WinCount(method: method, baseline: baseline, psnrWins: 0, psnrTies: 0, psnrLosses: 0,
                                 ssimWins: 0, ssimTies: 0, ssimLosses: 0)
            for record in items {
                guard let s = record.results[index].scores, let base = record.results[b].scores else { continue }
                if s.psnr > base.psnr { count.psnrWins += 1 } else if s.psnr == base.psnr { count.psnrTies += 1 } else { count.psnrLosses += 1 }
                if s.ssim > base.ssim { count.ssimWins += 1 } else if s.ssim == base.ssim { count.ssimTies += 1 } else { count.ssimLosses += 1 }
            }
            return count
        }
    }
}
