import Foundation
import DeblurCore

/// One method's outcome on one item.
public struct MethodResult: Sendable {
    /// The method's column label.
    public var method: String
    /// The scores, or nil when the method (or the item) failed.
    public var scores: ImageScores?
    /// Wall-clock seconds of `restore` alone (scoring excluded).
    public var seconds: Double?
    /// Why it failed, when it did.
    public var error: String?
}

/// One item's row: metadata and one `MethodResult` per method, in method order.
public struct ItemRecord: Sendable {
    public var id: String
    public var kernel: String?
    public var noiseSigma: Double?
    /// Set when the item itself could not be scored (missing file, size mismatch, bad PSF);
    /// every method then carries the same reason.
    public var failure: String?
    public var results: [MethodResult]
    /// The photograph the item was cut from (`ComparisonItem.source`).
    public var source: String? = nil
    /// How far the item's PSF reaches (`PSF.support`, px); nil when the item could not be loaded,
    /// or in reports written before 2026-11-28.
    public var blurSupport: Int? = nil
}

/// PSNR of the estimate after each iteration of an iterative method on one item.
public struct IterationTrace: Sendable {
    public var item: String
    public var method: String
    /// (iteration, PSNR in dB), iteration counted from 1.
    public var points: [(iteration: Int, psnr: Double)]
}

/// The same region of the sharp, blurred and restored images of one item, for reports.
public struct Preview: Sendable {
    public var item: String
    /// Where the crop starts in the (scored) image.
    public var top: Int, left: Int
    /// `("sharp", …), ("blurred", …)`, then each method that succeeded, in method order;
    /// values clamped to [0, 1] for display.
    public var panels: [(label: String, image: Image)]
}

/// A method's free parameter as `--tune` chose it on the validation split.
public struct TuningRecord: Sendable {
    /// The column label of the method (its spec as written).
    public var method: String
    public var parameter: String
    /// Each candidate value and its mean validation PSNR (nil when it failed on some item).
    public var candidates: [(value: String, meanPSNR: Double?)]
    /// The value kept, the one with the best mean validation PSNR.
    public var chosen: String
    /// The spec run on the test items.
    public var tunedSpec: MethodSpec
}

/// Everything one run produced; the reports render it.
public struct Comparison: Sendable {
    /// What was run, echoed in every report.
    public var settings: ComparisonSettings
    /// Method column labels, in the order given.
    public var methods: [String]
    /// One record per scored item, in the input order.
    public var items: [ItemRecord]
    /// Tuning decisions (empty without `--tune`).
    public var tuning: [TuningRecord]
    /// Ids of the validation items used for tuning (not among `items`).
    public var validationItems: [String]
    public var traces: [IterationTrace]
    public var previews: [Preview]

    /// Per-method statistics over all scored items.
    public var summaries: [MethodSummary] { MethodSummary.summaries(of: items, methods: methods) }

    /// Per-method statistics grouped by kernel name (sorted by name).
    public var byKernel: [(group: String, summaries: [MethodSummary])] {
        byName(grouped { $0.kernel ?? "unknown" })
    }

    /// Whether grouping by kernel says more than the item list: some kernel is shared by two
    /// or more items (failed ones included), or there is one kernel in all. Datasets that draw
    /// a fresh trajectory per item have as many kernels as items, and a table per kernel would
    /// repeat every item.
    public var kernelGroupsAreInformative: Bool { groupsAreInformative { $0.kernel ?? "unknown" } }

    /// Per-method statistics grouped by source photograph (sorted by name), over the items
    /// whose source is known; empty when none is.
    public var bySource: [(group: String, summaries: [MethodSummary])] {
        guard items.contains(where: { $0.source != nil }) else { return [] }
        return byName(grouped { $0.source ?? "unknown" })
    }

    /// Whether grouping by source says more than the item list: some photograph is the source
    /// of two or more items (failed ones included), or there is one in all.
    public var sourceGroupsAreInformative: Bool { groupsAreInformative { $0.source ?? "unknown" } }

