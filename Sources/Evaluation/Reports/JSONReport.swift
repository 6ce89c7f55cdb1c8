import DeblurCore
import Foundation

/// The comparison as one JSON document: settings, versions, per-item results, aggregates
/// (overall, by kernel, by noise level, win counts, differences to the baseline with
/// their bootstrap intervals), tuning, failures and iteration traces.
/// Non-finite numbers (a +∞ PSNR) are written as `null`; keys are sorted so the file diffs well.
public enum JSONReport {
    /// - Parameter againstBaseline: `result.againstBaseline`, when the caller already has it:
    ///   reports written together then share one bootstrap (computed when nil).
    public static func render(_ result: Comparison, againstBaseline: [PairedDifference]? = nil) -> String {
        JSONWriter.write(object(result, againstBaseline: againstBaseline)) + "\n"
    }

    /// The report as nested Foundation values (`againstBaseline` as in `render`).
    public static func object(_ result: Comparison, againstBaseline: [PairedDifference]? = nil) -> [String: Any] {
        let s = result.settings
        return [
            "format": "deblurkit-comparison",
            "format_version": 1,
            "versions": ["deblurkit": s.version, "os": ProcessInfo.processInfo.operatingSystemVersionString],
            "settings": settings(s),
            "methods": result.methods,
            "items": result.items.map { record -> [String: Any] in
                [
                    "id": record.id, "kernel": record.kernel ?? NSNull(), "noise_sigma": number(record.noiseSigma),
                    "source": record.source ?? NSNull(), "failure": record.failure ?? NSNull(),
                    "blur_support": record.blurSupport ?? NSNull(),
                    "results": record.results.map { r -> [String: Any] in
                        ["method": r.method, "mse": number(r.scores?.mse), "psnr": number(r.scores?.psnr),
                         "ssim": number(r.scores?.ssim), "seconds": number(r.seconds), "error": r.error ?? NSNull()]
                    },
                ]
            },
            "aggregates": [
                "overall": result.summaries.map(summary),
                "by_kernel": Dictionary(uniqueKeysWithValues: result.byKernel.map { ($0.group, $0.summaries.map(summary)) }),
                "by_noise": Dictionary(uniqueKeysWithValues: result.byNoise.map { ($0.group, $0.summaries.map(summary)) }),
                "by_source": Dictionary(uniqueKeysWithValues: result.bySource.map { ($0.group, $0.summaries.map(summary)) }),
                "by_blur_support": Dictionary(uniqueKeysWithValues: result.bySupport.map { ($0.group, $0.summaries.map(summary)) }),
                "against_baseline": (againstBaseline ?? result.againstBaseline).map(difference),
                "bootstrap": bootstrap,
                "wins": result.wins.map { w -> [String: Any] in
                    ["method": w.method, "baseline": w.baseline,
                     "psnr": ["wins": w.psnrWins, "ties": w.psnrTies, "losses": w.psnrLosses],
                     "ssim": ["wins": w.ssimWins, "ties": w.ssimTies, "losses": w.ssimLosses]]
                },
            ] as [String: Any],
            "tuning": result.tuning.map { t -> [String: Any] in
                ["method": t.method, "parameter": t.parameter, "chosen": t.chosen, "tuned_spec": t.tunedSpec.description,
                 "candidates": t.candidates.map { ["value": $0.value, "mean_psnr": number($0.meanPSNR)] as [String: Any] }]
            },
            "validation_items": result.validationItems,
            "failures": result.failures.map { f -> [String: Any] in
                ["item": f.item, "method": f.method ?? NSNull(), "reason": f.reason]
            },
            "traces": result.traces.map { t -> [String: Any] in
                ["item": t.item, "method": t.method,
                 "iterations": t.points.map(\.iteration), "psnr": t.points.map { number($0.psnr) }]
            },
        ]
    }

    /// The `settings` object alone (the HTML report shows it), without the aggregates' cost.
    static func settings(_ s: ComparisonSettings) -> [String: Any] {
        [
            "dataset": s.dataset, "baseline": s.baseline, "methods": s.methodSpecs, "threads": s.threads,
            "tune": s.tune, "validation_fraction": s.validationFraction, "split_seed": s.splitSeed,
            "data_range": s.metrics.dataRange, "crop": s.metrics.crop, "ssim_preset": s.metrics.ssimPreset.rawValue,
            "luminance_only": s.metrics.luminanceOnly,
            "shard": s.shard.map { ["index": $0.index, "count": $0.count, "dataset_items": $0.datasetItems ?? NSNull()] as [String: Any] }
                ?? NSNull(),
        ]
    }

    static func summary(_ s: MethodSummary) -> [String: Any] {
        func stat(_ x: Statistic) -> [String: Any] {
            ["mean": number(x.mean), "median": number(x.median), "std": number(x.std)]
        }
        return ["method": s.method, "count": s.count, "failures": s.failures,
                "psnr": stat(s.psnr), "ssim": stat(s.ssim), "mse": stat(s.mse), "seconds": stat(s.seconds)]
    }

    static func difference(_ d: PairedDifference) -> [String: Any] {
        func interval(_ i: BootstrapInterval) -> [String: Any] { ["mean": number(i.mean), "low": number(i.low), "high": number(i.high)] }
        return ["method": d.method, "baseline": d.baseline, "count": d.count, "psnr": interval(d.psnr), "ssim": interval(d.ssim)]
    }

    static let bootstrap: [String: Any] = ["level": Bootstrap.level, "resamples": Bootstrap.resamples, "seed": Bootstrap.seed]

    static func number(_ v: Double?) -> Any {
        guard let v, v.isFinite else { return NSNull() }
        return v
    }
}
