import Foundation

/// Reading comparison JSON reports back, and merging the reports of shards of one dataset
/// (`deblur compare --shard K/N`, then `deblur compare --merge`), so a cluster job array can
/// score a large dataset and still get one set of tables.
extension Comparison {
    /// Parses a report written by `JSONReport.render`: settings, methods, per-item scores,
    /// tuning and traces (previews hold images, which the JSON does not, so they stay empty).
    /// - Throws: `EvaluationError.invalidValue` naming `source` and what is missing or wrong.
    public static func parseJSON(_ data: Data, source: String) throws -> Comparison {
        func bad(_ what: String) -> EvaluationError {
            .invalidValue(name: "comparison report", value: source, expected: what)
        }
        // JSONDecoder, not JSONSerialization: the latter rounds the last digit of some doubles,
        // and merged shards must give the numbers of one run exactly.
        let root: ReportFile
        do { root = try JSONDecoder().decode(ReportFile.self, from: data) } catch {
            throw bad("a JSON report written by deblur compare --json (\(error))")
        }
        guard root.format == "deblurkit-comparison" else { throw bad("\"format\": \"deblurkit-comparison\"") }
        // The version changes only when a field changes meaning or a reader could not do without
        // a new one. Fields added since (settings.shard, 2026-11-26) are optional: files without
        // them still read, and older readers ignore them.
        guard root.format_version == 1 else { throw bad("format_version 1") }
        let s = root.settings
        guard let preset = SSIMPreset(rawValue: s.ssim_preset) else { throw bad("a known settings.ssim_preset, not \(s.ssim_preset)") }
        let metrics = MetricSettings(dataRange: s.data_range, crop: s.crop, ssimPreset: preset, luminanceOnly: s.luminance_only)
        var settings = ComparisonSettings(dataset: s.dataset, metrics: metrics, baseline: s.baseline, methodSpecs: s.methods, tune: s.tune,
                                          validationFraction: s.validation_fraction, splitSeed: s.split_seed, threads: s.threads)
        if let v = root.versions?["deblurkit"] { settings.version = v }
        if let shard = s.shard {
            guard shard.count >= 1, (1...shard.count).contains(shard.index), (shard.dataset_items ?? 1) >= 1 else {
                throw bad("settings.shard with 1 ≤ index ≤ count and dataset_items ≥ 1, not \(shard.index)/\(shard.count) of \(shard.dataset_items.map(String.init) ?? "null")")
            }
            settings.shard = ComparisonShard(index: shard.index, count: shard.count, datasetItems: shard.dataset_items)
        }

        let items = try root.items.map { raw -> ItemRecord in
            guard raw.results.map(\.method) == root.methods else {
                throw bad("the methods \(root.methods.joined(separator: ", ")) in order for item \(raw.id)")
            }
            let results = raw.results.map { r in
                // PSNR of identical images is +∞, written as null.
                MethodResult(method: r.method, scores: r.mse.map { ImageScores(mse: $0, psnr: r.psnr ?? .infinity, ssim: r.ssim ?? .nan) },
                             seconds: r.seconds, error: r.error)
            }
            guard (raw.blur_support ?? 1) >= 1 else { throw bad("a blur_support ≥ 1 for item \(raw.id), not \(raw.blur_support!)") }
            return ItemRecord(id: raw.id, kernel: raw.kernel, noiseSigma: raw.noise_sigma, failure: raw.failure, results: results,
                              source: raw.source, blurSupport: raw.blur_support)
        }
        let tuning = try (root.tuning ?? []).map { t in
            TuningRecord(method: t.method, parameter: t.parameter, candidates: t.candidates.map { (value: $0.value, meanPSNR: $0.mean_psnr) },
                         chosen: t.chosen, tunedSpec: try MethodSpec.parse(t.tuned_spec))
        }
        let traces = (root.traces ?? []).map { t in
            IterationTrace(item: t.item, method: t.method, points: zip(t.iterations, t.psnr).map { (iteration: $0, psnr: $1 ?? .infinity) })
        }
        return Comparison(settings: settings, methods: root.methods, items: items, tuning: tuning,
                          validationItems: root.validation_items ?? [], traces: traces, previews: [])
    }