    /// Whether grouping by noise σ says more than the item list: some group (a level, or a range
    /// of levels: `noiseGroups`) is shared by two or more items, or there is one in all. A few
    /// items whose σ was drawn from a range (`deblur synth --noise-sigma 0.005:0.03`) have a level
    /// each, and a table per level would repeat every item.
    public var noiseGroupsAreInformative: Bool {
        let groups = noiseGroups
        return groupsAreInformative { groups.label($0.noiseSigma) }
    }

    /// Per-method statistics grouped by noise σ (sorted by σ; unknown last): a group per level,
    /// or per range of levels when there are more than `NoiseGroups.maximumLevels` (`noiseGroups`).
    public var byNoise: [(group: String, summaries: [MethodSummary])] {
        let groups = noiseGroups
        func key(_ g: String) -> Double {
            g == "unknown" ? .infinity : Double(g.dropFirst(2).prefix { $0 != "–" }) ?? .infinity
        }
        return grouped { groups.label($0.noiseSigma) }.sorted { key($0.group) < key($1.group) }
    }

    /// Per-method statistics grouped by how far the blur reaches (`PSF.support`; sorted, unknown
    /// last): a group per support, or per range of them when there are more than
    /// `SupportGroups.maximumSupports` (`supportGroups`). Empty when no item's is known.
    public var bySupport: [(group: String, summaries: [MethodSummary])] {
        guard items.contains(where: { $0.blurSupport != nil }) else { return [] }
        let groups = supportGroups
        func key(_ g: String) -> Int { g == "unknown" ? .max : Int(g.prefix { $0.isNumber }) ?? .max }
        return grouped { groups.label($0.blurSupport) }.sorted { key($0.group) < key($1.group) }
    }

    /// Whether grouping by blur support says more than the item list: some group is shared by
    /// two or more items, or there is one in all.
    public var supportGroupsAreInformative: Bool {
        let groups = supportGroups
        return groupsAreInformative { groups.label($0.blurSupport) }
    }

    /// How the items' blur supports are grouped in the reports.
    public var supportGroups: SupportGroups { SupportGroups(supports: items.compactMap(\.blurSupport)) }

    /// How the items' noise levels are grouped in the reports.
    public var noiseGroups: NoiseGroups { NoiseGroups(levels: items.compactMap(\.noiseSigma)) }

    /// Win counts of every method against `settings.baseline`.
    public var wins: [WinCount] { WinCount.counts(items: items, methods: methods, baseline: settings.baseline) }

    /// Mean paired PSNR and SSIM differences of every method to `settings.baseline`, with
    /// their 95 % bootstrap intervals, over the items both scored.
    public var againstBaseline: [PairedDifference] {
        PairedDifference.differences(items: items, methods: methods, baseline: settings.baseline)
    }

    /// Item × method results left unscored: a failed item counts once per method, as in the
    /// `failed` columns of the tables (`failures` lists such an item once).
    public var failedResultCount: Int {
        items.reduce(0) { count, record in count + record.results.filter { $0.scores == nil }.count }
    }

    /// Every failure, item by item, in order: (item, method or nil for the whole item, reason).
    public var failures: [(item: String, method: String?, reason: String)] {
        var out = [(item: String, method: String?, reason: String)]()
        for record in items {
            if let failure = record.failure { out.append((record.id, nil, failure)); continue }
            for result in record.results { if let error = result.error { out.append((record.id, result.method, error)) } }
        }
        return out
    }

    /// Some key is shared by two or more items, or there is one key in all.
    private func groupsAreInformative(_ key: (ItemRecord) -> String) -> Bool {
        var seen = Set<String>()
        // `contains` stops at the first repeat; without one, `seen` holds every key.
        return items.contains { !seen.insert(key($0)).inserted } || seen.count <= 1
    }

    /// Groups in numeric-aware name order, so motion-7 comes before motion-11.
    private func byName(_ groups: [(group: String, summaries: [MethodSummary])]) -> [(group: String, summaries: [MethodSummary])] {
        groups.sorted { $0.group.compare($1.group, options: .numeric) == .orderedAscending }
    }

    private func grouped(_ key: (ItemRecord) -> String) -> [(group: String, summaries: [MethodSummary])] {
        var order = [String](), members = [String: [ItemRecord]]()
        for record in items {
            let k = key(record)
            if members[k] == nil { order.append(k) }
            members[k, default: []].append(record)
        }
        return order.map { ($0, MethodSummary.summaries(of: members[$0]!, methods: methods)) }
    }
}

/// The noise group label, `σ=0.01`.
func formatSigma(_ sigma: Double) -> String { "σ=" + String(format: "%g", sigma) }

/// The groups of the reports' "by blur support" (`PSF.support`): one per support (`13 px`) when
/// the items have at most `maximumSupports` of them, else ranges of equal width (`10–14 px`,
/// both bounds included) whose width is 1, 2 or 5 times a power of ten, the smallest giving at
/// most `maximumRanges` ranges. Datasets of fresh trajectories (`deblur synth`'s default) have a
/// kernel per item, so their reports had nothing to say about the blur until 2026-11-28.
public struct SupportGroups: Sendable {
    public static let maximumSupports = 16
    public static let maximumRanges = 8
    /// The ranges' width, or nil for a group per support.
    public let width: Int?

    public init(supports: [Int]) {
        guard Set(supports).count > Self.maximumSupports, let lo = supports.min(), let hi = supports.max() else { width = nil; return }
        var decade = 1
        while true {
            for step in [1, 2, 5] where hi / (step * decade) - lo / (step * decade) + 1 <= Self.maximumRanges {
                width = step * decade; return
            }
            decade *= 10
        }
    }

    /// The group of an item whose PSF reaches `support` px (`unknown` when nil).
    public func label(_ support: Int?) -> String {
        guard let support else { return "unknown" }
        guard let width, width > 1 else { return "\(support) px" }
        let first = support / width * width
        return "\(first)–\(first + width - 1) px"
    }
}

/// The groups of the reports' "by noise level": one per level (`σ=0.01`) when the items have at
/// most `maximumLevels` of them (datasets made at fixed levels), else equal-width ranges
/// (`σ=0.01–0.015`, from the first bound up to but not including the second) whose width is
/// 1, 2, 2.5 or 5 times a power of ten, the smallest giving at most `maximumRanges` ranges over
/// the items' levels. With σ drawn per item from a range, levels printed to six digits still
/// coincide at scale (44 111 levels among 50 000 items drawn in 0.01–0.03): until 2026-11-28
/// the reports made a table per level, 31 MB of such a shard's JSON report.
public struct NoiseGroups: Sendable {
    /// More distinct levels than this are grouped in ranges.
    public static let maximumLevels = 16
    /// At most this many ranges.
    public static let maximumRanges = 8
    /// The ranges' width, or nil for a group per level.
    public let width: Double?

    /// - Parameter levels: the items' noise σ (those without one are the `unknown` group).
    public init(levels: [Double]) {
        let finite = levels.filter(\.isFinite)
        guard Set(levels.map(formatSigma)).count > Self.maximumLevels, let lo = finite.min(), let hi = finite.max(), hi > lo else {
            width = nil; return
        }
        var decade = pow(10, (log10(hi - lo) - 2).rounded(.down))
        while true {
            for step in [1, 2, 2.5, 5] {
                let w = step * decade
                if Self.index(hi, width: w) - Self.index(lo, width: w) + 1 <= Self.maximumRanges { width = w; return }
            }
            decade *= 10
        }
    }