    /// Merges the reports of disjoint shards of one run: the items of all, sorted by id with `<`
    /// (the order `Dataset.load` gives a dataset's items, so a run's on a dataset), and
    /// their iteration traces in that order; of shards, only the traces of the first items, as
    /// many as a shard traced, so they are the run's. The result does not depend on the order
    /// of `parts`: shards are taken in shard order.
    ///
    /// Parts that record their shard (`settings.shard`, written by `--shard K/N`) must be shards
    /// 1…N of one split, each exactly once, of the same dataset size; parts that record none (an
    /// unsharded run, or a report from before the record) are merged as they are, item ids
    /// disjoint. The two kinds are not mixed, since a set with one of each cannot be checked.
    /// - Throws: `EvaluationError.invalidValue` when the parts differ in methods, metric
    ///   settings, tuning or shard split, miss or repeat a shard, mix parts with and without a
    ///   shard record, or share an item id; `.noItems` for an empty list.
    public static func merge(_ parts: [(source: String, comparison: Comparison)]) throws -> Comparison {
        guard !parts.isEmpty else { throw EvaluationError.noItems(reason: "no comparison reports to merge") }
        try checkShardsCover(parts)
        // Shard order, not argument order: the settings recorded come from the first part, and
        // a shell glob lists part-10 before part-2.
        let parts = parts.enumerated().sorted { a, b in
            (a.element.comparison.settings.shard?.index ?? 0, a.offset) < (b.element.comparison.settings.shard?.index ?? 0, b.offset)
        }.map(\.element)
        let first = parts[0]
        var merged = first.comparison
        merged.settings.shard = nil
        var seen = Set(merged.items.map(\.id))
        for (source, part) in parts.dropFirst() {
            func mismatch(_ what: String, _ a: String, _ b: String) -> EvaluationError {
                .invalidValue(name: "comparison report", value: source, expected: "the \(what) of \(first.source) (\(a)), got \(b)")
            }
            guard part.methods == merged.methods else {
                throw mismatch("methods", merged.methods.joined(separator: ","), part.methods.joined(separator: ","))
            }
            guard part.settings.metrics == merged.settings.metrics else { throw mismatch("metric settings", "\(merged.settings.metrics)", "\(part.settings.metrics)") }
            let tuned = { (c: Comparison) in c.tuning.map { "\($0.method)=\($0.chosen)" }.joined(separator: ",") }
            guard tuned(part) == tuned(merged) else { throw mismatch("tuning", tuned(merged), tuned(part)) }
            for record in part.items where !seen.insert(record.id).inserted {
                throw EvaluationError.invalidValue(name: "comparison report", value: source, expected: "items disjoint from the other reports, but item \(record.id) appears twice")
            }
            merged.items += part.items
            merged.traces += part.traces
        }
        // A dataset's order (`Dataset.load` sorts ids with `<`), which one run keeps: in numeric
        // order, ids img1…img12 came out img1, img2, … and the traces kept were img2's, not img10's.
        merged.items.sort { $0.id < $1.id }
        // Each shard traced its own first items; one run traces the dataset's first ones. Those
        // are among every shard's first, so keeping as many items as a shard traced, in item
        // order, gives the run's traces whatever order the parts came in.
        let position = Dictionary(merged.items.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        var kept = Set(merged.traces.map(\.item))
        if first.comparison.settings.shard != nil {
            let traced = parts.map { Set($0.comparison.traces.map(\.item)).count }.max() ?? 0
            kept = Set(kept.sorted { (position[$0, default: .max], $0) < (position[$1, default: .max], $1) }.prefix(traced))
        }
        merged.traces = merged.traces.enumerated()
            .filter { kept.contains($0.element.item) }
            .sorted { (position[$0.element.item, default: .max], $0.offset) < (position[$1.element.item, default: .max], $1.offset) }
            .map(\.element)
        return merged
    }

    /// Refuses a set of sharded parts that is not shards 1…N of one split, each once.
    private static func checkShardsCover(_ parts: [(source: String, comparison: Comparison)]) throws {
        let recorded = parts.compactMap { part in part.comparison.settings.shard.map { (source: part.source, shard: $0) } }
        guard let first = recorded.first else { return }
        if let bare = parts.first(where: { $0.comparison.settings.shard == nil }) {
            throw EvaluationError.invalidValue(name: "comparison report", value: bare.source,
                expected: "a shard K/N like \(first.source) (shard \(first.shard)), but it records none (an unsharded run, or written before reports recorded their shard): merge sharded and unsharded reports separately")
        }
        var sources = [Int: String]()
        for (source, shard) in recorded {
            guard shard.count == first.shard.count, shard.datasetItems == first.shard.datasetItems else {
                func split(_ s: ComparisonShard) -> String { "\(s.count) shards of \(s.datasetItems.map { "\($0) items" } ?? "an unrecorded item count")" }
                throw EvaluationError.invalidValue(name: "comparison report", value: source,
                    expected: "the shard split of \(first.source) (\(split(first.shard))), got shard \(shard) (\(split(shard)))")
            }
            if let other = sources.updateValue(source, forKey: shard.index) {
                throw EvaluationError.invalidValue(name: "comparison report", value: source,
                    expected: "each shard once, but shard \(shard) is also \(other)")
            }
        }
        let n = first.shard.count
        let missing = (1...n).filter { sources[$0] == nil }
        guard missing.isEmpty else {
            // A job array's list could be thousands long: name the first few.
            let named = missing.prefix(20).map { "\($0)/\(n)" }.joined(separator: ", ") + (missing.count > 20 ? ", …" : "")
            throw EvaluationError.invalidValue(name: "set of comparison reports", value: "(\(parts.count) files)",
                expected: "shards 1…\(n) of \(n), each once; missing \(missing.count) shard(s): \(named)")
        }
    }
}

/// The parts of `JSONReport`'s document that a merge needs (field names as written).
private struct ReportFile: Decodable {
    struct Settings: Decodable {
        var dataset: String, baseline: String, methods: [String], threads: Int, tune: Bool
        var validation_fraction: Double, split_seed: UInt64, data_range: Double, crop: Int, ssim_preset: String, luminance_only: Bool
        var shard: Shard?
    }
    struct Shard: Decodable { var index: Int, count: Int, dataset_items: Int? }
    struct Result: Decodable { var method: String, mse: Double?, psnr: Double?, ssim: Double?, seconds: Double?, error: String? }
    struct Item: Decodable { var id: String, kernel: String?, noise_sigma: Double?, failure: String?, results: [Result], source: String?, blur_support: Int? }
    struct Candidate: Decodable { var value: String, mean_psnr: Double? }
    struct Tuning: Decodable { var method: String, parameter: String, chosen: String, tuned_spec: String, candidates: [Candidate] }
    struct Trace: Decodable { var item: String, method: String, iterations: [Int], psnr: [Double?] }
    var format: String, format_version: Int
    var versions: [String: String]?
    var settings: Settings
    var methods: [String]
    var items: [Item]
    var tuning: [Tuning]?
    var validation_items: [String]?
    var traces: [Trace]?
}