    /// The group of an item with noise σ `sigma` (`unknown` when nil).
    public func label(_ sigma: Double?) -> String {
        guard let sigma else { return "unknown" }
        guard let width, sigma.isFinite else { return formatSigma(sigma) }
        let k = Self.index(sigma, width: width)
        return "σ=" + Self.text(Self.bound(k, width: width)) + "–" + Self.text(Self.bound(k + 1, width: width))
    }

    /// A bound as its shortest round-trip text without a trailing `.0` (`0.0125`, `2`): six
    /// digits, as levels print, would read a range of width 2.5·10⁻⁷ as `σ=0.0100002–0.0100005`.
    static func text(_ bound: Double) -> String {
        let t = bound.description
        return t.hasSuffix(".0") ? String(t.dropLast(2)) : t
    }

    /// The range holding `sigma`; the small allowance keeps a level on a bound (0.3 with width
    /// 0.1, whose quotient is 2.9999999999999996) in the range that starts there.
    static func index(_ sigma: Double, width: Double) -> Int { Int((sigma / width * (1 + 1e-12)).rounded(.down)) }

    /// A range's bound, `k` widths, computed so that it prints short (0.015, not 0.015000000000000001).
    static func bound(_ k: Int, width: Double) -> Double {
        // A whole number of thousandths of the width's decade, divided by an exact power of ten:
        // the quotient is the double nearest the decimal bound.
        let e = Int(log10(width).rounded(.down)) - 3
        let units = (Double(k) * width / pow(10, Double(e))).rounded()
        return e < 0 ? units / pow(10, Double(-e)) : units * pow(10, Double(e))
    }
}

/// The settings of a run, recorded in every report.
public struct ComparisonSettings: Sendable, Codable {
    public var dataset: String
    public var metrics: MetricSettings
    /// The method that win counts compare against (default `blurred`, or the first method).
    public var baseline: String
    /// The specs as given on the command line.
    public var methodSpecs: [String]
    /// Whether `run(items:specs:factory:)` tunes each method's free parameter on a validation
    /// split first (`--tune`); the split's items are then not scored.
    public var tune: Bool
    /// The fraction of items held out for tuning (default 0.2), drawn with `splitSeed` (default 0).
    public var validationFraction: Double
    public var splitSeed: UInt64
    /// Items run in parallel (default all cores), each on one worker.
    public var threads: Int
    /// The DeblurKit version that made the comparison.
    public var version: String
    /// The part of the dataset this run scored (`--shard K/N`); nil for a whole dataset.
    public var shard: ComparisonShard?

    public init(dataset: String = "", metrics: MetricSettings = MetricSettings(), baseline: String = "",
                methodSpecs: [String] = [], tune: Bool = false, validationFraction: Double = 0.2,
                splitSeed: UInt64 = 0, threads: Int = ProcessorInfo.cores) {
        self.dataset = dataset; self.metrics = metrics; self.baseline = baseline; self.methodSpecs = methodSpecs
        self.tune = tune; self.validationFraction = validationFraction; self.splitSeed = splitSeed
        self.threads = threads; self.version = DeblurKitVersion.string
    }
}


/// Which part of a dataset a sharded run scored (`deblur compare --shard K/N`), recorded in
/// its JSON report so that `Comparison.merge` can tell a complete set of parts from one with
/// a shard missing (item ids alone cannot: a dataset's ids need not be contiguous).
public struct ComparisonShard: Sendable, Codable, Equatable, CustomStringConvertible {
    /// 1-based shard number K.
    public var index: Int
    /// Number of shards N.
    public var count: Int
    /// Items in the whole dataset after `--limit`, before sharding (nil when not known).
    public var datasetItems: Int?

    public init(index: Int, count: Int, datasetItems: Int? = nil) {
        precondition(count >= 1 && (1...count).contains(index), "shard \(index)/\(count) needs 1 ≤ K ≤ N")
        self.index = index; self.count = count; self.datasetItems = datasetItems
    }

    public var description: String { "\(index)/\(count)" }
}
